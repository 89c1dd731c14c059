import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { SagaflowError } from '../errors.js';
import { silentLogger } from '../messaging/logger.js';
import type { Message } from '../messages.js';
import type { DeliveryInfo } from '../messaging/handler-result.js';
import { MessageBus } from '../messaging/message-bus.js';
import { dlqOf, QUEUES, sagaflowTopology, type Topology } from '../topology.js';
import type { QueueType } from '../config.js';
import { waitUntil } from './eventually.js';
import { createTestVhost, type TestVhost } from './vhost.js';

/**
 * A private vhost whose `payment.commands` consumer fails for real while `failing` is set, so that
 * messages reach `payment.commands.dlq` the way production puts them there; for dead-letter tests.
 */
export class FailingPaymentQueue {
  static readonly DLQ = dlqOf(QUEUES.payment);
  /** While true the consumer throws a non-retryable error: every message is dead-lettered at once. */
  failing = true;
  /** What the consumer handled once `failing` was turned off. */
  readonly handled: { message: Message; delivery: DeliveryInfo }[] = [];

  private constructor(
    readonly vhost: TestVhost,
    readonly topology: Topology,
    readonly bus: MessageBus,
    private readonly raw: ChannelModel,
    /** A plain channel for looking at queues and forging messages. */
    readonly channel: Channel,
  ) {}

  static async start(prefix: string, queueType: QueueType = 'classic'): Promise<FailingPaymentQueue> {
    const vhost = await createTestVhost(prefix);
    const topology = sagaflowTopology([20], queueType);
    const bus = await MessageBus.connect({ url: vhost.url, topology, logger: silentLogger() });
    const raw = await amqp.connect(vhost.url);
    const queue = new FailingPaymentQueue(vhost, topology, bus, raw, await raw.createChannel());
    await bus.consume(QUEUES.payment, async (message, delivery) => {
      if (queue.failing) throw SagaflowError.nonRetryable('card_gateway_bug', `cannot charge ${message.messageId}`);
      queue.handled.push({ message, delivery });
    });
    return queue;
  }

  async depth(queue = FailingPaymentQueue.DLQ): Promise<number> {
    return (await this.channel.checkQueue(queue)).messageCount;
  }

  /** Publishes through the kit while failing and waits until every message is in the DLQ. */
  async deadLetter(...messages: Message[]): Promise<void> {
    const before = await this.depth();
    for (const m of messages) await this.bus.publish(m);
    await waitUntil(async () => (await this.depth()) === before + messages.length, 'the messages are dead-lettered');
  }

  async stop(): Promise<void> {
    await this.bus.stop();
    await this.raw.close().catch(() => undefined);
    await this.vhost.delete();
  }
}
