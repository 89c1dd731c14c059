#!/usr/bin/env node
import { buildProgram } from './program.js';

process.exitCode = await buildProgram({ env: process.env, stdout: process.stdout, stderr: process.stderr }).run(
  process.argv.slice(2),
);
