import { Batcher, parseStoreUrl, inTransaction, STORE_TIMEOUTS_MS, whileStoreStarts } from '@sagaflow/contracts';
import { SagaflowError, TERMINAL_SAGA_STATUSES, type SagaStatus } from '@sagaflow/contracts';
import { type Logger } from '@sagaflow/contracts/messaging';
import { createHash } from 'node:crypto';
import pg from 'pg';
import { checkLimit, type PageKey, decodeCursor, toPage } from './page-cursor.js';
import type {
  CreateOrderResult,
  ListOrdersFilter,
  ListSagasFilter,
  OrderRecord,
  OutboxEntry,
  Page,
  SagaCommit,
  SagaRecord,
  SagaStore,
  SagaSummaryRecord,
  StartCancellationResult,
} from './saga-store.js';
import { assertCommitFollows, cancellationRefusal } from './store-rules.js';
import { columnOf, ORDER_FIELD_NAMES, ORDER_FIELDS, type FieldKind, type OrderFieldName } from './order-fields.js';

export interface PostgresSagaStoreOptions {
  /** Pool size; default 10. */
  maxConnections?: number;
  /** Commits (or new orders) of different sagas written by one statement at most; default 100. */
  commitBatchSize?: number;
  /** Such statements under way at once at most; default 3. */
  commitConcurrency?: number;
  /** Longest wait for a pooled connection, and for one statement's answer; default `STORE_TIMEOUTS_MS`. */
  timeoutsMs?: { connect: number; query: number };
}

type Row = Record<string, unknown>;

/** What `createOrder` inserts together. */
interface NewOrder {
  order: OrderRecord;
  saga: SagaRecord;
  outbox: OutboxEntry[];
}

const ORDER_COLUMNS = ORDER_FIELD_NAMES.map(columnOf);

const SQL_TYPES: Record<FieldKind, string> = {
  text: 'text',
  bigint: 'bigint',
  timestamp: 'timestamptz',
  json: 'jsonb',
};

const SAGA_SUMMARY_COLUMNS = [
  'saga_id',
  'type',
  'definition_version',
  'order_id',
  'priority',
  'status',
  'state',
  'version',
  'awaiting_command_id',
  'deadline_at',
  'created_at',
  'updated_at',
] as const;

const SAGA_COLUMNS = [...SAGA_SUMMARY_COLUMNS, 'snapshot', 'timeline'] as const;

/** SQL casts for inserting a saga through `INSERT ... SELECT`, where parameters get no type from the target. */
const SAGA_CASTS: Record<(typeof SAGA_COLUMNS)[number], string> = {
  saga_id: 'text',
  type: 'text',
  definition_version: 'integer',
  order_id: 'text',
  priority: 'text',
  status: 'text',
  state: 'text',
  version: 'integer',
  awaiting_command_id: 'text',
  deadline_at: 'timestamptz',
  created_at: 'timestamptz',
  updated_at: 'timestamptz',
  snapshot: 'jsonb',
  timeline: 'jsonb',
};

/** jsonb parameter: SQL NULL for null, so that nullable jsonb columns hold NULL rather than JSON `null`. */
const jsonOrNull = (value: unknown): string | null =>
  value === null || value === undefined ? null : JSON.stringify(value);

const FINISHED_ARRAY = `'{${TERMINAL_SAGA_STATUSES.join(',')}}'::text[]`;
/** Written the same way in the partial indexes and the queries, so that the planner matches them. */
const FINISHED = `status = ANY (${FINISHED_ARRAY})`;
const IN_FLIGHT = `status <> ALL (${FINISHED_ARRAY})`;

const quoteIdent = (name: string): string => `"${name.replaceAll('"', '""')}"`;

const SAGA_PRIORITY_COLUMN = "priority text NOT NULL DEFAULT 'standard'";
const OUTBOX_PRIORITY_COLUMN = 'priority smallint NOT NULL DEFAULT 0';
/** Order columns added after the orders table was first released (fields with a default). */
const ADDED_ORDER_COLUMNS = ORDER_FIELD_NAMES.filter((field) => ORDER_FIELDS[field].default !== undefined).map(
  (field) => columnDefinition(field),
);

/**
 * The saga store on PostgreSQL: orders, sagas (snapshot and timeline as JSONB) and the outbox in three
 * tables. Every write is a single statement (data-modifying CTEs), so it is atomic and costs one round trip.
 *
 * The URL is `postgres://…` with an optional `?schema=NAME`: every table is qualified with that schema,
 * which `init()` creates when missing.
 */
