// Keeps child processes running: one that exits without being told to is reported with its exit code or
// signal and started again after a backoff (doubling from `initialMs` up to `maxMs`, back to `initialMs`
// once a run lasted `stableMs`); one that refused its configuration (exit code 2) is left down, since it
// would only fail again. `stopAll()` ends them all. Used by `make local` / `make dev`.
import { spawn } from 'node:child_process';

/** The exit code of a service that refused its configuration: starting it again would only fail again. */
const EXIT_BAD_USAGE = 2;

export const DEFAULT_BACKOFF = { initialMs: 500, maxMs: 10_000, stableMs: 30_000 };

const describeExit = (code, signal) => (signal ? `signal ${signal}` : `exit code ${code}`);

export class Supervisor {
  #services = new Map();
  #stopping = false;
  #backoff;
  #log;

  /**
   * @param {{ log?: (line: string) => void, backoff?: Partial<typeof DEFAULT_BACKOFF> }} [options]
   */
  constructor({ log = (line) => process.stdout.write(`${line}\n`), backoff = {} } = {}) {
    this.#log = log;
    this.#backoff = { ...DEFAULT_BACKOFF, ...backoff };
  }

  /**
   * Starts `command args` as service `name` and keeps it running.
   * `onSpawn(child)` is called for every start, e.g. to prefix its output.
   */
  add(name, { command, args = [], cwd, env, onSpawn = () => undefined }) {
    if (this.#services.has(name)) throw new Error(`${name} is supervised already`);
    const service = { name, command, args, cwd, env, onSpawn, child: null, delayMs: this.#backoff.initialMs };
    service.timer = null;
    this.#services.set(name, service);
    this.#start(service);
  }

  /** The pid of each running service. */
  pids() {
    return Object.fromEntries([...this.#services.values()].filter((s) => s.child).map((s) => [s.name, s.child.pid]));
  }

  /** Sends `signal` to every service, SIGKILL to any still running after `timeoutMs`; resolves once all exited. */
  async stopAll(signal = 'SIGTERM', timeoutMs = 15_000) {
    this.#stopping = true;
    const exits = [];
    for (const service of this.#services.values()) {
      clearTimeout(service.timer);
      const child = service.child;
      if (!child) continue;
      exits.push(
        new Promise((resolve) => {
          const late = setTimeout(() => {
            this.#log(`${service.name} did not stop within ${timeoutMs} ms of ${signal}: SIGKILL`);
            child.kill('SIGKILL');
          }, timeoutMs);
          child.once('exit', () => (clearTimeout(late), resolve()));
        }),
      );
      child.kill(signal);
    }
    await Promise.all(exits);
  }

  #start(service) {
    const startedAt = Date.now();
    const child = spawn(service.command, service.args, {
      cwd: service.cwd,
      env: service.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    service.child = child;
    service.onSpawn(child);
    this.#log(`${service.name} started (pid ${child.pid})`);
    child.once('error', (error) => this.#log(`${service.name} could not start: ${error.message}`));
    child.once('exit', (code, signal) => {
      service.child = null;
      if (this.#stopping) return;
      const ranMs = Date.now() - startedAt;
      if (code === EXIT_BAD_USAGE) {
        this.#log(
          `${service.name} refused its configuration (exit code 2); not restarting it: fix the setting it named`,
        );
        return;
      }
      if (ranMs >= this.#backoff.stableMs) service.delayMs = this.#backoff.initialMs;
      const delayMs = service.delayMs;
      service.delayMs = Math.min(delayMs * 2, this.#backoff.maxMs);
      this.#log(
        `${service.name} exited unexpectedly (${describeExit(code, signal)}) after ${(ranMs / 1000).toFixed(1)} s; ` +
          `restarting in ${delayMs} ms`,
      );
      service.timer = setTimeout(() => {
        if (!this.#stopping) this.#start(service);
      }, delayMs);
    });
  }
}
