import { randomUUID } from 'node:crypto';
import { silentLogger } from '@sagaflow/contracts/messaging';
import { expect } from 'chai';
import mongoose from 'mongoose';
import { MongoSagaStore } from '../../src/store/mongo-saga-store.js';
import { describeSagaStoreContract } from './saga-store-contract.js';
import { orderFixture } from './store-fixtures.js';

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

  describe('MongoSagaStore', function () {
    it('reads documents written before priorities as standard, their outbox entries without priority', async function () {
      const database = testDatabaseUrl(mongoUrl);
      const store = new MongoSagaStore(database.url, silentLogger());
      const connection = await mongoose.createConnection(database.url).asPromise();
      try {
        await store.init();
        const { order, saga, outbox } = orderFixture();
        expect(await store.createOrder(order, saga, outbox)).to.deep.equal({ created: true });
        // As the version before priorities wrote them.
        const unset = { $unset: { priority: '' } };
        for (const name of ['orders', 'sagas', 'outbox']) await connection.collection(name).updateMany({}, unset);
        expect(await connection.collection('orders').countDocuments({ priority: { $exists: true } })).to.equal(0);
        expect(await store.getOrder(order.orderId)).to.deep.equal(order);
        expect((await store.getSaga(saga.sagaId))!.priority).to.equal('standard');
        expect(await store.unsentOutbox(new Date('2031-01-01'), 10)).to.deep.equal(outbox);
      } finally {
        await connection.close();
        await store.close();
        await database.drop();
      }
    });
  });
} else {
  describe('SagaStore contract: MongoDB', function () {
    it('runs against the replica set that MONGO_URL names', function () {
      this.skip(); // MONGO_URL is not set: no MongoDB server to test against.
    });
  });
}
