import type { ChargePayment, FailureReason, Payment, RefundPayment } from '@sagaflow/contracts';
import type { Closeable, Execution, InboxKey, InboxReader, ReplyOf } from '../kit/inbox.js';

export interface PaymentStore extends InboxReader, Closeable {
  /**
   * Charges an order at most once: a voided order fails with `order_voided`, an order already charged
   * gets its existing payment, else `decline` (the gateway's verdict) fails it or a charge is recorded.
   */
  charge(
    key: InboxKey,
    command: ChargePayment,
    decline: FailureReason | null,
  ): Promise<Execution<ReplyOf<'payment.charge'>>>;
  /** Refunds the order's charge once; with nothing charged, voids the order so that no charge can follow. */
  refund(key: InboxKey, command: RefundPayment): Promise<Execution<ReplyOf<'payment.refund'>>>;
  /** The money that moved for an order, oldest first. */
  listByOrder(orderId: string): Promise<Payment[]>;
}
