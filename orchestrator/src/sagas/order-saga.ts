import type { FailureReason, OrderLine, ReservationResult } from '@sagaflow/contracts';
import { buildSaga, type SagaBlueprint } from './saga-blueprint.js';
import type { OrderSagaInput, SagaContextBase } from './saga-protocol.js';
import { describeFailure, stepCommand, type StepCommands } from './saga-steps.js';

export interface OrderSagaContext extends SagaContextBase {
  customerId: string;
  customerEmail: string;
  currency: string;
  items: OrderLine[];
  payment: { method: 'card'; token: string };
  /** The business failure that cancelled the order, as the participant gave it. */
  failure: FailureReason | null;
}

export const OPERATOR_COMPENSATION_REASON = 'compensated by operator';

const commands = {
  reserving: (c) => stepCommand('inventory.reserve', { orderId: c.orderId, items: c.items }),
  charging: (c) =>
    stepCommand('payment.charge', {
      orderId: c.orderId,
      customerId: c.customerId,
      amountCents: c.order.totalCents ?? 0,
      currency: c.currency,
      method: c.payment.method,
      token: c.payment.token,
    }),
  notifyingConfirmed: (c) =>
    stepCommand('notification.send', {
      orderId: c.orderId,
      template: 'order.confirmed',
      to: c.customerEmail,
      data: { currency: c.currency, totalCents: c.order.totalCents ?? 0, lines: c.order.lines ?? [] },
    }),
  // Refund and release undo what may have happened; undoing nothing is a no-op at the participant.
  refunding: (c) => stepCommand('payment.refund', { orderId: c.orderId, currency: c.currency }),
  releasing: (c) => stepCommand('inventory.release', { orderId: c.orderId }),
  notifyingCancelled: (c) =>
    stepCommand('notification.send', {
      orderId: c.orderId,
      template: 'order.cancelled',
      to: c.customerEmail,
      data: {
        currency: c.currency,
        ...(c.order.totalCents !== null ? { totalCents: c.order.totalCents } : {}),
        ...(c.order.lines !== null ? { lines: c.order.lines } : {}),
        ...(c.order.reason !== null ? { reason: c.order.reason } : {}),
      },
    }),
} satisfies StepCommands<OrderSagaContext, string>;

/**
 * The order saga, version 1: reserve → charge (the pivot) → notify; a rejected reservation cancels,
 * a declined charge releases the stock first. Once `charging` succeeded the saga only goes forward.
 */
export const orderSagaV1Blueprint: SagaBlueprint<OrderSagaContext, OrderSagaInput> = {
  id: 'order-saga-v1',
  initial: 'reserving',
  context: (input) => ({
    sagaId: input.sagaId,
    orderId: input.orderId,
    maxAttempts: input.maxAttempts,
    awaiting: null,
    stalled: false,
    order: { status: 'PENDING', totalCents: null, lines: null, reason: null },
    customerId: input.customerId,
    customerEmail: input.customerEmail,
    currency: input.currency,
    items: input.items,
    payment: input.payment,
    failure: null,
  }),
  commands,
  patches: {
    recordReservation: (context, event) => {
      if (event.type !== 'REPLY' || event.reply.outcome !== 'success') return {};
      const { lines, totalCents } = event.reply.result as ReservationResult;
      return { order: { ...context.order, lines, totalCents } };
    },
    recordFailure: (context, event) => {
      if (event.type !== 'REPLY' || event.reply.outcome !== 'failure') return {};
      return { failure: event.reply.reason, order: { ...context.order, reason: describeFailure(event.reply.reason) } };
    },
    recordOperatorCompensation: (context) => ({ order: { ...context.order, reason: OPERATOR_COMPENSATION_REASON } }),
    confirmOrder: (context) => ({ order: { ...context.order, status: 'CONFIRMED' } }),
    cancelOrder: (context) => ({ order: { ...context.order, status: 'CANCELLED' } }),
  },
  states: {
    reserving: {
      onSuccess: { target: 'charging', patches: ['recordReservation'] },
      // Nothing was reserved: there is nothing to undo.
      onFailure: { target: 'notifyingCancelled', patches: ['recordFailure'] },
      // A reserve may have been applied without its reply reaching us.
      onCompensate: { target: 'releasing', patches: ['recordOperatorCompensation'] },
    },
    charging: {
      onSuccess: { target: 'notifyingConfirmed', patches: ['confirmOrder'] },
      onFailure: { target: 'releasing', patches: ['recordFailure'] },
      // A charge may have been applied without its reply reaching us.
      onCompensate: { target: 'refunding', patches: ['recordOperatorCompensation'] },
    },
    notifyingConfirmed: { onSuccess: { target: 'completed' } },
    refunding: { onSuccess: { target: 'releasing' }, compensating: true },
    releasing: { onSuccess: { target: 'notifyingCancelled' }, compensating: true },
    notifyingCancelled: { onSuccess: { target: 'cancelled' }, compensating: true },
    completed: { final: 'COMPLETED' },
    cancelled: { final: 'CANCELLED', patches: ['cancelOrder'] },
  },
};

export const orderSagaV1 = buildSaga(orderSagaV1Blueprint);
