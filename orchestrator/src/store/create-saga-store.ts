import { parseStoreUrl } from '@sagaflow/contracts';
import { type Logger } from '@sagaflow/contracts/messaging';
import { failFast } from './fail-fast-store.js';
import { PostgresSagaStore } from './postgres-saga-store.js';
import type { SagaStore } from './saga-store.js';

/**
 * The store `STORE_URL` names: `mongodb://` or `mongodb+srv://` for MongoDB, `postgres://` or
 * `postgresql://` (optionally `?schema=NAME`) for PostgreSQL, failing fast while it does not answer
 * (see `failFast`). Call `init()` before use. The MongoDB driver and typegoose are loaded only for a
 * MongoDB URL: they cost a PostgreSQL-backed process half a second at every start.
 */
export async function createSagaStore(url: string, logger: Logger): Promise<SagaStore> {
  const store =
    parseStoreUrl(url).kind === 'mongodb'
      ? new (await import('./mongo-saga-store.js')).MongoSagaStore(url, logger)
      : new PostgresSagaStore(url, logger);
  return failFast(store, { logger });
}
