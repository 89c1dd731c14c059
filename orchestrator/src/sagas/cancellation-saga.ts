import { buildSaga, type SagaBlueprint } from './saga-blueprint.js';
import type { CancellationSagaInput, SagaContextBase } from './saga-protocol.js';
import { stepCommand, type StepCommands } from './saga-steps.js';

export interface CancellationSagaContext extends SagaContextBase {
  customerEmail: string;
  currency: string;
}

export const CANCELLATION_REASON = 'cancelled by request';

const commands = {
  refunding: (c) => stepCommand('payment.refund', { orderId: c.orderId, currency: c.currency }),
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

/**
 * The cancellation of a confirmed order, version 1: refund, release the stock, tell the customer.
 * Every step is retried until it is done; there is nothing before it to compensate.
 */
export const cancellationSagaV1Blueprint: SagaBlueprint<CancellationSagaContext, CancellationSagaInput> = {
  id: 'cancellation-saga-v1',
  initial: 'refunding',
  context: (input) => ({
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
  commands,
  patches: {
    cancelOrder: (context) => ({ order: { ...context.order, status: 'CANCELLED', reason: CANCELLATION_REASON } }),
  },
  states: {
    refunding: { onSuccess: { target: 'releasing' } },
    releasing: { onSuccess: { target: 'notifyingRefunded' } },
    notifyingRefunded: { onSuccess: { target: 'completed' } },
    completed: { final: 'COMPLETED', patches: ['cancelOrder'] },
  },
};

export const cancellationSagaV1 = buildSaga(cancellationSagaV1Blueprint);
