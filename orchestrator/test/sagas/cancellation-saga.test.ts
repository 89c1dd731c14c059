import { expect } from 'chai';
import { cancellationSagaV1 } from '../../src/sagas/cancellation-saga.js';
import type { CancellationSagaInput } from '../../src/sagas/saga-protocol.js';
import { sagaStatusOf, stateNameOf } from '../../src/sagas/saga-definitions.js';
import { SagaDriver, notified, refunded, released, reservation, success, typesOf } from './saga-driver.js';

const input: CancellationSagaInput = {
  sagaId: 'saga-9',
  orderId: 'order-1',
  customerEmail: 'ada@example.com',
  currency: 'EUR',
  totalCents: 3500,
  lines: reservation.lines,
  maxAttempts: 2,
};

const start = (overrides: Partial<CancellationSagaInput> = {}) =>
  SagaDriver.start(cancellationSagaV1, { ...input, ...overrides });

describe('cancellation saga v1', () => {
  it('refunds, releases the stock, notifies and cancels the order', () => {
    const saga = start();
    expect(stateNameOf(saga.persisted)).to.equal('refunding');
    expect(sagaStatusOf(saga.persisted)).to.equal('RUNNING');
    expect(saga.context.order).to.deep.equal({
      status: 'CONFIRMED',
      totalCents: 3500,
      lines: reservation.lines,
      reason: null,
    });
    expect(saga.emitted[0]).to.deep.equal({
      type: 'command',
      resend: false,
      command: {
        commandId: 'saga-9.refunding',
        type: 'payment.refund',
        payload: { orderId: 'order-1', currency: 'EUR' },
      },
    });

    const [release] = saga.reply(success(refunded));
    expect(release.command).to.deep.equal({
      commandId: 'saga-9.releasing',
      type: 'inventory.release',
      payload: { orderId: 'order-1' },
    });
    expect(saga.context.order.status).to.equal('CONFIRMED');

    const [notice] = saga.reply(success(released));
    expect(notice.command).to.deep.equal({
      commandId: 'saga-9.notifyingRefunded',
      type: 'notification.send',
      payload: {
        orderId: 'order-1',
        template: 'order.refunded',
        to: 'ada@example.com',
        data: { currency: 'EUR', totalCents: 3500, lines: reservation.lines, reason: 'cancelled by request' },
      },
    });

    saga.reply(success(notified));
    expect(saga.persisted.output).to.deep.equal({ status: 'COMPLETED' });
    expect(sagaStatusOf(saga.persisted)).to.equal('COMPLETED');
    expect(saga.context.awaiting).to.equal(null);
    expect(saga.context.order).to.deep.equal({
      status: 'CANCELLED',
      totalCents: 3500,
      lines: reservation.lines,
      reason: 'cancelled by request',
    });
    expect(typesOf(saga.emitted)).to.deep.equal(['payment.refund', 'inventory.release', 'notification.send']);
  });

  it('works without the order lines', () => {
    const saga = start({ lines: undefined });
    saga.reply(success(refunded));
    const [notice] = saga.reply(success(released));
    expect(notice.command.payload).to.have.nested.property('data.totalCents', 3500);
    expect(notice.command.payload).not.to.have.nested.property('data.lines');
  });

  it('resends, stalls, resumes on a late reply, and is never compensated', () => {
    const saga = start();
    const [resent] = saga.send({ type: 'TIMEOUT' });
    expect(resent).to.deep.include({ resend: true });
    expect(resent.command.commandId).to.equal('saga-9.refunding');
    expect(saga.send({ type: 'TIMEOUT' })).to.deep.equal([]);
    expect(sagaStatusOf(saga.persisted)).to.equal('STALLED');
    expect(saga.can({ type: 'COMPENSATE' })).to.equal(false);
    expect(saga.can({ type: 'RETRY' })).to.equal(true);

    saga.reply(success(refunded));
    expect(sagaStatusOf(saga.persisted)).to.equal('RUNNING');
    expect(stateNameOf(saga.persisted)).to.equal('releasing');
  });

  it('retries a stalled step on an operator’s request', () => {
    const saga = start();
    saga.reply(success(refunded));
    saga.send({ type: 'TIMEOUT' });
    saga.send({ type: 'TIMEOUT' });
    expect(sagaStatusOf(saga.persisted)).to.equal('STALLED');
    const [resent] = saga.send({ type: 'RETRY' });
    expect(resent.command.commandId).to.equal('saga-9.releasing');
    expect(saga.context.awaiting).to.deep.include({ attempts: 1 });
    saga.reply(success(released));
    saga.reply(success(notified));
    expect(sagaStatusOf(saga.persisted)).to.equal('COMPLETED');
  });

  it('ignores a duplicate reply', () => {
    const saga = start();
    saga.reply(success(refunded));
    const before = saga.persisted;
    expect(saga.send({ type: 'REPLY', commandId: 'saga-9.refunding', reply: success(refunded) })).to.deep.equal([]);
    expect(saga.persisted).to.deep.equal(before);
  });
});
