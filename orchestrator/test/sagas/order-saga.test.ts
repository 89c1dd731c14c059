import { expect } from 'chai';
import { SimulatedClock } from 'xstate';
import { orderSagaV1 } from '../../src/sagas/order-saga.js';
import type { OrderSagaInput, SagaEvent } from '../../src/sagas/saga-protocol.js';
import { sagaStatusOf, stateNameOf } from '../../src/sagas/saga-definitions.js';
import {
  SagaDriver,
  charge,
  failure,
  notified,
  refunded,
  released,
  reservation,
  success,
  orderInput,
  typesOf,
} from './saga-driver.js';

const input: OrderSagaInput = orderInput();

const start = () => SagaDriver.start(orderSagaV1, input);
const stateOf = (saga: SagaDriver) => stateNameOf(saga.persisted);
const statusOf = (saga: SagaDriver) => sagaStatusOf(saga.persisted);

/** Times the awaited step out until its budget is spent. */
function stall(saga: SagaDriver): void {
  for (let attempt = saga.context.awaiting!.attempts; attempt < input.maxAttempts; attempt++)
    saga.send({ type: 'TIMEOUT' });
  saga.send({ type: 'TIMEOUT' });
  expect(statusOf(saga)).to.equal('STALLED');
}

/** Sends an event the saga must ignore, and checks that nothing at all changed. */
function expectIgnored(saga: SagaDriver, event: SagaEvent): void {
  const before = saga.persisted;
  expect(saga.can(event), `can(${event.type})`).to.equal(false);
  expect(saga.send(event)).to.deep.equal([]);
  expect(saga.persisted).to.deep.equal(before);
}

