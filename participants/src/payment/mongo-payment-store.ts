import { index, modelOptions, prop, type ReturnModelType } from '@typegoose/typegoose';
import type { ClientSession } from 'mongoose';
import type { ChargePayment, FailureReason, Payment, RefundPayment } from '@sagaflow/contracts';
import type { InboxKey, StoredReply } from '../kit/inbox.js';
import { MongoDatabase, runOnceMongo } from '../kit/mongo-database.js';
import type { PaymentStore } from './payment-store.js';
import { chargedReply, newPaymentId, refundedReply, voidedReply, voidReply } from './payment-rules.js';

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

  private async touchOrder(session: ClientSession, orderId: string) {
    return this.orders
      .findOneAndUpdate(
        { orderId },
        { $inc: { commands: 1 }, $setOnInsert: { voided: false } },
        { upsert: true, returnDocument: 'after', session },
      )
      .lean();
  }

  private async entry(session: ClientSession, orderId: string, kind: Payment['kind']): Promise<Payment | null> {
    const doc = await this.ledger.findOne({ orderId, kind }).session(session).lean();
    return doc ? toPayment(doc) : null;
  }

  private async append(session: ClientSession, entry: Omit<Payment, 'paymentId' | 'createdAt'>): Promise<Payment> {
    const [doc] = await this.ledger.create([{ ...entry, paymentId: newPaymentId(), createdAt: new Date() }], {
      session,
    });
    return toPayment(doc!.toObject());
  }

  charge(key: InboxKey, command: ChargePayment, decline: FailureReason | null) {
    return runOnceMongo(this.db, SERVICE, key, async (session) => {
      const order = await this.touchOrder(session, command.orderId);
      if (order.voided) return { reply: voidedReply(command.orderId), duplicate: false };
      const existing = await this.entry(session, command.orderId, 'charge');
      if (existing) return { reply: chargedReply(existing), duplicate: true };
      if (decline) return { reply: { outcome: 'failure' as const, reason: decline }, duplicate: false };
      const charge = await this.append(session, {
        orderId: command.orderId,
        kind: 'charge',
        amountCents: command.amountCents,
        currency: command.currency,
      });
      return { reply: chargedReply(charge), duplicate: false };
    });
  }

  refund(key: InboxKey, command: RefundPayment) {
    return runOnceMongo(this.db, SERVICE, key, async (session) => {
      const order = await this.touchOrder(session, command.orderId);
      const refunded = await this.entry(session, command.orderId, 'refund');
      if (refunded) return { reply: refundedReply(refunded), duplicate: true };
      const charge = await this.entry(session, command.orderId, 'charge');
      if (!charge) {
        await this.orders.updateOne({ orderId: command.orderId }, { $set: { voided: true } }, { session });
        return { reply: voidReply(), duplicate: order.voided };
      }
      const refund = await this.append(session, {
        orderId: command.orderId,
        kind: 'refund',
        amountCents: charge.amountCents,
        currency: charge.currency,
      });
      return { reply: refundedReply(refund), duplicate: false };
    });
  }

  async listByOrder(orderId: string): Promise<Payment[]> {
    const docs = await this.ledger.find({ orderId }).sort({ createdAt: 1, kind: 1 }).lean();
    return docs.map(toPayment);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
