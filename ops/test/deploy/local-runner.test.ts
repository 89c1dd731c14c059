import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { expect } from 'chai';
import {
  createTestSchema,
  createTestVhost,
  eventually,
  findRepoRoot,
  freePort,
  type TestSchema,
  type TestVhost,
} from '@sagaflow/contracts/testing';

const root = findRepoRoot();

/** scripts/lib/supervisor.mjs, as far as these tests use it. */
interface SupervisorModule {
  Supervisor: new (options: {
    log: (line: string) => void;
    backoff: { initialMs: number; maxMs: number; stableMs: number };
  }) => {
    add(name: string, spec: { command: string; args: string[]; env?: NodeJS.ProcessEnv }): void;
    pids(): Record<string, number>;
    stopAll(signal?: NodeJS.Signals, timeoutMs?: number): Promise<void>;
  };
}

const importSupervisor = () =>
  import(pathToFileURL(join(root, 'scripts', 'lib', 'supervisor.mjs')).href) as Promise<SupervisorModule>;

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('the local runner (scripts/local.mjs, scripts/lib/supervisor.mjs)', () => {
  describe('supervisor', () => {
    /**
     * Supervises `node -e script` with this backoff until `count` restarts were announced; returns their
     * delays and every line logged, with nothing left running.
     */
    async function restartDelays(
      script: string,
      backoff: { initialMs: number; maxMs: number; stableMs: number },
      count: number,
    ) {
      const { Supervisor } = await importSupervisor();
      const lines: string[] = [];
      const supervisor = new Supervisor({ log: (line) => lines.push(line), backoff });
      supervisor.add('child', { command: process.execPath, args: ['-e', script] });
      try {
        const delays = await eventually(
          () => {
            const found = lines.flatMap((l) => /restarting in (\d+) ms/.exec(l)?.[1] ?? []).map(Number);
            if (found.length < count) throw new Error(`${found.length} restarts so far:\n${lines.join('\n')}`);
            return found.slice(0, count);
          },
          { timeoutMs: 15_000 },
        );
        return { delays, lines };
      } finally {
        await supervisor.stopAll();
        expect(supervisor.pids(), 'nothing runs once stopped').to.deep.equal({});
      }
    }

    it('restarts a crashing process with doubling delays up to the cap, and stops it on request', async () => {
      const { delays, lines } = await restartDelays(
        'process.exit(3)',
        { initialMs: 20, maxMs: 80, stableMs: 60_000 },
        5,
      );
      expect(delays).to.deep.equal([20, 40, 80, 80, 80]);
      expect(lines.some((l) => l.includes('child exited unexpectedly (exit code 3)'))).to.equal(true);
    });

    it('starts the delay afresh after a run that lasted long enough', async () => {
      // Lives 300 ms, longer than stableMs: every restart waits the initial delay.
      const { delays } = await restartDelays(
        'setTimeout(() => process.exit(1), 300)',
        { initialMs: 20, maxMs: 1_000, stableMs: 150 },
        3,
      );
      expect(delays).to.deep.equal([20, 20, 20]);
    });
  });

  describe('make local', () => {
    let vhost: TestVhost;
    let schema: TestSchema;
    let runner: ChildProcess | undefined;
    let output = '';

    before(async () => {
      [vhost, schema] = await Promise.all([createTestVhost('local-runner'), createTestSchema('local_runner')]);
    });

    after(async () => {
      if (runner && runner.exitCode === null && runner.signalCode === null) runner.kill('SIGKILL');
      await Promise.allSettled([vhost?.delete(), schema?.drop()]);
    });

    it('starts a service killed with SIGKILL again, and stops everything on SIGTERM', async function () {
      this.timeout(60_000);
      const port = await freePort();
      runner = spawn(process.execPath, [join(root, 'scripts', 'local.mjs')], {
        cwd: root,
        env: {
          PATH: process.env.PATH,
          SERVICES: 'payment',
          PAYMENT_PORT: String(port),
          AMQP_URL: vhost.url,
          STORE_URL: schema.url,
          LOG_LEVEL: 'warn',
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      runner.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      runner.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
      const exited = new Promise<{ code: number | null; signal: string | null }>((resolve) =>
        runner!.once('exit', (code, signal) => resolve({ code, signal })),
      );

      const pidsStarted = () => [...output.matchAll(/payment started \(pid (\d+)\)/g)].map((m) => Number(m[1]));
      const healthy = async () => {
        const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1_000) });
        if (!response.ok) throw new Error(`/healthz answered ${response.status}`);
      };
      const wait = <T>(check: () => T | Promise<T>) =>
        eventually(check, { timeoutMs: 20_000, intervalMs: 100 }).catch((error: Error) => {
          throw new Error(`${error.message}\nrunner output:\n${output}`);
        });

      await wait(healthy);
      const [first] = pidsStarted();
      expect(first).to.be.a('number');

      process.kill(first, 'SIGKILL');
      await wait(() => {
        if (!output.includes('payment exited unexpectedly (signal SIGKILL)')) throw new Error('exit not reported');
      });
      const second = await wait(() => {
        const pids = pidsStarted();
        if (pids.length < 2) throw new Error('not started again');
        return pids[1];
      });
      expect(second).to.not.equal(first);
      await wait(healthy);

      runner.kill('SIGTERM');
      const exit = await exited;
      expect(exit).to.deep.equal({ code: 0, signal: null });
      expect(alive(second), 'the service stopped with the runner').to.equal(false);
    });
  });
});
