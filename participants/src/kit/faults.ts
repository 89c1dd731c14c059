import { SagaflowError, type FaultsRequest } from '@sagaflow/contracts';

export interface FaultSettings {
  mode: FaultsRequest['mode'];
  rate: number;
  delayMs: number;
}

/** Ends the process at once, as a power cut or an OOM kill would: no drain, no exit handlers. */
const killProcess = (): void => {
  process.kill(process.pid, 'SIGKILL');
};

/**
 * Failure on purpose, for demos, tests and benchmarks: before a command's effect runs, `error` throws a
 * retryable technical failure and `delay` holds the command, each with probability `rate`. `crash` lets
 * the effect and its inbox row commit, then kills the process before the reply is published and the
 * delivery acked: the broker redelivers the command and the inbox must absorb it.
 */
export class FaultInjector {
  private settings: FaultSettings = { mode: 'none', rate: 1, delayMs: 0 };
  private readonly sleepers = new Set<() => void>();

  constructor(
    private readonly random: () => number = Math.random,
    private readonly crash: () => void = killProcess,
  ) {}

  get current(): FaultSettings {
    return { ...this.settings };
  }

  configure(request: FaultsRequest): FaultSettings {
    this.settings = { mode: request.mode, rate: request.rate ?? 1, delayMs: request.delayMs ?? 0 };
    return this.current;
  }

  /** Returns the fault it applied before an effect, if any; throws for `error`. */
  async apply(): Promise<'error' | 'delay' | null> {
    const { mode, rate, delayMs } = this.settings;
    if (mode === 'none' || mode === 'crash' || this.random() >= rate) return null;
    if (mode === 'error') throw new SagaflowError('injected_fault', 'fault injected by PUT /faults');
    await new Promise<void>((resolve, reject) => {
      const wake = () => {
        clearTimeout(timer);
        this.sleepers.delete(wake);
        reject(new SagaflowError('shutting_down', 'the service stopped during an injected delay'));
      };
      const timer = setTimeout(() => {
        this.sleepers.delete(wake);
        resolve();
      }, delayMs);
      this.sleepers.add(wake);
    });
    return 'delay';
  }

  /** Called between a new effect's commit and its reply: in `crash` mode, ends the process with probability `rate`. */
  crashAfterCommit(): void {
    const { mode, rate } = this.settings;
    if (mode === 'crash' && this.random() < rate) this.crash();
  }

  /** Ends every injected delay at once (the commands go back for a retry) so that shutdown is not held up. */
  interrupt(): void {
    for (const wake of [...this.sleepers]) wake();
  }
}
