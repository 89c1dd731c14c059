import type { Response } from 'express';
import { EXCHANGES, type SagaChanged } from '@sagaflow/contracts';
import { type Logger, type MessageBus, type Subscription } from '@sagaflow/contracts/messaging';

interface Client {
  res: Response;
  sagaId?: string;
  orderId?: string;
  /** Writes are held until the current turn of the event loop ends. */
  corked?: boolean;
}

/**
 * Server-Sent Events for `GET /events`: one event per saga change, read from the events exchange so
 * that a client sees changes made by every orchestrator, not just this one. The exchange is only
 * listened to while someone is watching: without clients, events cost this process nothing.
 */
export class SagaEventStream {
  private readonly clients = new Set<Client>();
  private subscription: Promise<Subscription> | null = null;
  private heartbeat: NodeJS.Timeout | null = null;
  /** Clients waiting for listening to start; the listener stays while there are any. */
  private attaching = 0;

  constructor(
    private readonly bus: MessageBus,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    // A comment line now and then keeps proxies from closing idle streams.
    this.heartbeat = setInterval(() => this.clients.forEach((c) => c.res.write(': keep-alive\n\n')), 15_000);
    this.heartbeat.unref();
  }

  async stop(): Promise<void> {
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const client of this.clients) client.res.end();
    this.clients.clear();
    await this.unsubscribe();
  }

  private subscribe(): Promise<Subscription> {
    this.subscription ??= this.bus.listen(EXCHANGES.events, 'saga.#', (message) => {
      if (message.type === 'saga.changed') this.broadcast(message.payload as SagaChanged);
    });
    return this.subscription;
  }

  private async unsubscribe(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = null;
    await (await subscription?.catch(() => null))?.stop();
  }

  get clientCount(): number {
    return this.clients.size;
  }

  /** Holds the response open as an event stream, optionally for one saga or one order. */
  async attach(res: Response, filter: { sagaId?: string; orderId?: string }): Promise<void> {
    // A client may leave while listening starts; it must not be kept (nor keep the listener alive).
    let left = false;
    const client: Client = { res, ...filter };
    res.once('close', () => {
      left = true;
      if (this.clients.delete(client)) this.unsubscribeWhenIdle();
    });
    // Listening starts before the stream opens, so that a client sees every change after its 200.
    this.attaching++;
    try {
      await this.subscribe();
    } finally {
      this.attaching--;
    }
    if (left) {
      this.unsubscribeWhenIdle();
      return;
    }
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    this.clients.add(client);
  }

  private unsubscribeWhenIdle(): void {
    if (this.clients.size > 0 || this.attaching > 0) return;
    void this.unsubscribe().catch((error: Error) =>
      this.log.warn('could not stop listening to saga events', { error: error.message }),
    );
  }

  private broadcast(change: SagaChanged): void {
    const frame = `id: ${change.sagaId}:${change.version}\nevent: saga\ndata: ${JSON.stringify(change)}\n\n`;
    for (const client of this.clients) {
      if (client.sagaId && client.sagaId !== change.sagaId) continue;
      if (client.orderId && client.orderId !== change.orderId) continue;
      if (!client.corked) {
        // Events of one turn of the event loop leave in one write (one system call), not one each.
        client.corked = true;
        client.res.cork();
        setImmediate(() => {
          client.corked = false;
          client.res.uncork();
        });
      }
      if (!client.res.write(frame)) this.log.debug('slow event stream client', { clients: this.clients.size });
    }
  }
}
