import { Type, type Static } from '@sinclair/typebox';
import { Strict } from './schemas/common.js';
import { COMMAND_TYPES, replyTypeOf } from './messages.js';
import { describeIssues, validator } from './validation.js';
import { SagaflowError } from './errors.js';
import {
  PARTICIPANTS,
  PARTICIPANT_NAMES,
  commandQueueOf,
  commandsOf,
  type ParticipantName,
  type ParticipantSpec,
} from './participants.js';

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
 */
export const TopologySpec = Strict({
  exchanges: Type.Array(ExchangeSpec),
  deadLetterExchange: Type.String({ minLength: 1 }),
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

function participantQueues(retryDelaysMs: number[]) {
  return PARTICIPANT_NAMES.flatMap((participant) => {
    const spec: ParticipantSpec = PARTICIPANTS[participant];
    const commands = {
      name: commandQueueOf(participant),
      bindings: commandsOf(participant).map((routingKey) => ({ exchange: EXCHANGES.commands, routingKey })),
      retryDelaysMs,
    };
    if (!spec.events) return [commands];
    const bindings = spec.events.routingKeys.map((routingKey) => ({ exchange: EXCHANGES.events, routingKey }));
    return [commands, { name: spec.events.queue, bindings, retryDelaysMs }];
  });
}

/** Sagaflow's topology (DESIGN §2). Commands route by their type, replies by `<command>.reply`. */
export function sagaflowTopology(retryDelaysMs: number[] = DEFAULT_RETRY_DELAYS_MS): Topology {
  return validateTopology({
    exchanges: [
      { name: EXCHANGES.commands, type: 'direct' },
      { name: EXCHANGES.replies, type: 'direct' },
      { name: EXCHANGES.events, type: 'topic' },
      { name: EXCHANGES.deadLetter, type: 'direct' },
    ],
    deadLetterExchange: EXCHANGES.deadLetter,
    queues: [
      ...participantQueues(retryDelaysMs),
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

/** Why `queue` is not one of the topology's dead-letter queues, with a hint to the right one; null when it is. */
export function notADeadLetterQueue(topology: Topology, queue: string): string | null {
  const queues = deadLetterQueues(topology);
  if (queues.includes(queue)) return null;
  const hint = topology.queues.some((q) => q.name === queue)
    ? `its dead letters are in '${dlqOf(queue)}'`
    : `dead-letter queues: ${queues.join(', ')}`;
  return `'${queue}' is not a dead-letter queue (${hint})`;
}

/** The part of amqplib's channel that declaring needs, so that any channel type will do. */
export interface DeclaringChannel {
  assertExchange(name: string, type: string, options: { durable: boolean }): Promise<unknown>;
  assertQueue(name: string, options: { durable: boolean; arguments?: Record<string, unknown> }): Promise<unknown>;
  bindQueue(queue: string, exchange: string, routingKey: string): Promise<unknown>;
}

/** Declares the whole topology; safe to run again (same arguments every time). */
export async function declareTopology(channel: DeclaringChannel, topology: Topology): Promise<void> {
  for (const e of topology.exchanges) await channel.assertExchange(e.name, e.type, { durable: true });
  for (const q of topology.queues) {
    await channel.assertQueue(q.name, {
      durable: true,
      arguments: { 'x-dead-letter-exchange': topology.deadLetterExchange, 'x-dead-letter-routing-key': q.name },
    });
    await channel.assertQueue(dlqOf(q.name), { durable: true });
    await channel.bindQueue(dlqOf(q.name), topology.deadLetterExchange, q.name);
    for (const delay of q.retryDelaysMs) {
      await channel.assertQueue(retryQueueOf(q.name, delay), {
        durable: true,
        arguments: { 'x-message-ttl': delay, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': q.name },
      });
    }
    for (const b of q.bindings) await channel.bindQueue(q.name, b.exchange, b.routingKey);
  }
}
