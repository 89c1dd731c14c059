import pg from 'pg';
import { RejectCommand, type Execution, type InboxKey, type ReplyPayload, type StoredReply } from './inbox.js';

const RETRYABLE_CODES = new Set(['23505', '40001', '40P01']);
const MAX_TX_ATTEMPTS = 5;

const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

/**
 * A PostgreSQL pool confined to one schema: `postgres://…?schema=NAME` puts every table of the
 * service in NAME (created if absent); without it, tables go in `public`.
 */
export class PgDatabase {
  private constructor(
    readonly pool: pg.Pool,
    readonly schema: string,
  ) {}

  /** Connects to the URL's `?schema=` (default `public`), creating it, then runs `migrations`. */
  static async open(
    url: string,
    options: { maxConnections?: number; migrations?: string[] } = {},
  ): Promise<PgDatabase> {
    const parsed = new URL(url);
    const schema = parsed.searchParams.get('schema') ?? 'public';
    parsed.searchParams.delete('schema');
    const pool = new pg.Pool({
      connectionString: parsed.toString(),
      max: options.maxConnections ?? 10,
      options: `-c search_path=${quoteIdent(schema)}`,
    });
    // An idle client losing its connection must not crash the process; the pool replaces it.
    pool.on('error', () => undefined);
    const db = new PgDatabase(pool, schema);
    try {
      await pool.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
      if (options.migrations) await db.migrate(options.migrations);
    } catch (error) {
      await pool.end();
      throw error;
    }
    return db;
  }

  /** Runs DDL once per schema at a time (processes starting together would race on CREATE TABLE). */
  async migrate(statements: string[]): Promise<void> {
    await this.transaction(async (client) => {
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sagaflow-migrate:${this.schema}`]);
      for (const statement of statements) await client.query(statement);
    });
  }

  async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const result = await work(client);
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw error;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

export const INBOX_DDL = `CREATE TABLE IF NOT EXISTS participant_inbox (
  service text NOT NULL,
  command_id text NOT NULL,
  command_type text NOT NULL,
  reply jsonb NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (service, command_id)
)`;

export async function findPgReply(
  db: PgDatabase | pg.PoolClient,
  service: string,
  commandId: string,
): Promise<StoredReply | null> {
  const queryable = db instanceof PgDatabase ? db.pool : db;
  const { rows } = await queryable.query<{ command_type: StoredReply['commandType']; reply: ReplyPayload }>(
    'SELECT command_type, reply FROM participant_inbox WHERE service = $1 AND command_id = $2',
    [service, commandId],
  );
  return rows[0] ? { commandType: rows[0].command_type, reply: rows[0].reply } : null;
}

const insertReply = (client: pg.PoolClient, service: string, key: InboxKey, reply: ReplyPayload) =>
  client.query('INSERT INTO participant_inbox (service, command_id, command_type, reply) VALUES ($1, $2, $3, $4)', [
    service,
    key.commandId,
    key.commandType,
    JSON.stringify(reply),
  ]);

/**
 * Runs a command's effect exactly once: the effect and its reply commit in one transaction with the
 * inbox row keyed by command id. A concurrent duplicate loses on the inbox key, rolls back, and is
 * answered with the reply the winner stored.
 */
export async function runOncePg<R extends ReplyPayload>(
  db: PgDatabase,
  service: string,
  key: InboxKey,
  effect: (client: pg.PoolClient) => Promise<Execution<R>>,
): Promise<Execution<R>> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(async (client) => {
        const stored = await findPgReply(client, service, key.commandId);
        if (stored) return { reply: stored.reply as R, duplicate: true };
        const execution = await effect(client);
        await insertReply(client, service, key, execution.reply);
        return execution;
      });
    } catch (error) {
      if (error instanceof RejectCommand) {
        return db.transaction(async (client) => {
          const stored = await findPgReply(client, service, key.commandId);
          if (stored) return { reply: stored.reply as R, duplicate: true };
          await insertReply(client, service, key, error.reply);
          return { reply: error.reply as R, duplicate: false };
        });
      }
      const code = (error as { code?: string }).code;
      if (attempt >= MAX_TX_ATTEMPTS || !code || !RETRYABLE_CODES.has(code)) throw error;
    }
  }
}
