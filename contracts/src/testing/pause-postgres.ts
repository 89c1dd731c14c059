import { spawn } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/**
 * The lock every machine-wide fault takes, so that tests sharing one PostgreSQL or RabbitMQ never
 * stack their outages: `MACHINE_FAULT_LOCK`, else one in the system's temporary directory.
 */
export function machineFaultLock(): string {
  if (process.env.MACHINE_FAULT_LOCK) return process.env.MACHINE_FAULT_LOCK;
  return join(tmpdir(), 'sagaflow-machine-fault.lock');
}

/**
 * Run by `flock` in a process of its own: stops every `postgres` process, resumes them after the pause
 * or at SIGTERM/SIGINT, then exits. Being its own process, it resumes the server even when the test
 * runner dies mid-pause.
 */
const PAUSER = `
const fs = require('node:fs');
const pids = fs.readdirSync('/proc').filter((d) => /^[0-9]+$/.test(d)).filter((d) => {
  try { return fs.readFileSync('/proc/' + d + '/comm', 'utf8').trim() === 'postgres'; } catch { return false; }
}).map(Number);
const signal = (name) => { for (const pid of pids) { try { process.kill(pid, name); } catch {} } };
const resume = () => { signal('SIGCONT'); process.exit(0); };
process.on('SIGTERM', resume);
process.on('SIGINT', resume);
if (pids.length === 0) { console.error('no postgres process found'); process.exit(3); }
signal('SIGSTOP');
process.stdout.write(JSON.stringify(pids) + '\\n');
setTimeout(resume, Number(process.argv[1]));
`;

export interface PostgresPause {
  /** The processes stopped. */
  readonly pids: number[];
  /** Settles once PostgreSQL runs again (the pause ended or `resume` was called). */
  readonly resumed: Promise<void>;
  /** Ends the pause now (idempotent); call it in a `finally`. */
  resume(): Promise<void>;
}

/**
 * Stops (SIGSTOP) every PostgreSQL process of the machine for `ms`, as a frozen VM or a stuck disk
 * would: connections stay open and nothing answers. Waits for the machine-fault lock first (up to
 * `lockTimeoutMs`) and resolves once the server is stopped. The server is resumed after `ms`, by
 * `resume()`, or when the test runner exits, whichever comes first.
 */
export async function pausePostgres(
  ms: number,
  { lockTimeoutMs = 120_000 }: { lockTimeoutMs?: number } = {},
): Promise<PostgresPause> {
  const child = spawn(
    'flock',
    [
      '--timeout',
      String(Math.ceil(lockTimeoutMs / 1_000)),
      machineFaultLock(),
      process.execPath,
      '-e',
      PAUSER,
      String(ms),
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const firstLine = await new Promise<string | undefined>((resolve) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolve(line));
    lines.once('close', () => resolve(undefined));
  });
  if (firstLine === undefined) {
    await exited;
    throw new Error(`PostgreSQL was not paused (exit ${child.exitCode}): ${stderr.trim() || 'lock not taken'}`);
  }
  const pids = JSON.parse(firstLine) as number[];
  const resumeAll = () => {
    for (const pid of pids) {
      try {
        process.kill(pid, 'SIGCONT');
      } catch {
        // gone already
      }
    }
  };
  process.once('exit', resumeAll);
  const resumed = exited.then(() => {
    resumeAll();
    process.removeListener('exit', resumeAll);
  });
  return {
    pids,
    resumed,
    resume: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await resumed;
    },
  };
}
