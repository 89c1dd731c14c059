import { Type, type Static } from '@sinclair/typebox';
import { Strict } from './schemas/common.js';
import { COMMAND_TYPES, replyTypeOf } from './messages.js';
import { describeIssues, validator } from './validation.js';
import { SagaflowError } from './errors.js';
import { DEFAULT_QUEUE_TYPE, QUEUE_TYPES, type QueueType } from './config.js';
import { explainDeclareFailure } from './declare-failure.js';
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

const ExchangeSpec = Strict({
  name: Type.String({ minLength: 1 }),
  type: Type.Union([Type.Literal('direct'), Type.Literal('topic'), Type.Literal('fanout')]),
});

const WorkQueueSpec = Strict({
  name: Type.String({ minLength: 1 }),
  bindings: Type.Array(Strict({ exchange: Type.String({ minLength: 1 }), routingKey: Type.String() })),
  retryDelaysMs: Type.Array(Type.Integer({ minimum: 1, maximum: 86_400_000 }), { maxItems: 20 }),
});

/**
 * The broker layout as data. Every work queue `Q` gets `Q.dlq` behind the dead-letter exchange and one
 * `Q.retry.<ms>` TTL queue per retry delay that dead-letters back into `Q` through the default exchange.
 * `queueType` (classic by default) is the type of all of them; see `queueDeclarations`.
 */
export const TopologySpec = Strict({
  exchanges: Type.Array(ExchangeSpec),
  deadLetterExchange: Type.String({ minLength: 1 }),
  queueType: Type.Optional(Type.Union(QUEUE_TYPES.map((t) => Type.Literal(t)))),
  queues: Type.Array(WorkQueueSpec),
});
export type Topology = Static<typeof TopologySpec>;
export type WorkQueue = Topology['queues'][number];

const checkTopology = validator(TopologySpec);

/** Rejects unknown keys, duplicate names and bindings to exchanges the topology does not declare. */
export function validateTopology(topology: unknown): Topology {
  const result = checkTopology(topology);
  if (!result.ok) throw SagaflowError.nonRetryable('invalid_topology', describeIssues(result.issues));
  const t = result.value;
  const exchanges = new Set(t.exchanges.map((e) => e.name));
  const problems: string[] = [];
  if (exchanges.size !== t.exchanges.length) problems.push('duplicate exchange name');
  if (new Set(t.queues.map((q) => q.name)).size !== t.queues.length) problems.push('duplicate queue name');
  if (!exchanges.has(t.deadLetterExchange))
    problems.push(`dead-letter exchange '${t.deadLetterExchange}' is not declared`);
  for (const q of t.queues) {
    for (const b of q.bindings) {
      if (!exchanges.has(b.exchange)) problems.push(`queue '${q.name}' binds to undeclared exchange '${b.exchange}'`);
    }
  }
  if (problems.length) throw SagaflowError.nonRetryable('invalid_topology', problems.join('; '));
  return t;
}

/**
 * A participant's command queue as data: `<participant>.commands` bound to its commands' keys, or, for
 * payment in one currency, `payment.commands.<cur>` bound to `payment.<action>.<cur>`. The one place a
 * command queue is built, so that every one of them is declared alike.
 */
export function commandQueue(participant: ParticipantName, retryDelaysMs: number[], currency?: string): WorkQueue {
  const routingKeys = participant === 'payment' ? paymentRoutingKeys(currency) : commandsOf(participant);
  return {
    name: participant === 'payment' ? paymentQueueOf(currency) : commandQueueOf(participant),
    bindings: routingKeys.map((routingKey) => ({ exchange: EXCHANGES.commands, routingKey })),
    retryDelaysMs,
  };
}

/** The payment command queues of `payment`: none, the default one, or one per currency. */
export function paymentCommandQueues(payment: PaymentQueues, retryDelaysMs: number[]): WorkQueue[] {
  if (payment === 'none') return [];
  if (payment === 'default') return [commandQueue('payment', retryDelaysMs)];
  return payment.currencies.map((currency) => commandQueue('payment', retryDelaysMs, currency));
}

function participantQueues(retryDelaysMs: number[], payment: PaymentQueues) {
  return PARTICIPANT_NAMES.flatMap((participant) => {
    const spec: ParticipantSpec = PARTICIPANTS[participant];
    const commands =
      participant === 'payment'
        ? paymentCommandQueues(payment, retryDelaysMs)
        : [commandQueue(participant, retryDelaysMs)];
    if (!spec.events) return commands;
    const bindings = spec.events.routingKeys.map((routingKey) => ({ exchange: EXCHANGES.events, routingKey }));
    return [...commands, { name: spec.events.queue, bindings, retryDelaysMs }];
  });
}

