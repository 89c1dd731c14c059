import type { Notification, NotificationTemplate } from '@sagaflow/contracts';
import type { Closeable, Execution, InboxKey, InboxReader, ReplyOf } from '../kit/inbox.js';

/** A message as it was sent. */
export interface SentNotification extends Omit<Notification, 'template'> {
  template: NotificationTemplate;
  subject: string;
  text: string;
}

export interface NotificationStore extends InboxReader, Closeable {
  findSent(orderId: string, template: NotificationTemplate): Promise<SentNotification | null>;
  /** Records a sent message with its reply; an order gets each template once (the first one stays). */
  record(key: InboxKey, sent: SentNotification): Promise<Execution<ReplyOf<'notification.send'>>>;
  listByOrder(orderId: string): Promise<SentNotification[]>;
}
