import { parseStoreUrl } from '@sagaflow/contracts';
import type { NotificationStore } from './notification-store.js';
import { PgNotificationStore } from './pg-notification-store.js';

/** The notification store `STORE_URL` names, by scheme. */
export async function openNotificationStore(url: string): Promise<NotificationStore> {
  if (parseStoreUrl(url).kind === 'postgres') return PgNotificationStore.open(url);
  // The MongoDB driver is loaded only for a MongoDB store: it costs a PostgreSQL-backed start half a second.
  return (await import('./mongo-notification-store.js')).MongoNotificationStore.open(url);
}
