import { Type, type Static } from '@sinclair/typebox';
import { Strict } from './schemas/common.js';
import { COMMAND_TYPES, replyTypeOf } from './messages.js';
import { describeIssues, validator } from './validation.js';
import { SagaflowError } from './errors.js';
import { DEFAULT_QUEUE_TYPE, DEFAULT_RETRY_JITTER, MAX_RETRY_JITTER, QUEUE_TYPES, type QueueType } from './config.js';
import { explainDeclareFailure, explainFeatureFlagOff, explainStreamDeclareFailure } from './declare-failure.js';
import {
  EVENT_LOG_AGE,
  EVENT_LOG_MIN_BYTES,
  EVENT_LOG_STREAM,
  eventLogArguments,
  type EventLogRetention,
} from './event-log.js';
import {
  PARTICIPANTS,
  PARTICIPANT_NAMES,
  commandQueueOf,
  commandsOf,
  type ParticipantName,
  type ParticipantSpec,
} from './participants.js';
import { currencyOfQueue, paymentQueueOf, paymentRoutingKeys, type PaymentQueues } from './payment-routing.js';

export const EXCHANGES = {
  commands: 'sagaflow.commands',
  replies: 'sagaflow.replies',
  events: 'sagaflow.events',
  deadLetter: 'sagaflow.dlx',
} as const;

const commandQueues = Object.fromEntries(PARTICIPANT_NAMES.map((p) => [p, commandQueueOf(p)])) as {
  [P in ParticipantName]: `${P}.commands`;
};

/** Every participant's command queue by its name, the orchestrator's replies, and the event queues. */
export const QUEUES = {
  ...commandQueues,
  replies: 'orchestrator.replies',
  inventoryEvents: PARTICIPANTS.inventory.events.queue,
} as const;

/** Routing key of a saga event on the events exchange: `saga.<type>.<status>`, lower case. */
export const sagaEventKey = (type: string, status: string): string => `saga.${type}.${status.toLowerCase()}`;

export const DEFAULT_RETRY_DELAYS_MS = [1_000, 5_000, 30_000];

/**
 * Deliveries of one message a quorum work queue allows before the broker dead-letters it by itself. The
 * bus retries and dead-letters failures on its own; this catches a message whose handler kills the
 * process, which would otherwise come back forever.
 */
export const QUORUM_DELIVERY_LIMIT = 10;

export const dlqOf = (queue: string): string => `${queue}.dlq`;
export const retryQueueOf = (queue: string, delayMs: number): string => `${queue}.retry.${delayMs}`;

/** TTL queues each retry delay is spread over when it has a jitter. */
export const RETRY_BUCKETS = 5;

/**
 * The delays a retry of `delayMs` may wait with jitter `jitter`: `RETRY_BUCKETS` whole milliseconds evenly
 * over `delayMs·(1 ± jitter)`, ascending and distinct (fewer when rounding makes some equal); `[delayMs]`
 * without jitter. One TTL queue each: RabbitMQ expires messages only at a queue's head, so a per-message
 * expiration in one queue would hold short delays behind long ones and bring a burst back together.
 */
export function retryBucketsOf(delayMs: number, jitter: number): number[] {
  if (jitter <= 0) return [delayMs];
  const spread = Array.from({ length: RETRY_BUCKETS }, (_, k) =>
    Math.max(1, Math.round(delayMs * (1 + jitter * ((2 * k) / (RETRY_BUCKETS - 1) - 1)))),
  );
  return [...new Set(spread)];
}

/**
 * Priorities on the broker (DESIGN §2). A classic priority queue keeps one sub-queue per level, so there
 * are few: standard commands go without a priority (0), express ones with `EXPRESS_PRIORITY`. The level
 * between is left free on purpose: a queue's `x-max-priority` cannot change once declared (a 406 until the
 * queue is drained and deleted), so a third level can come later without touching the brokers.
 */
export const MAX_PRIORITY = 2;
export const EXPRESS_PRIORITY = 2;

/**
 * An express command's routing key: its usual key plus `.express`, under either `QUEUE_TYPE`. A classic
 * priority queue is bound with both keys and orders by the message's priority; quorum queues have no
 * priorities on RabbitMQ 3.10, so there each priority work queue `Q` has a second queue,
 * `expressQueueOf(Q)`, bound with the express keys alone. One key for both types keeps an outbox entry
 * or a dead letter routable after the queue type changed.
 */
