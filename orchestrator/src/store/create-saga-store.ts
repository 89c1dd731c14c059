import { parseStoreUrl } from '@sagaflow/contracts';
import { type Logger } from '@sagaflow/contracts/messaging';
import { failFast } from './fail-fast-store.js';
import { MongoSagaStore } from './mongo-saga-store.js';
import { PostgresSagaStore } from './postgres-saga-store.js';
import type { SagaStore } from './saga-store.js';

/**
 * The store `STORE_URL` names: `mongodb://` or `mongodb+srv://` for MongoDB, `postgres://` or
 * `postgresql://` (optionally `?schema=NAME`) for PostgreSQL, failing fast while it does not answer
 * (see `failFast`). Call `init()` before use.
 */
export function createSagaStore(url: string, logger: Logger): SagaStore {
  const store =
    parseStoreUrl(url).kind === 'mongodb' ? new MongoSagaStore(url, logger) : new PostgresSagaStore(url, logger);
  return failFast(store, { logger });
}
