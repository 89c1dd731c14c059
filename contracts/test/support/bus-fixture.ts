import amqplib, { type Channel, type ChannelModel, type GetMessage } from 'amqplib';
import { sagaflowTopology, type QueueType, type Topology } from '../../src/index.js';
import { MessageBus, silentLogger, type MessageBusOptions } from '../../src/messaging/index.js';
import { createTestVhost, eventually, type TestVhost } from '../../src/testing/index.js';

/** A private vhost plus every bus and raw connection a test opened in it, all closed by `cleanup()`. */
export class BusFixture {
  private readonly buses: MessageBus[] = [];
  private raw?: { connection: ChannelModel; channel: Channel };

  private constructor(
    readonly vhost: TestVhost,
    readonly queueType: QueueType,
  ) {}

  static async create(prefix = 'bus', queueType: QueueType = 'classic'): Promise<BusFixture> {
    return new BusFixture(await createTestVhost(prefix), queueType);
  }

  /** Sagaflow's topology with these retry delays and the fixture's queue type. */
  topology(retryDelaysMs = [50, 100]): Topology {
    return sagaflowTopology(retryDelaysMs, this.queueType);
  }

  /** A connected bus with short retry delays and a fast reconnect, unless told otherwise. */
  async bus(options: Partial<MessageBusOptions> = {}): Promise<MessageBus> {
    const bus = await MessageBus.connect({
      url: this.vhost.url,
      topology: this.topology(),
      logger: silentLogger(),
      reconnectSeconds: 0.1,
      ...options,
    });
    this.buses.push(bus);
    return bus;
  }

  /** A plain amqplib channel into the vhost, for looking at what the kit wrote. */
  async channel(): Promise<Channel> {
    if (!this.raw) {
      const connection = await amqplib.connect(this.vhost.url);
      connection.on('error', () => undefined);
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      this.raw = { connection, channel };
    }
    return this.raw.channel;
  }

  /** Takes `count` messages off a queue (acking them), waiting for them with a deadline. */
  async take(queue: string, count: number, timeoutMs = 5_000): Promise<GetMessage[]> {
    const channel = await this.channel();
    const taken: GetMessage[] = [];
    await eventually(
      async () => {
        for (;;) {
          const message = await channel.get(queue, { noAck: true });
          if (message === false) break;
          taken.push(message);
        }
        if (taken.length < count) throw new Error(`${taken.length} of ${count} messages on ${queue}`);
      },
      { timeoutMs },
    );
    return taken;
  }

  async cleanup(): Promise<void> {
    await Promise.allSettled(this.buses.map((b) => b.stop()));
    await this.raw?.connection.close().catch(() => undefined);
    await this.vhost.delete();
  }
}

/** A valid `payment.charge` command with fresh ids. */
export { chargeCommand } from '../../src/testing/index.js';
