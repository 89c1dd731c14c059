import { silentLogger } from '@sagaflow/contracts/messaging';
import { expect } from 'chai';
import { createSagaStore } from '../../src/store/create-saga-store.js';
import { MongoSagaStore } from '../../src/store/mongo-saga-store.js';
import { PostgresSagaStore } from '../../src/store/postgres-saga-store.js';

describe('createSagaStore', function () {
  it('picks the store by the URL scheme, without connecting', async function () {
    const cases = [
      ['mongodb://127.0.0.1:27017/sagaflow', MongoSagaStore],
      ['mongodb+srv://cluster.example.com/sagaflow', MongoSagaStore],
      ['postgres://postgres@127.0.0.1:5432/test?schema=sagaflow', PostgresSagaStore],
      ['PostgreSQL://postgres@127.0.0.1:5432/test', PostgresSagaStore],
    ] as const;
    for (const [url, kind] of cases) {
      const store = await createSagaStore(url, silentLogger());
      expect(store, url).to.be.instanceOf(kind);
      await store.close();
    }
  });

  it('refuses any other URL with a clear, non-retryable error', async function () {
    for (const url of ['mysql://localhost/db', 'localhost:27017', '']) {
      let error: unknown;
      try {
        await createSagaStore(url, silentLogger());
      } catch (e) {
        error = e;
      }
      expect(error, url).to.include({ type: 'invalid_store_url', retryable: false });
      expect((error as Error).message).to.match(/STORE_URL (must be a mongodb:\/\/, |is not a URL)/);
    }
  });
});
