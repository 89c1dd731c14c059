import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import amqplib from 'amqplib';
import { expect } from 'chai';
import { QUEUES } from '@sagaflow/contracts';
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
    const runners: Runner[] = [];

    before(async () => {
      [vhost, schema] = await Promise.all([createTestVhost('local-runner'), createTestSchema('local_runner')]);
    });

    afterEach(async function () {
      this.timeout(30_000);
      await Promise.all(runners.splice(0).map((runner) => runner.shutdown()));
    });

    after(async () => {
      await Promise.allSettled([vhost?.delete(), schema?.drop()]);
    });

    /** `node scripts/local.mjs` with these variables (and the test's broker and store). */
    function startRunner(env: Record<string, string>): Runner {
      const runner = new Runner({ AMQP_URL: vhost.url, STORE_URL: schema.url, LOG_LEVEL: 'warn', ...env });
      runners.push(runner);
      return runner;
    }

    it('starts a service killed with SIGKILL again, and stops everything on SIGTERM', async function () {
      this.timeout(60_000);
      const port = await freePort();
      const runner = startRunner({ SERVICES: 'payment', PAYMENT_PORT: String(port) });

      await runner.wait(() => healthy(port));
      const [first] = runner.pidsStarted('payment');
      expect(first).to.be.a('number');

      process.kill(first!, 'SIGKILL');
      await runner.wait(() => {
        if (!runner.output.includes('payment exited unexpectedly (signal SIGKILL)'))
          throw new Error('exit not reported');
      });
      const second = await runner.wait(() => {
        const pids = runner.pidsStarted('payment');
        if (pids.length < 2) throw new Error('not started again');
        return pids[1]!;
      });
      expect(second).to.not.equal(first);
      await runner.wait(() => healthy(port));

      expect(await runner.stop()).to.deep.equal({ code: 0, signal: null });
      expect(alive(second), 'the service stopped with the runner').to.equal(false);
    });

    it('SERVICES=payment PORT=… adds a second payment worker on that port, consuming the same queue', async function () {
      this.timeout(60_000);
      const [firstPort, secondPort] = [await freePort(), await freePort()];
      const first = startRunner({ SERVICES: 'payment', PAYMENT_PORT: String(firstPort) });
      await first.wait(() => healthy(firstPort));
      const second = startRunner({ SERVICES: 'payment', PORT: String(secondPort) });
      await second.wait(() => healthy(secondPort));
      expect(second.output).to.contain(`services: payment on port ${secondPort}`);
      await healthy(firstPort);

      const connection = await amqplib.connect(vhost.url);
      try {
        const channel = await connection.createChannel();
        // Healthy comes before consuming (the HTTP server listens first): wait for both consumers.
        await second.wait(async () => {
          const { consumerCount } = await channel.checkQueue(QUEUES.payment);
          expect(consumerCount, 'workers consuming payment.commands').to.equal(2);
        });
      } finally {
        await connection.close();
      }

      const exits = await Promise.all([second.stop(), first.stop()]);
      expect(exits).to.deep.equal([
        { code: 0, signal: null },
        { code: 0, signal: null },
      ]);
    });

    it('refuses PORT with several services and no orchestrator among them, saying what to do', async () => {
      const runner = startRunner({ SERVICES: 'payment,inventory', PORT: '8092' });
      expect(await runner.exited).to.deep.equal({ code: 2, signal: null });
      expect(runner.output).to.contain("PORT is the orchestrator's port when SERVICES names several");
      expect(runner.output).to.contain('SERVICES=payment PORT=8092');
    });
  });
});

/** `GET /healthz` on a local port answers 200. */
async function healthy(port: number): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${port}/healthz`, { signal: AbortSignal.timeout(1_000) });
  if (!response.ok) throw new Error(`/healthz on ${port} answered ${response.status}`);
}

/** One `make local` (scripts/local.mjs) as a child process, its output collected. */
class Runner {
  output = '';
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  private readonly child: ChildProcess;

  constructor(env: Record<string, string>) {
    this.child = spawn(process.execPath, [join(root, 'scripts', 'local.mjs')], {
      cwd: root,
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child.stdout!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.child.stderr!.on('data', (chunk: Buffer) => (this.output += chunk.toString()));
    this.exited = new Promise((resolve) => this.child.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** The pids the supervisor reported starting `service` with, in order. */
  pidsStarted(service: string): number[] {
    return [...this.output.matchAll(new RegExp(`${service} started \\(pid (\\d+)\\)`, 'g'))].map((m) => Number(m[1]));
  }

  /** Waits up to 20 s for `check` to pass; the runner's output is in the error otherwise. */
  wait<T>(check: () => T | Promise<T>): Promise<T> {
    return eventually(check, { timeoutMs: 20_000, intervalMs: 100 }).catch((error: Error) => {
      throw new Error(`${error.message}\nrunner output:\n${this.output}`);
    });
  }

  /** SIGTERM, then how it exited. */
  stop(): Promise<{ code: number | null; signal: string | null }> {
    this.child.kill('SIGTERM');
    return this.exited;
  }

  /** Stops it if it still runs (a failed test): SIGTERM, so that it stops its services, then SIGKILL after 15 s. */
  async shutdown(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), 15_000)));
    if ((await Promise.race([this.exited, late])) === 'late') this.child.kill('SIGKILL');
    clearTimeout(timer);
  }
}
