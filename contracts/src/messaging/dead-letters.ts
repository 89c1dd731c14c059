import { createHash } from 'node:crypto';
import amqp, { type Channel, type ChannelModel, type ConfirmChannel, type GetMessage, type Options } from 'amqplib';
import { SagaflowError } from '../errors.js';
import type { ErrorInfo } from '../schemas/common.js';
import { HEADERS } from '../headers.js';
import { existsOnBroker, isNotFound } from './broker-probe.js';
import { listQueueNames } from './management-api.js';
import {
  deadLetterQueues,
  isDeadLetterQueue,
  notADeadLetterQueue,
  sagaflowTopology,
  validateTopology,
  type Topology,
} from '../topology.js';
import { withHeartbeat } from './amqp-url.js';

export interface DeadLetterQueuesOptions {
  /** The management API (`RABBITMQ_MANAGEMENT_URL`); port 15672 of the AMQP host by default. */
  managementUrl?: string;
  /** Lists the broker's queues instead of the management API (tests). */
  listQueues?: () => Promise<string[]>;
  /** Told when some dead-letter queues could not be listed. */
  onWarning?: (message: string) => void;
}

/** One message waiting in a dead-letter queue, as an operator needs to see it. */
export interface DeadLetter {
  /** The dead-letter queue holding it. */
  queue: string;
  /** The work queue it failed on. */
  sourceQueue: string | null;
  messageId: string;
  sagaId: string | null;
  orderId: string | null;
  type: string | null;
  /** Where it was first published: a replay sends it there again. */
  exchange: string | null;
  routingKey: string | null;
  reason: string;
  error: ErrorInfo | null;
  attempts: number;
  firstFailureAt: string | null;
  deadLetteredAt: string | null;
  /** Set when an earlier replay sent it back and it failed again. */
  replayedAt: string | null;
  /** `sagaflow` when the messaging kit moved it, `broker` when RabbitMQ did (it then carries `x-death`). */
  deadLetteredBy: 'sagaflow' | 'broker';
}

/** A dead letter with everything it carries. */
export interface DeadLetterDetail extends DeadLetter {
  properties: Record<string, unknown>;
  headers: Record<string, unknown>;
  /** The parsed JSON body, or null when the body is not JSON (see `rawBody`). */
  body: unknown;
  rawBody: string;
}

export interface DeadLetterListOptions {
  /** One dead-letter queue of the topology; all of them when absent. */
  queue?: string;
  /** At most this many messages in all. */
  limit?: number;
}

export interface ReplayProgress {
  /** Messages looked at so far, out of `total` (the depth of the queues when the replay started). */
  scanned: number;
  total: number;
  matched: number;
  replayed: number;
  failed: number;
}

export interface ReplayOptions {
  queue?: string;
  sagaId?: string;
  /** Required when neither `queue` nor `sagaId` narrows the replay, so that "everything" is said on purpose. */
  all?: boolean;
  /** Report what would be replayed and change nothing. */
  dryRun?: boolean;
  onProgress?: (progress: ReplayProgress) => void;
}

export interface ReplayFailure {
  messageId: string;
  queue: string;
  reason: string;
}

export interface ReplaySummary {
  matched: number;
  replayed: number;
  failed: ReplayFailure[];
  dryRun: boolean;
  /** The messages that matched (replayed, would be replayed, or failed). */
  messages: DeadLetter[];
}

/** Headers that record a failure; a replayed message leaves without them and so gets a full retry budget. */
const FAILURE_HEADERS = new Set<string>([
  HEADERS.attempts,
  HEADERS.reason,
  HEADERS.error,
  HEADERS.queue,
  HEADERS.originalExchange,
  HEADERS.originalRoutingKey,
  HEADERS.firstFailureAt,
  HEADERS.deadLetteredAt,
  HEADERS.replayedAt,
  'x-death',
  'x-first-death-exchange',
  'x-first-death-queue',
  'x-first-death-reason',
  'x-last-death-exchange',
  'x-last-death-queue',
  'x-last-death-reason',
]);

interface XDeath {
  count?: number;
  reason?: string;
  queue?: string;
  time?: unknown;
  exchange?: string;
  'routing-keys'?: unknown[];
}

const text = (value: unknown): string | null => {
  if (value === undefined || value === null) return null;
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  return String(value);
};

/** amqplib hands AMQP timestamps over as `{ '!': 'timestamp', value: seconds }`. */
const isoTime = (value: unknown): string | null => {
  if (value === undefined || value === null) return null;
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'object' && '!' in value && 'value' in value)
    return isoTime((value as { value: unknown }).value);
  if (typeof value === 'number') return new Date(value * 1000).toISOString();
  return text(value);
};

