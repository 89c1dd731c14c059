import { parseStoreUrl } from '@sagaflow/contracts';
import { MongoNotificationStore } from './mongo-notification-store.js';
import type { NotificationStore } from './notification-store.js';
import { PgNotificationStore } from './pg-notification-store.js';

/** The notification store `STORE_URL` names, by scheme. */
export function openNotificationStore(url: string): Promise<NotificationStore> {
  return parseStoreUrl(url).kind === 'postgres' ? PgNotificationStore.open(url) : MongoNotificationStore.open(url);
}
