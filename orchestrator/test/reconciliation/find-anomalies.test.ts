import { expect } from 'chai';
import { ANOMALY_KINDS, type Notification, type Payment, type Reservation } from '@sagaflow/contracts';
import { countsOf, findAnomalies, type ReconciliationRecords } from '../../src/reconciliation/find-anomalies.js';

const NOW = new Date('2026-12-01T12:00:00.000Z');
const MINUTE = 60_000;
const STALLED_AFTER = 5 * MINUTE;
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const OLD = ago(10 * MINUTE);

type Order = ReconciliationRecords['orders'][number];
type Saga = ReconciliationRecords['sagas'][number];

const order = (orderId: string, status: Order['status'], extra: Partial<Order> = {}): Order => ({
  orderId,
  sagaId: `saga-${orderId}`,
  cancellationSagaId: null,
  status,
  sagaStatus: status === 'PENDING' ? 'RUNNING' : status === 'CONFIRMED' ? 'COMPLETED' : 'CANCELLED',
  updatedAt: OLD,
  ...extra,
});

const saga = (orderId: string, status: Saga['status'], extra: Partial<Saga> = {}): Saga => ({
  sagaId: `saga-${orderId}`,
  type: 'order',
  orderId,
  status,
  state: status === 'COMPLETED' ? 'completed' : 'charging',
  updatedAt: OLD,
  ...extra,
});

let paymentSeq = 0;
const payment = (orderId: string, kind: Payment['kind'], amountCents = 1000): Payment => ({
  paymentId: `pay-${++paymentSeq}`,
  orderId,
  kind,
  amountCents,
  currency: 'EUR',
  createdAt: OLD.toISOString(),
});

const reservation = (orderId: string, state: Reservation['state']): Reservation => ({
  orderId,
  state,
  lines: [{ sku: 'PEN-1', name: 'Pen', quantity: 2, unitPriceCents: 500, lineTotalCents: 1000 }],
  totalCents: 1000,
  createdAt: OLD.toISOString(),
  updatedAt: OLD.toISOString(),
});

let notificationSeq = 0;
const notification = (orderId: string, template: Notification['template']): Notification => ({
  notificationId: `ntf-${++notificationSeq}`,
  orderId,
  template,
  to: 'ada@example.com',
  createdAt: OLD.toISOString(),
});

/** A confirmed order, a declined one and one cancelled after it was confirmed, each as it should end. */
function cleanRecords(): ReconciliationRecords {
  return {
    orders: [
      order('o-ok', 'CONFIRMED'),
      order('o-declined', 'CANCELLED'),
      order('o-undone', 'CANCELLED', { cancellationSagaId: 'saga-c-o-undone', sagaStatus: 'COMPLETED' }),
    ],
    sagas: [
      saga('o-ok', 'COMPLETED'),
      saga('o-declined', 'CANCELLED'),
      saga('o-undone', 'COMPLETED'),
      saga('o-undone', 'COMPLETED', { sagaId: 'saga-c-o-undone', type: 'cancellation' }),
    ],
    payments: [payment('o-ok', 'charge'), payment('o-undone', 'charge'), payment('o-undone', 'refund')],
    reservations: [
      reservation('o-ok', 'committed'),
      reservation('o-declined', 'released'),
      reservation('o-undone', 'released'),
    ],
    notifications: [
      notification('o-ok', 'order.confirmed'),
      notification('o-declined', 'order.cancelled'),
      notification('o-undone', 'order.confirmed'),
      notification('o-undone', 'order.refunded'),
    ],
  };
}

const kindsOf = (records: ReconciliationRecords) =>
  findAnomalies(records, NOW, STALLED_AFTER).map((a) => [a.kind, a.orderId]);

