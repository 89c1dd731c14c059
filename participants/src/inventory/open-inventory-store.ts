import { parseStoreUrl } from '@sagaflow/contracts';
import type { InventoryStore } from './inventory-store.js';
import { MongoInventoryStore } from './mongo-inventory-store.js';
import { PgInventoryStore } from './pg-inventory-store.js';

/** The inventory store `STORE_URL` names, by scheme. */
export function openInventoryStore(url: string): Promise<InventoryStore> {
  return parseStoreUrl(url).kind === 'postgres' ? PgInventoryStore.open(url) : MongoInventoryStore.open(url);
}
