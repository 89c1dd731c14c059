import { Type, type Static } from '@sinclair/typebox';
import { Id, IsoDate, Strict } from './common.js';

/**
 * What a reconciliation can find wrong, by `kind`. Each names what is wrong; the anomaly's `action`
 * says what an operator should do about it.
 */
export const ANOMALY_KINDS = {
  money_kept_for_cancelled_order: 'a CANCELLED order was charged more than it was refunded',
  confirmed_without_charge: 'a CONFIRMED order has no charge',
  confirmed_order_refunded: 'a CONFIRMED order (not cancelled) was refunded',
  charged_more_than_once: 'an order has more than one charge',
  refunded_more_than_charged: 'an order was refunded more than it was charged',
  stock_held_after_finish: "an order's sagas have finished and the inventory still holds stock it should not",
  charge_for_unknown_order: 'a charge names an order the orchestrator does not know',
  refund_for_unknown_order: 'a refund names an order the orchestrator does not know',
  reservation_for_unknown_order: 'a reservation names an order the orchestrator does not know',
  notification_for_unknown_order: 'a notification names an order the orchestrator does not know',
  saga_stalled: 'a saga is STALLED, or has not finished nor changed, for longer than the threshold',
  notification_missing: 'a finished order has no notification for its outcome',
  notification_duplicated: 'an order got more than one notification of one template',
} as const;
export type AnomalyKind = keyof typeof ANOMALY_KINDS;

export const AnomalyKindSchema = Type.Union(
  (Object.keys(ANOMALY_KINDS) as AnomalyKind[]).map((kind) => Type.Literal(kind)),
  {
    description: Object.entries(ANOMALY_KINDS)
      .map(([kind, meaning]) => `\`${kind}\`: ${meaning}`)
      .join('; '),
  },
);

export const Anomaly = Strict({
  kind: AnomalyKindSchema,
  orderId: Id,
  sagaId: Type.Optional(Id),
  /** What is wrong with this order, in figures. */
  detail: Type.String(),
  /** What an operator should do about it. */
  action: Type.String(),
});
export type Anomaly = Static<typeof Anomaly>;

/** Strings such as `30s`, `5m`, `2h`, or a number of milliseconds. */
export const Duration = Type.String({ pattern: '^[0-9]{1,10}(ms|s|m|h)?$', maxLength: 12 });

export const ReconciliationQuery = Strict({
  /** Sagas unchanged for longer than this are stalled; younger orders are not judged. Default 5m. */
  stalledAfter: Type.Optional(Duration),
});
export type ReconciliationQuery = Static<typeof ReconciliationQuery>;

export const ReconciliationCounts = Strict({
  orders: Type.Integer({ minimum: 0 }),
  sagas: Type.Integer({ minimum: 0 }),
  charges: Type.Integer({ minimum: 0 }),
  refunds: Type.Integer({ minimum: 0 }),
  reservations: Type.Integer({ minimum: 0 }),
  notifications: Type.Integer({ minimum: 0 }),
});
export type ReconciliationCounts = Static<typeof ReconciliationCounts>;

/** `GET /reconciliation`: every anomaly between orders, sagas, payments, stock and notifications. */
export const ReconciliationReport = Strict({
  checkedAt: IsoDate,
  stalledAfterMs: Type.Integer({ minimum: 0 }),
  counts: ReconciliationCounts,
  anomalies: Type.Array(Anomaly),
});
export type ReconciliationReport = Static<typeof ReconciliationReport>;

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds of a `Duration` (`90s`, `5m`, `1500`); throws on anything else. */
export function durationMs(text: string): number {
  const match = /^([0-9]{1,10})(ms|s|m|h)?$/.exec(text);
  if (!match) throw new Error(`'${text}' is not a duration (a number with ms, s, m or h, e.g. 5m)`);
  return Number(match[1]) * UNIT_MS[match[2] ?? 'ms']!;
}
