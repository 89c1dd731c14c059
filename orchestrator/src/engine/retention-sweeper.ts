import type { Logger } from '@sagaflow/contracts/messaging';
import type { SagaStore } from '../store/saga-store.js';
import { systemClock, type Clock } from './clock.js';

export interface RetentionSweeperOptions {
  /** Finished sagas last changed longer ago than this are removed; 0 keeps them forever. */
  retentionMs: number;
  /** Default one minute. */
  intervalMs?: number;
  /** Sagas removed per statement; default 500. */
  batchSize?: number;
  /** Batches per sweep at most, so that a long backlog is worked off without crowding out the hot path; default 20. */
  maxBatches?: number;
  /**
   * How far behind now finished sagas are folded into the kept counts: longer than a commit can take
   * and than the orchestrators' clocks may differ, or a late commit would be missed. Default ten minutes.
   */
  foldLagMs?: number;
  clock?: Clock;
}

/**
 * Keeps the store's size set by its traffic, not by its age. Each sweep folds the counts of sagas that
 * finished a while ago into kept totals (so that counting by status reads only recent ones) and, with
 * a retention set, removes finished sagas past it in bounded batches. Sagas in flight are never
 * touched; orders stay. Several orchestrators may sweep at once: the store takes each saga once.
 */
export class RetentionSweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private stopping = false;
  private readonly clock: Clock;

  constructor(
    private readonly store: SagaStore,
    private readonly log: Logger,
    private readonly options: RetentionSweeperOptions,
  ) {
    this.clock = options.clock ?? systemClock;
  }

  start(): void {
    this.stopping = false;
    this.timer = setInterval(() => void this.sweep(), this.options.intervalMs ?? 60_000);
    this.timer.unref();
    void this.sweep();
  }

  /** Stops sweeping; a sweep under way ends after its current batch. */
  async stop(): Promise<void> {
    this.stopping = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  /** Folds counts and removes what retention allows; resolves to how many sagas went (a sweep under way is joined). */
  sweep(): Promise<number> {
    this.running ??= this.foldAndRemove().finally(() => (this.running = null));
    return this.running;
  }

  private async foldAndRemove(): Promise<number> {
    const { retentionMs, batchSize = 500, maxBatches = 20, foldLagMs = 600_000 } = this.options;
    let removed = 0;
    try {
      const now = this.clock.now().getTime();
      await this.store.foldFinishedCounts(new Date(now - foldLagMs));
      if (retentionMs <= 0) return 0;
      const finishedBefore = new Date(now - retentionMs);
      for (let batch = 0; batch < maxBatches && !this.stopping; batch++) {
        const n = await this.store.removeFinishedSagas(finishedBefore, batchSize);
        removed += n;
        if (n < batchSize) break;
      }
      if (removed > 0)
        this.log.info('finished sagas removed', { removed, finishedBefore: finishedBefore.toISOString() });
    } catch (error) {
      this.log.warn('retention sweep failed', { error: (error as Error).message, removed });
    }
    return removed;
  }
}
