import { randomUUID } from 'node:crypto';
import amqp from 'amqplib';
import { HEADERS } from '../headers.js';
import { isMessageType, type MessageType } from '../messages.js';
import { createMessage } from '../messaging/envelope.js';
import { messageProperties } from '../messaging/message-bus.js';
import { dlqOf, EXCHANGES, QUEUES, sagaflowTopology, type Topology } from '../topology.js';
import { eventually } from './eventually.js';
import { managementApi } from './vhost.js';

/** What is wrong with a poison message. */
export type PoisonKind = 'not_json' | 'schema_invalid' | 'unknown_ids';

export interface PoisonMessage {
  /** The work queue it was put on. */
  queue: string;
  kind: PoisonKind;
  messageId: string;
  /** The command id a message of valid shape carries (its reply carries it too). */
  commandId?: string;
  /** The made-up order a message with unknown ids names (a notification is recorded for it). */
  orderId?: string;
  /** Where it must end, and the reason header and error type it must end there with. */
  expected: { dlq: string; reason: string; errorType: string };
}

export interface PoisonOutcome extends PoisonMessage {
  /** The dead letter found: its DLQ, reason header and error type. */
  found: { dlq: string; reason: string; errorType: string };
}

/**
 * A message of valid shape per work queue, naming ids no service knows and moving nothing: a release
 * or a refund of an order nobody has is a no-op, a reply for an unknown saga changes no saga. A
 * notification cannot know that its order does not exist, so one is recorded for it.
 */
const HARMLESS: Partial<Record<MessageType, (orderId: string) => unknown>> = {
  'inventory.release': (orderId) => ({ orderId }),
  'payment.refund': (orderId) => ({ orderId }),
  'notification.send': (orderId) => ({
    orderId,
    template: 'order.cancelled',
    to: 'nobody@example.com',
    data: { currency: 'EUR' },
  }),
  'inventory.release.reply': () => ({ outcome: 'success', result: { released: [] } }),
};

/**
 * The message type a poison message on `queue` claims to be: for a command or reply queue, the harmless
 * one bound to it; for an event queue, `saga.changed` (no valid event with unknown ids is sent there:
 * an event names no command to answer, so it ends nowhere to check).
 */
function poisonTypeOf(queue: Topology['queues'][number]): { type: MessageType; withUnknownIds: boolean } {
  if (queue.bindings.every((b) => b.exchange === EXCHANGES.events))
    return { type: 'saga.changed', withUnknownIds: false };
  const bound = queue.bindings.map((b) => b.routingKey).filter(isMessageType);
  const type = bound.find((t) => HARMLESS[t] !== undefined);
  if (!type) throw new Error(`no harmless message type is bound to queue '${queue.name}' (bound: ${bound.join(', ')})`);
  return { type, withUnknownIds: true };
}

/** Where a message of valid shape with unknown ids ends: its reply, or itself, for no saga, in the replies' DLQ. */
const UNKNOWN_SAGA = { dlq: dlqOf(QUEUES.replies), reason: 'rejected', errorType: 'unknown_saga' };

/**
 * Puts poison messages on every work queue of the topology, straight through the default exchange: a
 * body that is not JSON and a message whose payload fails its schema on each, and on every command and
 * reply queue a valid message naming a saga, an order and a command nobody knows. Returns what each must end as (see
 * `awaitPoisonDeadLettered`).
 */