export const expressRoutingKeyOf = (routingKey: string): string => `${routingKey}.express`;
/** The queue that takes a quorum priority work queue's express commands. */
export const expressQueueOf = (queue: string): string => `${queue}.express`;

const ExchangeSpec = Strict({
  name: Type.String({ minLength: 1 }),
  type: Type.Union([Type.Literal('direct'), Type.Literal('topic'), Type.Literal('fanout')]),
});

const Binding = Strict({ exchange: Type.String({ minLength: 1 }), routingKey: Type.String() });

const WorkQueueSpec = Strict({
  name: Type.String({ minLength: 1 }),
  bindings: Type.Array(Binding),
  retryDelaysMs: Type.Array(Type.Integer({ minimum: 1, maximum: 86_400_000 }), { maxItems: 20 }),
  /** Each retry waits its delay ± this fraction, in `RETRY_BUCKETS` steps (see `retryBucketsOf`); 0 when absent. */
  retryJitter: Type.Optional(Type.Number({ minimum: 0, maximum: MAX_RETRY_JITTER })),
  /** Express messages overtake the backlog (every participant command queue); see `lanesOf`. */
  priority: Type.Optional(Type.Boolean()),
});

/** A stream: an append-only log that readers attach to at an offset; it keeps what it holds until retention drops it. */
const StreamSpec = Strict({
  name: Type.String({ minLength: 1 }),
  bindings: Type.Array(Binding),
  maxBytes: Type.Integer({ minimum: EVENT_LOG_MIN_BYTES }),
  maxAge: Type.String({ pattern: EVENT_LOG_AGE.source }),
});

/**
 * The broker layout as data. Every work queue `Q` gets `Q.dlq` behind the dead-letter exchange and
 * `Q.retry.<ms>` TTL queues that dead-letter back into `Q` through the default exchange: one per retry
 * delay, or with a jitter one per bucket of each delay (`retryBucketsOf`).
 * `queueType` (classic by default) is the type of all of them; see `queueDeclarations`. `streams` are
 * streams whatever `queueType` says, without dead-letter or retry queues: nothing consumes them away.
 */
export const TopologySpec = Strict({
  exchanges: Type.Array(ExchangeSpec),
  deadLetterExchange: Type.String({ minLength: 1 }),
  queueType: Type.Optional(Type.Union(QUEUE_TYPES.map((t) => Type.Literal(t)))),
  queues: Type.Array(WorkQueueSpec),
  streams: Type.Optional(Type.Array(StreamSpec)),
});
export type Topology = Static<typeof TopologySpec>;
export type WorkQueue = Topology['queues'][number];
export type StreamQueue = NonNullable<Topology['streams']>[number];

const checkTopology = validator(TopologySpec);

/** Rejects unknown keys, duplicate names and bindings to exchanges the topology does not declare. */
export function validateTopology(topology: unknown): Topology {
  const result = checkTopology(topology);
  if (!result.ok) throw SagaflowError.nonRetryable('invalid_topology', describeIssues(result.issues));
  const t = result.value;
  const exchanges = new Set(t.exchanges.map((e) => e.name));
  const problems: string[] = [];
  if (exchanges.size !== t.exchanges.length) problems.push('duplicate exchange name');
  const queues = [...t.queues, ...(t.streams ?? [])];
  if (new Set(queues.map((q) => q.name)).size !== queues.length) problems.push('duplicate queue name');
  const lanes = allLanes(t).map((l) => l.queue);
  if (new Set(lanes).size !== lanes.length) problems.push('an express queue has the name of another queue');
  if (!exchanges.has(t.deadLetterExchange))
    problems.push(`dead-letter exchange '${t.deadLetterExchange}' is not declared`);
  for (const q of queues) {
    for (const b of q.bindings) {
      if (!exchanges.has(b.exchange)) problems.push(`queue '${q.name}' binds to undeclared exchange '${b.exchange}'`);
    }
  }
  if (problems.length) throw SagaflowError.nonRetryable('invalid_topology', problems.join('; '));
  return t;
}

export interface RetryPolicy {
  retryDelaysMs: number[];
  retryJitter?: number;
}

/**
 * A participant's command queue as data: `<participant>.commands` bound to its commands' keys, or, for
 * payment in one currency, `payment.commands.<cur>` bound to `payment.<action>.<cur>`. The one place a
 * command queue is built, so that every one of them is declared alike (a priority queue, see `lanesOf`).
 */
