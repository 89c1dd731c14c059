import { commandQueueOf, commandsOf } from './participants.js';
import type { CommandType } from './messages.js';

/**
 * Payment commands routed by currency (DESIGN §2). A payment worker started with
 * `PAYMENT_CURRENCIES=EUR,GBP` consumes `payment.commands.eur` and `payment.commands.gbp`, bound to
 * `payment.charge.eur`, `payment.refund.eur`, …; a worker without it consumes `payment.commands`
 * (`payment.charge`, `payment.refund`) and takes every currency without a queue of its own.
 */

/** The payment command queues a process declares: none, the default one, or one per currency. */
export type PaymentQueues = 'none' | 'default' | { currencies: readonly string[] };

/** The queue a payment worker for `currency` consumes; the default queue without one. */
export const paymentQueueOf = (currency?: string): string =>
  currency === undefined ? commandQueueOf('payment') : `${commandQueueOf('payment')}.${currency.toLowerCase()}`;

/** The routing key of a payment command for `currency`'s own queue; the plain command type without one. */
export const paymentRoutingKeyOf = (type: CommandType, currency?: string): string =>
  currency === undefined ? type : `${type}.${currency.toLowerCase()}`;

/** Routing keys a payment queue is bound to. */
export const paymentRoutingKeys = (currency?: string): string[] =>
  commandsOf('payment').map((type) => paymentRoutingKeyOf(type, currency));

const CURRENCY_QUEUE = /^payment\.commands\.([a-z]{3})$/;
/** A code whose queue name would be another queue's: `payment.commands.dlq` is the default queue's DLQ. */
const RESERVED_CODES = new Set(['DLQ']);

/** The currency a per-currency payment queue serves (`payment.commands.eur` → `EUR`); null for any other queue. */
export function currencyOfQueue(queue: string): string | null {
  const match = CURRENCY_QUEUE.exec(queue);
  const currency = match ? match[1]!.toUpperCase() : null;
  return currency === null || RESERVED_CODES.has(currency) ? null : currency;
}

/**
 * Parses `PAYMENT_CURRENCIES`: a comma list of three-letter codes in either case, upper-cased, each once.
 * Returns the codes or why the value is refused.
 */
export function parseCurrencies(raw: string): { ok: true; currencies: string[] } | { ok: false; problem: string } {
  const parts = raw.split(',').map((part) => part.trim());
  const bad = parts.filter((part) => !/^[A-Za-z]{3}$/.test(part) || RESERVED_CODES.has(part.toUpperCase()));
  if (bad.length || parts.length === 0) {
    return {
      ok: false,
      problem: `PAYMENT_CURRENCIES must be a comma list of three-letter currency codes such as EUR,GBP (got '${raw}')`,
    };
  }
  return { ok: true, currencies: [...new Set(parts.map((part) => part.toUpperCase()))] };
}

/** What the broker holds for a currency: a queue of its own, and the default queue. */
export interface PaymentQueuesPresent {
  own: boolean;
  fallback: boolean;
}

/**
 * Where a payment command in `currency` goes: its currency's key when that currency has a queue of its
 * own, else the plain key when a default worker's queue exists, else null (nobody serves it; publishing
 * would route nowhere).
 */
export function paymentRouteFor(type: CommandType, currency: string, present: PaymentQueuesPresent): string | null {
  if (present.own) return paymentRoutingKeyOf(type, currency);
  return present.fallback ? paymentRoutingKeyOf(type) : null;
}
