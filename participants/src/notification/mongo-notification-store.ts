import { index, modelOptions, prop, type ReturnModelType } from '@typegoose/typegoose';
import type { NotificationTemplate } from '@sagaflow/contracts';
import { success, type InboxKey, type StoredReply } from '../kit/inbox.js';
import { MongoDatabase, runOnceMongo } from '../kit/mongo-database.js';
import { pageOf, type PageRequest } from '../kit/record-page.js';
import type { NotificationStore, SentNotification } from './notification-store.js';

const SERVICE = 'notification';

@modelOptions({ schemaOptions: { collection: 'notification_messages', versionKey: false } })
@index({ orderId: 1, template: 1 }, { unique: true })
@index({ notificationId: 1 }, { unique: true })
class MessageDoc {
  @prop({ type: () => String, required: true })
  notificationId!: string;

  @prop({ type: () => String, required: true })
  orderId!: string;

  @prop({ type: () => String, required: true })
  template!: NotificationTemplate;

  @prop({ type: () => String, required: true })
  to!: string;

  @prop({ type: () => String, required: true })
  subject!: string;

  @prop({ type: () => String, required: true })
  text!: string;

  @prop({ type: () => Date, required: true })
  createdAt!: Date;
}

const toSent = (d: MessageDoc): SentNotification => ({
  notificationId: d.notificationId,
  orderId: d.orderId,
  template: d.template,
  to: d.to,
  subject: d.subject,
  text: d.text,
  createdAt: d.createdAt.toISOString(),
});

export class MongoNotificationStore implements NotificationStore {
  private readonly messages: ReturnModelType<typeof MessageDoc>;

  private constructor(private readonly db: MongoDatabase) {
    this.messages = db.model(MessageDoc, 'NotificationMessage');
  }

  static open(url: string): Promise<MongoNotificationStore> {
    return MongoDatabase.openStore(url, (db) => new MongoNotificationStore(db));
  }

  findReply(commandId: string): Promise<StoredReply | null> {
    return this.db.findReply(SERVICE, commandId);
  }

  async findSent(orderId: string, template: NotificationTemplate): Promise<SentNotification | null> {
    const doc = await this.messages.findOne({ orderId, template }).lean();
    return doc ? toSent(doc) : null;
  }

  record(key: InboxKey, sent: SentNotification) {
    return runOnceMongo(this.db, SERVICE, key, async (session) => {
      const existing = await this.messages
        .findOne({ orderId: sent.orderId, template: sent.template })
        .session(session)
        .lean();
      if (existing) return { reply: success({ notificationId: existing.notificationId }), duplicate: true };
      await this.messages.create([{ ...sent, createdAt: new Date(sent.createdAt) }], { session });
      return { reply: success({ notificationId: sent.notificationId }), duplicate: false };
    });
  }

  async listByOrder(orderId: string): Promise<SentNotification[]> {
    const docs = await this.messages.find({ orderId }).sort({ createdAt: 1, notificationId: 1 }).lean();
    return docs.map(toSent);
  }

  async listNotifications({ after, limit }: PageRequest) {
    const docs = await this.messages
      .find(after === null ? {} : { notificationId: { $gt: after } })
      .sort({ notificationId: 1 })
      .limit(limit + 1)
      .lean();
    return pageOf(docs.map(toSent), limit, (m) => m.notificationId);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
