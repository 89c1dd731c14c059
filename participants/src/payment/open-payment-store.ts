import { parseStoreUrl } from '@sagaflow/contracts';
import { MongoPaymentStore } from './mongo-payment-store.js';
import type { PaymentStore } from './payment-store.js';
import { PgPaymentStore } from './pg-payment-store.js';

/** The payment store `STORE_URL` names, by scheme. */
export function openPaymentStore(url: string): Promise<PaymentStore> {
  return parseStoreUrl(url).kind === 'postgres' ? PgPaymentStore.open(url) : MongoPaymentStore.open(url);
}
