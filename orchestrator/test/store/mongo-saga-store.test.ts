import { randomUUID } from 'node:crypto';
import { silentLogger } from '@sagaflow/contracts/messaging';
import mongoose from 'mongoose';
import { MongoSagaStore } from '../../src/store/mongo-saga-store.js';
import { describeSagaStoreContract } from './saga-store-contract.js';

const mongoUrl = process.env.MONGO_URL;

/** `MONGO_URL` pointed at a database of its own, dropped by `drop()`. */
function testDatabaseUrl(base: string): { url: string; drop(): Promise<void> } {
  const url = new URL(base);
  url.pathname = `/test_${randomUUID().replaceAll('-', '')}`;
  return {
    url: url.toString(),
    drop: async () => {
      const connection = await mongoose.createConnection(url.toString()).asPromise();
      try {
        await connection.dropDatabase();
      } finally {
        await connection.close();
      }
    },
  };
}

if (mongoUrl) {
  describeSagaStoreContract('MongoDB', async () => {
    const database = testDatabaseUrl(mongoUrl);
    const store = new MongoSagaStore(database.url, silentLogger());
    return {
      store,
      cleanup: async () => {
        await store.close();
        await database.drop();
      },
    };
  });
} else {
  describe('SagaStore contract: MongoDB', function () {
    it('runs against the replica set that MONGO_URL names', function () {
      this.skip(); // MONGO_URL is not set: no MongoDB server to test against.
    });
  });
}
