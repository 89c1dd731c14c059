/**
 * Fills a PostgreSQL saga store with finished sagas and their orders, so that the benchmark can show
 * what a store that has run for months does to throughput. Rows are copies of a real finished order
 * saga of the same schema (the newest COMPLETED one, so run some orders first) with new ids and
 * earlier times: same columns, same JSON sizes, same index entries as the rows the system writes.
 */
import pg from 'pg';
import { parseStoreUrl } from '@sagaflow/contracts';

/** Rows per statement: one transaction per chunk keeps WAL and lock memory bounded. */
const CHUNK = 50_000;

const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

export interface PreloadResult {
  sagas: number;
  seconds: number;
}

/**
 * Inserts `count` COMPLETED order sagas with CONFIRMED orders into the store at `storeUrl`, all finished
 * before the template did (spaced a millisecond apart), then vacuums and analyses the tables as
 * autovacuum would have on a store that grew by itself.
 */
export async function preloadFinishedSagas(storeUrl: string, count: number): Promise<PreloadResult> {
  const { url, schema } = parseStoreUrl(storeUrl);
  const prefix = schema ? `${quoteIdent(schema)}.` : '';
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const begin = performance.now();
  try {
    const template = await client.query<{ saga_id: string }>(
      `SELECT saga_id FROM ${prefix}sagas WHERE status = 'COMPLETED' AND type = 'order'
       ORDER BY updated_at DESC LIMIT 1`,
    );
    if (!template.rows[0]) throw new Error('preload needs one COMPLETED order saga to copy: run some orders first');
    const templateId = template.rows[0].saga_id;
    // A bulk load, not business writes: losing it in a crash costs nothing, so skip the WAL flush.
    await client.query('SET synchronous_commit = off');
    const sql = copySql(
      prefix,
      await columnsOf(client, schema ?? 'public', 'sagas'),
      await columnsOf(client, schema ?? 'public', 'orders'),
    );
    for (let done = 0; done < count; done += CHUNK) {
      const n = Math.min(CHUNK, count - done);
      await client.query(sql, [templateId, done + 1, done + n]);
    }
    await client.query(`VACUUM ANALYZE ${prefix}orders`);
    await client.query(`VACUUM ANALYZE ${prefix}sagas`);
    // The load's WAL would otherwise be checkpointed during the measured run, which a store that grew
    // by itself does not pay for all at once. Needs the right to checkpoint; without it, carry on.
    await client.query('CHECKPOINT').catch(() => undefined);
    return { sagas: count, seconds: (performance.now() - begin) / 1000 };
  } finally {
    await client.end();
  }
}

async function columnsOf(client: pg.Client, schema: string, table: string): Promise<string[]> {
  const { rows } = await client.query<{ column_name: string }>(
    `SELECT column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name = $2
     ORDER BY ordinal_position`,
    [schema, table],
  );
  return rows.map((r) => r.column_name);
}

/** Column list and select list: the template's own value, unless `changed` names what to put instead. */
function copyOf(alias: string, columns: string[], changed: Record<string, string>): { into: string; values: string } {
  return {
    into: columns.map(quoteIdent).join(', '),
    values: columns.map((c) => changed[c] ?? `${alias}.${quoteIdent(c)}`).join(', '),
  };
}

/**
 * One statement that copies the template saga ($1) and its order for g in [$2, $3]: new ids, times
 * moved g milliseconds (plus a day) into the past, ids inside the snapshot replaced, no idempotency key.
 * Whatever other columns the tables have are copied as they are.
 */
function copySql(prefix: string, sagaColumns: string[], orderColumns: string[]): string {
  const saga = copyOf('t', sagaColumns, {
    saga_id: 'g.saga_id',
    order_id: 'g.order_id',
    created_at: 't.created_at - g.back',
    updated_at: 't.updated_at - g.back',
    snapshot: 'replace(replace(t.snapshot::text, t.saga_id, g.saga_id), t.order_id, g.order_id)::jsonb',
  });
  const order = copyOf('o', orderColumns, {
    order_id: 'g.order_id',
    saga_id: 'g.saga_id',
    active_saga_id: 'g.saga_id',
    customer_id: "'preload-' || (g.n % 10000)",
    idempotency_key: 'NULL',
    request_hash: 'NULL',
    created_at: 'o.created_at - g.back',
    updated_at: 'o.updated_at - g.back',
  });
  return `
    WITH t AS (SELECT * FROM ${prefix}sagas WHERE saga_id = $1),
    o AS (SELECT * FROM ${prefix}orders WHERE order_id = (SELECT order_id FROM t)),
    g AS (
      SELECT n, 'saga_pre' || lpad(n::text, 10, '0') AS saga_id, 'ord_pre' || lpad(n::text, 10, '0') AS order_id,
        interval '1 day' + n * interval '1 millisecond' AS back
      FROM generate_series($2::int, $3::int) AS n
    ),
    copied AS (
      INSERT INTO ${prefix}sagas (${saga.into}) SELECT ${saga.values} FROM t CROSS JOIN g
    )
    INSERT INTO ${prefix}orders (${order.into}) SELECT ${order.values} FROM o CROSS JOIN g`;
}
