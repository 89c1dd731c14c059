import type { Logger } from '@sagaflow/contracts/messaging';
import type { SagaStore } from '../store/saga-store.js';
import { systemClock, type Clock } from './clock.js';
import type { SagaEngine } from './saga-engine.js';

export interface TimeoutSweeperOptions {
  intervalMs: number;
  batchSize?: number;
  clock?: Clock;
}

/**
 * Deadlines live in the store, not in machine timers (those do not survive a restore). The sweeper
 * fires due ones through the engine, whose version-checked write is the claim: with several
 * orchestrators sweeping, each deadline fires once.
 */
export class TimeoutSweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private readonly clock: Clock;

  constructor(
    private readonly store: SagaStore,
    private readonly engine: SagaEngine,
    private readonly log: Logger,
    private readonly options: TimeoutSweeperOptions,
  ) {
    this.clock = options.clock ?? systemClock;
  }

  start(): void {
    this.timer = setInterval(() => void this.sweep(), this.options.intervalMs);
    this.timer.unref();
    void this.sweep();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Fires every deadline due now; resolves when done (a sweep already under way is joined). */
  sweep(): Promise<void> {
    this.running ??= this.fireDue().finally(() => (this.running = null));
    return this.running;
  }

  private async fireDue(): Promise<void> {
    const batchSize = this.options.batchSize ?? 200;
    try {
      for (;;) {
        const due = await this.store.findDue(this.clock.now(), batchSize);
        if (!due.length) return;
        const results = await Promise.all(
          due.map((saga) =>
            this.engine.fireTimeout(saga.sagaId).catch((error: Error) => {
              this.log.warn('timeout not fired', { sagaId: saga.sagaId, error: error.message });
              return { outcome: 'failed' as const };
            }),
          ),
        );
        if (due.length < batchSize || !results.some((r) => r.outcome === 'applied')) return;
      }
    } catch (error) {
      this.log.warn('timeout sweep failed', { error: (error as Error).message });
    }
  }
}
