import { randomFillSync, randomUUID } from 'node:crypto';
import {
  Envelope,
  isMessageType,
  MESSAGES,
  type CommandType,
  type Message,
  type MessageType,
  type PayloadOf,
} from '../messages.js';
import { describeIssues, validator } from '../validation.js';
import { EXCHANGES, EXPRESS_PRIORITY, expressRoutingKeyOf } from '../topology.js';
import type { OrderPriority } from '../schemas/sagas.js';
import type { DeadLetterReason } from '../headers.js';
import { SagaflowError } from '../errors.js';

// One call into the system's random source per 256 traceparents instead of two per message.
const entropy = Buffer.allocUnsafe(24 * 256);
let entropyUsed = entropy.length;

function randomHex(bytes: number): string {
  if (entropyUsed + bytes > entropy.length) {
    randomFillSync(entropy);
    entropyUsed = 0;
  }
  entropyUsed += bytes;
  return entropy.toString('hex', entropyUsed - bytes, entropyUsed);
}

export const newTraceparent = (): string => `00-${randomHex(16)}-${randomHex(8)}-01`;

/** A child span of a trace: same trace id, new parent id. */
export const childTraceparent = (parent: string): string => `00-${parent.slice(3, 35)}-${randomHex(8)}-01`;

export interface MessageOptions {
  sagaId?: string;
  commandId?: string;
  messageId?: string;
  traceparent?: string;
  occurredAt?: Date;
}

export function createMessage<T extends MessageType>(
  type: T,
  payload: PayloadOf<T>,
  options: MessageOptions = {},
): Message<T> {
  return {
    messageId: options.messageId ?? randomUUID(),
    type,
    schemaVersion: MESSAGES[type].schemaVersion,
    ...(options.sagaId !== undefined && { sagaId: options.sagaId }),
    ...(options.commandId !== undefined && { commandId: options.commandId }),
    occurredAt: (options.occurredAt ?? new Date()).toISOString(),
    traceparent: options.traceparent ?? newTraceparent(),
    payload,
  };
}

/** Where a message is published, and the AMQP priority it carries (none: the lowest). */
export interface Route {
  exchange: string;
  routingKey: string;
  priority?: number;
}

/** Where a message goes by default: commands and replies by type, events by type unless told otherwise. */
export function routeOf(type: MessageType): Route {
  const kind = MESSAGES[type].kind;
  const exchange = kind === 'command' ? EXCHANGES.commands : kind === 'reply' ? EXCHANGES.replies : EXCHANGES.events;
  return { exchange, routingKey: type };
}

/**
 * Where a command of an order of `priority` goes: a standard one by its type, an express one on its
 * express routing key with `EXPRESS_PRIORITY`, which serves it first under either `QUEUE_TYPE`.
 */
export function commandRouteOf(type: CommandType, priority: OrderPriority): Route {
  const route = routeOf(type);
  if (priority !== 'express') return route;
  return { ...route, routingKey: expressRoutingKeyOf(route.routingKey), priority: EXPRESS_PRIORITY };
}

export type Decoded = { ok: true; message: Message } | { ok: false; reason: DeadLetterReason; detail: string };

const checkEnvelope = validator(Envelope);
const payloadCheckers = new Map(
  Object.entries(MESSAGES).map(([type, spec]) => [type, validator(spec.payload)] as const),
);

/** Parses and checks a message body: envelope, known type, schema version, payload. */
export function decodeMessage(content: Buffer | string): Decoded {
  let body: unknown;
  try {
    body = JSON.parse(typeof content === 'string' ? content : content.toString('utf8'));
  } catch (error) {
    return { ok: false, reason: 'unparsable', detail: (error as Error).message };
  }
  return checkMessage(body);
}

/** Checks a parsed message body: envelope, known type, schema version, payload. */
export function checkMessage(body: unknown): Decoded {
  const envelope = checkEnvelope(body);
  if (!envelope.ok) return { ok: false, reason: 'invalid_envelope', detail: describeIssues(envelope.issues) };
  const { type, schemaVersion, sagaId, commandId, payload } = envelope.value;
  if (!isMessageType(type)) return { ok: false, reason: 'unknown_type', detail: `unknown message type '${type}'` };
  const spec = MESSAGES[type];
  if (schemaVersion !== spec.schemaVersion) {
    return {
      ok: false,
      reason: 'unsupported_schema_version',
      detail: `${type} v${schemaVersion} (this service reads v${spec.schemaVersion})`,
    };
  }
  if (spec.kind !== 'event' && (sagaId === undefined || commandId === undefined)) {
    return { ok: false, reason: 'invalid_envelope', detail: `${spec.kind} '${type}' needs sagaId and commandId` };
  }
  const checked = payloadCheckers.get(type)!(payload);
  if (!checked.ok) return { ok: false, reason: 'invalid_payload', detail: describeIssues(checked.issues) };
  return { ok: true, message: envelope.value as Message };
}

/** Checks an outgoing message the same way a consumer will. */
export function assertValidMessage(message: Message): void {
  const checked = checkMessage(message);
  if (!checked.ok) {
    throw SagaflowError.nonRetryable(checked.reason, `invalid outgoing ${message.type}: ${checked.detail}`);
  }
}
