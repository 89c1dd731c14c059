import type { ChargePayment, FailureReason, Payment, RefundPayment } from '@sagaflow/contracts';
import type { Closeable, Execution, InboxKey, InboxReader, ReplyOf } from '../kit/inbox.js';
import type { PageRequest, RecordPage } from '../kit/record-page.js';

/** A charge or a refund, as `PaymentStore.charge` and `refund` take it, to run in a batch. */
export type PaymentCommand =
  | { kind: 'charge'; key: InboxKey; command: ChargePayment; decline: FailureReason | null }
  | { kind: 'refund'; key: InboxKey; command: RefundPayment };

export type PaymentExecution = Execution<ReplyOf<'payment.charge'>> | Execution<ReplyOf<'payment.refund'>>;

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
  /**
   * Present where the store can: runs many commands as `charge` and `refund` would one after the other
   * (in the caller's group transaction, if any), with a fixed number of statements for them all.
   */
  runBatch?(commands: PaymentCommand[]): Promise<PaymentExecution[]>;
  /** The money that moved for an order, oldest first. */
  listByOrder(orderId: string): Promise<Payment[]>;
  /** Every ledger entry, a page at a time in payment id order. */
  listPayments(page: PageRequest): Promise<RecordPage<Payment>>;
}
