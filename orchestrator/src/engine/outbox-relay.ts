import { EXCHANGES, SagaflowError, expressRoutingKeyOf } from '@sagaflow/contracts';
import { routeOf, type Logger, type MessageBus } from '@sagaflow/contracts/messaging';
import type { OutboxEntry, SagaStore } from '../store/saga-store.js';

export interface OutboxRelayOptions {
  /** How often unsent entries left behind (a failed publish, a crash) are looked for. */
  sweepIntervalMs?: number;
  /** Entries younger than this are assumed to be in the hands of the process that wrote them. */
  graceMs?: number;
  batchSize?: number;
  /**
   * Decides, just before the publish, the routing key of a command (payment commands by currency); the
   * entry's own key when absent. A throw fails the publish, which the sweep tries again.
   */
  router?: CommandRouter;
}

/** Routes commands at publish time (see `CurrencyRouter`). */
export interface CommandRouter {
  routeCommand(message: OutboxEntry['message'], routingKey: string): Promise<string>;
  /** Told of a command the broker could route to no queue, so that the next try asks the broker again. */
  unroutable(message: OutboxEntry['message']): void;
}

/**
 * Publishes outbox entries after their commit and removes them once the broker confirmed.
 * Removals are written in batches; entries whose publish failed are picked up again by the sweep,
 * and so are those of a process that died before publishing (at-least-once; consumers dedupe). A
 * command no queue takes (`unroutable`, `currency_not_served`) counts as failed: it stays in the
 * outbox, warned about each sweep, until a worker for it starts.
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
  private readonly router: CommandRouter | undefined;

  constructor(
    private readonly store: SagaStore,
    private readonly bus: MessageBus,
    private readonly log: Logger,
    options: OutboxRelayOptions = {},
  ) {
    this.sweepIntervalMs = options.sweepIntervalMs ?? 1_000;
    this.graceMs = options.graceMs ?? 3_000;
    this.batchSize = options.batchSize ?? 500;
    this.router = options.router;
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
      const routingKey =
        this.router && entry.exchange === EXCHANGES.commands ? await this.commandKey(entry) : entry.routingKey;
      // The engine built the message from the saga's validated input and replies; the consumer checks it.
      await this.bus.publishBuilt(entry.message, { exchange: entry.exchange, routingKey, priority: entry.priority });
      this.confirmed.push(entry.messageId);
      return true;
    } catch (error) {
      if (error instanceof SagaflowError && error.type === 'unroutable') this.router?.unroutable(entry.message);
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

  /**
   * A command's routing key as the router decides it from the command's plain key (a payment command's
   * by its currency); an express command keeps its express suffix on whichever queue that picks.
   */
  private async commandKey(entry: OutboxEntry): Promise<string> {
    const plain = routeOf(entry.message.type).routingKey;
    const routed = await this.router!.routeCommand(entry.message, plain);
    return entry.routingKey === expressRoutingKeyOf(plain) ? expressRoutingKeyOf(routed) : routed;
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
