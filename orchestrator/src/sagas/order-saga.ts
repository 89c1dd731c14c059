import { assign, setup } from 'xstate';
import type { FailureReason, OrderLine, ReservationResult } from '@sagaflow/contracts';
import type { OrderSagaInput, SagaCommandEmitted, SagaContextBase, SagaEvent, SagaOutput } from './saga-protocol.js';
import {
  describeFailure,
  sagaStep,
  sagaStepActions,
  sagaStepGuards,
  stepCommand,
  type SagaTag,
  type StepCommands,
} from './saga-steps.js';

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
  refunding: (c) => stepCommand('payment.refund', { orderId: c.orderId }),
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

type OrderStep = keyof typeof commands;

/**
 * The order saga, version 1: reserve → charge (the pivot) → notify; a rejected reservation cancels,
 * a declined charge releases the stock first. Once `charging` succeeded the saga only goes forward.
 */
export const orderSagaV1 = setup({
  types: {
    context: {} as OrderSagaContext,
    events: {} as SagaEvent,
    input: {} as OrderSagaInput,
    output: {} as SagaOutput,
    emitted: {} as SagaCommandEmitted,
    tags: {} as SagaTag,
  },
  actions: {
    ...sagaStepActions<OrderSagaContext, OrderStep>(commands),
    recordReservation: assign(({ context, event }) => {
      if (event.type !== 'REPLY' || event.reply.outcome !== 'success') return {};
      const { lines, totalCents } = event.reply.result as ReservationResult;
      return { order: { ...context.order, lines, totalCents } };
    }),
    recordFailure: assign(({ context, event }) => {
      if (event.type !== 'REPLY' || event.reply.outcome !== 'failure') return {};
      return { failure: event.reply.reason, order: { ...context.order, reason: describeFailure(event.reply.reason) } };
    }),
    recordOperatorCompensation: assign(({ context }) => ({
      order: { ...context.order, reason: OPERATOR_COMPENSATION_REASON },
    })),
    confirmOrder: assign(({ context }) => ({ order: { ...context.order, status: 'CONFIRMED' as const } })),
    cancelOrder: assign(({ context }) => ({ order: { ...context.order, status: 'CANCELLED' as const } })),
  },
  guards: sagaStepGuards,
}).createMachine({
  id: 'order-saga-v1',
  initial: 'reserving',
  context: ({ input }) => ({
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
  // The machine's output is the output of the final state it ended in.
  output: ({ event }) => event.output as SagaOutput,
  states: {
    reserving: sagaStep({
      step: 'reserving',
      onSuccess: { target: 'charging', actions: ['recordReservation'] },
      // Nothing was reserved: there is nothing to undo.
      onFailure: { target: 'notifyingCancelled', actions: ['recordFailure'] },
      // A reserve may have been applied without its reply reaching us.
      onCompensate: { target: 'releasing', actions: ['recordOperatorCompensation'] },
    }),
    charging: sagaStep({
      step: 'charging',
      onSuccess: { target: 'notifyingConfirmed', actions: ['confirmOrder'] },
      onFailure: { target: 'releasing', actions: ['recordFailure'] },
      // A charge may have been applied without its reply reaching us.
      onCompensate: { target: 'refunding', actions: ['recordOperatorCompensation'] },
    }),
    notifyingConfirmed: sagaStep({ step: 'notifyingConfirmed', onSuccess: { target: 'completed' } }),
    refunding: sagaStep({ step: 'refunding', onSuccess: { target: 'releasing' }, compensating: true }),
    releasing: sagaStep({ step: 'releasing', onSuccess: { target: 'notifyingCancelled' }, compensating: true }),
    notifyingCancelled: sagaStep({
      step: 'notifyingCancelled',
      onSuccess: { target: 'cancelled' },
      compensating: true,
    }),
    completed: { type: 'final', entry: ['finish'], output: { status: 'COMPLETED' } },
    cancelled: { type: 'final', entry: ['finish', 'cancelOrder'], output: { status: 'CANCELLED' } },
  },
});