export class PostgresSagaStore implements SagaStore {
  private readonly pool: pg.Pool;
  private readonly schema: string | null;
  private readonly orders: string;
  private readonly sagas: string;
  private readonly outbox: string;
  private readonly sagaCounts: string;
  private closed = false;
  private readonly commits: Batcher<SagaCommit, boolean>;
  private readonly creations: Batcher<NewOrder, boolean>;
  private commitStatement?: string;
  private createStatement?: string;

  constructor(
    url: string,
    private readonly logger: Logger,
    options: PostgresSagaStoreOptions = {},
  ) {
    const location = parseStoreUrl(url);
    this.schema = location.schema;
    const prefix = this.schema ? `${quoteIdent(this.schema)}.` : '';
    this.orders = `${prefix}orders`;
    this.sagas = `${prefix}sagas`;
    this.outbox = `${prefix}outbox`;
    this.sagaCounts = `${prefix}saga_counts`;
    const timeouts = options.timeoutsMs ?? STORE_TIMEOUTS_MS;
    this.pool = new pg.Pool({
      connectionString: location.url,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: timeouts.connect,
      query_timeout: timeouts.query,
    });
    // An idle client losing its server emits on the pool; without a listener that would end the process.
    this.pool.on('error', (error) => this.logger.warn('postgres idle client error', { error: error.message }));
    const batching = { maxSize: options.commitBatchSize ?? 100, maxConcurrent: options.commitConcurrency ?? 3 };
    this.commits = new Batcher((commits) => this.commitMany(commits), batching);
    this.creations = new Batcher((creations) => this.createMany(creations), batching);
  }

  async init(): Promise<void> {
    await whileStoreStarts(() => this.createTables());
    this.logger.debug('saga store ready', { store: 'postgres', schema: this.schema ?? undefined });
  }