/**
 * Sagaflow's topology (DESIGN §2). Commands route by their type, replies by `<command>.reply`.
 *
 * `payment` says which payment command queues it holds. A queue's existence on the broker is how the
 * orchestrator learns who serves a currency, so only payment workers declare them: a worker with
 * `PAYMENT_CURRENCIES` its currencies' queues, one without it `payment.commands`; every other service
 * declares the rest with `'none'`. `'default'` (the default here) is the whole layout of a system with
 * a default payment worker, as tests, the dead-letter tools and the definitions' permissions see it.
 */
export function sagaflowTopology(
  retryDelaysMs: number[] = DEFAULT_RETRY_DELAYS_MS,
  queueType: QueueType = DEFAULT_QUEUE_TYPE,
  payment: PaymentQueues = 'default',
): Topology {
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
      ...participantQueues(retryDelaysMs, payment),
      {
        name: QUEUES.replies,
        bindings: COMMAND_TYPES.map((c) => ({ exchange: EXCHANGES.replies, routingKey: replyTypeOf(c) })),
        retryDelaysMs,
      },
    ],
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

/** A durable queue as the broker is asked to declare it. */
export interface QueueDeclaration {
  name: string;
  arguments: Record<string, unknown>;
}

/** A binding of a queue to an exchange. */
export interface BindingDeclaration {
  exchange: string;
  queue: string;
  routingKey: string;
}

/**
 * Every durable queue of a topology with its arguments: the one place they are written, read by
 * `declareTopology` and by the deployment's definitions file, which must agree to the letter (a queue
 * declared with other arguments is a 406).
 *
 * Classic queues keep the arguments they always had. Quorum queues (RabbitMQ ≥ 3.10, feature flag
 * `stream_queue` on) dead-letter at least once — the broker holds a message until the dead-letter
 * target confirmed it, which needs publishes refused rather than heads dropped when a queue is full —
 * and a work queue dead-letters a message by itself after `QUORUM_DELIVERY_LIMIT` deliveries. Retry
 * queues are quorum too: quorum queues take a message TTL since 3.10, and a message waiting for its
 * retry then survives the loss of a node and comes back into its work queue at least once. The
 * private queues `MessageBus.listen` declares stay classic: exclusive queues cannot be quorum.
 */
export function queueDeclarations(topology: Topology): QueueDeclaration[] {
  const quorum = (topology.queueType ?? DEFAULT_QUEUE_TYPE) === 'quorum';
  const atLeastOnce = quorum
    ? { 'x-queue-type': 'quorum', 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' }
    : {};
  return topology.queues.flatMap((q) => [
    {
      name: q.name,
      arguments: {
        ...atLeastOnce,
        ...(quorum && { 'x-delivery-limit': QUORUM_DELIVERY_LIMIT }),
        'x-dead-letter-exchange': topology.deadLetterExchange,
        'x-dead-letter-routing-key': q.name,
      },
    },
    { name: dlqOf(q.name), arguments: quorum ? { 'x-queue-type': 'quorum' } : {} },
    ...q.retryDelaysMs.map((delay) => ({
      name: retryQueueOf(q.name, delay),
      arguments: {
        ...atLeastOnce,
        'x-message-ttl': delay,
        'x-dead-letter-exchange': '',
        'x-dead-letter-routing-key': q.name,
      },
    })),
  ]);
}

/** Every binding of a topology: each dead-letter queue to the dead-letter exchange, each work queue to its exchanges. */
export function bindingDeclarations(topology: Topology): BindingDeclaration[] {
  return topology.queues.flatMap((q) => [
    { exchange: topology.deadLetterExchange, queue: dlqOf(q.name), routingKey: q.name },
    ...q.bindings.map((b) => ({ exchange: b.exchange, queue: q.name, routingKey: b.routingKey })),
  ]);
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
 * `ConfigError` that says what to do (the broker has closed the channel by then).
 */
export async function declareTopology(channel: DeclaringChannel, topology: Topology): Promise<void> {
  for (const e of topology.exchanges) await channel.assertExchange(e.name, e.type, { durable: true });
  for (const q of queueDeclarations(topology)) {
    try {
      await channel.assertQueue(q.name, { durable: true, arguments: q.arguments });
    } catch (error) {
      throw explainDeclareFailure(error, q.name, topology.queueType ?? DEFAULT_QUEUE_TYPE);
    }
  }
  for (const b of bindingDeclarations(topology)) await channel.bindQueue(b.queue, b.exchange, b.routingKey);
}
