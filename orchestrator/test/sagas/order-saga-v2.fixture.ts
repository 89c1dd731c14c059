import { assign, setup } from 'xstate';
import type { ReservationResult } from '@sagaflow/contracts';
import type { OrderSagaContext } from '../../src/sagas/order-saga.js';
import type { OrderSagaInput, SagaCommandEmitted, SagaEvent, SagaOutput } from '../../src/sagas/saga-protocol.js';
import {
  sagaStep,
  sagaStepActions,
  sagaStepGuards,
  stepCommand,
  type SagaTag,
  type StepCommands,
} from '../../src/sagas/saga-steps.js';

const commands = {
  reserving: (c) => stepCommand('inventory.reserve', { orderId: c.orderId, items: c.items }),
  notifyingReserved: (c) =>
    stepCommand('notification.send', {
      orderId: c.orderId,
      template: 'order.confirmed',
      to: c.customerEmail,
      data: { currency: c.currency, totalCents: c.order.totalCents ?? 0 },
    }),
  charging: (c) =>
    stepCommand('payment.charge', {
      orderId: c.orderId,
      customerId: c.customerId,
      amountCents: c.order.totalCents ?? 0,
      currency: c.currency,
      method: c.payment.method,
      token: c.payment.token,
    }),
} satisfies StepCommands<OrderSagaContext, string>;

/** A second version of the order saga with another step order, to check that stored sagas stay pinned. */
export const orderSagaV2 = setup({
  types: {
    context: {} as OrderSagaContext,
    events: {} as SagaEvent,
    input: {} as OrderSagaInput,
    output: {} as SagaOutput,
    emitted: {} as SagaCommandEmitted,
    tags: {} as SagaTag,
  },
  actions: {
    ...sagaStepActions<OrderSagaContext, keyof typeof commands>(commands),
    recordReservation: assign(({ context, event }) => {
      if (event.type !== 'REPLY' || event.reply.outcome !== 'success') return {};
      const { lines, totalCents } = event.reply.result as ReservationResult;
      return { order: { ...context.order, lines, totalCents } };
    }),
    confirmOrder: assign(({ context }) => ({ order: { ...context.order, status: 'CONFIRMED' as const } })),
  },
  guards: sagaStepGuards,
}).createMachine({
  id: 'order-saga-v2',
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
  output: ({ event }) => event.output as SagaOutput,
  states: {
    reserving: sagaStep({
      step: 'reserving',
      onSuccess: { target: 'notifyingReserved', actions: ['recordReservation'] },
    }),
    notifyingReserved: sagaStep({ step: 'notifyingReserved', onSuccess: { target: 'charging' } }),
    charging: sagaStep({ step: 'charging', onSuccess: { target: 'completed', actions: ['confirmOrder'] } }),
    completed: { type: 'final', entry: ['finish'], output: { status: 'COMPLETED' } },
  },
});