  private async createTables(): Promise<void> {
    await this.transaction(async (client) => {
      // Two processes starting together would otherwise race on CREATE TABLE IF NOT EXISTS (duplicate pg_type).
      await client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`sagaflow.saga-store:${this.schema ?? ''}`]);
      if (this.schema) {
        // Checked first: CREATE SCHEMA IF NOT EXISTS needs the database's CREATE privilege even when it exists.
        const found = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [this.schema]);
        if (found.rowCount === 0) await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.schema)}`);
      }
      await client.query(this.ddl());
      await this.addMissingColumns(client);
    });
  }

  /**
   * Brings tables created by an older version up to date: each column added since is added with its
   * default, which is what the rows written before it mean (a standard order, a message without
   * priority). Looked up first, so that a start against an up-to-date schema takes no table lock.
   */
  private async addMissingColumns(client: pg.PoolClient): Promise<void> {
    const added: [table: string, definitions: string[]][] = [
      [this.orders, ADDED_ORDER_COLUMNS],
      [this.sagas, [SAGA_PRIORITY_COLUMN]],
      [this.outbox, [OUTBOX_PRIORITY_COLUMN]],
    ];
    for (const [table, definitions] of added) {
      const { rows } = await client.query<{ attname: string }>(
        'SELECT attname FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped',
        [table],
      );
      const present = new Set(rows.map((row) => row.attname));
      for (const definition of definitions) {
        if (!present.has(definition.split(' ')[0]!)) {
          await client.query(`ALTER TABLE ${table} ADD COLUMN IF NOT EXISTS ${definition}`);
        }
      }
    }
  }

  /** Runs `work` in a transaction on one connection: committed when it resolves, rolled back when it throws. */
  private async transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(await this.pool.connect(), work);
  }

  private ddl(): string {
    return `
      CREATE TABLE IF NOT EXISTS ${this.orders} (
        ${ORDER_FIELD_NAMES.map(columnDefinition).join(',\n        ')},
        PRIMARY KEY (order_id)
      );
      CREATE UNIQUE INDEX IF NOT EXISTS orders_idempotency_key ON ${this.orders} (idempotency_key)
        WHERE idempotency_key IS NOT NULL;
      CREATE INDEX IF NOT EXISTS orders_created ON ${this.orders} (created_at DESC, order_id DESC);
      CREATE INDEX IF NOT EXISTS orders_status_created ON ${this.orders} (status, created_at DESC, order_id DESC);
      CREATE INDEX IF NOT EXISTS orders_customer_created ON ${this.orders} (customer_id, created_at DESC, order_id DESC);

      CREATE TABLE IF NOT EXISTS ${this.sagas} (
        saga_id text PRIMARY KEY,
        type text NOT NULL,
        definition_version integer NOT NULL,
        order_id text NOT NULL,
        ${SAGA_PRIORITY_COLUMN},
        status text NOT NULL,
        state text NOT NULL,
        version integer NOT NULL,
        awaiting_command_id text,
        deadline_at timestamptz,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL,
        snapshot jsonb NOT NULL,
        timeline jsonb NOT NULL
      );
      CREATE INDEX IF NOT EXISTS sagas_status_created ON ${this.sagas} (status, created_at DESC, saga_id DESC);
      CREATE INDEX IF NOT EXISTS sagas_created ON ${this.sagas} (created_at DESC, saga_id DESC);
      CREATE INDEX IF NOT EXISTS sagas_type_created ON ${this.sagas} (type, created_at DESC, saga_id DESC);
      CREATE INDEX IF NOT EXISTS sagas_deadline ON ${this.sagas} (deadline_at) WHERE deadline_at IS NOT NULL;
      CREATE INDEX IF NOT EXISTS sagas_order ON ${this.sagas} (order_id);
      -- Small however many sagas have finished: counts in flight read it alone.
      CREATE INDEX IF NOT EXISTS sagas_in_flight ON ${this.sagas} (status) WHERE ${IN_FLIGHT};
      -- Retention walks it from the oldest; counts read its newest end, past the kept totals' horizon.
      CREATE INDEX IF NOT EXISTS sagas_finished ON ${this.sagas} (updated_at, status) WHERE ${FINISHED};

      -- Finished sagas last changed before "through", counted once so that counting does not scan them all.
      CREATE TABLE IF NOT EXISTS ${this.sagaCounts} (
        status text PRIMARY KEY,
        n bigint NOT NULL,
        through timestamptz NOT NULL
      );
      INSERT INTO ${this.sagaCounts} (status, n, through)
        SELECT status, 0, '-infinity' FROM unnest(${FINISHED_ARRAY}) AS status
        ON CONFLICT (status) DO NOTHING;

      CREATE TABLE IF NOT EXISTS ${this.outbox} (
        seq bigint GENERATED ALWAYS AS IDENTITY,
        message_id text PRIMARY KEY,
        saga_id text NOT NULL,
        exchange text NOT NULL,
        routing_key text NOT NULL,
        ${OUTBOX_PRIORITY_COLUMN},
        message jsonb NOT NULL,
        created_at timestamptz NOT NULL,
        sent_at timestamptz
      );
      CREATE INDEX IF NOT EXISTS outbox_unsent ON ${this.outbox} (created_at, seq) WHERE sent_at IS NULL;
    `;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  /** Runs a named statement: parsed and planned once per connection, then only bound and executed. */
  private query<R extends pg.QueryResultRow = Row>(sql: string, params: unknown[]): Promise<pg.QueryResult<R>> {
    return this.pool.query<R>({ name: statementName(sql), text: sql, values: params });
  }

  /**
   * Orders placed at the same time are inserted by one statement (group commit). One whose
   * idempotency key is taken (before, or by another order of the same batch) is settled on its own.
   */
  async createOrder(order: OrderRecord, saga: SagaRecord, outbox: OutboxEntry[]): Promise<CreateOrderResult> {
    if (await this.creations.submit({ order, saga, outbox })) return { created: true };
    return this.createOrderAlone(order, saga, outbox);
  }

  private async createMany(creations: NewOrder[]): Promise<boolean[]> {
    const rows = creations.map(({ order, saga, outbox }, n) => ({
      n,
      ...Object.fromEntries(ORDER_FIELD_NAMES.map((field, i) => [ORDER_COLUMNS[i], order[field]])),
      saga: sagaRow(saga),
      outbox: outbox.length > 0 ? outbox.map(outboxRow) : null,
    }));
    const result = await this.query<{ n: number }>(this.createSql, [JSON.stringify(rows)]);
    const created = new Set(result.rows.map((row) => row.n));
    return creations.map((_, n) => created.has(n));
  }

  /** One statement for a batch of new orders with their sagas and first commands. */
  private get createSql(): string {
    const orderColumns = ORDER_FIELD_NAMES.map((field) => `${columnOf(field)} ${SQL_TYPES[ORDER_FIELDS[field].kind]}`);
    return (this.createStatement ??= `
      WITH i AS (
        SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(n integer, ${orderColumns.join(', ')}, saga jsonb, outbox jsonb)
      ), o AS (
        INSERT INTO ${this.orders} (${ORDER_COLUMNS.join(', ')}) SELECT ${ORDER_COLUMNS.join(', ')} FROM i
        ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
        RETURNING order_id
      ), done AS (
        SELECT i.n, i.saga, i.outbox FROM i JOIN o ON o.order_id = i.order_id
      ), s AS (
        INSERT INTO ${this.sagas} (${SAGA_COLUMNS.join(', ')})
        SELECT ${SAGA_COLUMNS.map((column) => `r.${column}`).join(', ')}
        FROM done CROSS JOIN jsonb_populate_record(NULL::${this.sagas}, done.saga) AS r
      )${this.outboxInsert('done', 'done.outbox')}
      SELECT n FROM done`);
  }

  private async createOrderAlone(
    order: OrderRecord,
    saga: SagaRecord,
    outbox: OutboxEntry[],
  ): Promise<CreateOrderResult> {
    const params: unknown[] = [];
    const orderValues = this.orderValues(order, params);
    const sql = `
      WITH o AS (
        INSERT INTO ${this.orders} (${ORDER_COLUMNS.join(', ')}) VALUES (${orderValues})
        ON CONFLICT (idempotency_key) WHERE idempotency_key IS NOT NULL DO NOTHING
        RETURNING order_id
      ), s AS (
        INSERT INTO ${this.sagas} (${SAGA_COLUMNS.join(', ')}) SELECT ${this.sagaValues(saga, params)} FROM o
        RETURNING saga_id
      )${this.outboxInsertOf('s', outbox, params)}
      SELECT count(*)::int AS n FROM o`;
    // A second pass only if the key's holder vanished between our insert giving way and our read.
    for (let attempt = 1; ; attempt++) {
      const result = await this.query<{ n: number }>(sql, params);
      if (result.rows[0]!.n === 1) return { created: true };
      // ON CONFLICT waited for the key's holder to commit, so a fresh statement sees it.
      const existing = await this.getOrderByIdempotencyKey(order.idempotencyKey!);
      if (existing) return { created: false, existing };
      if (attempt === 3)
        throw new SagaflowError('store_conflict', `idempotency key ${order.idempotencyKey} is contended`);
    }
  }

  async startCancellation(orderId: string, saga: SagaRecord, outbox: OutboxEntry[]): Promise<StartCancellationResult> {
    if (saga.orderId !== orderId) {
      throw SagaflowError.nonRetryable('invalid_cancellation', `saga ${saga.sagaId} belongs to order ${saga.orderId}`);
    }
    const params: unknown[] = [orderId, saga.sagaId, saga.status, saga.createdAt];
    const sql = `
      WITH o AS (
        UPDATE ${this.orders} SET cancellation_saga_id = $2, active_saga_id = $2, saga_status = $3, updated_at = $4
        WHERE order_id = $1 AND status = 'CONFIRMED' AND cancellation_saga_id IS NULL
        RETURNING order_id
      ), s AS (
        INSERT INTO ${this.sagas} (${SAGA_COLUMNS.join(', ')}) SELECT ${this.sagaValues(saga, params)} FROM o
        RETURNING saga_id
      )${this.outboxInsertOf('s', outbox, params)}
      SELECT count(*)::int AS n FROM o`;
    const result = await this.query<{ n: number }>(sql, params);
    if (result.rows[0]!.n === 1) return { started: true };
    return cancellationRefusal(await this.getOrder(orderId));
  }

  /**
   * Commits of sagas handled at the same time share one statement (group commit): each row is
   * version-checked on its own, so one saga's conflict leaves the others' writes in place.
   */
  commitSaga(commit: SagaCommit): Promise<boolean> {
    assertCommitFollows(commit);
    return this.commits.submit(commit);
  }

  private async commitMany(commits: SagaCommit[]): Promise<boolean[]> {
    const rows = commits.map(({ saga, expectedVersion, newEntries, outbox, orderPatch }, n) => ({
      n,
      saga_id: saga.sagaId,
      expected: expectedVersion,
      version: saga.version,
      status: saga.status,
      state: saga.state,
      snapshot: saga.snapshot,
      awaiting_command_id: saga.awaitingCommandId,
      deadline_at: saga.deadlineAt,
      entries: newEntries,
      updated_at: saga.updatedAt,
      outbox: outbox.length > 0 ? outbox.map(outboxRow) : null,
      patch: patchOf(orderPatch),
    }));
    const result = await this.query<{ n: number }>(this.commitSql, [JSON.stringify(rows), rows.length]);
    // By position, not saga id: of two commits of one saga in a batch, only one can win its version.
    const applied = new Set(result.rows.map((row) => row.n));
    return commits.map((_, n) => applied.has(n));
  }

  /**
   * One statement for a batch of commits: saga rows, their outbox entries, the orders they patch.
   * `LIMIT $2` (the batch's size) is there for the planner, which otherwise takes a set-returning
   * function for 100 rows and, while the table is small, scans all of it rather than probing its key;
   * the plan is kept for the connection's life, long after the table has grown.
   */
  private get commitSql(): string {
    return (this.commitStatement ??= `
      WITH i AS (
        SELECT * FROM jsonb_to_recordset($1::jsonb) AS x(n integer, saga_id text, expected integer, version integer,
          status text, state text, snapshot jsonb, awaiting_command_id text, deadline_at timestamptz,
          entries jsonb, updated_at timestamptz, outbox jsonb, patch jsonb)
        LIMIT $2
      ), s AS (
        UPDATE ${this.sagas} AS t SET version = i.version, status = i.status, state = i.state,
          snapshot = i.snapshot, awaiting_command_id = i.awaiting_command_id, deadline_at = i.deadline_at,
          timeline = t.timeline || i.entries, updated_at = i.updated_at
        FROM i WHERE t.saga_id = i.saga_id AND t.version = i.expected
        RETURNING i.n, t.saga_id, t.order_id
      ), done AS (
        SELECT s.saga_id, s.order_id, i.outbox, i.patch, i.updated_at FROM s JOIN i ON i.n = s.n
      )${this.outboxInsert('done', 'done.outbox')}, p AS (
        UPDATE ${this.orders} AS o SET ${PATCHABLE_FIELDS.map(patchAssignment).join(', ')},
          updated_at = done.updated_at
        FROM done WHERE done.patch IS NOT NULL AND o.order_id = done.order_id AND o.active_saga_id = done.saga_id
      )
      SELECT n FROM s`);
  }

  async getSaga(sagaId: string): Promise<SagaRecord | null> {
    const result = await this.query(`SELECT ${SAGA_COLUMNS.join(', ')} FROM ${this.sagas} WHERE saga_id = $1`, [
      sagaId,
    ]);
    return result.rows[0] ? toSaga(result.rows[0]) : null;
  }

  async getOrder(orderId: string): Promise<OrderRecord | null> {
    const result = await this.query(`SELECT ${ORDER_COLUMNS.join(', ')} FROM ${this.orders} WHERE order_id = $1`, [
      orderId,
    ]);
    return result.rows[0] ? toOrder(result.rows[0]) : null;
  }

  async getOrderByIdempotencyKey(key: string): Promise<OrderRecord | null> {
    const result = await this.query(
      `SELECT ${ORDER_COLUMNS.join(', ')} FROM ${this.orders} WHERE idempotency_key = $1`,
      [key],
    );
    return result.rows[0] ? toOrder(result.rows[0]) : null;
  }

  listOrders(filter: ListOrdersFilter): Promise<Page<OrderRecord>> {
    return this.page(
      this.orders,
      ORDER_COLUMNS,
      'order_id',
      filter,
      [
        ['status', filter.status],
        ['customer_id', filter.customerId],
      ],
      toOrder,
      (o) => ({ createdAt: o.createdAt, id: o.orderId }),
    );
  }

  listSagas(filter: ListSagasFilter): Promise<Page<SagaSummaryRecord>> {
    return this.page(
      this.sagas,
      SAGA_SUMMARY_COLUMNS,
      'saga_id',
      filter,
      [
        ['status', filter.status],
        ['type', filter.type],
      ],
      toSagaSummary,
      (s) => ({ createdAt: s.createdAt, id: s.sagaId }),
    );
  }

  /** One page, newest first by (created_at, id), after the cursor's key. */
  private async page<T>(
    table: string,
    columns: readonly string[],
    idColumn: string,
    filter: { limit: number; cursor?: string },
    filters: [column: string, value: string | undefined][],
    toItem: (row: Row) => T,
    keyOf: (item: T) => PageKey,
  ): Promise<Page<T>> {
    const limit = checkLimit(filter.limit);
    const { where, params } = pageWhere(idColumn, filter.cursor, filters);
    params.push(limit + 1);
    const result = await this.query(
      `SELECT ${columns.join(', ')} FROM ${table} ${where}
       ORDER BY created_at DESC, ${idColumn} DESC LIMIT $${params.length}`,
      params,
    );
    return toPage(result.rows.map(toItem), limit, keyOf);
  }

  async findDue(now: Date, limit: number): Promise<SagaRecord[]> {
    const result = await this.query(
      `SELECT ${SAGA_COLUMNS.join(', ')} FROM ${this.sagas}
       WHERE deadline_at IS NOT NULL AND deadline_at <= $1 ORDER BY deadline_at, saga_id LIMIT $2`,
      [now, limit],
    );
    return result.rows.map(toSaga);
  }

  async unsentOutbox(createdBefore: Date, limit: number): Promise<OutboxEntry[]> {
    const result = await this.query(
      `SELECT message_id, saga_id, exchange, routing_key, priority, message, created_at FROM ${this.outbox}
       WHERE sent_at IS NULL AND created_at <= $1 ORDER BY created_at, seq LIMIT $2`,
      [createdBefore, limit],
    );
    return result.rows.map((row: Row) => ({
      messageId: row.message_id as string,
      sagaId: row.saga_id as string,
      exchange: row.exchange as string,
      routingKey: row.routing_key as string,
      priority: row.priority as number,
      message: row.message as OutboxEntry['message'],
      createdAt: row.created_at as Date,
    }));
  }

  /** A sent entry leaves the outbox at once: one row deleted, rather than updated now and deleted later. */
  async markSent(messageIds: string[]): Promise<void> {
    if (messageIds.length === 0) return;
    await this.query(`DELETE FROM ${this.outbox} WHERE message_id = ANY($1::text[])`, [messageIds]);
  }

  async countUnsent(): Promise<number> {
    const result = await this.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${this.outbox} WHERE sent_at IS NULL`,
      [],
    );
    return result.rows[0]!.n;
  }

  async countSagasByStatus(): Promise<Partial<Record<SagaStatus, number>>> {
    // One statement, one snapshot: a fold between the parts could count a saga twice or not at all.
    const result = await this.query<{ status: SagaStatus; n: string }>(
      `WITH kept AS (SELECT status, n, through FROM ${this.sagaCounts})
       SELECT status, count(*) AS n FROM ${this.sagas} WHERE ${IN_FLIGHT} GROUP BY status
       UNION ALL
       SELECT status, count(*) FROM ${this.sagas}
       WHERE ${FINISHED} AND updated_at >= (SELECT coalesce(max(through), '-infinity') FROM kept) GROUP BY status
       UNION ALL
       SELECT status, n FROM kept`,
      [],
    );
    return sumCounts(result.rows);
  }

  async foldFinishedCounts(settledBefore: Date): Promise<void> {
    await this.withCountsLock(async (client) => {
      await client.query(
        `WITH horizon AS (SELECT max(through) AS through FROM ${this.sagaCounts}),
         settled AS (
           SELECT s.status, count(*) AS n FROM ${this.sagas} s, horizon h
           WHERE s.${FINISHED} AND s.updated_at >= h.through AND s.updated_at < $1 GROUP BY s.status
         )
         UPDATE ${this.sagaCounts} c SET n = c.n + coalesce((SELECT n FROM settled WHERE settled.status = c.status), 0),
           through = $1
         WHERE (SELECT through FROM horizon) < $1`,
        [settledBefore],
      );
    });
  }

  async removeFinishedSagas(finishedBefore: Date, limit: number): Promise<number> {
    const removed = await this.withCountsLock(async (client) => {
      const result = await client.query<{ n: number }>(
        `WITH gone AS (
           DELETE FROM ${this.sagas} WHERE saga_id IN (
             SELECT saga_id FROM ${this.sagas} WHERE ${FINISHED} AND updated_at < $1
             ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED
           ) AND ${FINISHED}
           RETURNING status, updated_at
         ), counted AS (
           SELECT g.status, count(*) AS n FROM gone g JOIN ${this.sagaCounts} c USING (status)
           WHERE g.updated_at < c.through GROUP BY g.status
         ), uncount AS (
           UPDATE ${this.sagaCounts} c SET n = c.n - counted.n FROM counted WHERE c.status = counted.status
         )
         SELECT count(*)::int AS n FROM gone`,
        [finishedBefore, limit],
      );
      return result.rows[0]!.n;
    });
    return removed ?? 0;
  }

  /**
   * Runs `work` in a transaction that holds this schema's counts lock, so that folds and removals
   * change the kept totals one at a time; resolves to undefined, doing nothing, while another process
   * holds it (that one is doing the same work).
   */
  private withCountsLock<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T | undefined> {
    return this.transaction(async (client) => {
      const lock = await client.query<{ locked: boolean }>('SELECT pg_try_advisory_xact_lock(hashtext($1)) AS locked', [
        `sagaflow.saga-counts:${this.schema ?? ''}`,
      ]);
      return lock.rows[0]!.locked ? work(client) : undefined;
    });
  }

  /** Pushes the order's values onto `params` and returns their placeholders. */
  private orderValues(order: OrderRecord, params: unknown[]): string {
    return ORDER_FIELD_NAMES.map((field) => {
      params.push(toColumnValue(field, order[field]));
      return `$${params.length}`;
    }).join(', ');
  }

  /** Pushes the saga's values onto `params` and returns a typed select list for `INSERT ... SELECT`. */
  private sagaValues(saga: SagaRecord, params: unknown[]): string {
    const values = {
      ...sagaRow(saga),
      snapshot: JSON.stringify(saga.snapshot),
      timeline: JSON.stringify(saga.timeline),
    };
    return SAGA_COLUMNS.map((column) => {
      params.push(values[column]);
      return `$${params.length}::${SAGA_CASTS[column]}`;
    }).join(', ');
  }

  /**
   * A CTE that inserts the entries once the CTE `after` yielded a row. An entry whose id is already in the
   * outbox is queued again: putting a message in the outbox means "make sure it is published".
   */
  private outboxInsertOf(after: string, outbox: OutboxEntry[], params: unknown[]): string {
    if (outbox.length === 0) return '';
    params.push(JSON.stringify(outbox.map(outboxRow)));
    return this.outboxInsert(after, `$${params.length}::jsonb`);
  }

  /** The outbox insert of the entries `entries` (a JSON array) holds, for each row of the CTE `after`. */
  private outboxInsert(after: string, entries: string): string {
    return `, ob AS (
        INSERT INTO ${this.outbox} (message_id, saga_id, exchange, routing_key, priority, message, created_at)
        SELECT x.message_id, x.saga_id, x.exchange, x.routing_key, x.priority, x.message, x.created_at
        FROM ${after} CROSS JOIN jsonb_to_recordset(${entries})
          AS x(message_id text, saga_id text, exchange text, routing_key text, priority smallint, message jsonb,
            created_at timestamptz)
        ON CONFLICT (message_id) DO UPDATE SET saga_id = EXCLUDED.saga_id, exchange = EXCLUDED.exchange,
          routing_key = EXCLUDED.routing_key, priority = EXCLUDED.priority, message = EXCLUDED.message,
          created_at = EXCLUDED.created_at, sent_at = NULL
      )`;
  }
}

