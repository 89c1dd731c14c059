import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Cents, Currency, Id, PricedLine, Sku, Quantity, Strict } from './common.js';

/** Business failures: answered as replies, never raised as errors. */
export const FailureCode = Type.Union([
  Type.Literal('out_of_stock'),
  Type.Literal('unknown_sku'),
  Type.Literal('card_declined'),
  Type.Literal('insufficient_funds'),
  Type.Literal('order_voided'),
]);
export type FailureCode = Static<typeof FailureCode>;

export const FailureReason = Strict({
  code: FailureCode,
  message: Type.String({ maxLength: 500 }),
});
export type FailureReason = Static<typeof FailureReason>;

/** A reply is a success with a typed result or a business failure with a typed reason. */
export const Reply = <T extends TSchema>(result: T) =>
  Type.Union([
    Strict({ outcome: Type.Literal('success'), result }),
    Strict({ outcome: Type.Literal('failure'), reason: FailureReason }),
  ]);

export const ReservationResult = Strict({ lines: Type.Array(PricedLine), totalCents: Cents });
export type ReservationResult = Static<typeof ReservationResult>;

export const ReleaseResult = Strict({
  released: Type.Array(Strict({ sku: Sku, quantity: Quantity })),
});
export type ReleaseResult = Static<typeof ReleaseResult>;

export const ChargeResult = Strict({ paymentId: Id, amountCents: Cents, currency: Currency });
export type ChargeResult = Static<typeof ChargeResult>;

export const RefundResult = Strict({
  paymentId: Type.Union([Id, Type.Null()]),
  amountCents: Cents,
});
export type RefundResult = Static<typeof RefundResult>;

export const NotificationResult = Strict({ notificationId: Id });
export type NotificationResult = Static<typeof NotificationResult>;

export const ReserveInventoryReply = Reply(ReservationResult);
export const ReleaseInventoryReply = Reply(ReleaseResult);
export const ChargePaymentReply = Reply(ChargeResult);
export const RefundPaymentReply = Reply(RefundResult);
export const SendNotificationReply = Reply(NotificationResult);
