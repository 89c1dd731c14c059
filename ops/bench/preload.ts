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
    for (let done = 0; done < count; done += CHUNK) {
      const n = Math.min(CHUNK, count - done);
      await client.query(copySql(prefix), [templateId, done + 1, done + n]);
    }
    await client.query(`VACUUM ANALYZE ${prefix}orders`);
    await client.query(`VACUUM ANALYZE ${prefix}sagas`);
    return { sagas: count, seconds: (performance.now() - begin) / 1000 };
  } finally {
    await client.end();
  }
}

/**
 * One statement that copies the template saga ($1) and its order for g in [$2, $3]: new ids, times
 * moved g milliseconds (plus a day) into the past, ids inside the snapshot replaced, no idempotency key.
 */
function copySql(prefix: string): string {
  return `
    WITH t AS (SELECT * FROM ${prefix}sagas WHERE saga_id = $1),
    o AS (SELECT * FROM ${prefix}orders WHERE order_id = (SELECT order_id FROM t)),
    g AS (
      SELECT n, 'saga_pre' || lpad(n::text, 10, '0') AS saga_id, 'ord_pre' || lpad(n::text, 10, '0') AS order_id,
        interval '1 day' + n * interval '1 millisecond' AS back
      FROM generate_series($2::int, $3::int) AS n
    ),
    ins_sagas AS (
      INSERT INTO ${prefix}sagas
      SELECT (jsonb_populate_record(NULL::${prefix}sagas, to_jsonb(t) || jsonb_build_object(
        'saga_id', g.saga_id, 'order_id', g.order_id,
        'created_at', t.created_at - g.back, 'updated_at', t.updated_at - g.back,
        'snapshot', replace(replace(t.snapshot::text, t.saga_id, g.saga_id), t.order_id, g.order_id)::jsonb
      ))).*
      FROM t CROSS JOIN g
    )
    INSERT INTO ${prefix}orders
    SELECT (jsonb_populate_record(NULL::${prefix}orders, to_jsonb(o) || jsonb_build_object(
      'order_id', g.order_id, 'saga_id', g.saga_id, 'active_saga_id', g.saga_id,
      'customer_id', 'preload-' || (g.n % 10000), 'idempotency_key', NULL, 'request_hash', NULL,
      'created_at', o.created_at - g.back, 'updated_at', o.updated_at - g.back
    ))).*
    FROM o CROSS JOIN g`;
}
