import amqplib, { type Channel, type ChannelModel, type GetMessage } from 'amqplib';
import { expect } from 'chai';
import {
  DEFAULT_RETRY_JITTER,
  dlqOf,
  HEADERS,
  QUEUES,
  SagaflowError,
  sagaflowTopology,
  type Message,
  type QueueType,
  type Topology,
} from '../../src/index.js';
import { MessageBus, silentLogger, type MessageBusOptions } from '../../src/messaging/index.js';
import { chargeCommand, createTestVhost, eventually, type TestVhost } from '../../src/testing/index.js';

export const header = (message: GetMessage, name: string): unknown => message.properties.headers?.[name];
export const errorOf = (message: GetMessage) =>
  JSON.parse(String(header(message, HEADERS.error))) as Record<string, unknown>;

/**
 * A charge whose handler always throws a retryable error, through `bus`: checks it ran once per
 * delay of the topology (50 ms, 100 ms, less their default jitter) and reached the DLQ with its last error; returns what was sent
 * and the dead letter, for the caller's own checks.
 */
export async function retriedThenDeadLettered(
  bus: MessageBus,
  fixture: BusFixture,
): Promise<{ sent: Message; dead: GetMessage }> {
  const seen: { attempt: number; at: number }[] = [];
  await bus.consume(QUEUES.payment, async (_message, delivery) => {
    seen.push({ attempt: delivery.attempt, at: Date.now() });
    throw new SagaflowError('gateway_down', `boom ${delivery.attempt}`);
  });
  const sent = chargeCommand();
  await bus.publish(sent);
  const [dead] = await fixture.take(dlqOf(QUEUES.payment), 1);

  expect(seen.map((s) => s.attempt)).to.deep.equal([1, 2, 3]);
  expect(seen[1]!.at - seen[0]!.at).to.be.at.least(50 * (1 - DEFAULT_RETRY_JITTER));
  expect(seen[2]!.at - seen[1]!.at).to.be.at.least(100 * (1 - DEFAULT_RETRY_JITTER));
  expect(header(dead!, HEADERS.reason)).to.equal('retries_exhausted');
  expect(header(dead!, HEADERS.attempts)).to.equal(3);
  expect(errorOf(dead!)).to.deep.equal({ type: 'gateway_down', message: 'boom 3', retryable: true });
  expect(header(dead!, HEADERS.originalRoutingKey)).to.equal('payment.charge');
  expect(JSON.parse(dead!.content.toString())).to.deep.equal(sent);
  return { sent, dead: dead! };
}

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