describe('reconciliation: findAnomalies', () => {
  it('finds nothing wrong with orders that ended as they should', () => {
    const records = cleanRecords();
    expect(findAnomalies(records, NOW, STALLED_AFTER)).to.deep.equal([]);
    expect(countsOf(records)).to.deep.equal({
      orders: 3,
      sagas: 4,
      charges: 2,
      refunds: 1,
      reservations: 3,
      notifications: 4,
    });
  });

  it('finds money kept for a cancelled order, with what to do', () => {
    const records = cleanRecords();
    records.payments = records.payments.filter((p) => p.kind !== 'refund');
    const [found, ...rest] = findAnomalies(records, NOW, STALLED_AFTER);
    expect(rest).to.deep.equal([]);
    expect(found).to.deep.equal({
      kind: 'money_kept_for_cancelled_order',
      orderId: 'o-undone',
      sagaId: 'saga-c-o-undone',
      detail: 'charged 10.00 EUR, refunded 0.00 EUR: 10.00 EUR kept',
      action: 'refund the difference to the customer',
    });
  });

  it('finds a partial refund of a cancelled order', () => {
    const records = cleanRecords();
    records.payments = [payment('o-ok', 'charge'), payment('o-undone', 'charge'), payment('o-undone', 'refund', 400)];
    expect(findAnomalies(records, NOW, STALLED_AFTER).map((a) => a.detail)).to.deep.equal([
      'charged 10.00 EUR, refunded 4.00 EUR: 6.00 EUR kept',
    ]);
  });

  it('finds a confirmed order without a charge, charged twice, or refunded', () => {
    const records = cleanRecords();
    records.payments = records.payments.filter((p) => p.orderId !== 'o-ok');
    expect(kindsOf(records)).to.deep.equal([['confirmed_without_charge', 'o-ok']]);
    records.payments.push(payment('o-ok', 'charge'), payment('o-ok', 'charge'));
    expect(kindsOf(records)).to.deep.equal([['charged_more_than_once', 'o-ok']]);
    records.payments.push(payment('o-ok', 'refund'));
    expect(kindsOf(records)).to.deep.equal([
      ['charged_more_than_once', 'o-ok'],
      ['confirmed_order_refunded', 'o-ok'],
    ]);
  });

  it('finds an order refunded more than it was charged', () => {
    const records = cleanRecords();
    records.payments.push(payment('o-declined', 'refund', 250));
    expect(kindsOf(records)).to.deep.equal([['refunded_more_than_charged', 'o-declined']]);
  });

  it('finds stock still reserved once the sagas ended, or kept sold for a cancelled order', () => {
    const records = cleanRecords();
    records.reservations = [
      reservation('o-ok', 'reserved'),
      reservation('o-declined', 'reserved'),
      reservation('o-undone', 'committed'),
    ];
    const found = findAnomalies(records, NOW, STALLED_AFTER);
    expect(found.map((a) => [a.kind, a.orderId])).to.deep.equal([
      ['stock_held_after_finish', 'o-ok'],
      ['stock_held_after_finish', 'o-declined'],
      ['stock_held_after_finish', 'o-undone'],
    ]);
    expect(found[2]!.detail).to.equal('the order is CANCELLED and its reservation of 2 unit(s) is still committed');
  });

  it('finds records of orders nobody knows, but not a released tombstone', () => {
    const records = cleanRecords();
    records.payments.push(payment('o-ghost', 'charge', 4200), payment('o-ghost2', 'refund'));
    records.reservations.push(reservation('o-ghost', 'reserved'), reservation('o-never', 'released'));
    records.notifications.push(notification('o-ghost', 'order.confirmed'));
    const found = findAnomalies(records, NOW, STALLED_AFTER);
    expect(found.map((a) => [a.kind, a.orderId])).to.deep.equal([
      ['charge_for_unknown_order', 'o-ghost'],
      ['refund_for_unknown_order', 'o-ghost2'],
      ['reservation_for_unknown_order', 'o-ghost'],
      ['notification_for_unknown_order', 'o-ghost'],
    ]);
    expect(found[0]!.detail).to.match(/^charge pay-\d+ of 42\.00 EUR at /);
    expect(found[0]).to.not.have.property('sagaId');
  });

  it('finds sagas stalled or unchanged past the threshold, and never one younger', () => {
    const records = cleanRecords();
    records.orders.push(order('o-stuck', 'PENDING'), order('o-slow', 'PENDING'), order('o-young', 'PENDING'));
    records.sagas.push(
      saga('o-stuck', 'STALLED', { updatedAt: ago(6 * MINUTE) }),
      saga('o-slow', 'RUNNING', { updatedAt: ago(STALLED_AFTER + 1) }),
      saga('o-young', 'STALLED', { updatedAt: ago(STALLED_AFTER - 1000) }),
    );
    const found = findAnomalies(records, NOW, STALLED_AFTER);
    expect(found.map((a) => [a.kind, a.orderId, a.sagaId])).to.deep.equal([
      ['saga_stalled', 'o-stuck', 'saga-o-stuck'],
      ['saga_stalled', 'o-slow', 'saga-o-slow'],
    ]);
    expect(found[0]!.action).to.contain('retry or compensate');
  });

  it('does not judge an order that changed within the threshold, nor one whose cancellation is under way', () => {
    const records = cleanRecords();
    records.payments = [];
    records.reservations = records.reservations.map((r) => ({ ...r, state: 'reserved' }));
    records.notifications = [];
    records.orders = records.orders.map((o) => ({ ...o, updatedAt: ago(STALLED_AFTER - 1) }));
    expect(findAnomalies(records, NOW, STALLED_AFTER)).to.deep.equal([]);

    const cancelling = cleanRecords();
    cancelling.payments = cancelling.payments.filter((p) => p.kind !== 'refund');
    cancelling.sagas[3] = { ...cancelling.sagas[3]!, status: 'RUNNING', updatedAt: ago(1000) };
    expect(findAnomalies(cancelling, NOW, STALLED_AFTER)).to.deep.equal([]);
  });

  it('finds a missing or a duplicated notification', () => {
    const records = cleanRecords();
    records.notifications = [
      notification('o-ok', 'order.confirmed'),
      notification('o-ok', 'order.confirmed'),
      notification('o-undone', 'order.confirmed'),
    ];
    expect(kindsOf(records)).to.deep.equal([
      ['notification_duplicated', 'o-ok'],
      ['notification_missing', 'o-declined'],
      ['notification_missing', 'o-undone'],
    ]);
    expect(findAnomalies(records, NOW, STALLED_AFTER)[2]!.detail).to.contain("'order.refunded'");
  });

  it('checks 10,000 orders within two seconds, finding the one that is wrong', () => {
    const records: ReconciliationRecords = { orders: [], sagas: [], payments: [], reservations: [], notifications: [] };
    for (let i = 0; i < 10_000; i++) {
      const id = `o-${i}`;
      records.orders.push(order(id, 'CONFIRMED'));
      records.sagas.push(saga(id, 'COMPLETED'));
      if (i !== 4242) records.payments.push(payment(id, 'charge'));
      records.reservations.push(reservation(id, 'committed'));
      records.notifications.push(notification(id, 'order.confirmed'));
    }
    const started = performance.now();
    expect(kindsOf(records)).to.deep.equal([['confirmed_without_charge', 'o-4242']]);
    expect(performance.now() - started).to.be.below(2_000);
  });

  it('names only documented kinds', () => {
    const records = cleanRecords();
    records.payments = [payment('o-ghost', 'charge')];
    records.notifications = [];
    for (const found of findAnomalies(records, NOW, STALLED_AFTER)) expect(ANOMALY_KINDS).to.have.property(found.kind);
  });
});
