import { Type, type Static, type TSchema } from '@sinclair/typebox';
import {
  ChargePayment,
  RefundPayment,
  ReleaseInventory,
  ReserveInventory,
  SendNotification,
} from './schemas/commands.js';
import {
  ChargePaymentReply,
  RefundPaymentReply,
  ReleaseInventoryReply,
  ReserveInventoryReply,
  SendNotificationReply,
} from './schemas/replies.js';
import { InventoryLow, SagaChanged } from './schemas/events.js';
import { Id, IsoDate, Strict } from './schemas/common.js';

/**
 * Every message Sagaflow sends, by `type`: its kind, payload schema and schema version.
 * Commands and replies must carry `sagaId` and `commandId`; events need not.
 */
export const MESSAGES = {
  'inventory.reserve': { kind: 'command', schemaVersion: 1, payload: ReserveInventory },
  'inventory.release': { kind: 'command', schemaVersion: 1, payload: ReleaseInventory },
  'payment.charge': { kind: 'command', schemaVersion: 1, payload: ChargePayment },
  'payment.refund': { kind: 'command', schemaVersion: 1, payload: RefundPayment },
  'notification.send': { kind: 'command', schemaVersion: 1, payload: SendNotification },
  'inventory.reserve.reply': { kind: 'reply', schemaVersion: 1, payload: ReserveInventoryReply },
  'inventory.release.reply': { kind: 'reply', schemaVersion: 1, payload: ReleaseInventoryReply },
  'payment.charge.reply': { kind: 'reply', schemaVersion: 1, payload: ChargePaymentReply },
  'payment.refund.reply': { kind: 'reply', schemaVersion: 1, payload: RefundPaymentReply },
  'notification.send.reply': { kind: 'reply', schemaVersion: 1, payload: SendNotificationReply },
  'saga.changed': { kind: 'event', schemaVersion: 1, payload: SagaChanged },
  'inventory.low': { kind: 'event', schemaVersion: 1, payload: InventoryLow },
} as const satisfies Record<string, MessageSpec>;

export interface MessageSpec {
  kind: 'command' | 'reply' | 'event';
  schemaVersion: number;
  payload: TSchema;
}

export type MessageType = keyof typeof MESSAGES;
export type CommandType = {
  [K in MessageType]: (typeof MESSAGES)[K]['kind'] extends 'command' ? K : never;
}[MessageType];
export type ReplyType = `${CommandType}.reply`;
export type PayloadOf<T extends MessageType> = Static<(typeof MESSAGES)[T]['payload']>;

export const COMMAND_TYPES = Object.keys(MESSAGES).filter(
  (type) => MESSAGES[type as MessageType].kind === 'command',
) as CommandType[];

export const replyTypeOf = (command: CommandType): ReplyType => `${command}.reply`;

export function isMessageType(type: unknown): type is MessageType {
  return typeof type === 'string' && Object.hasOwn(MESSAGES, type);
}

/** The envelope every message body carries around its payload. */
export const Envelope = Strict({
  messageId: Id,
  type: Type.String({ minLength: 1, maxLength: 100 }),
  schemaVersion: Type.Integer({ minimum: 1 }),
  sagaId: Type.Optional(Id),
  commandId: Type.Optional(Id),
  occurredAt: IsoDate,
  traceparent: Type.String({ pattern: '^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$' }),
  payload: Type.Unknown(),
});
export type Envelope = Static<typeof Envelope>;

export interface Message<T extends MessageType = MessageType> extends Omit<Envelope, 'payload' | 'type'> {
  type: T;
  payload: PayloadOf<T>;
}
