import { Type, type Static } from '@sinclair/typebox';
import { Cents, Currency, Email, Id, OrderLine, PricedLine, Strict } from './common.js';

export const ReserveInventory = Strict({
  orderId: Id,
  items: Type.Array(OrderLine, { minItems: 1, maxItems: 100 }),
});
export type ReserveInventory = Static<typeof ReserveInventory>;

export const ReleaseInventory = Strict({ orderId: Id });
export type ReleaseInventory = Static<typeof ReleaseInventory>;

export const ChargePayment = Strict({
  orderId: Id,
  customerId: Id,
  amountCents: Cents,
  currency: Currency,
  method: Type.Literal('card'),
  token: Type.String({ minLength: 1, maxLength: 200 }),
});
export type ChargePayment = Static<typeof ChargePayment>;

/**
 * Refunds whatever was charged for the order; a refund with nothing charged is a no-op. `currency`, the
 * order's, routes it to the worker that took the charge (DESIGN §2); a refund without one goes to the
 * default payment queue.
 */
export const RefundPayment = Strict({ orderId: Id, currency: Type.Optional(Currency) });
export type RefundPayment = Static<typeof RefundPayment>;

export const NotificationTemplate = Type.Union([
  Type.Literal('order.confirmed'),
  Type.Literal('order.cancelled'),
  Type.Literal('order.refunded'),
]);
export type NotificationTemplate = Static<typeof NotificationTemplate>;

export const SendNotification = Strict({
  orderId: Id,
  template: NotificationTemplate,
  to: Email,
  data: Strict({
    currency: Currency,
    totalCents: Type.Optional(Cents),
    lines: Type.Optional(Type.Array(PricedLine)),
    reason: Type.Optional(Type.String({ maxLength: 500 })),
  }),
});
export type SendNotification = Static<typeof SendNotification>;
