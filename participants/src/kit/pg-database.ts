import { AsyncLocalStorage } from 'node:async_hooks';
import { parseStoreUrl, inTransaction, STORE_TIMEOUTS_MS, whileStoreStarts } from '@sagaflow/contracts';
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
  /** The connection of the group transaction the caller runs in, if any. */
  private readonly group = new AsyncLocalStorage<pg.PoolClient>();

  private constructor(
    readonly pool: pg.Pool,
    readonly schema: string,
  ) {}

  /** Connects to the URL's `?schema=` (default `public`), creating it, then runs `migrations`. */
  static async open(
    url: string,
    options: { maxConnections?: number; migrations?: string[]; timeoutsMs?: { connect: number; query: number } } = {},
  ): Promise<PgDatabase> {
    const location = parseStoreUrl(url);
    const schema = location.schema ?? 'public';
    const timeouts = options.timeoutsMs ?? STORE_TIMEOUTS_MS;
    const pool = new pg.Pool({
      connectionString: location.url,
      max: options.maxConnections ?? 10,
      // A paused server fails a command in seconds (it goes back for a retry) instead of holding it.
      connectionTimeoutMillis: timeouts.connect,
      query_timeout: timeouts.query,
      options: `-c search_path=${quoteIdent(schema)}`,
    });
    // An idle client losing its connection must not crash the process; the pool replaces it.
    pool.on('error', () => undefined);
    const db = new PgDatabase(pool, schema);
    try {
      await whileStoreStarts(async () => {
        await pool.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
        if (options.migrations) await db.migrate(options.migrations);
      });
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

  /**
   * Runs `work` as ONE transaction that every `transaction()`, `runOncePg` and `writeOncePg` inside it
   * joins instead of beginning its own: many commands, one COMMIT. Whatever fails inside fails it all.
   */
  groupTransaction<T>(work: () => Promise<T>): Promise<T> {
    return this.transaction((client) => this.group.run(client, work));
  }

  /** The connection of the group transaction around the caller; undefined outside one. */
  get groupClient(): pg.PoolClient | undefined {
    return this.group.getStore();
  }

  /** Where a single statement goes: the group transaction's connection inside one, else the pool. */
  get queryable(): pg.Pool | pg.PoolClient {
    return this.group.getStore() ?? this.pool;
  }

  async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    const joined = this.group.getStore();
    if (joined) return work(joined);
    return inTransaction(await this.pool.connect(), work);
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

const FIND_REPLY = 'SELECT command_type, reply FROM participant_inbox WHERE service = $1 AND command_id = $2';

export async function findPgReply(
  db: PgDatabase | pg.PoolClient,
  service: string,
  commandId: string,
): Promise<StoredReply | null> {
  const queryable = db instanceof PgDatabase ? db.pool : db;
  const { rows } = await queryable.query<{ command_type: StoredReply['commandType']; reply: ReplyPayload }>({
    name: 'participant-inbox-find',
    text: FIND_REPLY,
    values: [service, commandId],
  });
  return rows[0] ? { commandType: rows[0].command_type, reply: rows[0].reply } : null;
}

const FIND_REPLIES =
  'SELECT command_id, command_type, reply FROM participant_inbox WHERE service = $1 AND command_id = ANY($2::text[])';

/**
 * The stored replies of many commands in one statement, by command id (absent: not handled yet).
 * Unnamed, so planned at every run: a prepared plan made while the inbox was small scans every row
 * of the service instead of probing the key, and the inbox only grows.
 */
export async function findPgReplies(
  db: PgDatabase,
  service: string,
  commandIds: string[],
): Promise<Map<string, StoredReply>> {
  const { rows } = await db.pool.query<{
    command_id: string;
    command_type: StoredReply['commandType'];
    reply: ReplyPayload;
  }>({ text: FIND_REPLIES, values: [service, commandIds] });
  return new Map(rows.map((row) => [row.command_id, { commandType: row.command_type, reply: row.reply }]));
}

/** True when a write failed because the command id is already in the inbox (committed by a concurrent twin). */
export const isInboxConflict = (error: unknown): boolean =>
  (error as { code?: string }).code === '23505' &&
  (error as { constraint?: string }).constraint === 'participant_inbox_pkey';

const isRetryable = (error: unknown): boolean => RETRYABLE_CODES.has((error as { code?: string }).code ?? '');

/**
 * The writes of an effect as common table expressions (`name AS (...)`), run in ONE statement with the
 * insert of the inbox row: the effect and its reply cannot commit apart, and a duplicate command fails
 * on the inbox key before anything of it commits. `name` names the prepared statement, so the text must
 * be fixed for a given name.
 */
export interface PgWrite {
  /**
   * Names the prepared statement. Absent for a write that looks rows up by a list of keys in a table
   * that grows: planned at every run, it probes the key however small the table was at first.
   */
  name?: string;
  ctes: string[];
  values: unknown[];
}

/** What an effect decided: the execution, and the writes that go with its reply (none for a refusal). */
export interface PgEffect<R> {
  execution: Execution<R>;
  write?: PgWrite;
}

/** Inserts the inbox row, preceded by the effect's writes in the same statement (see `recordReplies`). */
const recordReply = (client: pg.PoolClient, service: string, key: InboxKey, reply: ReplyPayload, write?: PgWrite) =>
  recordReplies(client, service, [{ key, reply }], write);

/** The reply a duplicate gets: the one its twin committed (visible now that its insert failed on the key). */
async function storedDuplicate<R>(db: PgDatabase, service: string, commandId: string): Promise<Execution<R>> {
  const stored = await findPgReply(db, service, commandId);
  if (!stored) throw new Error(`inbox row of command '${commandId}' vanished`);
  return { reply: stored.reply as R, duplicate: true };
}

/**
 * Runs a command's effect exactly once: the effect decides in one transaction, and its writes commit in
 * one statement with the inbox row keyed by command id. A duplicate (its twin committed, or commits
 * while this one waits on the key) fails on that key, rolls back, and is answered with the stored reply;
 * the kit already answered duplicates that came in sequence, so the inbox is not read up front.
 */
export async function runOncePg<R extends ReplyPayload>(
  db: PgDatabase,
  service: string,
  key: InboxKey,
  effect: (client: pg.PoolClient) => Promise<PgEffect<R>>,
): Promise<Execution<R>> {
  const joined = db.groupClient;
  if (joined) {
    // In a group transaction a conflict, a refusal or a retryable error fails the whole group, which
    // the kit then runs again command by command through the loop below.
    const { execution, write } = await effect(joined);
    await recordReply(joined, service, key, execution.reply, write);
    return execution;
  }
  for (let attempt = 1; ; attempt++) {
    try {
      return await db.transaction(async (client) => {
        const { execution, write } = await effect(client);
        await recordReply(client, service, key, execution.reply, write);
        return execution;
      });
    } catch (error) {
      if (isInboxConflict(error)) return storedDuplicate(db, service, key.commandId);
      if (error instanceof RejectCommand) {
        try {
          return await db.transaction(async (client) => {
            await recordReply(client, service, key, error.reply);
            return { reply: error.reply as R, duplicate: false };
          });
        } catch (recordError) {
          if (isInboxConflict(recordError)) return storedDuplicate(db, service, key.commandId);
          throw recordError;
        }
      }
      if (attempt >= MAX_TX_ATTEMPTS || !isRetryable(error)) throw error;
    }
  }
}

/**
 * Runs a command whose whole effect, reply and inbox row fit in ONE statement (one statement is one
 * transaction, so no BEGIN/COMMIT). `write` returns null when the statement saw a conflicting row that
 * committed after its snapshot and so wrote nothing; it then runs again with a fresh snapshot.
 */
export async function writeOncePg<R extends ReplyPayload>(
  db: PgDatabase,
  service: string,
  key: InboxKey,
  write: (queryable: pg.Pool | pg.PoolClient) => Promise<Execution<R> | null>,
): Promise<Execution<R>> {
  const joined = db.groupClient;
  if (joined) {
    const execution = await write(joined);
    if (!execution) throw new Error(`command '${key.commandId}' met a concurrent write in a group transaction`);
    return execution;
  }
  for (let attempt = 1; ; attempt++) {
    try {
      const execution = await write(db.pool);
      if (execution) return execution;
      if (attempt >= MAX_TX_ATTEMPTS) throw new Error(`command '${key.commandId}' kept meeting concurrent writes`);
    } catch (error) {
      if (isInboxConflict(error)) return storedDuplicate(db, service, key.commandId);
      if (attempt >= MAX_TX_ATTEMPTS || !isRetryable(error)) throw error;
    }
  }
}

/**
 * Takes the advisory locks of many keys in one statement, in the order of their hashes (the locks are on
 * the hashes), so that two transactions locking overlapping sets never wait on each other in a cycle.
 * The snapshot of the caller's next statement is taken after they were granted.
 */
export async function lockKeys(client: pg.PoolClient, keys: string[]): Promise<void> {
  await client.query({
    name: 'participant-lock-keys',
    text: `SELECT pg_advisory_xact_lock(h)
      FROM (SELECT DISTINCT hashtext(k) AS h FROM unnest($1::text[]) AS k ORDER BY h) AS locks`,
    values: [keys],
  });
}

/** A reply to record in the inbox for the command `key` names. */
export interface InboxEntry {
  key: InboxKey;
  reply: ReplyPayload;
}

/**
 * Inserts the inbox rows of many commands in ONE statement, preceded by the writes of their effects
 * (`write`, whose values come first): as with one command, the effects and replies commit together,
 * and a command id already in the inbox fails it all on the key.
 */
export function recordReplies(client: pg.PoolClient, service: string, entries: InboxEntry[], write?: PgWrite) {
  const values = [
    ...(write?.values ?? []),
    service,
    entries.map((e) => e.key.commandId),
    entries.map((e) => e.key.commandType),
    entries.map((e) => JSON.stringify(e.reply)),
  ];
  const n = values.length - 4;
  const insert = `INSERT INTO participant_inbox (service, command_id, command_type, reply)
    SELECT $${n + 1}, c.id, c.type, c.reply FROM unnest($${n + 2}::text[], $${n + 3}::text[], $${n + 4}::jsonb[]) AS c(id, type, reply)`;
  return client.query({
    name: write ? write.name && `${write.name}:inbox` : 'participant:inbox',
    text: write ? `WITH ${write.ctes.join(',\n')}\n${insert}` : insert,
    values,
  });
}
