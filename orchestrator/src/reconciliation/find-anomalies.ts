import {
  TERMINAL_SAGA_STATUSES,
  type Anomaly,
  type AnomalyKind,
  type Notification,
  type NotificationTemplate,
  type Payment,
  type ReconciliationCounts,
  type Reservation,
} from '@sagaflow/contracts';
import type { OrderRecord, SagaSummaryRecord } from '../store/saga-store.js';

/** Everything a reconciliation compares: the orchestrator's orders and sagas, and the participants' records. */
export interface ReconciliationRecords {
  orders: Pick<OrderRecord, 'orderId' | 'sagaId' | 'cancellationSagaId' | 'status' | 'sagaStatus' | 'updatedAt'>[];
  sagas: Pick<SagaSummaryRecord, 'sagaId' | 'type' | 'orderId' | 'status' | 'state' | 'updatedAt'>[];
  payments: Payment[];
  reservations: Reservation[];
  notifications: Notification[];
}

type Order = ReconciliationRecords['orders'][number];
type Saga = ReconciliationRecords['sagas'][number];

/** The records of one order, from every side. */
interface OrderFacts {
  order: Order;
  sagas: Saga[];
  charges: Payment[];
  refunds: Payment[];
  reservation: Reservation | undefined;
  notifications: Notification[];
}

const isTerminal = (status: Saga['status']): boolean => TERMINAL_SAGA_STATUSES.includes(status);

const money = (cents: number, currency: string): string => `${(cents / 100).toFixed(2)} ${currency}`;

const sumOf = (payments: Payment[]): number => payments.reduce((sum, p) => sum + p.amountCents, 0);

const anomaly = (kind: AnomalyKind, orderId: string, sagaId: string | undefined, detail: string, action: string) => ({
  kind,
  orderId,
  ...(sagaId !== undefined && { sagaId }),
  detail,
  action,
});

function groupBy<T>(items: T[], keyOf: (item: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const item of items) {
    const key = keyOf(item);
    const group = groups.get(key);
    if (group) group.push(item);
    else groups.set(key, [item]);
  }
  return groups;
}

/** The notifications an order ends with: its confirmation, its refund after a cancellation, or its cancellation. */
function expectedTemplates(order: Order): NotificationTemplate[] {
  if (order.status === 'CONFIRMED') return ['order.confirmed'];
  if (order.cancellationSagaId) return ['order.confirmed', 'order.refunded'];
  return ['order.cancelled'];
}

function moneyAnomalies({ order, charges, refunds }: OrderFacts): Anomaly[] {
  const found: Anomaly[] = [];
  const { orderId, sagaId } = order;
  const charged = sumOf(charges);
  const refunded = sumOf(refunds);
  const currency = charges[0]?.currency ?? refunds[0]?.currency ?? '';
  if (charges.length > 1) {
    found.push(
      anomaly(
        'charged_more_than_once',
        orderId,
        sagaId,
        `${charges.length} charges (${charges.map((c) => c.paymentId).join(', ')}), ${money(charged, currency)} in all`,
        'refund every charge but one through the payment gateway',
      ),
    );
  }
  if (refunded > charged) {
    found.push(
      anomaly(
        'refunded_more_than_charged',
        orderId,
        sagaId,
        `refunded ${money(refunded, currency)}, charged ${money(charged, currency)}`,
        'recover the excess refund from the customer or write it off',
      ),
    );
  }
  if (order.status === 'CONFIRMED' && charges.length === 0) {
    found.push(
      anomaly(
        'confirmed_without_charge',
        orderId,
        sagaId,
        'the order is CONFIRMED and the payment service holds no charge for it',
        'charge the customer or cancel the order',
      ),
    );
  }
  if (order.status === 'CONFIRMED' && refunds.length > 0) {
    found.push(
      anomaly(
        'confirmed_order_refunded',
        orderId,
        sagaId,
        `the order is CONFIRMED and was refunded ${money(refunded, currency)}`,
        'charge the customer again or cancel the order',
      ),
    );
  }
  if (order.status === 'CANCELLED' && charged > refunded) {
    found.push(
      anomaly(
        'money_kept_for_cancelled_order',
        orderId,
        order.cancellationSagaId ?? sagaId,
        `charged ${money(charged, currency)}, refunded ${money(refunded, currency)}: ${money(charged - refunded, currency)} kept`,
        'refund the difference to the customer',
      ),
    );
  }
  return found;
}

/**
 * Stock the inventory should no longer hold once the order's sagas are done: a reservation still
 * `reserved` (neither sold nor given back), or stock `committed` (sold) to an order that was cancelled.
 */
function stockAnomalies({ order, reservation }: OrderFacts): Anomaly[] {
  if (!reservation) return [];
  const heldForCancelled = order.status === 'CANCELLED' && reservation.state === 'committed';
  if (reservation.state !== 'reserved' && !heldForCancelled) return [];
  const quantity = reservation.lines.reduce((sum, l) => sum + l.quantity, 0);
  return [
    anomaly(
      'stock_held_after_finish',
      order.orderId,
      order.cancellationSagaId ?? order.sagaId,
      `the order is ${order.status} and its reservation of ${quantity} unit(s) is still ${reservation.state}`,
      'release the stock back to available (or, for a CONFIRMED order, commit the sale)',
    ),
  ];
}

