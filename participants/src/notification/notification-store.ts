import type { Notification, NotificationTemplate } from '@sagaflow/contracts';
import type { Closeable, Execution, InboxKey, InboxReader, ReplyOf } from '../kit/inbox.js';
import type { PageRequest, RecordPage } from '../kit/record-page.js';

/** A message as it was sent. */
export interface SentNotification extends Omit<Notification, 'template'> {
  template: NotificationTemplate;
  subject: string;
  text: string;
}

/** A message for the inbox row of the command `key` names: new (to record with it), or one already recorded. */
export interface NotificationRecord {
  key: InboxKey;
  sent: SentNotification;
  duplicate: boolean;
}

/** The message an order gets for a template, whoever sent it. */
export interface MessageKey {
  orderId: string;
  template: NotificationTemplate;
}

export interface NotificationStore extends InboxReader, Closeable {
  findSent(orderId: string, template: NotificationTemplate): Promise<SentNotification | null>;
  /** Records a sent message with its reply; an order gets each template once (the first one stays). */
  record(key: InboxKey, sent: SentNotification): Promise<Execution<ReplyOf<'notification.send'>>>;
  /** Present where the store can: the messages recorded for any of these keys, in one read. */
  findSentMany?(keys: MessageKey[]): Promise<SentNotification[]>;
  /**
   * Present where the store can: records the new messages and every inbox row in one statement (in the
   * caller's group transaction, if any). A new message whose key was recorded meanwhile fails it all.
   */
  recordMany?(records: NotificationRecord[]): Promise<Execution<ReplyOf<'notification.send'>>[]>;
  listByOrder(orderId: string): Promise<SentNotification[]>;
  /** Every message recorded, a page at a time in notification id order. */
  listNotifications(page: PageRequest): Promise<RecordPage<SentNotification>>;
}
