import { SagaflowError } from '@sagaflow/contracts';
import { type Logger } from '@sagaflow/contracts/messaging';
import { MongoSagaStore } from './mongo-saga-store.js';
import { PostgresSagaStore } from './postgres-saga-store.js';
import type { SagaStore } from './saga-store.js';

/**
 * The store `STORE_URL` names: `mongodb://` or `mongodb+srv://` for MongoDB, `postgres://` or
 * `postgresql://` (optionally `?schema=NAME`) for PostgreSQL. Call `init()` before use.
 */
export function createSagaStore(url: string, logger: Logger): SagaStore {
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(url)?.[1]?.toLowerCase();
  switch (scheme) {
    case 'mongodb':
    case 'mongodb+srv':
      return new MongoSagaStore(url, logger);
    case 'postgres':
    case 'postgresql':
      return new PostgresSagaStore(url, logger);
    default:
      throw SagaflowError.nonRetryable(
        'invalid_store_url',
        `STORE_URL must start with mongodb://, mongodb+srv://, postgres:// or postgresql:// (got ${
          scheme ? `${scheme}://` : 'no scheme'
        })`,
      );
  }
}
