import { expect } from 'chai';
import mongoose from 'mongoose';
import { openPaymentStore, type PaymentStore } from '../../src/index.js';
import { STORE_BACKENDS, replicaSetOf, type TestDatabase } from '../support/store-backends.js';

const mongo = STORE_BACKENDS.find((b) => b.name === 'MongoDB')!;

describe('MongoDB stores under write conflicts (needs a replica set)', function () {
  let db: TestDatabase;
  let store: PaymentStore;
  let connection: mongoose.Connection;

  before(async function () {
    // A standalone server, the emulator included, runs transactions one at a time: nothing conflicts there.
    if (mongo.unavailable || !(await replicaSetOf(process.env.MONGO_URL!))) this.skip();
  });

  beforeEach(async () => {
    db = await mongo.create();
    store = await openPaymentStore(db.url);
    connection = await mongoose.createConnection(db.url).asPromise();
  });

  afterEach(async () => {
    await connection?.close();
    await store?.close();
    await db?.drop();
  });

  it('retries a charge whose order another transaction holds, and charges once it commits (needs a replica set)', async () => {
    const orders = connection.collection('payment_orders');
    await orders.insertOne({ orderId: 'held', voided: false, commands: 0 });
    const session = await connection.startSession();
    session.startTransaction();
    await orders.updateOne({ orderId: 'held' }, { $inc: { commands: 1 } }, { session });

    let settled = false;
    const charge = store
      .charge(
        { commandId: 'c-held', commandType: 'payment.charge' },
        { orderId: 'held', customerId: 'c', amountCents: 700, currency: 'EUR', method: 'card', token: 't' },
        null,
      )
      .finally(() => (settled = true));
    // The charge's write to the held order conflicts and is retried, not applied beside ours.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(settled, 'the charge finished while its order was held').to.equal(false);
    await session.commitTransaction();
    await session.endSession();

    const { reply, duplicate } = await charge;
    expect(duplicate).to.equal(false);
    expect(reply).to.have.nested.property('result.amountCents', 700);
    expect(await store.listByOrder('held')).to.have.length(1);
    expect(await orders.findOne({ orderId: 'held' })).to.include({ commands: 2 });
  });
});
