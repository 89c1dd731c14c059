import amqp, { type AmqpConnectionManager, type ChannelWrapper } from 'amqp-connection-manager';
import type { Channel, ConfirmChannel, ConsumeMessage, Options } from 'amqplib';
import type { Logger } from './logger.js';
import { SagaflowError, toErrorInfo } from '../errors.js';
import { asStoreFailure, STORE_UNAVAILABLE } from '../store-unavailable.js';
import { ConfigError } from '../config.js';
import type { ErrorInfo } from '../schemas/common.js';
import { MESSAGES, type Message } from '../messages.js';
import { assertValidMessage, decodeMessage, routeOf, type Route } from './envelope.js';
import { ChannelAcks } from './channel-acks.js';
import { ack, type HandlerResult, type MessageHandler } from './handler-result.js';
import { HEADERS, type DeadLetterReason } from '../headers.js';
import { existsOnBroker } from './broker-probe.js';
import { explainFeatureFlagOff } from '../declare-failure.js';
import {
  declareTopology,
  lanesOf,
  pickRetryQueue,
  validateTopology,
  type QueueLane,
  type Topology,
} from '../topology.js';

export interface MessageBusOptions {
  url: string;
  topology: Topology;
  logger: Logger;
  /** Shown in the broker's connection list. */
  name?: string;
  /** Publishes waiting for a confirm beyond this many fail at once instead of piling up in memory. */
  maxPendingPublishes?: number;
  /** Once the broker has been away this long, publishes fail at once. */
  maxDisconnectedMs?: number;
  /** A publish not confirmed within this time fails. */
  publishTimeoutMs?: number;
  /** Disable Nagle's algorithm on the socket (lower latency for request/reply chains). */
  noDelay?: boolean;
  heartbeatSeconds?: number;
  reconnectSeconds?: number;
}

export interface ConsumeOptions {
  /** Unacknowledged deliveries the broker hands this consumer at once. */
  prefetch?: number;
  /**
   * How long `stop()` waits for handlers in flight before it closes the channel anyway; the broker
   * then redelivers what was not acked, which idempotent handlers absorb. Default 10 s.
   */
  drainTimeoutMs?: number;
}

export interface Subscription {
  stop(): Promise<void>;
}

type PublishProperties = Options.Publish & { headers: Record<string, unknown> };