describe('order saga v1', () => {
  it('reserves, charges the priced total, confirms and notifies', () => {
    const saga = start();
    expect(stateOf(saga)).to.equal('reserving');
    expect(statusOf(saga)).to.equal('RUNNING');
    expect(saga.emitted).to.deep.equal([
      {
        type: 'command',
        resend: false,
        command: {
          commandId: 'saga-1.reserving',
          type: 'inventory.reserve',
          payload: { orderId: 'order-1', items: input.items },
        },
      },
    ]);
    expect(saga.context.awaiting).to.deep.include({ step: 'reserving', attempts: 1, compensating: false });
    expect(saga.context.order).to.deep.equal({ status: 'PENDING', totalCents: null, lines: null, reason: null });

    const [charging] = saga.reply(success(reservation));
    expect(stateOf(saga)).to.equal('charging');
    expect(charging.command).to.deep.equal({
      commandId: 'saga-1.charging',
      type: 'payment.charge',
      payload: {
        orderId: 'order-1',
        customerId: 'cust-1',
        amountCents: 3500,
        currency: 'EUR',
        method: 'card',
        token: 'tok_visa',
      },
    });
    expect(saga.context.order).to.deep.include({ status: 'PENDING', totalCents: 3500, lines: reservation.lines });

    const [notifying] = saga.reply(success(charge));
    expect(stateOf(saga)).to.equal('notifyingConfirmed');
    expect(saga.context.order.status).to.equal('CONFIRMED');
    expect(notifying.command).to.deep.equal({
      commandId: 'saga-1.notifyingConfirmed',
      type: 'notification.send',
      payload: {
        orderId: 'order-1',
        template: 'order.confirmed',
        to: 'ada@example.com',
        data: { currency: 'EUR', totalCents: 3500, lines: reservation.lines },
      },
    });

    expect(saga.reply(success(notified))).to.deep.equal([]);
    expect(saga.persisted.status).to.equal('done');
    expect(saga.persisted.output).to.deep.equal({ status: 'COMPLETED' });
    expect(statusOf(saga)).to.equal('COMPLETED');
    expect(stateOf(saga)).to.equal('completed');
    expect(saga.context.awaiting).to.equal(null);
    expect(saga.context.order).to.deep.equal({
      status: 'CONFIRMED',
      totalCents: 3500,
      lines: reservation.lines,
      reason: null,
    });
    expect(typesOf(saga.emitted)).to.deep.equal(['inventory.reserve', 'payment.charge', 'notification.send']);
  });

  for (const code of ['out_of_stock', 'unknown_sku'] as const) {
    it(`cancels without compensation when the reservation is rejected (${code})`, () => {
      const saga = start();
      const [notice] = saga.reply(failure(code, 'SKU-1: only 1 left'));
      expect(stateOf(saga)).to.equal('notifyingCancelled');
      expect(statusOf(saga)).to.equal('COMPENSATING');
      expect(saga.live().hasTag('compensating')).to.equal(true);
      expect(notice.command).to.deep.equal({
        commandId: 'saga-1.notifyingCancelled',
        type: 'notification.send',
        payload: {
          orderId: 'order-1',
          template: 'order.cancelled',
          to: 'ada@example.com',
          data: { currency: 'EUR', reason: `${code}: SKU-1: only 1 left` },
        },
      });

      saga.reply(success(notified));
      expect(statusOf(saga)).to.equal('CANCELLED');
      expect(saga.persisted.output).to.deep.equal({ status: 'CANCELLED' });
      expect(saga.context.order).to.deep.equal({
        status: 'CANCELLED',
        totalCents: null,
        lines: null,
        reason: `${code}: SKU-1: only 1 left`,
      });
      expect(saga.context.awaiting).to.equal(null);
      expect(typesOf(saga.emitted)).to.deep.equal(['inventory.reserve', 'notification.send']);
    });
  }

  it('completes after the pivot whatever the notification reply says', () => {
    const saga = start();
    saga.reply(success(reservation));
    saga.reply(success(charge));
    saga.reply(failure('order_voided', 'no such order'));
    expect(statusOf(saga)).to.equal('COMPLETED');
    expect(saga.context.order).to.deep.include({ status: 'CONFIRMED', reason: null });
  });

  for (const code of ['card_declined', 'insufficient_funds'] as const) {
    it(`releases the stock and cancels when the charge fails (${code})`, () => {
      const saga = start();
      saga.reply(success(reservation));
      const [release] = saga.reply(failure(code, 'declined by the gateway'));
      expect(stateOf(saga)).to.equal('releasing');
      expect(statusOf(saga)).to.equal('COMPENSATING');
      expect(saga.live().hasTag('compensating')).to.equal(true);
      expect(release.command).to.deep.equal({
        commandId: 'saga-1.releasing',
        type: 'inventory.release',
        payload: { orderId: 'order-1' },
      });
      expect(saga.context.order).to.deep.include({ status: 'PENDING', reason: `${code}: declined by the gateway` });

      const [notice] = saga.reply(success(released));
      expect(stateOf(saga)).to.equal('notifyingCancelled');
      expect(notice.command.payload).to.deep.equal({
        orderId: 'order-1',
        template: 'order.cancelled',
        to: 'ada@example.com',
        data: {
          currency: 'EUR',
          totalCents: 3500,
          lines: reservation.lines,
          reason: `${code}: declined by the gateway`,
        },
      });

      saga.reply(success(notified));
      expect(statusOf(saga)).to.equal('CANCELLED');
      expect(saga.context.order.status).to.equal('CANCELLED');
      expect(typesOf(saga.emitted)).to.deep.equal([
        'inventory.reserve',
        'payment.charge',
        'inventory.release',
        'notification.send',
      ]);
    });
  }

  it('resends the awaited command with the same id when its deadline passes', () => {
    const saga = start();
    saga.reply(success(reservation));
    const [resent] = saga.send({ type: 'TIMEOUT' });
    expect(resent).to.deep.equal({ ...saga.emitted[1], resend: true });
    expect(resent.command.commandId).to.equal('saga-1.charging');
    expect(saga.context.awaiting).to.deep.include({ step: 'charging', attempts: 2 });
    expect(statusOf(saga)).to.equal('RUNNING');

    // The reply to either send completes the step.
    saga.reply(success(charge));
    expect(stateOf(saga)).to.equal('notifyingConfirmed');
  });

  it('stalls, emitting nothing, once the attempts are spent, and ignores further deadlines', () => {
    const saga = start();
    expect(saga.send({ type: 'TIMEOUT' })).to.have.length(1);
    expect(saga.send({ type: 'TIMEOUT' })).to.have.length(1);
    expect(saga.context.awaiting!.attempts).to.equal(3);

    expect(saga.send({ type: 'TIMEOUT' })).to.deep.equal([]);
    expect(saga.context.stalled).to.equal(true);
    expect(statusOf(saga)).to.equal('STALLED');
    expect(stateOf(saga)).to.equal('reserving');
    expect(saga.context.awaiting).to.deep.include({ step: 'reserving', attempts: 3 });
    expect(saga.emitted.map((e) => [e.command.commandId, e.resend])).to.deep.equal([
      ['saga-1.reserving', false],
      ['saga-1.reserving', true],
      ['saga-1.reserving', true],
    ]);
    expectIgnored(saga, { type: 'TIMEOUT' });
  });

  it('resumes a stalled saga when the late reply arrives', () => {
    const saga = start();
    stall(saga);
    const [charging] = saga.reply(success(reservation));
    expect(saga.context.stalled).to.equal(false);
    expect(statusOf(saga)).to.equal('RUNNING');
    expect(stateOf(saga)).to.equal('charging');
    expect(charging).to.deep.include({ resend: false });
    expect(saga.context.awaiting).to.deep.include({ step: 'charging', attempts: 1 });
  });

  it('resumes a stalled saga with a late failure reply as well', () => {
    const saga = start();
    saga.reply(success(reservation));
    stall(saga);
    saga.reply(failure('card_declined'));
    expect(saga.context.stalled).to.equal(false);
    expect(stateOf(saga)).to.equal('releasing');
    expect(statusOf(saga)).to.equal('COMPENSATING');
    expect(saga.context.order.reason).to.equal('card_declined');
  });

  it('lets an operator retry a stalled step with a fresh budget and the same command id', () => {
    const saga = start();
    saga.reply(success(reservation));
    expect(saga.can({ type: 'RETRY' }), 'retry while running').to.equal(false);
    stall(saga);

    const [resent] = saga.send({ type: 'RETRY' });
    expect(resent).to.deep.include({ resend: true });
    expect(resent.command.commandId).to.equal('saga-1.charging');
    expect(saga.context.stalled).to.equal(false);
    expect(saga.context.awaiting).to.deep.include({ step: 'charging', attempts: 1 });
    expect(statusOf(saga)).to.equal('RUNNING');
    expectIgnored(saga, { type: 'RETRY' });

    // The fresh budget is a whole one.
    expect(saga.send({ type: 'TIMEOUT' })).to.have.length(1);
    expect(saga.send({ type: 'TIMEOUT' })).to.have.length(1);
    expect(saga.send({ type: 'TIMEOUT' })).to.deep.equal([]);
    expect(statusOf(saga)).to.equal('STALLED');

    saga.send({ type: 'RETRY' });
    saga.reply(success(charge));
    expect(stateOf(saga)).to.equal('notifyingConfirmed');
  });

  it('compensates a stalled reservation on an operator’s request: release, notify, cancel', () => {
    const saga = start();
    expect(saga.can({ type: 'COMPENSATE' }), 'compensate while running').to.equal(false);
    stall(saga);

    const [release] = saga.send({ type: 'COMPENSATE' });
    expect(release.command).to.deep.equal({
      commandId: 'saga-1.releasing',
      type: 'inventory.release',
      payload: { orderId: 'order-1' },
    });
    expect(saga.context.stalled).to.equal(false);
    expect(statusOf(saga)).to.equal('COMPENSATING');
    expect(saga.context.order.reason).to.equal('compensated by operator');

    const [notice] = saga.reply(success({ released: [] }));
    expect(notice.command.payload).to.deep.include({ template: 'order.cancelled' });
    expect(notice.command.payload).to.have.nested.property('data.reason', 'compensated by operator');
    saga.reply(success(notified));
    expect(statusOf(saga)).to.equal('CANCELLED');
    expect(saga.context.order).to.deep.include({ status: 'CANCELLED', reason: 'compensated by operator' });
    expect(typesOf(saga.emitted)).to.deep.equal([
      'inventory.reserve',
      'inventory.reserve',
      'inventory.reserve',
      'inventory.release',
      'notification.send',
    ]);
  });

  it('compensates a stalled charge on an operator’s request: refund, then release, notify, cancel', () => {
    const saga = start();
    saga.reply(success(reservation));
    stall(saga);

    const [refund] = saga.send({ type: 'COMPENSATE' });
    expect(refund.command).to.deep.equal({
      commandId: 'saga-1.refunding',
      type: 'payment.refund',
      payload: { orderId: 'order-1', currency: 'EUR' },
    });
    expect(stateOf(saga)).to.equal('refunding');
    expect(statusOf(saga)).to.equal('COMPENSATING');
    expect(saga.live().hasTag('compensating')).to.equal(true);

    const [release] = saga.reply(success(refunded));
    expect(release.command.type).to.equal('inventory.release');
    saga.reply(success(released));
    saga.reply(success(notified));
    expect(statusOf(saga)).to.equal('CANCELLED');
    expect(saga.context.order).to.deep.include({
      status: 'CANCELLED',
      totalCents: 3500,
      reason: 'compensated by operator',
    });
    expect(typesOf(saga.emitted).slice(-4)).to.deep.equal([
      'payment.charge',
      'payment.refund',
      'inventory.release',
      'notification.send',
    ]);
  });

  it('never compensates after the pivot: a stalled notification is retried only', () => {
    const saga = start();
    saga.reply(success(reservation));
    saga.reply(success(charge));
    stall(saga);
    expect(stateOf(saga)).to.equal('notifyingConfirmed');
    expectIgnored(saga, { type: 'COMPENSATE' });
    expect(saga.can({ type: 'RETRY' })).to.equal(true);
  });

  it('never compensates a compensation step: a stalled release is retried only', () => {
    const saga = start();
    saga.reply(success(reservation));
    saga.reply(failure('card_declined'));
    stall(saga);
    expect(stateOf(saga)).to.equal('releasing');
    expectIgnored(saga, { type: 'COMPENSATE' });
    saga.send({ type: 'RETRY' });
    expect(statusOf(saga)).to.equal('COMPENSATING');
  });

  it('changes nothing on a duplicate reply, a stale reply or a reply with an unknown command id', () => {
    const saga = start();
    const reserved: SagaEvent = { type: 'REPLY', commandId: 'saga-1.reserving', reply: success(reservation) };
    saga.send(reserved);
    expect(stateOf(saga)).to.equal('charging');

    expectIgnored(saga, reserved);
    expectIgnored(saga, { type: 'REPLY', commandId: 'saga-2.charging', reply: success(charge) });
    expectIgnored(saga, { type: 'REPLY', commandId: 'saga-1.charging.x', reply: failure('card_declined') });

    saga.reply(success(charge));
    saga.reply(success(notified));
    expectIgnored(saga, { type: 'REPLY', commandId: 'saga-1.notifyingConfirmed', reply: success(notified) });
    expectIgnored(saga, { type: 'TIMEOUT' });
    expectIgnored(saga, { type: 'RETRY' });
  });

  it('schedules nothing itself: time passing alone changes nothing', () => {
    const clock = new SimulatedClock();
    const saga = SagaDriver.start(orderSagaV1, input, clock);
    const before = saga.persisted;
    clock.increment(24 * 60 * 60 * 1000);
    expect(saga.send({ type: 'REPLY', commandId: 'other', reply: success() })).to.deep.equal([]);
    expect(saga.persisted).to.deep.equal(before);
    expect(saga.emitted).to.have.length(1);
  });

  it('keeps the compensating tag and the persisted status in step in every state', () => {
    const states: Record<string, boolean> = {};
    const visit = (saga: SagaDriver) => {
      const live = saga.live();
      if (live.status !== 'active') return;
      states[stateOf(saga)] = live.hasTag('compensating');
      expect(saga.context.awaiting!.compensating, stateOf(saga)).to.equal(live.hasTag('compensating'));
      expect(sagaStatusOf(live), 'status from the live snapshot').to.equal(statusOf(saga));
    };
    const paths: ((saga: SagaDriver) => void)[][] = [
      [(s) => s.reply(success(reservation)), (s) => s.reply(success(charge)), (s) => s.reply(success(notified))],
      [
        (s) => s.reply(success(reservation)),
        stall,
        (s) => s.send({ type: 'COMPENSATE' }),
        (s) => s.reply(success(refunded)),
        (s) => s.reply(success(released)),
        (s) => s.reply(success(notified)),
      ],
    ];
    for (const path of paths) {
      const saga = start();
      visit(saga);
      for (const step of path) {
        step(saga);
        visit(saga);
      }
    }
    expect(states).to.deep.equal({
      reserving: false,
      charging: false,
      notifyingConfirmed: false,
      refunding: true,
      releasing: true,
      notifyingCancelled: true,
    });
  });
});
