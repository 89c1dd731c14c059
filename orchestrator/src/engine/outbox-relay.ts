import type { Logger, MessageBus } from '@sagaflow/contracts/messaging';
import type { OutboxEntry, SagaStore } from '../store/saga-store.js';

export interface OutboxRelayOptions {
  /** How often unsent entries left behind (a failed publish, a crash) are looked for. */
  sweepIntervalMs?: number;
  /** Entries younger than this are assumed to be in the hands of the process that wrote them. */
  graceMs?: number;
  batchSize?: number;
}

/**
 * Publishes outbox entries after their commit and removes them once the broker confirmed.
 * Removals are written in batches; entries whose publish failed are picked up again by the sweep,
 * and so are those of a process that died before publishing (at-least-once; consumers dedupe).
 */
export class OutboxRelay {
  private readonly inFlight = new Set<string>();
  private readonly publishing = new Set<Promise<number>>();
  private confirmed: string[] = [];
  private flushing: Promise<void> | null = null;
  private timer: NodeJS.Timeout | null = null;
  private sweeping = false;
  private readonly sweepIntervalMs: number;
  private readonly graceMs: number;
  private readonly batchSize: number;

  constructor(
    private readonly store: SagaStore,
    private readonly bus: MessageBus,
    private readonly log: Logger,
    options: OutboxRelayOptions = {},
  ) {
    this.sweepIntervalMs = options.sweepIntervalMs ?? 1_000;
    this.graceMs = options.graceMs ?? 3_000;
    this.batchSize = options.batchSize ?? 500;
  }

  /** Publishes everything left unsent (at start-up), then keeps sweeping in the background. */
  async start(): Promise<void> {
    await this.sweep(new Date(Date.now() + 1));
    this.timer = setInterval(() => void this.sweep(new Date(Date.now() - this.graceMs)), this.sweepIntervalMs);
    this.timer.unref();
  }

  /** Stops sweeping, waits for publishes under way and writes their marks. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.allSettled([...this.publishing]);
    await this.flush();
  }

  /** Publishes entries that were just committed; resolves when each is confirmed or has failed. */
  publish(entries: OutboxEntry[]): Promise<number> {
    const work = Promise.all(entries.map((entry) => this.publishOne(entry))).then((results) => {
      this.scheduleFlush();
      return results.filter(Boolean).length;
    });
    this.publishing.add(work);
    void work.finally(() => this.publishing.delete(work));
    return work;
  }

  private async publishOne(entry: OutboxEntry): Promise<boolean> {
    if (this.inFlight.has(entry.messageId)) return false;
    this.inFlight.add(entry.messageId);
    try {
      // The engine built the message from the saga's validated input and replies; the consumer checks it.
      await this.bus.publishBuilt(entry.message, entry);
      this.confirmed.push(entry.messageId);
      return true;
    } catch (error) {
      this.log.warn('outbox publish failed; the sweep sends it again', {
        sagaId: entry.sagaId,
        messageId: entry.messageId,
        commandId: entry.message.commandId,
        error: (error as Error).message,
      });
      return false;
    } finally {
      this.inFlight.delete(entry.messageId);
    }
  }

  private scheduleFlush(): void {
    this.flushing ??= new Promise<void>((resolve) => setImmediate(resolve)).then(() => this.flush());
  }

  /** Writes the pending "sent" marks; one store call covers everything confirmed since the last. */
  async flush(): Promise<void> {
    while (this.confirmed.length) {
      const batch = this.confirmed.splice(0, this.batchSize);
      try {
        await this.store.markSent(batch);
      } catch (error) {
        // Unmarked entries are published again by a sweep: a duplicate, never a loss.
        this.log.warn('could not mark outbox entries sent', { count: batch.length, error: (error as Error).message });
      }
    }
    this.flushing = null;
  }

  private async sweep(createdBefore: Date): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    try {
      for (;;) {
        const entries = (await this.store.unsentOutbox(createdBefore, this.batchSize)).filter(
          (e) => !this.inFlight.has(e.messageId),
        );
        if (!entries.length) break;
        this.log.info('publishing unsent outbox entries', { count: entries.length });
        const sent = await this.publish(entries);
        await this.flush();
        if (sent < entries.length || entries.length < this.batchSize) break;
      }
    } catch (error) {
      this.log.warn('outbox sweep failed', { error: (error as Error).message });
    } finally {
      this.sweeping = false;
    }
  }
}
