import { expect } from 'chai';
import { SagaflowError } from '@sagaflow/contracts';
import { cancellationSagaV1 } from '../../src/sagas/cancellation-saga.js';
import { orderSagaV1 } from '../../src/sagas/order-saga.js';
import type { OrderSagaInput } from '../../src/sagas/saga-protocol.js';
import {
  definitionFor,
  latestVersion,
  sagaDefinitions,
  sagaStatusOf,
  stateNameOf,
  type SagaDefinitions,
} from '../../src/sagas/saga-definitions.js';
import { reviseSaga, transitionsOf, type SagaState } from '../../src/sagas/saga-blueprint.js';
import { orderSagaV1Blueprint } from '../../src/sagas/order-saga.js';
import { orderSagaV2, orderSagaV2Blueprint } from './order-saga-v2.fixture.js';
import { SagaDriver, charge, notified, reservation, success, typesOf } from './saga-driver.js';

const input = (sagaId: string): OrderSagaInput => ({
  sagaId,
  orderId: `order-of-${sagaId}`,
  customerId: 'cust-1',
  customerEmail: 'ada@example.com',
  currency: 'EUR',
  items: [{ sku: 'SKU-1', quantity: 2 }],
  payment: { method: 'card', token: 'tok_visa' },
  maxAttempts: 3,
});

/** A stored saga as the engine keeps it: its type, the version it started on, its snapshot. */
interface StoredSaga {
  definitionVersion: number;
  snapshot: unknown;
}

describe('saga definitions', () => {
  it('registers version 1 of both saga types as the latest', () => {
    expect(latestVersion('order')).to.equal(1);
    expect(latestVersion('cancellation')).to.equal(1);
    expect(definitionFor('order', 1)).to.equal(orderSagaV1);
    expect(definitionFor('cancellation', 1)).to.equal(cancellationSagaV1);
  });

  it('refuses an unknown version or type with a clear, non-retryable error', () => {
    expect(() => definitionFor('order', 7))
      .to.throw(SagaflowError, "saga definition 'order' has no version 7 (registered: 1)")
      .with.property('type', 'unknown_saga_version');
    expect(() => definitionFor('order', 7))
      .to.throw()
      .with.property('retryable', false);
    expect(() => latestVersion('refund' as never)).to.throw(SagaflowError, "no saga definition of type 'refund'");
  });

  it('keeps a stored saga on the version it started on while new sagas start on the latest', () => {
    // Started and persisted before v2 existed.
    const version = latestVersion('order');
    const first = SagaDriver.start(definitionFor('order', version), input('saga-a'));
    first.reply(success(reservation));
    const stored: StoredSaga = { definitionVersion: version, snapshot: first.persisted };

    const deployed: SagaDefinitions = {
      ...sagaDefinitions,
      order: { latest: 2, versions: { 1: orderSagaV1, 2: orderSagaV2 } },
    };
    expect(latestVersion('order', deployed)).to.equal(2);

    const resumed = SagaDriver.restore(definitionFor('order', stored.definitionVersion, deployed), stored.snapshot);
    expect(stateNameOf(resumed.persisted)).to.equal('charging');
    expect(typesOf(resumed.reply(success(charge)))).to.deep.equal(['notification.send']);
    expect(stateNameOf(resumed.persisted)).to.equal('notifyingConfirmed');
    resumed.reply(success(notified));
    expect(sagaStatusOf(resumed.persisted)).to.equal('COMPLETED');

    const fresh = SagaDriver.start(definitionFor('order', latestVersion('order', deployed), deployed), input('saga-b'));
    fresh.reply(success(reservation));
    expect(stateNameOf(fresh.persisted)).to.equal('notifyingReserved');
    // The reason for pinning: a v2 snapshot means nothing to v1.
    expect(() => SagaDriver.restore(orderSagaV1, fresh.persisted).send({ type: 'TIMEOUT' })).to.throw();
    fresh.reply(success(notified));
    fresh.reply(success(charge));
    fresh.reply(success(notified));
    expect(sagaStatusOf(fresh.persisted)).to.equal('COMPLETED');
    expect(typesOf(fresh.emitted)).to.deep.equal([
      'inventory.reserve',
      'notification.send',
      'payment.charge',
      'notification.send',
    ]);
  });

  it('states a new version by its difference and keeps every other state of the last one', () => {
    expect(Object.keys(orderSagaV2Blueprint.states)).to.deep.equal([
      ...Object.keys(orderSagaV1Blueprint.states),
      'notifyingReserved',
    ]);
    expect(orderSagaV2Blueprint.states.charging).to.equal(orderSagaV1Blueprint.states.charging);
    expect(transitionsOf(orderSagaV2Blueprint)).to.deep.include({
      from: 'reserving',
      to: 'notifyingReserved',
      on: 'success',
      patches: ['recordReservation'],
    });
  });

  it('refuses a version that leads to a state, sends from a step or applies a patch it does not have', () => {
    const revise = (states: Record<string, SagaState | null>) => () =>
      reviseSaga(orderSagaV1Blueprint, { id: 'order-saga-broken', states });
    expect(revise({ charging: null })).to.throw(SagaflowError, "'reserving' leads to unknown state 'charging'");
    expect(revise({ packing: { onSuccess: { target: 'completed' } } })).to.throw(
      SagaflowError,
      "step 'packing' has no command",
    );
    expect(revise({ completed: { final: 'COMPLETED', patches: ['sendFlowers'] } }))
      .to.throw(SagaflowError, "state 'completed' applies unknown patch 'sendFlowers'")
      .with.property('type', 'invalid_saga_blueprint');
  });

  it('names nested and parallel state values with dots', () => {
    expect(stateNameOf({ value: 'charging' })).to.equal('charging');
    expect(stateNameOf({ value: { compensation: 'releasing' } })).to.equal('compensation.releasing');
    expect(stateNameOf({ value: { a: { b: 'c' }, d: 'e' } })).to.equal('a.b.c,d.e');
  });

  it('refuses to give a status for a machine that failed', () => {
    expect(() => sagaStatusOf({ status: 'error', value: 'x', error: new Error('boom'), context: {} })).to.throw(
      SagaflowError,
      'saga machine is error: boom',
    );
    expect(() => sagaStatusOf({ status: 'done', value: 'x', output: {}, context: {} })).to.throw(
      SagaflowError,
      'saga ended without a status',
    );
  });
});