/** Header values as plain JSON (Buffers as text, typed AMQP values unwrapped). */
function plain(value: unknown): unknown {
  if (Buffer.isBuffer(value)) return value.toString('utf8');
  if (value instanceof Date) return value.toISOString();
  if (typeof value === 'bigint') return value.toString();
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    const typed = value as { '!'?: string; value?: unknown };
    if (typed['!'] === 'timestamp') return isoTime(typed.value);
    if (typed['!'] !== undefined) return plain(typed.value);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

const parseJson = (content: Buffer): unknown => {
  try {
    return JSON.parse(content.toString('utf8'));
  } catch {
    return null;
  }
};

const parseErrorInfo = (value: unknown): ErrorInfo | null => {
  const raw = text(value);
  if (raw === null) return null;
  try {
    const parsed = JSON.parse(raw) as Partial<ErrorInfo>;
    if (typeof parsed.type === 'string' && typeof parsed.message === 'string') {
      return { type: parsed.type, message: parsed.message, retryable: parsed.retryable === true };
    }
  } catch {
    // not JSON: keep the text as the message
  }
  return { type: 'Unknown', message: raw, retryable: false };
};

const field = (body: unknown, ...path: string[]): string | null => {
  let at: unknown = body;
  for (const key of path) {
    if (at === null || typeof at !== 'object') return null;
    at = (at as Record<string, unknown>)[key];
  }
  return typeof at === 'string' ? at : null;
};

/** The `x-death` entry of the first time the broker dead-lettered the message. */
function firstDeath(headers: Record<string, unknown>): XDeath | null {
  const deaths = headers['x-death'];
  if (!Array.isArray(deaths) || deaths.length === 0) return null;
  const queue = text(headers['x-first-death-queue']);
  const reason = text(headers['x-first-death-reason']);
  const entries = deaths as XDeath[];
  return (
    entries.find((d) => text(d.queue) === queue && text(d.reason) === reason) ?? entries[entries.length - 1] ?? null
  );
}

/** Reads what the kit's headers (or, for messages the broker dead-lettered, `x-death`) say about a dead letter. */
export function describe(queue: string, message: GetMessage): DeadLetterDetail {
  const props = message.properties;
  const headers = (props.headers ?? {}) as Record<string, unknown>;
  const body = parseJson(message.content);
  const messageId =
    text(props.messageId) ??
    field(body, 'messageId') ??
    `sha256:${createHash('sha256').update(message.content).digest('hex').slice(0, 24)}`;
  const common = {
    queue,
    messageId,
    sagaId: text(props.correlationId) ?? field(body, 'sagaId'),
    orderId: field(body, 'payload', 'orderId'),
    type: text(props.type) ?? field(body, 'type'),
    replayedAt: text(headers[HEADERS.replayedAt]),
  };
  let facts: Omit<DeadLetter, keyof typeof common>;
  if (headers[HEADERS.reason] !== undefined) {
    facts = {
      sourceQueue: text(headers[HEADERS.queue]),
      exchange: text(headers[HEADERS.originalExchange]),
      routingKey: text(headers[HEADERS.originalRoutingKey]),
      reason: text(headers[HEADERS.reason]) ?? 'unknown',
      error: parseErrorInfo(headers[HEADERS.error]),
      attempts: Number(headers[HEADERS.attempts] ?? 0),
      firstFailureAt: text(headers[HEADERS.firstFailureAt]),
      deadLetteredAt: text(headers[HEADERS.deadLetteredAt]),
      deadLetteredBy: 'sagaflow',
    };
  } else {
    const death = firstDeath(headers);
    const routingKeys = Array.isArray(death?.['routing-keys']) ? death['routing-keys'] : [];
    const reason = text(headers['x-first-death-reason']) ?? text(death?.reason) ?? 'unknown';
    facts = {
      sourceQueue: text(headers['x-first-death-queue']) ?? text(death?.queue),
      exchange: text(headers['x-first-death-exchange']) ?? text(death?.exchange),
      routingKey: text(routingKeys[0]),
      reason,
      error: death
        ? { type: `broker_${reason}`, message: `dead-lettered by the broker (${reason})`, retryable: false }
        : null,
      attempts: Number(death?.count ?? 0),
      firstFailureAt: isoTime(death?.time),
      deadLetteredAt: isoTime(death?.time),
      deadLetteredBy: 'broker',
    };
  }
  const properties = plain({ ...props, headers: undefined }) as Record<string, unknown>;
  delete properties.headers;
  return {
    ...common,
    ...facts,
    properties: Object.fromEntries(Object.entries(properties).filter(([, v]) => v !== undefined)),
    headers: plain(headers) as Record<string, unknown>,
    body,
    rawBody: message.content.toString('utf8'),
  };
}

export const summaryOf = (detail: DeadLetterDetail): DeadLetter => {
  const { properties: _p, headers: _h, body: _b, rawBody: _r, ...summary } = detail;
  return summary;
};

/** Properties for the republished copy: the same message, minus its failure history. */
function replayProperties(message: GetMessage, replayedAt: Date): Options.Publish {
  const p = message.properties;
  const headers = Object.fromEntries(
    Object.entries((p.headers ?? {}) as Record<string, unknown>).filter(([key]) => !FAILURE_HEADERS.has(key)),
  );
  headers[HEADERS.replayedAt] = replayedAt.toISOString();
  const copy: Options.Publish = { headers, persistent: true, mandatory: true };
  if (p.contentType !== undefined) copy.contentType = p.contentType;
  if (p.contentEncoding !== undefined) copy.contentEncoding = p.contentEncoding;
  if (p.priority !== undefined) copy.priority = p.priority;
  if (p.correlationId !== undefined) copy.correlationId = p.correlationId;
  if (p.replyTo !== undefined) copy.replyTo = p.replyTo;
  if (p.messageId !== undefined) copy.messageId = p.messageId;
  if (p.timestamp !== undefined) copy.timestamp = p.timestamp;
  if (p.type !== undefined) copy.type = p.type;
  if (p.appId !== undefined) copy.appId = p.appId;
  return copy;
}

/**
 * The dead-letter queues: the topology's, then those of the per-currency payment queues on the broker.
 * Only the workers of a currency declare its queues, so these come from the management API's queue
 * list; when it does not answer, the topology's alone, and `onWarning` says what was left out.
 */
export async function deadLetterQueueNames(
  url: string,
  topology: Topology,
  options: DeadLetterQueuesOptions = {},
): Promise<string[]> {
  const own = deadLetterQueues(topology);
  let names: string[];
  try {
    names = await (
      options.listQueues ?? (() => listQueueNames({ amqpUrl: url, managementUrl: options.managementUrl }))
    )();
  } catch (error) {
    options.onWarning?.(
      `per-currency dead-letter queues (payment.commands.<cur>.dlq) not listed, the management API did not answer (${(error as Error).message}): name one as the queue to see it`,
    );
    return own;
  }
  const perCurrency = names.filter((name) => !own.includes(name) && isDeadLetterQueue(topology, name));
  return [...own, ...perCurrency.sort()];
}

/** A republish the broker has not confirmed by then counts as failed (the message stays in its DLQ). */
const CONFIRM_TIMEOUT_MS = 30_000;

/**
 * The operator's view of Sagaflow's dead-letter queues: list and show what failed, replay it to where
 * it was first published, purge. The ops CLI and the orchestrator's HTTP API share it.
 *
 * AMQP cannot browse a queue, so reading takes messages with basic.get without acking them and hands
 * them all back by closing the channel; RabbitMQ puts them back in their places. Operations of one
 * instance run one at a time so that none sees a queue half taken by another.
 */
export class DeadLetterQueues {
  readonly topology: Topology;
  private readonly url: string;
  private connection: ChannelModel | null;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    url: string,
    topology: Topology,
    connection: ChannelModel,
    private readonly options: DeadLetterQueuesOptions,
  ) {
    this.url = url;
    this.topology = topology;
    this.connection = connection;
    this.watch(connection);
  }

  /**
   * Connects to the broker; `topology` names the dead-letter queues (`<work queue>.dlq`), and the broker's
   * queue list (management API) adds those of the per-currency payment queues.
   */
  static async connect(
    url: string,
    topology: Topology = sagaflowTopology(),
    options: DeadLetterQueuesOptions = {},
  ): Promise<DeadLetterQueues> {
    const checked = validateTopology(topology);
    return new DeadLetterQueues(url, checked, await DeadLetterQueues.open(url), options);
  }

  private static async open(url: string): Promise<ChannelModel> {
    try {
      return await amqp.connect(withHeartbeat(url), {
        clientProperties: { connection_name: 'sagaflow-dead-letters' },
      });
    } catch (error) {
      throw new SagaflowError('broker_unavailable', `cannot connect to the broker: ${(error as Error).message}`, {
        cause: error,
      });
    }
  }

  /** The dead-letter queues, as `deadLetterQueueNames` finds them. */
  queues(): Promise<string[]> {
    return deadLetterQueueNames(this.url, this.topology, this.options);
  }

  async close(): Promise<void> {
    this.closed = true;
    const connection = this.connection;
    this.connection = null;
    await connection?.close().catch(() => undefined);
  }

  /** Dead letters of one queue or of all, oldest first per queue; nothing is removed. */
  list(options: DeadLetterListOptions = {}): Promise<DeadLetter[]> {
    return this.serially(async () => {
      const limit = options.limit ?? Number.POSITIVE_INFINITY;
      const found: DeadLetter[] = [];
      for (const queue of await this.scope(options.queue)) {
        if (found.length >= limit) break;
        await this.browse(queue, limit - found.length, (detail) => {
          found.push(summaryOf(detail));
          return true;
        });
      }
      return found;
    });
  }

  /** One dead letter with its headers, properties and body; null when no DLQ holds it. */
  show(messageId: string): Promise<DeadLetterDetail | null> {
    return this.serially(async () => {
      for (const queue of await this.queues()) {
        let hit = null as DeadLetterDetail | null;
        await this.browse(queue, Number.POSITIVE_INFINITY, (detail) => {
          if (detail.messageId === messageId) hit = detail;
          return hit === null;
        });
        if (hit) return hit;
      }
      return null;
    });
  }

  /**
   * Sends matching dead letters back to their original exchange and routing key (mandatory, confirmed)
   * without their failure headers, and removes each from its DLQ only once the broker confirmed the
   * copy. One the broker cannot route stays, and is reported with the reason. Each message is looked at
   * once: the replay stops at the depth each queue had when it started.
   */
  replay(options: ReplayOptions): Promise<ReplaySummary> {
    if (options.queue === undefined && options.sagaId === undefined && !options.all) {
      return Promise.reject(
        SagaflowError.nonRetryable('replay_scope_required', 'name a queue, a saga id, or replay all on purpose'),
      );
    }
    const refused = options.queue === undefined ? null : this.refusal(options.queue);
    if (refused) return Promise.reject(refused);
    return this.serially(async () => this.replayQueues(await this.scope(options.queue), options));
  }

  /** Empties one dead-letter queue; returns how many messages it dropped. */
  purge(queue: string): Promise<number> {
    const refused = this.refusal(queue);
    if (refused) return Promise.reject(refused);
    return this.serially(() =>
      this.withChannel(async (channel) => {
        const { messageCount } = await channel.purgeQueue(queue);
        return messageCount;
      }),
    );
  }

  private async replayQueues(queues: string[], options: ReplayOptions): Promise<ReplaySummary> {
    const dryRun = options.dryRun === true;
    const summary: ReplaySummary = { matched: 0, replayed: 0, failed: [], dryRun, messages: [] };
    const depths = new Map<string, number>();
    for (const queue of queues) depths.set(queue, await this.depth(queue));
    const progress: ReplayProgress = {
      scanned: 0,
      total: [...depths.values()].reduce((a, b) => a + b, 0),
      matched: 0,
      replayed: 0,
      failed: 0,
    };
    options.onProgress?.({ ...progress });
    const publisher = new Republisher(() => this.conn());
    try {
      for (const queue of queues) {
        await this.hold(queue, depths.get(queue)!, async (message, channel) => {
          const detail = describe(queue, message);
          progress.scanned++;
          if (options.sagaId === undefined || detail.sagaId === options.sagaId) {
            summary.matched++;
            progress.matched++;
            summary.messages.push(summaryOf(detail));
            if (!dryRun) {
              const failure = await publisher.republish(detail, message);
              if (failure === null) {
                channel.ack(message);
                summary.replayed++;
                progress.replayed++;
              } else {
                summary.failed.push({ messageId: detail.messageId, queue, reason: failure });
                progress.failed++;
              }
            }
          }
          options.onProgress?.({ ...progress });
        });
      }
    } finally {
      await publisher.close();
    }
    return summary;
  }

  /** Reads up to `limit` messages of a queue and hands every one back; `visit` returns false to stop. */
  private async browse(queue: string, limit: number, visit: (detail: DeadLetterDetail) => boolean): Promise<void> {
    const depth = Math.min(await this.depth(queue), limit);
    let going = true;
    await this.hold(queue, depth, async (message) => {
      if (going) going = visit(describe(queue, message));
      return going;
    });
  }

  /**
   * Takes up to `count` messages from a queue without acking them, so that none comes twice, and gives
   * back every one not acked by closing the channel. `each` may ack on the channel it is given.
   */
  private async hold(
    queue: string,
    count: number,
    each: (message: GetMessage, channel: Channel) => Promise<boolean | void>,
  ): Promise<void> {
    if (count <= 0) return;
    await this.withChannel(async (channel) => {
      for (let i = 0; i < count; i++) {
        const message = await channel.get(queue, { noAck: false });
        if (message === false) break;
        if ((await each(message, channel)) === false) break;
      }
    });
  }

  /** Messages ready in a queue; 0 when the queue does not exist yet (no service declared it). */
  private async depth(queue: string): Promise<number> {
    try {
      return await this.withChannel(async (channel) => (await channel.checkQueue(queue)).messageCount);
    } catch (error) {
      if (isNotFound(error)) return 0;
      throw error;
    }
  }

  private async scope(queue: string | undefined): Promise<string[]> {
    if (queue === undefined) return this.queues();
    const refused = this.refusal(queue);
    if (refused) throw refused;
    return [queue];
  }

  private refusal(queue: string): SagaflowError | null {
    const problem = notADeadLetterQueue(this.topology, queue);
    return problem ? SagaflowError.nonRetryable('not_a_dead_letter_queue', problem) : null;
  }

  /** Opens a channel for one piece of work and always closes it, which returns any unacked message. */
  private async withChannel<T>(work: (channel: Channel) => Promise<T>): Promise<T> {
    const channel = await (await this.conn()).createChannel();
    let channelError: Error | null = null;
    channel.on('error', (err: Error) => {
      channelError = err;
    });
    try {
      return await work(channel);
    } catch (error) {
      throw channelError ?? error;
    } finally {
      await channel.close().catch(() => undefined);
    }
  }

  private async conn(): Promise<ChannelModel> {
    if (this.closed) throw SagaflowError.nonRetryable('closed', 'the dead-letter queues client is closed');
    if (this.connection === null) {
      this.connection = await DeadLetterQueues.open(this.url);
      this.watch(this.connection);
    }
    return this.connection;
  }

  /** A lost connection is opened again by the next operation instead of failing every later call. */
  private watch(connection: ChannelModel): void {
    connection.on('error', () => undefined);
    connection.on('close', () => {
      if (this.connection === connection) this.connection = null;
    });
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const run = this.tail.then(work, work);
    this.tail = run.catch(() => undefined);
    return run;
  }
}

