import { silentLogger } from '@sagaflow/contracts/messaging';
import { createTestSchema, type TestSchema } from '@sagaflow/contracts/testing';
import { expect } from 'chai';
import pg from 'pg';
import { PostgresSagaStore } from '../../src/store/postgres-saga-store.js';
import { describeSagaStoreContract } from './saga-store-contract.js';
import { orderFixture } from './store-fixtures.js';

describeSagaStoreContract('PostgreSQL', async () => {
  const schema = await createTestSchema('saga_store');
  const store = new PostgresSagaStore(schema.url, silentLogger());
  return {
    store,
    cleanup: async () => {
      await store.close();
      await schema.drop();
    },
  };
});

/** A store on a schema of its own, not initialised, and a plain client on the same database. */
async function storeWithClient(): Promise<{ schema: TestSchema; store: PostgresSagaStore; client: pg.Client }> {
  const schema = await createTestSchema('saga_store');
  const store = new PostgresSagaStore(schema.url, silentLogger());
  const base = new URL(schema.url);
  base.searchParams.delete('schema');
  const client = new pg.Client({ connectionString: base.toString() });
  await client.connect();
  return { schema, store, client };
}

describe('PostgresSagaStore', function () {
  it('creates its schema and tables when two processes start at once', async function () {
    // A schema that does not exist yet: both stores must create it and its tables without tripping on each other.
    const schema = await createTestSchema('saga_store');
    await schema.drop();
    const stores = [0, 1].map(() => new PostgresSagaStore(schema.url, silentLogger()));
    try {
      await Promise.all(stores.map((s) => s.init()));
      const { order, saga, outbox } = orderFixture();
      expect(await stores[0]!.createOrder(order, saga, outbox)).to.deep.equal({ created: true });
      expect(await stores[1]!.getOrder(order.orderId)).to.deep.equal(order);
    } finally {
      await Promise.all(stores.map((s) => s.close()));
      await schema.drop();
    }
  });

  it('keeps its tables inside the schema named in the URL', async function () {
    const { schema, store, client } = await storeWithClient();
    try {
      await store.init();
      const tables = await client.query<{ table_name: string }>(
        'SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY table_name',
        [schema.name],
      );
      expect(tables.rows.map((r) => r.table_name)).to.deep.equal(['orders', 'outbox', 'saga_counts', 'sagas']);
    } finally {
      await client.end();
      await store.close();
      await schema.drop();
    }
  });

  it('brings tables of a version before priorities up to date, their rows standard and without priority', async function () {
    const { schema, store, client } = await storeWithClient();
    const { order, saga, outbox } = orderFixture();
    try {
      await store.init();
      // As the version before priorities left them: no priority columns, rows written without them.
      const table = (name: string) => `"${schema.name}".${name}`;
      for (const name of ['orders', 'sagas', 'outbox']) {
        await client.query(`ALTER TABLE ${table(name)} DROP COLUMN priority`);
      }
      await client.query(
        `INSERT INTO ${table('orders')} (order_id, saga_id, active_saga_id, saga_status, status, customer_id,
           customer_email, currency, items, created_at, updated_at)
         VALUES ($1, $2, $2, 'RUNNING', 'PENDING', 'c', 'a@example.com', 'EUR', '[]', now(), now())`,
        [order.orderId, saga.sagaId],
      );
      await client.query(
        `INSERT INTO ${table('sagas')} (saga_id, type, definition_version, order_id, status, state, version,
           created_at, updated_at, snapshot, timeline)
         VALUES ($1, 'order', 1, $2, 'RUNNING', 'reserving', 1, now(), now(), '{}', '[]')`,
        [saga.sagaId, order.orderId],
      );
      await client.query(
        `INSERT INTO ${table('outbox')} (message_id, saga_id, exchange, routing_key, message, created_at)
         VALUES ($1, $2, 'sagaflow.commands', 'inventory.reserve', $3, now())`,
        [outbox[0]!.messageId, saga.sagaId, JSON.stringify(outbox[0]!.message)],
      );

      const upgraded = new PostgresSagaStore(schema.url, silentLogger());
      try {
        await upgraded.init();
        await upgraded.init();
        expect((await upgraded.getOrder(order.orderId))!.priority).to.equal('standard');
        expect((await upgraded.getSaga(saga.sagaId))!.priority).to.equal('standard');
        const [entry] = await upgraded.unsentOutbox(new Date(Date.now() + 1000), 10);
        expect(entry).to.include({ messageId: outbox[0]!.messageId, priority: 0 });
        const express = orderFixture({ priority: 'express' });
        expect(await upgraded.createOrder(express.order, express.saga, express.outbox)).to.deep.equal({
          created: true,
        });
        expect(await upgraded.getOrder(express.order.orderId)).to.deep.equal(express.order);
      } finally {
        await upgraded.close();
      }
    } finally {
      await client.end();
      await store.close();
      await schema.drop();
    }
  });

  it('fails ping once closed, and close is idempotent', async function () {
    const schema = await createTestSchema('saga_store');
    const store = new PostgresSagaStore(schema.url, silentLogger());
    try {
      await store.ping();
      await store.close();
      await store.close();
      let error: unknown;
      await store.ping().catch((e: unknown) => (error = e));
      expect(error).to.be.instanceOf(Error);
    } finally {
      await schema.drop();
    }
  });
});
