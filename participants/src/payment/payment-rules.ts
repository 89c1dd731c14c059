import { randomUUID } from 'node:crypto';
import type { ChargePayment, FailureReason, Payment } from '@sagaflow/contracts';
import { failure, success, type Execution, type ReplyOf } from '../kit/inbox.js';

export const newPaymentId = (): string => `pay-${randomUUID()}`;

/** A ledger entry as a decision makes it; the store stamps `createdAt` when it writes it. */
export type LedgerEntry = Omit<Payment, 'createdAt'>;

/** All an order's payment state a decision reads, as the store found it under the order's lock. */
export interface OrderPayments {
  voided: boolean;
  charge: Payment | null;
  refund: Payment | null;
}

/** What a store writes for a decision: one ledger entry, or the void that keeps any later charge out. */
export type PaymentWrite = { entry: LedgerEntry } | { void: true };

/** A decision: the reply to record and, when money moves or the order is voided, the one write to make. */
export type PaymentDecision<T extends 'payment.charge' | 'payment.refund'> = Execution<ReplyOf<T>> & {
  write?: PaymentWrite;
};

const voidedReply = (orderId: string): ReplyOf<'payment.charge'> =>
  failure('order_voided', `order '${orderId}' was voided before it was charged`);

const chargedReply = (charge: LedgerEntry): ReplyOf<'payment.charge'> =>
  success({ paymentId: charge.paymentId, amountCents: charge.amountCents, currency: charge.currency });

const refundedReply = (refund: LedgerEntry): ReplyOf<'payment.refund'> =>
  success({ paymentId: refund.paymentId, amountCents: refund.amountCents });

/**
 * Charge or refuse: a voided order fails with `order_voided`, an order already charged gets its existing
 * payment, a `decline` (the gateway's verdict) fails it, else one charge of the command's amount is made
 * under `paymentId`.
 */
export function decideCharge(
  state: OrderPayments,
  command: ChargePayment,
  decline: FailureReason | null,
  paymentId: string,
): PaymentDecision<'payment.charge'> {
  if (state.voided) return { reply: voidedReply(command.orderId), duplicate: false };
  if (state.charge) return { reply: chargedReply(state.charge), duplicate: true };
  if (decline) return { reply: { outcome: 'failure', reason: decline }, duplicate: false };
  const entry: LedgerEntry = {
    paymentId,
    orderId: command.orderId,
    kind: 'charge',
    amountCents: command.amountCents,
    currency: command.currency,
  };
  return { reply: chargedReply(entry), duplicate: false, write: { entry } };
}

/**
 * Refund once, exactly what was charged; with nothing charged, void the order (once) so that no charge
 * can follow, and reply that no money moved.
 */
export function decideRefund(
  state: OrderPayments,
  orderId: string,
  paymentId: string,
): PaymentDecision<'payment.refund'> {
  if (state.refund) return { reply: refundedReply(state.refund), duplicate: true };
  if (!state.charge) {
    return {
      reply: success({ paymentId: null, amountCents: 0 }),
      duplicate: state.voided,
      ...(!state.voided && { write: { void: true } as const }),
    };
  }
  const entry: LedgerEntry = {
    paymentId,
    orderId,
    kind: 'refund',
    amountCents: state.charge.amountCents,
    currency: state.charge.currency,
  };
  return { reply: refundedReply(entry), duplicate: false, write: { entry } };
}

/** Sorts an order's ledger entries into the state a decision reads. */
export function orderPaymentsOf(voided: boolean, entries: readonly Payment[]): OrderPayments {
  return {
    voided,
    charge: entries.find((e) => e.kind === 'charge') ?? null,
    refund: entries.find((e) => e.kind === 'refund') ?? null,
  };
}

/**
 * The state a decision's write leaves the order in, `at` the time it was made: what the next command
 * for the order decides on when several are decided before anything is written.
 */
export function afterPaymentWrite(state: OrderPayments, write: PaymentWrite | undefined, at: string): OrderPayments {
  if (!write) return state;
  if ('void' in write) return { ...state, voided: true };
  return { ...state, [write.entry.kind]: { ...write.entry, createdAt: at } };
}