/**
 * Publishes replayed copies one at a time on its own confirm channel, so that a channel error (an
 * exchange that no longer exists) never closes the channel holding the dead letters, and so that a
 * basic.return can only belong to the message just published.
 */
export class Republisher {
  private channel: ConfirmChannel | null = null;
  private returned = false;
  private readonly exchanges = new Map<string, boolean>();

  constructor(private readonly connect: () => Promise<ChannelModel>) {}

  /** Null once the broker confirmed a routed copy; otherwise why the message stays. */
  async republish(detail: DeadLetter, message: GetMessage): Promise<string | null> {
    const { exchange, routingKey } = detail;
    if (exchange === null || routingKey === null) return 'original exchange and routing key unknown';
    if (!(await this.exchangeExists(exchange))) return `exchange '${exchange}' not found`;
    const channel = await this.open();
    this.returned = false;
    let timer: NodeJS.Timeout | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        timer = setTimeout(() => reject(new Error(`no confirm within ${CONFIRM_TIMEOUT_MS} ms`)), CONFIRM_TIMEOUT_MS);
        channel.publish(exchange, routingKey, message.content, replayProperties(message, new Date()), (err) =>
          err ? reject(err instanceof Error ? err : new Error(String(err))) : resolve(),
        );
      });
    } catch (error) {
      // A late confirm or return must not be taken for the next message's.
      await this.close();
      return `not confirmed: ${(error as Error).message}`;
    } finally {
      clearTimeout(timer);
    }
    // RabbitMQ sends basic.return before the confirm of the same message.
    if (this.returned) return `unroutable: exchange '${exchange}' routing key '${routingKey}'`;
    return null;
  }

  async close(): Promise<void> {
    await this.channel?.close().catch(() => undefined);
    this.channel = null;
  }

  private async exchangeExists(exchange: string): Promise<boolean> {
    if (exchange === '') return true;
    const known = this.exchanges.get(exchange);
    if (known !== undefined) return known;
    const exists = await existsOnBroker(await this.connect(), (probe) => probe.checkExchange(exchange));
    this.exchanges.set(exchange, exists);
    return exists;
  }

  private async open(): Promise<ConfirmChannel> {
    if (this.channel) return this.channel;
    const channel = await (await this.connect()).createConfirmChannel();
    channel.on('error', () => undefined);
    channel.on('close', () => {
      if (this.channel === channel) this.channel = null;
    });
    channel.on('return', () => {
      this.returned = true;
    });
    this.channel = channel;
    return channel;
  }
}
