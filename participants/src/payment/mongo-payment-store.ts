import { index, modelOptions, prop, type ReturnModelType } from '@typegoose/typegoose';
import type { ClientSession } from 'mongoose';
import type { ChargePayment, FailureReason, Payment, RefundPayment } from '@sagaflow/contracts';
import type { Execution, InboxKey, ReplyOf, StoredReply } from '../kit/inbox.js';
import { MongoDatabase, runOnceMongo } from '../kit/mongo-database.js';
import { pageOf, type PageRequest } from '../kit/record-page.js';
import type { PaymentStore } from './payment-store.js';
import {
  decideCharge,
  decideRefund,
  newPaymentId,
  orderPaymentsOf,
  type OrderPayments,
  type PaymentDecision,
} from './payment-rules.js';

const SERVICE = 'payment';

@modelOptions({ schemaOptions: { collection: 'payment_ledger', versionKey: false } })
@index({ orderId: 1, kind: 1 }, { unique: true })
@index({ paymentId: 1 }, { unique: true })
class LedgerDoc {
  @prop({ type: () => String, required: true })
  paymentId!: string;

  @prop({ type: () => String, required: true })
  orderId!: string;

  @prop({ type: () => String, required: true, enum: ['charge', 'refund'] })
  kind!: Payment['kind'];

  @prop({ type: () => Number, required: true })
  amountCents!: number;

  @prop({ type: () => String, required: true })
  currency!: string;

  @prop({ type: () => Date, required: true })
  createdAt!: Date;
}

/** One per order every command writes first, so that concurrent commands on an order conflict and retry. */
@modelOptions({ schemaOptions: { collection: 'payment_orders', versionKey: false } })
@index({ orderId: 1 }, { unique: true })
class OrderDoc {
  @prop({ type: () => String, required: true })
  orderId!: string;

  @prop({ type: () => Boolean, required: true, default: false })
  voided!: boolean;

  @prop({ type: () => Number, required: true, default: 0 })
  commands!: number;
}

const toPayment = (d: LedgerDoc): Payment => ({
  paymentId: d.paymentId,
  orderId: d.orderId,
  kind: d.kind,
  amountCents: d.amountCents,
  currency: d.currency,
  createdAt: d.createdAt.toISOString(),
});

/** Payments on MongoDB, one transaction per command. */
export class MongoPaymentStore implements PaymentStore {
  private readonly ledger: ReturnModelType<typeof LedgerDoc>;
  private readonly orders: ReturnModelType<typeof OrderDoc>;

  private constructor(private readonly db: MongoDatabase) {
    this.ledger = db.model(LedgerDoc, 'PaymentLedger');
    this.orders = db.model(OrderDoc, 'PaymentOrder');
  }

  static open(url: string): Promise<MongoPaymentStore> {
    return MongoDatabase.openStore(url, (db) => new MongoPaymentStore(db));
  }

  findReply(commandId: string): Promise<StoredReply | null> {
    return this.db.findReply(SERVICE, commandId);
  }

  /**
   * Writes the order's document first (so that concurrent commands on the order conflict and retry),
   * then reads the order's ledger: the state a decision reads.
   */
  private async lockedState(session: ClientSession, orderId: string): Promise<OrderPayments> {
    const order = await this.orders
      .findOneAndUpdate(
        { orderId },
        { $inc: { commands: 1 }, $setOnInsert: { voided: false } },
        { upsert: true, returnDocument: 'after', session },
      )
      .lean();
    const entries = await this.ledger.find({ orderId }).session(session).lean();
    return orderPaymentsOf(order.voided, entries.map(toPayment));
  }

  /** Persists what a decision says, in the command's transaction, and returns its execution. */
  private async persist<T extends 'payment.charge' | 'payment.refund'>(
    session: ClientSession,
    orderId: string,
    { write, ...execution }: PaymentDecision<T>,
  ): Promise<Execution<ReplyOf<T>>> {
    if (write && 'void' in write) {
      await this.orders.updateOne({ orderId }, { $set: { voided: true } }, { session });
    } else if (write) {
      await this.ledger.create([{ ...write.entry, createdAt: new Date() }], { session });
    }
    return execution;
  }

  charge(key: InboxKey, command: ChargePayment, decline: FailureReason | null) {
    return runOnceMongo(this.db, SERVICE, key, async (session) => {
      const state = await this.lockedState(session, command.orderId);
      return this.persist(session, command.orderId, decideCharge(state, command, decline, newPaymentId()));
    });
  }

  refund(key: InboxKey, command: RefundPayment) {
    return runOnceMongo(this.db, SERVICE, key, async (session) => {
      const state = await this.lockedState(session, command.orderId);
      return this.persist(session, command.orderId, decideRefund(state, command.orderId, newPaymentId()));
    });
  }

  async listByOrder(orderId: string): Promise<Payment[]> {
    const docs = await this.ledger.find({ orderId }).sort({ createdAt: 1, kind: 1 }).lean();
    return docs.map(toPayment);
  }

  async listPayments({ after, limit }: PageRequest) {
    const docs = await this.ledger
      .find(after === null ? {} : { paymentId: { $gt: after } })
      .sort({ paymentId: 1 })
      .limit(limit + 1)
      .lean();
    return pageOf(docs.map(toPayment), limit, (p) => p.paymentId);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
