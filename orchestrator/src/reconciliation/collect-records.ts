import type { SagaStore } from '../store/saga-store.js';
import { readAllPages } from './all-pages.js';
import type { ReconciliationRecords } from './find-anomalies.js';
import { readParticipantRecords, type ParticipantUrls } from './participant-records.js';

/** The largest page the store lists. */
const STORE_PAGE = 1000;

/**
 * Reads what a reconciliation compares. The participants go first: every record they hold was made for
 * an order stored before it, so an order missing from the orders read after them is truly unknown.
 */
export async function collectRecords(store: SagaStore, participants: ParticipantUrls): Promise<ReconciliationRecords> {
  const recorded = await readParticipantRecords(participants);
  const orders = await readAllPages((cursor) => store.listOrders({ limit: STORE_PAGE, ...(cursor && { cursor }) }));
  const sagas = await readAllPages((cursor) => store.listSagas({ limit: STORE_PAGE, ...(cursor && { cursor }) }));
  return { orders, sagas, ...recorded };
}