export function commandQueue(participant: ParticipantName, retry: RetryPolicy, currency?: string): WorkQueue {
  const routingKeys = participant === 'payment' ? paymentRoutingKeys(currency) : commandsOf(participant);
  return {
    name: participant === 'payment' ? paymentQueueOf(currency) : commandQueueOf(participant),
    bindings: routingKeys.map((routingKey) => ({ exchange: EXCHANGES.commands, routingKey })),
    ...retry,
    priority: true,
  };
}

/** The payment command queues of `payment`: none, the default one, or one per currency. */
export function paymentCommandQueues(payment: PaymentQueues, retry: RetryPolicy): WorkQueue[] {
  if (payment === 'none') return [];
  if (payment === 'default') return [commandQueue('payment', retry)];
  return payment.currencies.map((currency) => commandQueue('payment', retry, currency));
}

function participantQueues(retry: RetryPolicy, payment: PaymentQueues) {
  return PARTICIPANT_NAMES.flatMap((participant) => {
    const spec: ParticipantSpec = PARTICIPANTS[participant];
    const commands =
      participant === 'payment' ? paymentCommandQueues(payment, retry) : [commandQueue(participant, retry)];
    if (!spec.events) return commands;
    const bindings = spec.events.routingKeys.map((routingKey) => ({ exchange: EXCHANGES.events, routingKey }));
    return [...commands, { name: spec.events.queue, bindings, ...retry }];
  });
}

export interface SagaflowTopologyOptions {
  /**
   * The event log stream with this retention. Only the orchestrator declares it (see `EVENT_LOG_STREAM`);
   * the participants, which neither publish saga events nor read the log, leave it out.
   */
  eventLog?: EventLogRetention;
  /**
   * Which payment command queues it holds (`'default'` unless told). A queue's existence on the broker
   * is how the orchestrator learns who serves a currency, so only payment workers declare them: a worker
   * with `PAYMENT_CURRENCIES` its currencies' queues, one without it `payment.commands`; every other
   * service declares the rest with `'none'`. `'default'` is the whole layout of a system with a default
   * payment worker, as tests, the dead-letter tools and the definitions' permissions see it.
   */
  payment?: PaymentQueues;
}

/**
 * Sagaflow's topology (DESIGN §2). Commands route by their type, replies by `<command>.reply`. Every
 * service must build it from the same `RETRY_DELAYS_MS`, `RETRY_JITTER` and `QUEUE_TYPE`.
 */
export function sagaflowTopology(
  retryDelaysMs: number[] = DEFAULT_RETRY_DELAYS_MS,
  queueType: QueueType = DEFAULT_QUEUE_TYPE,
  retryJitter: number = DEFAULT_RETRY_JITTER,
  { eventLog, payment = 'default' }: SagaflowTopologyOptions = {},
): Topology {
  const retry: RetryPolicy = { retryDelaysMs, retryJitter };
  return validateTopology({
    queueType,
    exchanges: [
      { name: EXCHANGES.commands, type: 'direct' },
      { name: EXCHANGES.replies, type: 'direct' },
      { name: EXCHANGES.events, type: 'topic' },
      { name: EXCHANGES.deadLetter, type: 'direct' },
    ],
    deadLetterExchange: EXCHANGES.deadLetter,
    queues: [
      ...participantQueues(retry, payment),
      {
        name: QUEUES.replies,
        bindings: COMMAND_TYPES.map((c) => ({ exchange: EXCHANGES.replies, routingKey: replyTypeOf(c) })),
        ...retry,
      },
    ],
    ...(eventLog && {
      streams: [
        {
          name: EVENT_LOG_STREAM,
          bindings: [{ exchange: EXCHANGES.events, routingKey: '#' }],
          maxBytes: eventLog.maxBytes,
          maxAge: eventLog.maxAge,
        },
      ],
    }),
  });
}

/** Every dead-letter queue of a topology. */
export const deadLetterQueues = (topology: Topology): string[] => topology.queues.map((q) => dlqOf(q.name));

/**
 * Whether `queue` is a dead-letter queue the tools may read: one of the topology's, or that of a
 * per-currency payment queue (`payment.commands.eur.dlq`), which only the workers of that currency
 * declare and so no fixed topology lists.
 */
export const isDeadLetterQueue = (topology: Topology, queue: string): boolean =>
  deadLetterQueues(topology).includes(queue) ||
  (queue.endsWith('.dlq') && currencyOfQueue(queue.slice(0, -'.dlq'.length)) !== null);

