import { expect } from 'chai';
import { createTestSchema, eventually, type TestSchema } from '@sagaflow/contracts/testing';
import { findPgReplies, INBOX_DDL, PgDatabase } from '../../src/kit/pg-database.js';

const SERVICE = 'payment';

/**
 * The inbox only grows, and its lookup of a batch of command ids runs for every batch delivered: it
 * must probe the key, not read every row of the service, however small the inbox was when the
 * process started looking (a plan made then and kept would scan it all ever after).
 */
describe('the inbox lookup of a batch of commands (PostgreSQL)', () => {
  let schema: TestSchema;
  let db: PgDatabase;

  beforeEach(async () => {
    schema = await createTestSchema('participants');
    db = await PgDatabase.open(schema.url, { migrations: [INBOX_DDL] });
  });

  afterEach(async () => {
    await db.close();
    await schema.drop();
  });

  /** Rows and index entries read from the inbox so far, as the statistics system has them. */
  const indexTuplesRead = async (): Promise<number> => {
    const { rows } = await db.pool.query<{ n: string }>(
      `SELECT (SELECT coalesce(sum(idx_tup_read), 0) FROM pg_stat_user_indexes WHERE schemaname = $1 AND relname = t)
         + (SELECT coalesce(sum(seq_tup_read), 0) FROM pg_stat_user_tables WHERE schemaname = $1 AND relname = t) AS n
       FROM (VALUES ('participant_inbox')) AS v(t)`,
      [db.schema],
    );
    return Number(rows[0]?.n ?? 0);
  };

  it('reads only the rows it asks for after the inbox has grown from empty', async () => {
    const fill = (from: number, to: number) =>
      db.pool.query(
        `INSERT INTO participant_inbox (service, command_id, command_type, reply)
         SELECT $1, 'cmd-' || n, 'payment.charge', '{"outcome":"success"}' FROM generate_series($2::int, $3::int) AS n`,
        [SERVICE, from, to],
      );
    // Looked up many times while small, as a service that has just started: a plan kept from then
    // would take the service's rows for few and filter them all.
    await fill(1, 10);
    await db.pool.query('ANALYZE participant_inbox');
    for (let i = 0; i < 12; i++) await findPgReplies(db, SERVICE, [`cmd-${i}`, 'cmd-absent']);
    await fill(11, 20_000);
    const before = await indexTuplesRead();

    const lookups = 10;
    for (let i = 0; i < lookups; i++) {
      const found = await findPgReplies(db, SERVICE, [`cmd-${i * 7 + 1}`, `cmd-${i * 7 + 2}`, 'cmd-absent']);
      expect([...found.keys()].sort()).to.deep.equal([`cmd-${i * 7 + 1}`, `cmd-${i * 7 + 2}`].sort());
    }
    // A probe reads about one entry per id; a scan of the service would read 20,000 per lookup.
    // Each backend flushes its counts within seconds of going idle.
    await eventually(async () => expect(await indexTuplesRead()).to.be.above(before), { timeoutMs: 20_000 });
    expect((await indexTuplesRead()) - before).to.be.below(lookups * 3 * 10);
  });
});
