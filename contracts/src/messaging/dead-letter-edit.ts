import amqp, { type Channel, type GetMessage } from 'amqplib';
import { SagaflowError } from '../errors.js';
import { checkMessage } from './envelope.js';
import {
  deadLetterQueueNames,
  describe,
  Republisher,
  summaryOf,
  type DeadLetter,
  type DeadLetterQueuesOptions,
} from './dead-letters.js';
import type { Topology } from '../topology.js';

/** One field an edit changed, as the saga's timeline records it. */
export interface FieldChange {
  /** Dotted path into the message body, e.g. `payload.token`. */
  path: string;
  /** Absent when the field did not exist before. */
  from?: unknown;
  /** Absent when the edit removed the field. */
  to?: unknown;
}

/** `set`: values at dotted paths (numbers index arrays); `replace`: the whole new message body. */
export type DeadLetterEdit = { set: { path: string; value: unknown }[] } | { replace: unknown };

export interface EditResult {
  deadLetter: DeadLetter;
  /** The message body as it was sent again (or would be, on a dry run). */
  message: unknown;
  changes: FieldChange[];
  dryRun: boolean;
  replayed: boolean;
}

/** What identifies a message and its command: a participant's idempotency rests on these, so no edit may touch them. */
const FIXED_FIELDS = ['messageId', 'type', 'schemaVersion', 'sagaId', 'commandId'];

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

/** Parses `--set path=value` text: the value as JSON when it is JSON, as a string otherwise. */
export function parseAssignment(text: string): { path: string; value: unknown } {
  const at = text.indexOf('=');
  if (at <= 0) throw SagaflowError.nonRetryable('invalid_edit', `'${text}' is not path=value`);
  const raw = text.slice(at + 1);
  let value: unknown = raw;
  try {
    value = JSON.parse(raw);
  } catch {
    // not JSON: the text itself
  }
  return { path: text.slice(0, at), value };
}

function setPath(body: unknown, path: string, value: unknown): unknown {
  const keys = path.split('.');
  if (keys.some((k) => k === '' || k === '__proto__' || k === 'constructor' || k === 'prototype')) {
    throw SagaflowError.nonRetryable('invalid_edit', `'${path}' is not a field path`);
  }
  const root: unknown = structuredClone(body);
  let at = root;
  keys.forEach((key, i) => {
    const last = i === keys.length - 1;
    if (Array.isArray(at)) {
      const index = Number(key);
      if (!Number.isInteger(index) || index < 0 || index > at.length) {
        throw SagaflowError.nonRetryable('invalid_edit', `'${path}': no index ${key} in an array of ${at.length}`);
      }
      if (last) at[index] = value;
      else at = at[index] ??= {};
    } else if (isObject(at)) {
      if (last) at[key] = value;
      else at = at[key] ??= {};
    } else {
      throw SagaflowError.nonRetryable('invalid_edit', `'${path}': '${keys.slice(0, i).join('.')}' is not an object`);
    }
  });
  return root;
}

/** The leaves that differ between two JSON values, by dotted path. */
export function diffJson(before: unknown, after: unknown, path = ''): FieldChange[] {
  const join = (key: string) => (path ? `${path}.${key}` : key);
  if (isObject(before) && isObject(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])];
    return keys.flatMap((key) => {
      if (!(key in after)) return [{ path: join(key), from: before[key] }];
      if (!(key in before)) return [{ path: join(key), to: after[key] }];
      return diffJson(before[key], after[key], join(key));
    });
  }
  if (Array.isArray(before) && Array.isArray(after) && before.length === after.length) {
    return before.flatMap((item, i) => diffJson(item, after[i], join(String(i))));
  }
  return JSON.stringify(before) === JSON.stringify(after) ? [] : [{ path: path || '.', from: before, to: after }];
}

/**
 * Applies an edit to a dead letter's body and checks the result the way a consumer will: envelope,
 * known type, schema version, payload. Throws `invalid_edit` with every problem found.
 */
export function editMessage(body: unknown, edit: DeadLetterEdit): { message: unknown; changes: FieldChange[] } {
  const message =
    'replace' in edit ? structuredClone(edit.replace) : edit.set.reduce((b, s) => setPath(b, s.path, s.value), body);
  const changes = diffJson(body, message);
  const fixed = changes.filter((c) => FIXED_FIELDS.includes(c.path.split('.')[0]!));
  if (fixed.length) {
    throw SagaflowError.nonRetryable(
      'invalid_edit',
      `${fixed.map((c) => c.path).join(', ')} cannot be edited: they identify the message and its command`,
    );
  }
  const checked = checkMessage(message);
  if (!checked.ok) {
    throw SagaflowError.nonRetryable(
      'invalid_edit',
      `the edited message is invalid (${checked.reason}): ${checked.detail}`,
    );
  }
  return { message, changes };
}

/**
 * Finds a dead letter by message id, applies `edit`, checks the result against its schema, sends it
 * to its original exchange and routing key (mandatory, confirmed) and only then removes it from its
 * DLQ. Without changes it replays that one message. Null when no DLQ holds it; every other dead
 * letter stays where it was.
 */
export async function editDeadLetter(
  url: string,
  topology: Topology,
  messageId: string,
  edit: DeadLetterEdit,
  options: { dryRun?: boolean } & DeadLetterQueuesOptions = {},
): Promise<EditResult | null> {
  const connection = await amqp
    .connect(url, { clientProperties: { connection_name: 'sagaflow-dead-letter-edit' } })
    .catch((error: Error) => {
      throw new SagaflowError('broker_unavailable', `cannot connect to the broker: ${error.message}`, { cause: error });
    });
  connection.on('error', () => undefined);
  const publisher = new Republisher(async () => connection);
  try {
    for (const queue of await deadLetterQueueNames(url, topology, options)) {
      const channel = await connection.createChannel();
      channel.on('error', () => undefined);
      try {
        const found = await take(channel, queue, messageId);
        if (found === null) continue;
        const deadLetter = describe(queue, found);
        if (deadLetter.body === null) {
          throw SagaflowError.nonRetryable(
            'invalid_edit',
            `dead letter '${messageId}' is not JSON and cannot be edited`,
          );
        }
        const { message, changes } = editMessage(deadLetter.body, edit);
        const result = { deadLetter: summaryOf(deadLetter), message, changes, dryRun: options.dryRun === true };
        if (result.dryRun) return { ...result, replayed: false };
        const content = Buffer.from(JSON.stringify(message));
        const failure = await publisher.republish(deadLetter, { ...found, content });
        if (failure !== null)
          throw new SagaflowError('replay_failed', `not replayed, it stays in ${queue}: ${failure}`);
        channel.ack(found);
        return { ...result, replayed: true };
      } finally {
        // Closing the channel hands back every message taken and not acked.
        await channel.close().catch(() => undefined);
      }
    }
    return null;
  } finally {
    await publisher.close();
    await connection.close().catch(() => undefined);
  }
}

/** Takes messages of a queue (unacked, so they come back on close) until the one with this id. */
async function take(channel: Channel, queue: string, messageId: string): Promise<GetMessage | null> {
  let depth: number;
  try {
    depth = (await channel.checkQueue(queue)).messageCount;
  } catch {
    return null; // not declared yet: nothing failed there
  }
  for (let i = 0; i < depth; i++) {
    const message = await channel.get(queue, { noAck: false });
    if (message === false) return null;
    if (describe(queue, message).messageId === messageId) return message;
  }
  return null;
}
