import { parseStoreUrl } from '@sagaflow/contracts';
import type { PaymentStore } from './payment-store.js';
import { PgPaymentStore } from './pg-payment-store.js';

/** The payment store `STORE_URL` names, by scheme. */
export async function openPaymentStore(url: string): Promise<PaymentStore> {
  if (parseStoreUrl(url).kind === 'postgres') return PgPaymentStore.open(url);
  // The MongoDB driver is loaded only for a MongoDB store: it costs a PostgreSQL-backed start half a second.
  return (await import('./mongo-payment-store.js')).MongoPaymentStore.open(url);
}
