import { parseStoreUrl } from '@sagaflow/contracts';
import type { InventoryStore } from './inventory-store.js';
import { PgInventoryStore } from './pg-inventory-store.js';

/** The inventory store `STORE_URL` names, by scheme. */
export async function openInventoryStore(url: string): Promise<InventoryStore> {
  if (parseStoreUrl(url).kind === 'postgres') return PgInventoryStore.open(url);
  // The MongoDB driver is loaded only for a MongoDB store: it costs a PostgreSQL-backed start half a second.
  return (await import('./mongo-inventory-store.js')).MongoInventoryStore.open(url);
}