function notificationAnomalies({ order, notifications }: OrderFacts): Anomaly[] {
  const found: Anomaly[] = [];
  const byTemplate = groupBy(notifications, (n) => n.template);
  for (const template of expectedTemplates(order)) {
    if (!byTemplate.has(template)) {
      found.push(
        anomaly(
          'notification_missing',
          order.orderId,
          order.sagaId,
          `the order is ${order.status} and the customer got no '${template}' message`,
          `send the customer the '${template}' message`,
        ),
      );
    }
  }
  for (const [template, sent] of byTemplate) {
    if (sent.length > 1) {
      found.push(
        anomaly(
          'notification_duplicated',
          order.orderId,
          order.sagaId,
          `${sent.length} '${template}' messages (${sent.map((n) => n.notificationId).join(', ')})`,
          'check the notification service for a duplicate send; tell the customer if it confused them',
        ),
      );
    }
  }
  return found;
}

function stalledSagas(sagas: Saga[], settledBefore: number, stalledAfterMs: number): Anomaly[] {
  return sagas
    .filter((s) => !isTerminal(s.status) && s.updatedAt.getTime() <= settledBefore)
    .map((s) =>
      anomaly(
        'saga_stalled',
        s.orderId,
        s.sagaId,
        `the ${s.type} saga is ${s.status} in state '${s.state}', unchanged since ${s.updatedAt.toISOString()} (over ${stalledAfterMs} ms)`,
        s.status === 'STALLED'
          ? 'look into its dead letters and the participant it waits for, then retry or compensate it'
          : 'check that the participant it waits for is up and its commands are not dead-lettered',
      ),
    );
}

function unknownOrderAnomalies(records: ReconciliationRecords, known: Set<string>): Anomaly[] {
  const unknown = <T extends { orderId: string }>(items: T[]) => items.filter((i) => !known.has(i.orderId));
  return [
    ...unknown(records.payments).map((p) =>
      anomaly(
        p.kind === 'charge' ? 'charge_for_unknown_order' : 'refund_for_unknown_order',
        p.orderId,
        undefined,
        `${p.kind} ${p.paymentId} of ${money(p.amountCents, p.currency)} at ${p.createdAt}`,
        p.kind === 'charge'
          ? 'refund the charge: no order stands behind it'
          : 'find where the refund came from and recover it',
      ),
    ),
    ...unknown(records.reservations)
      .filter((r) => r.state !== 'released')
      .map((r) =>
        anomaly(
          'reservation_for_unknown_order',
          r.orderId,
          undefined,
          `a ${r.state} reservation of ${r.lines.map((l) => `${l.quantity} x ${l.sku}`).join(', ')}`,
          'release the stock back to available: no order stands behind it',
        ),
      ),
    ...unknown(records.notifications).map((n) =>
      anomaly(
        'notification_for_unknown_order',
        n.orderId,
        undefined,
        `'${n.template}' message ${n.notificationId} sent at ${n.createdAt}`,
        'tell the recipient the message was sent in error',
      ),
    ),
  ];
}

/** Whether every side of the order is done and has been at rest since before `settledBefore`. */
const isSettled = (facts: OrderFacts, settledBefore: number): boolean =>
  facts.order.status !== 'PENDING' &&
  isTerminal(facts.order.sagaStatus) &&
  facts.order.updatedAt.getTime() <= settledBefore &&
  facts.sagas.every((s) => isTerminal(s.status) && s.updatedAt.getTime() <= settledBefore);

export function countsOf(records: ReconciliationRecords): ReconciliationCounts {
  return {
    orders: records.orders.length,
    sagas: records.sagas.length,
    charges: records.payments.filter((p) => p.kind === 'charge').length,
    refunds: records.payments.filter((p) => p.kind === 'refund').length,
    reservations: records.reservations.length,
    notifications: records.notifications.length,
  };
}

/**
 * Every anomaly between the orchestrator's orders and sagas and what the participants recorded.
 * An order is judged only once it and all its sagas have finished and been at rest for
 * `stalledAfterMs`, so that work in flight (a sale the inventory commits just after the saga ends, a
 * reply on its way) is never reported; a saga unfinished and unchanged for that long is. Records
 * naming an order the orchestrator does not know are always reported: an order is stored before any
 * command for it is sent, so the caller reads the participants' records before the orders.
 * Released reservations of unknown orders hold nothing and are not reported.
 */
export function findAnomalies(records: ReconciliationRecords, now: Date, stalledAfterMs: number): Anomaly[] {
  const settledBefore = now.getTime() - stalledAfterMs;
  const sagasByOrder = groupBy(records.sagas, (s) => s.orderId);
  const payments = groupBy(records.payments, (p) => `${p.kind}\u0000${p.orderId}`);
  const reservations = new Map(records.reservations.map((r) => [r.orderId, r]));
  const notifications = groupBy(records.notifications, (n) => n.orderId);
  const known = new Set(records.orders.map((o) => o.orderId));
  const perOrder = records.orders.flatMap((order) => {
    const facts: OrderFacts = {
      order,
      sagas: sagasByOrder.get(order.orderId) ?? [],
      charges: payments.get(`charge\u0000${order.orderId}`) ?? [],
      refunds: payments.get(`refund\u0000${order.orderId}`) ?? [],
      reservation: reservations.get(order.orderId),
      notifications: notifications.get(order.orderId) ?? [],
    };
    if (!isSettled(facts, settledBefore)) return [];
    return [...moneyAnomalies(facts), ...stockAnomalies(facts), ...notificationAnomalies(facts)];
  });
  return [
    ...perOrder,
    ...stalledSagas(records.sagas, settledBefore, stalledAfterMs),
    ...unknownOrderAnomalies(records, known),
  ];
}
