import { assign, setup } from 'xstate';
import type {
  CancellationSagaInput,
  SagaCommandEmitted,
  SagaContextBase,
  SagaEvent,
  SagaOutput,
} from './saga-protocol.js';
import {
  sagaStep,
  sagaStepActions,
  sagaStepGuards,
  stepCommand,
  type SagaTag,
  type StepCommands,
} from './saga-steps.js';

export interface CancellationSagaContext extends SagaContextBase {
  customerEmail: string;
  currency: string;
}

export const CANCELLATION_REASON = 'cancelled by request';

const commands = {
  refunding: (c) => stepCommand('payment.refund', { orderId: c.orderId }),
  releasing: (c) => stepCommand('inventory.release', { orderId: c.orderId }),
  notifyingRefunded: (c) =>
    stepCommand('notification.send', {
      orderId: c.orderId,
      template: 'order.refunded',
      to: c.customerEmail,
      data: {
        currency: c.currency,
        ...(c.order.totalCents !== null ? { totalCents: c.order.totalCents } : {}),
        ...(c.order.lines !== null ? { lines: c.order.lines } : {}),
        reason: CANCELLATION_REASON,
      },
    }),
} satisfies StepCommands<CancellationSagaContext, string>;

type CancellationStep = keyof typeof commands;

/**
 * The cancellation of a confirmed order, version 1: refund, release the stock, tell the customer.
 * Every step is retried until it is done; there is nothing before it to compensate.
 */
export const cancellationSagaV1 = setup({
  types: {
    context: {} as CancellationSagaContext,
    events: {} as SagaEvent,
    input: {} as CancellationSagaInput,
    output: {} as SagaOutput,
    emitted: {} as SagaCommandEmitted,
    tags: {} as SagaTag,
  },
  actions: {
    ...sagaStepActions<CancellationSagaContext, CancellationStep>(commands),
    cancelOrder: assign(({ context }) => ({
      order: { ...context.order, status: 'CANCELLED' as const, reason: CANCELLATION_REASON },
    })),
  },
  guards: sagaStepGuards,
}).createMachine({
  id: 'cancellation-saga-v1',
  initial: 'refunding',
  context: ({ input }) => ({
    sagaId: input.sagaId,
    orderId: input.orderId,
    maxAttempts: input.maxAttempts,
    awaiting: null,
    stalled: false,
    // The order stays confirmed until its money and stock are back.
    order: { status: 'CONFIRMED', totalCents: input.totalCents, lines: input.lines ?? null, reason: null },
    customerEmail: input.customerEmail,
    currency: input.currency,
  }),
  output: ({ event }) => event.output as SagaOutput,
  states: {
    refunding: sagaStep({ step: 'refunding', onSuccess: { target: 'releasing' } }),
    releasing: sagaStep({ step: 'releasing', onSuccess: { target: 'notifyingRefunded' } }),
    notifyingRefunded: sagaStep({ step: 'notifyingRefunded', onSuccess: { target: 'completed' } }),
    completed: { type: 'final', entry: ['finish', 'cancelOrder'], output: { status: 'COMPLETED' } },
  },
});