/** Why `queue` is not a dead-letter queue (see `isDeadLetterQueue`), with a hint to the right one; null when it is. */
export function notADeadLetterQueue(topology: Topology, queue: string): string | null {
  if (isDeadLetterQueue(topology, queue)) return null;
  const hint =
    topology.queues.some((q) => q.name === queue) || currencyOfQueue(queue) !== null
      ? `its dead letters are in '${dlqOf(queue)}'`
      : `dead-letter queues: ${deadLetterQueues(topology).join(', ')}, ${dlqOf(paymentQueueOf('xxx'))} per currency`;
  return `'${queue}' is not a dead-letter queue (${hint})`;
}

/** Every TTL delay of a work queue's retry queues, ascending, each once (buckets of two delays may meet). */
export function retryQueueDelaysOf(queue: RetryPolicy): number[] {
  const delays = queue.retryDelaysMs.flatMap((d) => retryBucketsOf(d, queue.retryJitter ?? 0));
  return [...new Set(delays)].sort((a, b) => a - b);
}

/**
 * The retry queue a message of `queue` waits in for the delay `delayMs` (one of its `retryDelaysMs`):
 * a bucket of that delay picked at random (`random` in [0, 1)), so that a burst failing together comes
 * back spread over the jitter window.
 */
export function pickRetryQueue(
  lane: Pick<QueueLane, 'queue' | 'retryJitter'>,
  delayMs: number,
  random: () => number = Math.random,
): { name: string; delayMs: number } {
  const buckets = retryBucketsOf(delayMs, lane.retryJitter ?? 0);
  const chosen = buckets[Math.min(buckets.length - 1, Math.floor(random() * buckets.length))]!;
  return { name: retryQueueOf(lane.queue, chosen), delayMs: chosen };
}

/** A durable queue as the broker is asked to declare it. */
export interface QueueDeclaration {
  name: string;
  arguments: Record<string, unknown>;
}

const isStream = (q: QueueDeclaration): boolean => q.arguments['x-queue-type'] === 'stream';

/** A binding of a queue to an exchange. */
export interface BindingDeclaration {
  exchange: string;
  queue: string;
  routingKey: string;
}

/**
 * A queue that consumers take a work queue's messages from. Mostly the work queue itself; a priority
 * work queue `Q` of a quorum topology has two lanes: `Q` for standard messages and `Q.express` for
 * express ones, each consumed on its own channel so that express messages never wait behind `Q`'s
 * backlog. Every lane has its own retry queues, which bring a message back into that lane (an express
 * command stays express through its retries), and dead-letters into its work queue's `Q.dlq`, where
 * a replay sends it on its original routing key, so back into its lane.
 */
export interface QueueLane {
  /** The queue consumed. */
  queue: string;
  /** The work queue of the topology it belongs to; its dead letters go to `dlqOf(workQueue)`. */
  workQueue: string;
  bindings: WorkQueue['bindings'];
  retryDelaysMs: number[];
  retryJitter?: number;
  /** A classic priority queue: declared with `x-max-priority`. */
  maxPriority?: number;
}

const isQuorum = (topology: Topology): boolean => (topology.queueType ?? DEFAULT_QUEUE_TYPE) === 'quorum';

/** The lanes of one work queue of `topology` (see `QueueLane`). */
export function lanesOf(topology: Topology, q: WorkQueue): QueueLane[] {
  const lane: QueueLane = {
    queue: q.name,
    workQueue: q.name,
    bindings: q.bindings,
    retryDelaysMs: q.retryDelaysMs,
    ...(q.retryJitter !== undefined && { retryJitter: q.retryJitter }),
  };
  if (!q.priority) return [lane];
  const express = q.bindings.map((b) => ({ exchange: b.exchange, routingKey: expressRoutingKeyOf(b.routingKey) }));
  if (!isQuorum(topology)) return [{ ...lane, bindings: [...q.bindings, ...express], maxPriority: MAX_PRIORITY }];
  return [lane, { ...lane, queue: expressQueueOf(q.name), bindings: express }];
}

/** Every lane of every work queue of a topology. */
export const allLanes = (topology: Topology): QueueLane[] => topology.queues.flatMap((q) => lanesOf(topology, q));

