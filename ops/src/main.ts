#!/usr/bin/env node
import { buildProgram } from './program.js';

/** Ctrl-C and SIGTERM stop a following command cleanly (exit 0) while it listens; otherwise they end the process as usual. */
function interrupts(onInterrupt: () => void): () => void {
  process.on('SIGINT', onInterrupt);
  process.on('SIGTERM', onInterrupt);
  return () => {
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  };
}

process.exitCode = await buildProgram({
  env: process.env,
  stdout: process.stdout,
  stderr: process.stderr,
  interrupts,
}).run(process.argv.slice(2));