/** A saga as a row of the sagas table, by column. */
const sagaRow = (saga: SagaRecord): Record<(typeof SAGA_COLUMNS)[number], unknown> => ({
  saga_id: saga.sagaId,
  type: saga.type,
  definition_version: saga.definitionVersion,
  order_id: saga.orderId,
  priority: saga.priority,
  status: saga.status,
  state: saga.state,
  version: saga.version,
  awaiting_command_id: saga.awaitingCommandId,
  deadline_at: saga.deadlineAt,
  created_at: saga.createdAt,
  updated_at: saga.updatedAt,
  snapshot: saga.snapshot,
  timeline: saga.timeline,
});

/** An outbox entry as a row of the outbox table, for `jsonb_to_recordset`. */
const outboxRow = (entry: OutboxEntry) => ({
  message_id: entry.messageId,
  saga_id: entry.sagaId,
  exchange: entry.exchange,
  routing_key: entry.routingKey,
  priority: entry.priority,
  message: entry.message,
  created_at: entry.createdAt.toISOString(),
});

/** Order fields a commit may change; `updatedAt` is set by every commit that changes the order. */
const PATCHABLE_FIELDS = ORDER_FIELD_NAMES.filter((field) => field !== 'orderId' && field !== 'updatedAt');

/** A patch as JSON keyed by field name: only fields it sets (null included), or null when it sets none. */
function patchOf(patch: SagaCommit['orderPatch']): Record<string, unknown> | null {
  const entries = Object.entries(patch ?? {}).filter(
    ([key, value]) => value !== undefined && Object.hasOwn(ORDER_FIELDS, key) && key !== 'orderId',
  );
  return entries.length > 0 ? Object.fromEntries(entries) : null;
}