const waitFor = async <T>(promise: Promise<T>, ms: number, what: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new SagaflowError('timeout', `${what} took longer than ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
};

export const messageProperties = (message: Message): PublishProperties => ({
  messageId: message.messageId,
  ...(message.sagaId !== undefined && { correlationId: message.sagaId }),
  type: message.type,
  contentType: 'application/json',
  timestamp: Math.floor(Date.parse(message.occurredAt) / 1000),
  headers: {
    [HEADERS.schemaVersion]: message.schemaVersion,
    [HEADERS.traceparent]: message.traceparent,
  },
});

/**
 * Gathers the frames a process writes to the broker within one turn of the event loop into one
 * socket write. Publishes, acks and confirms of many sagas in flight otherwise cost a system call
 * each; corked until the loop turns, they go out together (TCP_NODELAY stays on, so nothing waits
 * longer than that turn).
 */
function coalesceWrites(model: unknown): void {
  const stream = (
    model as { connection?: { stream?: Partial<NodeJS.WritableStream> & { cork?: () => void; uncork?: () => void } } }
  ).connection?.stream;
  if (!stream?.write || !stream.cork || !stream.uncork) return;
  const write = stream.write.bind(stream) as (...args: unknown[]) => boolean;
  let corked = false;
  stream.write = ((...args: unknown[]) => {
    if (!corked) {
      corked = true;
      stream.cork!();
      setImmediate(() => {
        corked = false;
        stream.uncork!();
      });
    }
    return write(...args);
  }) as NodeJS.WritableStream['write'];
}

/**
 * The one way Sagaflow services use RabbitMQ: confirmed, validated publishes and consumers that
 * retry through delay queues and dead-letter with a reason. Topology is declared on every
 * (re)connect; a publisher rides out broker restarts by itself within its limits.
 */
export class MessageBus {
  readonly topology: Topology;
  private readonly connection: AmqpConnectionManager;
  private readonly publisher: ChannelWrapper;
  private readonly log: Logger;
  private readonly consumers = new Set<QueueConsumer>();
  private readonly maxPending: number;
  private readonly maxDisconnectedMs: number;
  private pendingPublishes = 0;
  /**
   * Set once waiting publishes were failed for this outage, so a publish right after fails the same way:
   * a timer may fire a millisecond before `Date.now()` says the outage is long enough.
   */
  private outageOutlasted = false;
  /** Rejects callers whose publish still waits once the outage outlasts `maxDisconnectedMs`. */
  private readonly waitingPublishes = new Set<(error: Error) => void>();
  private outageTimer: NodeJS.Timeout | undefined;
  private disconnectedSince: number | null = Date.now();
  private stopped = false;
  private stopping: Promise<void> | undefined;
  /** Rejects with the first declaration the broker refused for good (a queue of the other type). */
  private readonly refused: Promise<never>;
  /** The topology's declaration on each broker connection, by the connection. */
  private readonly declaredOn = new WeakMap<object, Promise<void>>();
  private connecting = true;
  /** Message ids of mandatory publishes the broker returned unrouted; their confirm then fails. */
  private readonly returned = new Set<string>();
  private refuse!: (error: ConfigError) => void;

  private constructor(options: MessageBusOptions) {
    this.refused = new Promise<never>((_, reject) => (this.refuse = reject));
    this.refused.catch(() => undefined);
    this.topology = validateTopology(options.topology);
    this.log = options.logger;
    this.maxPending = options.maxPendingPublishes ?? 10_000;
    this.maxDisconnectedMs = options.maxDisconnectedMs ?? 10_000;
    this.connection = amqp.connect([options.url], {
      heartbeatIntervalInSeconds: options.heartbeatSeconds ?? 5,
      reconnectTimeInSeconds: options.reconnectSeconds ?? 1,
      connectionOptions: {
        noDelay: options.noDelay ?? true,
        clientProperties: { connection_name: options.name ?? 'sagaflow' },
      },
    });
    this.connection.on('connect', ({ connection }) => {
      coalesceWrites(connection);
      this.disconnectedSince = null;
      this.outageOutlasted = false;
      clearTimeout(this.outageTimer);
      this.outageTimer = undefined;
      this.log.info('broker connected', { name: options.name });
    });
    this.connection.on('disconnect', ({ err }) => {
      this.disconnectedSince ??= Date.now();
      // A queue type whose feature flag is off closes the connection (541), not the channel: the
      // declare itself only learns that the channel ended.
      const flagOff = this.connecting ? explainFeatureFlagOff(err) : null;
      if (flagOff) this.refuse(flagOff);
      if (this.stopped || this.isRefusal(err)) return;
      this.log.warn('broker disconnected', { name: options.name, error: err?.message });
      this.outageTimer ??= setTimeout(() => this.failWaitingPublishes(), this.maxDisconnectedMs).unref();
    });
    this.connection.on('connectFailed', ({ err }) => {
      this.log.warn('broker connection failed', { name: options.name, error: err?.message });
    });
    this.publisher = this.connection.createChannel({
      confirm: true,
      publishTimeout: options.publishTimeoutMs ?? 30_000,
      setup: (channel: ConfirmChannel) => {
        // RabbitMQ sends basic.return before the confirm of the same message, so the confirm can tell.
        channel.on('return', (message: ConsumeMessage) => {
          const id = message.properties.messageId as string | undefined;
          if (id !== undefined) this.returned.add(id);
        });
        return this.declare(channel);
      },
    });
    this.publisher.on('error', (err) => {
      if (!this.isRefusal(err)) this.log.warn('publisher channel error', { error: (err as Error).message });
    });
  }

  /**
   * Connects and declares the topology; fails if the broker does not answer in time, and at once with a
   * `ConfigError` if it holds a queue declared otherwise (of the other `QUEUE_TYPE`, say).
   */
  static async connect(options: MessageBusOptions, timeoutMs = 15_000): Promise<MessageBus> {
    const bus = new MessageBus(options);
    try {
      await waitFor(Promise.race([bus.publisher.waitForConnect(), bus.refused]), timeoutMs, 'connecting to the broker');
      bus.connecting = false;
    } catch (error) {
      await bus.stop();
      throw error;
    }
    return bus;
  }

  /**
   * Whether `error` is the broker refusing the topology while `connect` waits: `connect` fails with it,
   * in one line, so the channel error and the disconnect that come with it are not logged as well.
   */
  private isRefusal(error: unknown): boolean {
    if (!this.connecting) return false;
    return (
      error instanceof ConfigError ||
      (error as { code?: unknown } | undefined)?.code === 406 ||
      explainFeatureFlagOff(error) !== null
    );
  }

  /**
   * Declares the topology once per connection: the first channel set up on it declares, the others wait
   * for that (a topology of many queues would otherwise be declared again by every consumer channel).
   * A failed declaration is forgotten; a channel that waited for it declares on its own instead (the
   * other channel may just have been closed), and a refusal fails them all.
   */
  private async declare(channel: Channel): Promise<void> {
    const connection = (channel as Channel & { connection?: object }).connection ?? channel;
    const pending = this.declaredOn.get(connection);
    if (pending) {
      const ok = await pending.then(
        () => true,
        (error: unknown) => {
          if (error instanceof ConfigError) throw error;
          return false;
        },
      );
      if (ok) return;
    }
    const declared = declareTopology(channel, this.topology).catch((error: unknown) => {
      if (this.declaredOn.get(connection) === declared) this.declaredOn.delete(connection);
      if (error instanceof ConfigError) this.refuse(error);
      throw error;
    });
    this.declaredOn.set(connection, declared);
    await declared;
  }

  get connected(): boolean {
    return this.disconnectedSince === null && this.connection.isConnected();
  }

  /**
   * Whether the broker holds a queue of this name now (a passive check on a channel of its own, since a
   * 404 closes the channel it happens on). Fails with `broker_unavailable` while disconnected.
   */
  async queueExists(queue: string): Promise<boolean> {
    const connection = this.connection.connection;
    if (!this.connected || connection === undefined) {
      throw new SagaflowError('broker_unavailable', 'not connected to the broker');
    }
    return existsOnBroker(connection, (channel) => channel.checkQueue(queue));
  }

  /** Validates and publishes one message; resolves once the broker confirmed it. */
  async publish(message: Message, route: Route = routeOf(message.type)): Promise<void> {
    assertValidMessage(message);
    await this.publishBuilt(message, route);
  }

  /**
   * Publishes a message that its process built from typed parts that were validated where they came
   * in (the orchestrator's outbox), without checking it against its schema a second time; every
   * consumer still checks it on receipt and dead-letters what does not conform. A command goes out
   * mandatory: one that no queue is bound for fails with `unroutable` instead of vanishing.
   */
  publishBuilt(message: Message, route: Route = routeOf(message.type)): Promise<void> {
    const properties: Options.Publish = messageProperties(message);
    if (route.priority) properties.priority = route.priority;
    // A command no queue takes comes back (`unroutable`) instead of being confirmed into nothing.
    if (MESSAGES[message.type].kind === 'command') properties.mandatory = true;
    return this.publishRaw(route.exchange, route.routingKey, Buffer.from(JSON.stringify(message)), properties);
  }

  /**
   * Publishes bytes as they are, persistent, and resolves on the broker's confirm. Fails at once with
   * `publish_backlog_full` or `broker_unavailable` rather than queueing without bound; a publish already
   * waiting fails with `broker_unavailable` once the outage outlasts `maxDisconnectedMs` (it may still
   * reach the broker after a reconnect: delivery is at least once). A `mandatory` publish the broker
   * could route to no queue fails with `unroutable` (it needs a `messageId` to be told apart).
   */
  publishRaw(exchange: string, routingKey: string, content: Buffer, properties: Options.Publish): Promise<void> {
    if (this.stopped) return Promise.reject(SagaflowError.nonRetryable('bus_stopped', 'the message bus is stopped'));
    if (this.outageOutlasted || this.outageLongerThanAllowed()) return Promise.reject(this.unavailable());
    if (this.pendingPublishes >= this.maxPending) {
      return Promise.reject(
        new SagaflowError('publish_backlog_full', `${this.pendingPublishes} publishes await a confirm`),
      );
    }
    // The slot stays taken until the channel itself lets go of the message, so memory stays bounded
    // even for callers already told the broker is unavailable.
    this.pendingPublishes++;
    return new Promise<void>((resolve, reject) => {
      this.waitingPublishes.add(reject);
      this.publisher.publish(exchange, routingKey, content, { ...properties, persistent: true }).then(
        () => {
          this.pendingPublishes--;
          this.waitingPublishes.delete(reject);
          const id = properties.messageId as string | undefined;
          if (properties.mandatory && id !== undefined && this.returned.delete(id)) {
            reject(new SagaflowError('unroutable', `no queue is bound to '${routingKey}' on '${exchange}'`));
          } else resolve();
        },
        (error: unknown) => {
          this.pendingPublishes--;
          this.waitingPublishes.delete(reject);
          reject(publishError(error));
        },
      );
    });
  }

  private unavailable(): SagaflowError {
    return new SagaflowError('broker_unavailable', `broker unreachable for over ${this.maxDisconnectedMs} ms`);
  }

  private outageLongerThanAllowed(): boolean {
    return this.disconnectedSince !== null && Date.now() - this.disconnectedSince >= this.maxDisconnectedMs;
  }

  private failWaitingPublishes(): void {
    this.outageTimer = undefined;
    if (this.disconnectedSince === null) return;
    this.outageOutlasted = true;
    const error = this.unavailable();
    for (const reject of this.waitingPublishes) reject(error);
    this.waitingPublishes.clear();
  }

  /**
   * Consumes a work queue of the topology with manual acks, retries and dead-lettering: each of its lanes
   * (the queue, and its express queue under quorum; see `QueueLane`) on a channel and prefetch of its own.
   */
  async consume(queue: string, handler: MessageHandler, options: ConsumeOptions = {}): Promise<Subscription> {
    const spec = this.topology.queues.find((q) => q.name === queue);
    if (!spec) throw SagaflowError.nonRetryable('unknown_queue', `queue '${queue}' is not in the topology`);
    const consumers = lanesOf(this.topology, spec).map(
      (lane) =>
        new QueueConsumer(this, lane, handler, options.prefetch ?? 32, options.drainTimeoutMs ?? 10_000, this.log),
    );
    const stop = async (running: QueueConsumer[]) => {
      await Promise.all(running.map((c) => c.stop()));
      for (const c of running) this.consumers.delete(c);
    };
    const started: QueueConsumer[] = [];
    try {
      // The express lane first, so that the standard lane's backlog does not get going before it.
      for (const consumer of [...consumers].reverse()) {
        this.consumers.add(consumer);
        started.push(consumer);
        await consumer.start();
      }
    } catch (error) {
      await stop(started);
      throw error;
    }
    return { stop: () => stop(consumers) };
  }

  /**
   * Listens to an exchange through a private, auto-deleted queue (for fan-out such as the saga event
   * stream). Nothing is retried: a listener that misses a message reads the state again.
   */
  async listen(exchange: string, routingKey: string, onMessage: (message: Message) => void): Promise<Subscription> {
    if (!this.topology.exchanges.some((e) => e.name === exchange)) {
      throw SagaflowError.nonRetryable('unknown_exchange', `exchange '${exchange}' is not in the topology`);
    }
    const wrapper = this.connection.createChannel({
      setup: async (channel: Channel) => {
        await this.declare(channel);
        const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true, durable: false });
        await channel.bindQueue(queue, exchange, routingKey);
        await channel.consume(
          queue,
          (raw) => {
            if (!raw) return;
            const decoded = decodeMessage(raw.content);
            if (decoded.ok) onMessage(decoded.message);
            else
              this.log.warn('ignored an invalid event', { exchange, reason: decoded.reason, detail: decoded.detail });
          },
          { noAck: true },
        );
      },
    });
    wrapper.on('error', (err) => this.log.warn('listener channel error', { exchange, error: (err as Error).message }));
    await wrapper.waitForConnect();
    return { stop: () => wrapper.close() };
  }

  /** @internal */
  createConsumerChannel(setup: (channel: Channel) => Promise<void>): ChannelWrapper {
    return this.connection.createChannel({
      setup: async (channel: Channel) => {
        await this.declare(channel);
        await setup(channel);
      },
    });
  }

  /** Stops every consumer (letting in-flight handlers finish), then closes the connection. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      await Promise.all([...this.consumers].map((c) => c.stop()));
      this.stopped = true;
      clearTimeout(this.outageTimer);
      await this.publisher.close().catch(() => undefined);
      await this.connection.close().catch(() => undefined);
    })();
    return this.stopping;
  }
}

/** Publish failures as typed, retryable errors (the channel gives bare `Error`s). */
function publishError(error: unknown): SagaflowError {
  if (error instanceof SagaflowError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const type = message === 'timeout' ? 'publish_timeout' : 'publish_failed';
  return new SagaflowError(type, `publish not confirmed: ${message}`, { cause: error });
}

class QueueConsumer {
  private wrapper?: ChannelWrapper;
  private channel?: Channel;
  private acks?: ChannelAcks;
  private consumerTag?: string;
  private readonly inFlight = new Set<Promise<void>>();
  private stopping = false;
  private stopped: Promise<void> | undefined;

  constructor(
    private readonly bus: MessageBus,
    private readonly lane: QueueLane,
    private readonly handler: MessageHandler,
    private readonly prefetch: number,
    private readonly drainTimeoutMs: number,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    this.wrapper = this.bus.createConsumerChannel(async (channel) => {
      if (this.stopping) return;
      const acks = new ChannelAcks(channel);
      this.channel = channel;
      this.acks = acks;
      channel.on('close', () => {
        acks.close();
        if (this.channel === channel) this.channel = this.acks = undefined;
      });
      await channel.prefetch(this.prefetch);
      const { consumerTag } = await channel.consume(this.lane.queue, (raw) => {
        if (!raw) return; // the broker cancelled the consumer; the setup runs again on reconnect
        acks.received(raw.fields.deliveryTag);
        if (this.stopping) {
          // Arrived before the cancel took effect: hand it back untouched for another consumer.
          this.settle(channel, raw, 'requeue');
          return;
        }
        const work = this.deliver(channel, raw).finally(() => this.inFlight.delete(work));
        this.inFlight.add(work);
      });
      this.consumerTag = consumerTag;
    });
    this.wrapper.on('error', (err) =>
      this.log.warn('consumer channel error', { queue: this.lane.queue, error: (err as Error).message }),
    );
    await this.wrapper.waitForConnect();
  }

  /** Cancels the consumer, waits for the handlers in flight (their acks go out) and closes the channel. */
  stop(): Promise<void> {
    this.stopped ??= (async () => {
      this.stopping = true;
      const channel = this.channel;
      if (channel && this.consumerTag) await channel.cancel(this.consumerTag).catch(() => undefined);
      const drained = Promise.allSettled([...this.inFlight]);
      await waitFor(drained, this.drainTimeoutMs, `draining ${this.lane.queue}`).catch((error: Error) =>
        this.log.warn('closing the consumer with handlers still running', {
          queue: this.lane.queue,
          running: this.inFlight.size,
          error: error.message,
        }),
      );
      this.acks?.flush();
      await this.wrapper?.close().catch(() => undefined);
    })();
    return this.stopped;
  }

  private async deliver(channel: Channel, raw: ConsumeMessage): Promise<void> {
    const headers = raw.properties.headers ?? {};
    const attempt = Number(headers[HEADERS.attempts] ?? 0) + 1;
    const decoded = decodeMessage(raw.content);
    let result: HandlerResult;
    let reason: DeadLetterReason = 'rejected';
    if (!decoded.ok) {
      reason = decoded.reason;
      result = { action: 'dead-letter', error: { type: decoded.reason, message: decoded.detail, retryable: false } };
    } else {
      try {
        result =
          (await this.handler(decoded.message, {
            queue: this.lane.queue,
            attempt,
            redelivered: raw.fields.redelivered,
          })) ?? ack();
      } catch (error) {
        const info = toErrorInfo(asStoreFailure(error));
        result = info.retryable ? { action: 'retry', error: info } : { action: 'dead-letter', error: info };
      }
    }
    if (result.action !== 'ack' && channel !== this.channel) {
      // The broker already put the original back; moving a copy as well would run it twice.
      this.log.debug('left a failed message to its redelivery', { queue: this.lane.queue });
      return;
    }
    try {
      if (result.action === 'retry') {
        const delays = this.lane.retryDelaysMs;
        if (result.error.type === STORE_UNAVAILABLE && delays.length > 0) {
          // The message did nothing wrong: it waits out the outage without spending its retry budget.
          await this.sendToRetry(raw, attempt - 1, delays[0]!, result.error);
        } else if (attempt <= delays.length) await this.sendToRetry(raw, attempt, delays[attempt - 1]!, result.error);
        else await this.sendToDeadLetter(raw, attempt, 'retries_exhausted', result.error);
      } else if (result.action === 'dead-letter') {
        await this.sendToDeadLetter(raw, attempt, reason, result.error);
      }
    } catch (error) {
      // The copy was not confirmed: keep the original on the queue so nothing is lost.
      this.log.warn('could not move a failed message; it goes back on the queue', {
        queue: this.lane.queue,
        messageId: raw.properties.messageId,
        error: (error as Error).message,
      });
      this.settle(channel, raw, 'requeue');
      return;
    }
    this.settle(channel, raw, 'ack');
  }

  /** Acks on the channel the delivery came from; a stale delivery tag on a new channel is dropped. */
  private settle(channel: Channel, raw: ConsumeMessage, how: 'ack' | 'requeue'): void {
    if (channel !== this.channel) {
      this.log.debug('dropped a stale ack: the broker already requeued the message', { queue: this.lane.queue });
      return;
    }
    try {
      if (how === 'ack') this.acks!.ack(raw.fields.deliveryTag);
      else this.acks!.requeue(raw);
    } catch (error) {
      this.log.debug('ack on a closed channel dropped', { queue: this.lane.queue, error: (error as Error).message });
    }
  }

  private failureHeaders(raw: ConsumeMessage, attempt: number, error: ErrorInfo): Record<string, unknown> {
    const headers = raw.properties.headers ?? {};
    return {
      ...headers,
      [HEADERS.attempts]: attempt,
      [HEADERS.error]: JSON.stringify(error),
      [HEADERS.queue]: this.lane.queue,
      [HEADERS.originalExchange]: headers[HEADERS.originalExchange] ?? raw.fields.exchange,
      [HEADERS.originalRoutingKey]: headers[HEADERS.originalRoutingKey] ?? raw.fields.routingKey,
      [HEADERS.firstFailureAt]: headers[HEADERS.firstFailureAt] ?? new Date().toISOString(),
    };
  }

  private copyProperties(raw: ConsumeMessage, headers: Record<string, unknown>): Options.Publish {
    // The priority goes along: an express command stays express through its retries and its DLQ replay.
    const { messageId, correlationId, type, contentType, timestamp, priority } = raw.properties;
    return { messageId, correlationId, type, contentType, timestamp, headers, ...(priority && { priority }) };
  }

  /** Parks the message in a retry queue of `delayMs`, a bucket picked at random when the queue has a jitter. */
  private async sendToRetry(raw: ConsumeMessage, attempt: number, delayMs: number, error: ErrorInfo): Promise<void> {
    const retryQueue = pickRetryQueue(this.lane, delayMs);
    this.log.info('message retried later', {
      queue: this.lane.queue,
      messageId: raw.properties.messageId,
      attempt,
      delayMs: retryQueue.delayMs,
      error: error.message,
    });
    const headers = this.failureHeaders(raw, attempt, error);
    await this.bus.publishRaw('', retryQueue.name, raw.content, this.copyProperties(raw, headers));
  }

  private async sendToDeadLetter(
    raw: ConsumeMessage,
    attempt: number,
    reason: DeadLetterReason,
    error: ErrorInfo,
  ): Promise<void> {
    this.log.warn('message dead-lettered', {
      queue: this.lane.queue,
      messageId: raw.properties.messageId,
      sagaId: raw.properties.correlationId,
      reason,
      error: error.message,
    });
    const headers = {
      ...this.failureHeaders(raw, attempt, error),
      [HEADERS.reason]: reason,
      [HEADERS.deadLetteredAt]: new Date().toISOString(),
    };
    await this.bus.publishRaw(
      this.bus.topology.deadLetterExchange,
      this.lane.workQueue,
      raw.content,
      this.copyProperties(raw, headers),
    );
  }
}