/**
 * Every durable queue of a topology with its arguments: the one place they are written, read by
 * `declareTopology` and by the deployment's definitions file, which must agree to the letter (a queue
 * declared with other arguments is a 406).
 *
 * Classic queues keep the arguments they always had, plus `x-max-priority` on priority work queues
 * (their retry and dead-letter queues need none: a message keeps its priority through them). Quorum
 * queues (RabbitMQ ≥ 3.10, feature flag `stream_queue` on) dead-letter at least once — the broker
 * holds a message until the dead-letter target confirmed it, which needs publishes refused rather than
 * heads dropped when a queue is full — and a work queue dead-letters a message by itself after
 * `QUORUM_DELIVERY_LIMIT` deliveries. Retry queues are quorum too: quorum queues take a message TTL
 * since 3.10, and a message waiting for its retry then survives the loss of a node and comes back into
 * its work queue at least once. The private queues `MessageBus.listen` declares stay classic:
 * exclusive queues cannot be quorum. Streams
 * come last, with their retention.
 */
export function queueDeclarations(topology: Topology): QueueDeclaration[] {
  const quorum = isQuorum(topology);
  const atLeastOnce = quorum
    ? { 'x-queue-type': 'quorum', 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' }
    : {};
  const laneQueues = (lane: QueueLane): QueueDeclaration[] => [
    {
      name: lane.queue,
      arguments: {
        ...atLeastOnce,
        ...(quorum && { 'x-delivery-limit': QUORUM_DELIVERY_LIMIT }),
        ...(lane.maxPriority !== undefined && { 'x-max-priority': lane.maxPriority }),
        'x-dead-letter-exchange': topology.deadLetterExchange,
        'x-dead-letter-routing-key': lane.workQueue,
      },
    },
    ...retryQueueDelaysOf(lane).map((delay) => ({
      name: retryQueueOf(lane.queue, delay),
      arguments: {
        ...atLeastOnce,
        'x-message-ttl': delay,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': lane.queue,
      },
    })),
  ];
  const streams = (topology.streams ?? []).map((s) => ({
    name: s.name,
    arguments: eventLogArguments({ maxBytes: s.maxBytes, maxAge: s.maxAge }),
  }));
  return topology.queues
    .flatMap((q) => {
      const [main, ...more] = lanesOf(topology, q).map(laneQueues);
      return [
        main![0]!,
        { name: dlqOf(q.name), arguments: quorum ? { 'x-queue-type': 'quorum' } : {} },
        ...main!.slice(1),
        ...more.flat(),
      ];
    })
    .concat(streams);
}

/**
 * Every binding of a topology: each dead-letter queue to the dead-letter exchange, each lane and each
 * stream to its exchanges.
 */
export function bindingDeclarations(topology: Topology): BindingDeclaration[] {
  const bindingsOf = (queue: string, bindings: WorkQueue['bindings']) =>
    bindings.map((b) => ({ exchange: b.exchange, queue, routingKey: b.routingKey }));
  return topology.queues
    .flatMap((q) => [
      { exchange: topology.deadLetterExchange, queue: dlqOf(q.name), routingKey: q.name },
      ...lanesOf(topology, q).flatMap((lane) => bindingsOf(lane.queue, lane.bindings)),
    ])
    .concat((topology.streams ?? []).flatMap((s) => bindingsOf(s.name, s.bindings)));
}

/** The part of amqplib's channel that declaring needs, so that any channel type will do. */
export interface DeclaringChannel {
  assertExchange(name: string, type: string, options: { durable: boolean }): Promise<unknown>;
  assertQueue(name: string, options: { durable: boolean; arguments?: Record<string, unknown> }): Promise<unknown>;
  bindQueue(queue: string, exchange: string, routingKey: string): Promise<unknown>;
}

/**
 * Declares the whole topology; safe to run again (same arguments every time). A queue the broker
 * already holds with other arguments — typically of the other `QUEUE_TYPE` — fails with a
 * `ConfigError` that says what to do (the broker has closed the channel by then); so does a stream whose
 * retention differs, and a queue type whose feature flag the broker has off.
 */
export async function declareTopology(channel: DeclaringChannel, topology: Topology): Promise<void> {
  for (const e of topology.exchanges) await channel.assertExchange(e.name, e.type, { durable: true });
  for (const q of queueDeclarations(topology)) {
    try {
      await channel.assertQueue(q.name, { durable: true, arguments: q.arguments });
    } catch (error) {
      throw (
        explainFeatureFlagOff(error) ??
        (isStream(q)
          ? explainStreamDeclareFailure(error, q.name)
          : explainDeclareFailure(error, q.name, topology.queueType ?? DEFAULT_QUEUE_TYPE))
      );
    }
  }
  for (const b of bindingDeclarations(topology)) await channel.bindQueue(b.queue, b.exchange, b.routingKey);
}
