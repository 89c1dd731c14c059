import { expect } from 'chai';
import pg from 'pg';
import { createTestSchema, type TestSchema } from '@sagaflow/contracts/testing';
import { INBOX_DDL, PgDatabase } from '../../src/kit/pg-database.js';

/**
 * A PostgreSQL restart ends every connection, including one a transaction holds between two of its
 * statements. The participant must see its transaction fail and carry on with fresh connections; it
 * used to die of the client's unheard 'error' event (the chaos suite's postgres-restart found it).
 */
describe('a transaction whose connection the server ends between statements (PostgreSQL)', () => {
  let schema: TestSchema;
  let db: PgDatabase;
  let admin: pg.Client;

  beforeEach(async () => {
    schema = await createTestSchema('participants');
    db = await PgDatabase.open(schema.url, { migrations: [INBOX_DDL] });
    const server = new URL(schema.url);
    server.searchParams.delete('schema');
    admin = new pg.Client({ connectionString: server.toString() });
    await admin.connect();
  });

  afterEach(async () => {
    await admin.end();
    await db.close();
    await schema.drop();
  });

  it('fails that transaction, keeps the process alive and serves the next one on a new connection', async () => {
    const outcome = db.transaction(async (client) => {
      const { rows } = await client.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      // 'end' comes after the client's 'error', while no statement runs: the moment of the crash.
      const ended = new Promise((resolve) => client.once('end', resolve));
      await admin.query('SELECT pg_terminate_backend($1)', [rows[0]!.pid]);
      await ended;
      await client.query('SELECT 1');
    });
    const failure = await outcome.then(
      () => null,
      (error: Error) => error,
    );
    expect(failure, 'the transaction on the ended connection').to.be.instanceOf(Error);

    const { rows } = await db.transaction((client) => client.query<{ one: number }>('SELECT 1 AS one'));
    expect(rows[0]!.one).to.equal(1);
  });
});
