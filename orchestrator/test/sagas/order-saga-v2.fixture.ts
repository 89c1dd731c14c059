import { buildSaga, reviseSaga } from '../../src/sagas/saga-blueprint.js';
import { orderSagaV1Blueprint } from '../../src/sagas/order-saga.js';
import { stepCommand } from '../../src/sagas/saga-steps.js';

/**
 * A second version of the order saga that tells the customer of the reservation before charging,
 * stated as its difference from version 1: to check that stored sagas stay on their version.
 */
export const orderSagaV2Blueprint = reviseSaga(orderSagaV1Blueprint, {
  id: 'order-saga-v2',
  commands: {
    notifyingReserved: (c) =>
      stepCommand('notification.send', {
        orderId: c.orderId,
        template: 'order.confirmed',
        to: c.customerEmail,
        data: { currency: c.currency, totalCents: c.order.totalCents ?? 0 },
      }),
  },
  states: {
    reserving: {
      ...orderSagaV1Blueprint.states.reserving,
      onSuccess: { target: 'notifyingReserved', patches: ['recordReservation'] },
    },
    notifyingReserved: { onSuccess: { target: 'charging' } },
  },
});

export const orderSagaV2 = buildSaga(orderSagaV2Blueprint);