export async function publishPoisonMessages(
  amqpUrl: string,
  topology: Topology = sagaflowTopology(),
): Promise<PoisonMessage[]> {
  const connection = await amqp.connect(amqpUrl);
  const published: PoisonMessage[] = [];
  try {
    const channel = await connection.createConfirmChannel();
    const send = (queue: string, body: Buffer, properties: amqp.Options.Publish) =>
      new Promise<void>((resolve, reject) =>
        channel.sendToQueue(queue, body, { persistent: true, ...properties }, (error) =>
          error ? reject(error as Error) : resolve(),
        ),
      );
    for (const queue of topology.queues) {
      const { type, withUnknownIds } = poisonTypeOf(queue);
      const own = { dlq: dlqOf(queue.name) };

      const garbled = randomUUID();
      await send(queue.name, Buffer.from('{"this is": not JSON'), {
        messageId: garbled,
        contentType: 'application/json',
      });
      published.push({
        queue: queue.name,
        kind: 'not_json',
        messageId: garbled,
        expected: { ...own, reason: 'unparsable', errorType: 'unparsable' },
      });

      const invalid = createMessage(type, { unexpected: true } as never, {
        sagaId: `saga-${randomUUID()}`,
        commandId: `cmd-${randomUUID()}`,
      });
      await send(queue.name, Buffer.from(JSON.stringify(invalid)), messageProperties(invalid));
      published.push({
        queue: queue.name,
        kind: 'schema_invalid',
        messageId: invalid.messageId,
        commandId: invalid.commandId,
        expected: { ...own, reason: 'invalid_payload', errorType: 'invalid_payload' },
      });

      if (!withUnknownIds) continue;
      const orderId = `ord_${randomUUID()}`;
      const unknown = createMessage(type, HARMLESS[type]!(orderId) as never, {
        sagaId: `saga-${randomUUID()}`,
        commandId: `cmd-${randomUUID()}`,
      });
      await send(queue.name, Buffer.from(JSON.stringify(unknown)), messageProperties(unknown));
      published.push({
        queue: queue.name,
        kind: 'unknown_ids',
        messageId: unknown.messageId,
        commandId: unknown.commandId,
        orderId,
        expected: UNKNOWN_SAGA,
      });
    }
    await channel.close();
  } finally {
    await connection.close().catch(() => undefined);
  }
  return published;
}

interface ManagedMessage {
  payload: string;
  properties: { message_id?: string; headers?: Record<string, unknown> };
}

/** Every message in a queue, left in place, through the management API. */
async function peek(vhost: string, queue: string): Promise<ManagedMessage[]> {
  const messages = (await managementApi(
    'POST',
    `/queues/${encodeURIComponent(vhost)}/${encodeURIComponent(queue)}/get`,
    {
      count: 10_000,
      ackmode: 'ack_requeue_true',
      encoding: 'auto',
    },
  )) as ManagedMessage[] | undefined;
  return messages ?? [];
}

const commandIdOf = (payload: string): string | undefined => {
  try {
    return (JSON.parse(payload) as { commandId?: string }).commandId;
  } catch {
    return undefined;
  }
};

/** The dead letter of a poison message: the message itself (by message id), or a reply to it (by command id). */
function findDeadLetter(poison: PoisonMessage, dlq: string, letters: ManagedMessage[]): PoisonOutcome['found'] | null {
  const letter =
    letters.find((m) => m.properties.message_id === poison.messageId) ??
    (poison.kind === 'unknown_ids' ? letters.find((m) => commandIdOf(m.payload) === poison.commandId) : undefined);
  if (!letter) return null;
  const headers = letter.properties.headers ?? {};
  const error = JSON.parse(String(headers[HEADERS.error] ?? '{}')) as { type?: string };
  return { dlq, reason: String(headers[HEADERS.reason]), errorType: String(error.type) };
}

/**
 * Waits until every poison message is dead-lettered, and checks it ended where and why it should:
 * not JSON → its queue's DLQ as `unparsable`; failing its schema → its queue's DLQ as
 * `invalid_payload`; unknown ids → the replies' DLQ as `unknown_saga` (a command is answered, and its
 * reply names no saga). Fails with every message still missing or misplaced.
 */
export async function awaitPoisonDeadLettered(
  amqpUrl: string,
  poison: PoisonMessage[],
  { timeoutMs = 20_000 }: { timeoutMs?: number } = {},
): Promise<PoisonOutcome[]> {
  const vhost = decodeURIComponent(new URL(amqpUrl).pathname.slice(1)) || '/';
  const dlqs = [...new Set(poison.map((p) => p.expected.dlq)), ...new Set(poison.map((p) => dlqOf(p.queue)))];
  return eventually(
    async () => {
      const letters = new Map<string, ManagedMessage[]>();
      for (const dlq of new Set(dlqs)) letters.set(dlq, await peek(vhost, dlq));
      const outcomes: PoisonOutcome[] = [];
      const wrong: string[] = [];
      for (const p of poison) {
        const found = [...letters].map(([dlq, ls]) => findDeadLetter(p, dlq, ls)).find((f) => f !== null) ?? null;
        const label = `${p.kind} on ${p.queue}`;
        if (!found) wrong.push(`${label}: not dead-lettered`);
        else if (JSON.stringify(found) !== JSON.stringify(p.expected))
          wrong.push(`${label}: ${JSON.stringify(found)}, expected ${JSON.stringify(p.expected)}`);
        else outcomes.push({ ...p, found });
      }
      if (wrong.length > 0) throw new Error(wrong.join('; '));
      return outcomes;
    },
    { timeoutMs, intervalMs: 250 },
  );
}