/** `column = the patch's value when it has the field, else the column as it is`. */
function patchAssignment(field: OrderFieldName): string {
  const column = columnOf(field);
  const { kind, nullable } = ORDER_FIELDS[field];
  const key = `'${field}'`;
  const value =
    kind === 'json'
      ? nullable
        ? `NULLIF(done.patch->${key}, 'null'::jsonb)`
        : `done.patch->${key}`
      : kind === 'text'
        ? `done.patch->>${key}`
        : `(done.patch->>${key})::${SQL_TYPES[kind]}`;
  return `${column} = CASE WHEN done.patch ? ${key} THEN ${value} ELSE o.${column} END`;
}

/** Adds up the parts of a count by status; statuses that come to zero are left out. */
function sumCounts(rows: { status: SagaStatus; n: string | number }[]): Partial<Record<SagaStatus, number>> {
  const counts: Partial<Record<SagaStatus, number>> = {};
  for (const { status, n } of rows) counts[status] = (counts[status] ?? 0) + Number(n);
  return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
}

/** WHERE clause for a newest-first page: equality filters plus "after the cursor's key". */
function pageWhere(
  idColumn: string,
  cursor: string | undefined,
  filters: [column: string, value: string | undefined][],
): { where: string; params: unknown[] } {
  const params: unknown[] = [];
  const conditions: string[] = [];
  for (const [column, value] of filters) {
    if (value === undefined) continue;
    params.push(value);
    conditions.push(`${column} = $${params.length}`);
  }
  if (cursor !== undefined) {
    const key = decodeCursor(cursor);
    params.push(key.createdAt, key.id);
    conditions.push(`(created_at, ${idColumn}) < ($${params.length - 1}::timestamptz, $${params.length}::text)`);
  }
  return { where: conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '', params };
}

