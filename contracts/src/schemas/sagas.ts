import { Type, type Static } from '@sinclair/typebox';
import { Cents, Currency, Email, Id, IsoDate, OrderLine, PricedLine, Strict } from './common.js';

export const SagaType = Type.Union([Type.Literal('order'), Type.Literal('cancellation')]);
export type SagaType = Static<typeof SagaType>;

export const SagaStatus = Type.Union([
  Type.Literal('RUNNING'),
  Type.Literal('COMPENSATING'),
  Type.Literal('STALLED'),
  Type.Literal('COMPLETED'),
  Type.Literal('CANCELLED'),
]);
export type SagaStatus = Static<typeof SagaStatus>;
export const SAGA_STATUSES: readonly SagaStatus[] = ['RUNNING', 'COMPENSATING', 'STALLED', 'COMPLETED', 'CANCELLED'];
export const TERMINAL_SAGA_STATUSES: readonly SagaStatus[] = ['COMPLETED', 'CANCELLED'];

export const OrderStatus = Type.Union([Type.Literal('PENDING'), Type.Literal('CONFIRMED'), Type.Literal('CANCELLED')]);
export type OrderStatus = Static<typeof OrderStatus>;

/**
 * How urgently an order's commands are served (DESIGN §2, §5): an `express` order's commands overtake the
 * `standard` ones waiting in a participant's queue. `standard` when a request names none.
 */
export const OrderPriority = Type.Union([Type.Literal('standard'), Type.Literal('express')]);
export type OrderPriority = Static<typeof OrderPriority>;
export const DEFAULT_ORDER_PRIORITY: OrderPriority = 'standard';

export const TimelineKind = Type.Union([
  Type.Literal('saga.started'),
  Type.Literal('command.sent'),
  Type.Literal('command.resent'),
  Type.Literal('reply.received'),
  Type.Literal('step.timeout'),
  Type.Literal('compensation.started'),
  Type.Literal('saga.stalled'),
  Type.Literal('saga.resumed'),
  Type.Literal('saga.completed'),
  Type.Literal('saga.cancelled'),
  Type.Literal('ops.action'),
]);
export type TimelineKind = Static<typeof TimelineKind>;

export const TimelineEntry = Strict({
  seq: Type.Integer({ minimum: 1 }),
  at: IsoDate,
  kind: TimelineKind,
  step: Type.Union([Type.String(), Type.Null()]),
  detail: Type.Record(Type.String(), Type.Unknown()),
});
export type TimelineEntry = Static<typeof TimelineEntry>;

export const SagaSummary = Strict({
  sagaId: Id,
  type: SagaType,
  status: SagaStatus,
  state: Type.String(),
  orderId: Id,
  version: Type.Integer(),
  createdAt: IsoDate,
  updatedAt: IsoDate,
});
export type SagaSummary = Static<typeof SagaSummary>;

export const SagaDetail = Strict({
  ...SagaSummary.properties,
  definitionVersion: Type.Integer(),
  timeline: Type.Array(TimelineEntry),
});
export type SagaDetail = Static<typeof SagaDetail>;

export const Order = Strict({
  orderId: Id,
  sagaId: Id,
  status: OrderStatus,
  sagaStatus: SagaStatus,
  customerId: Id,
  customerEmail: Email,
  items: Type.Array(OrderLine),
  /** The priced lines, once inventory has reserved them. */
  lines: Type.Optional(Type.Array(PricedLine)),
  totalCents: Type.Union([Cents, Type.Null()]),
  currency: Currency,
  priority: OrderPriority,
  reason: Type.Optional(Type.String()),
  cancellationSagaId: Type.Optional(Id),
  createdAt: IsoDate,
  updatedAt: IsoDate,
});
export type Order = Static<typeof Order>;

/** A saga definition as data (`GET /saga-definitions`): states and transitions read from its machine. */
export const SagaDefinitionGraph = Strict({
  type: SagaType,
  version: Type.Integer(),
  id: Type.String(),
  initial: Type.String(),
  states: Type.Array(Strict({ name: Type.String(), final: Type.Boolean(), compensating: Type.Boolean() })),
  /** Transitions between different states; `when` says what takes it: `success`, `failure`, `reply`, `operator`. */
  transitions: Type.Array(
    Strict({ from: Type.String(), to: Type.String(), event: Type.String(), when: Type.String() }),
  ),
});
export type SagaDefinitionGraph = Static<typeof SagaDefinitionGraph>;
