import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { Cents, Currency, Email, Id, OrderLine, PricedLine, Strict } from './common.js';
import { OrderPriority, OrderStatus, SagaStatus, SagaType } from './sagas.js';

export const CreateOrderRequest = Strict({
  customerId: Id,
  customerEmail: Email,
  currency: Currency,
  items: Type.Array(OrderLine, { minItems: 1, maxItems: 100 }),
  payment: Strict({
    method: Type.Literal('card'),
    token: Type.String({ minLength: 1, maxLength: 200 }),
  }),
  /** `standard` when absent. */
  priority: Type.Optional(OrderPriority),
});
export type CreateOrderRequest = Static<typeof CreateOrderRequest>;

export const CreateOrderResponse = Strict({
  orderId: Id,
  sagaId: Id,
  status: OrderStatus,
});
export type CreateOrderResponse = Static<typeof CreateOrderResponse>;

const Limit = Type.Integer({ minimum: 1, maximum: 500 });
const Cursor = Type.String({ minLength: 1, maxLength: 200 });

export const ListOrdersQuery = Strict({
  status: Type.Optional(OrderStatus),
  customerId: Type.Optional(Id),
  limit: Type.Optional(Limit),
  cursor: Type.Optional(Cursor),
});
export type ListOrdersQuery = Static<typeof ListOrdersQuery>;

export const ListSagasQuery = Strict({
  status: Type.Optional(SagaStatus),
  type: Type.Optional(SagaType),
  limit: Type.Optional(Limit),
  cursor: Type.Optional(Cursor),
});
export type ListSagasQuery = Static<typeof ListSagasQuery>;

export const PutProductRequest = Strict(
  {
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    priceCents: Type.Optional(Cents),
    available: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000 })),
  },
  { minProperties: 1 },
);
export type PutProductRequest = Static<typeof PutProductRequest>;

export const Product = Strict({
  sku: Type.String(),
  name: Type.String(),
  priceCents: Cents,
  available: Type.Integer(),
  reserved: Type.Integer(),
});
export type Product = Static<typeof Product>;

export const FaultsRequest = Strict({
  mode: Type.Union([Type.Literal('none'), Type.Literal('error'), Type.Literal('delay'), Type.Literal('crash')]),
  rate: Type.Optional(Type.Number({ minimum: 0, maximum: 1 })),
  delayMs: Type.Optional(Type.Integer({ minimum: 0, maximum: 600_000 })),
});
export type FaultsRequest = Static<typeof FaultsRequest>;

export const Payment = Strict({
  paymentId: Id,
  orderId: Id,
  kind: Type.Union([Type.Literal('charge'), Type.Literal('refund')]),
  amountCents: Cents,
  currency: Currency,
  createdAt: Type.String(),
});
export type Payment = Static<typeof Payment>;

export const Notification = Strict({
  notificationId: Id,
  orderId: Id,
  template: Type.String(),
  to: Email,
  createdAt: Type.String(),
});
export type Notification = Static<typeof Notification>;

export const ByOrderQuery = Strict({ orderId: Id });
export type ByOrderQuery = Static<typeof ByOrderQuery>;

/** The largest page a participant's listing gives. */
export const MAX_RECORD_PAGE = 1000;

/**
 * `GET /payments`, `GET /notifications`, `GET /reservations`: one order's records with `orderId`;
 * without it, every record in pages of `limit` (default and at most 1000), the next one named by `cursor`.
 */
export const ListRecordsQuery = Strict({
  orderId: Type.Optional(Id),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_RECORD_PAGE })),
  cursor: Type.Optional(Id),
});
export type ListRecordsQuery = Static<typeof ListRecordsQuery>;

/** A page of a participant's records; `next` is the `cursor` of the next page, null on the last. */
export const RecordPageOf = <T extends TSchema>(item: T) =>
  Type.Object({ items: Type.Array(item), next: Type.Optional(Type.Union([Id, Type.Null()])) });

export const PaymentPage = RecordPageOf(Payment);
export type PaymentPage = Static<typeof PaymentPage>;

export const NotificationPage = RecordPageOf(Notification);
export type NotificationPage = Static<typeof NotificationPage>;

/**
 * What the inventory holds for one order: stock `reserved` for it, stock `committed` (sold) to a
 * completed order, or `released` back (also an empty tombstone for an order released before reserving).
 */
export const Reservation = Strict({
  orderId: Id,
  state: Type.Union([Type.Literal('reserved'), Type.Literal('committed'), Type.Literal('released')]),
  lines: Type.Array(PricedLine),
  totalCents: Cents,
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
export type Reservation = Static<typeof Reservation>;

export const ReservationPage = RecordPageOf(Reservation);
export type ReservationPage = Static<typeof ReservationPage>;

/** Body of every 4xx the services send. */
export const ApiError = Type.Object({
  error: Type.String(),
  message: Type.Optional(Type.String()),
  details: Type.Optional(Type.Unknown()),
});
export type ApiError = Static<typeof ApiError>;

export const ListDeadLettersQuery = Strict({
  queue: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000 })),
});
export type ListDeadLettersQuery = Static<typeof ListDeadLettersQuery>;

/** `POST /dlq/replay`: which dead letters to send back; one of queue, sagaId or all is needed. */
export const ReplayRequest = Strict({
  queue: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  sagaId: Type.Optional(Id),
  all: Type.Optional(Type.Boolean()),
  dryRun: Type.Optional(Type.Boolean()),
});
export type ReplayRequest = Static<typeof ReplayRequest>;

/**
 * `POST /dlq/:messageId/edit`: values to set at dotted paths of the message body, or a whole new body;
 * `dryRun` checks the edit against the message's schema and sends nothing.
 */
export const EditDeadLetterRequest = Strict(
  {
    set: Type.Optional(
      Type.Array(Strict({ path: Type.String({ minLength: 1, maxLength: 500 }), value: Type.Unknown() }), {
        minItems: 1,
        maxItems: 100,
      }),
    ),
    replace: Type.Optional(Type.Unknown()),
    dryRun: Type.Optional(Type.Boolean()),
  },
  { minProperties: 1 },
);
export type EditDeadLetterRequest = Static<typeof EditDeadLetterRequest>;