/** Statements come in a few shapes (which filters, whether there is an outbox or a patch), each named once. */
const statementNames = new Map<string, string>();
const statementName = (sql: string): string => {
  let name = statementNames.get(sql);
  if (name === undefined) {
    name = `s${createHash('sha1').update(sql).digest('base64url')}`;
    statementNames.set(sql, name);
  }
  return name;
};

/** The column definition of an order field: its SQL type, NOT NULL unless the field is nullable. */
function columnDefinition(field: OrderFieldName): string {
  const { kind, nullable, default: fallback } = ORDER_FIELDS[field];
  const defaultClause = fallback === undefined ? '' : ` DEFAULT '${fallback.replaceAll("'", "''")}'`;
  return `${columnOf(field)} ${SQL_TYPES[kind]}${nullable ? '' : ' NOT NULL'}${defaultClause}`;
}

/** An order field's value as a statement parameter: JSON as text, SQL NULL for null. */
function toColumnValue(field: OrderFieldName, value: unknown): unknown {
  if (ORDER_FIELDS[field].kind !== 'json') return value;
  return ORDER_FIELDS[field].nullable ? jsonOrNull(value) : JSON.stringify(value);
}

function toOrder(row: Row): OrderRecord {
  const order: Record<string, unknown> = {};
  for (const field of ORDER_FIELD_NAMES) {
    const value = row[columnOf(field)];
    // bigint arrives as a string; cents stay far below 2^53.
    order[field] = ORDER_FIELDS[field].kind === 'bigint' && value !== null ? Number(value) : value;
  }
  return order as unknown as OrderRecord;
}

function toSagaSummary(row: Row): SagaSummaryRecord {
  return {
    sagaId: row.saga_id as string,
    type: row.type as SagaRecord['type'],
    definitionVersion: row.definition_version as number,
    orderId: row.order_id as string,
    priority: row.priority as SagaRecord['priority'],
    status: row.status as SagaRecord['status'],
    state: row.state as string,
    version: row.version as number,
    awaitingCommandId: row.awaiting_command_id as string | null,
    deadlineAt: row.deadline_at as Date | null,
    createdAt: row.created_at as Date,
    updatedAt: row.updated_at as Date,
  };
}

function toSaga(row: Row): SagaRecord {
  return { ...toSagaSummary(row), snapshot: row.snapshot, timeline: row.timeline as SagaRecord['timeline'] };
}
