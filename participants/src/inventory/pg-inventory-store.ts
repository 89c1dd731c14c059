import type pg from 'pg';
import {
  Batcher,
  type PricedLine,
  type Product,
  type PutProductRequest,
  type ReleaseInventory,
  type ReserveInventory,
} from '@sagaflow/contracts';
import type { GroupCommit, InboxKey, StoredReply } from '../kit/inbox.js';
import {
  findPgReply,
  INBOX_DDL,
  lockKeys,
  PgDatabase,
  recordReplies,
  runOncePg,
  type InboxEntry,
  type PgWrite,
} from '../kit/pg-database.js';
import { PgGroupCommit } from '../kit/pg-group-commit.js';
import { pageOf, type PageRequest } from '../kit/record-page.js';
import type {
  InventoryCommand,
  InventoryExecution,
  InventoryStore,
  ProductSeed,
  Reservation,
  ReserveExecution,
  StockChange,
} from './inventory-store.js';
import {
  afterInventoryWrite,
  decideCommit,
  decideRelease,
  decideReserve,
  quantitiesBySku,
  stockDeltasOf,
  type InventoryWrite,
  type StockDelta,
  type StockMove,
} from './reservation-rules.js';

const SERVICE = 'inventory';

const DDL = [
  INBOX_DDL,
  `CREATE TABLE IF NOT EXISTS inventory_products (
    sku text PRIMARY KEY,
    name text NOT NULL,
    price_cents bigint NOT NULL CHECK (price_cents >= 0),
    available integer NOT NULL CHECK (available >= 0),
    reserved integer NOT NULL DEFAULT 0 CHECK (reserved >= 0),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
  `CREATE TABLE IF NOT EXISTS inventory_reservations (
    order_id text PRIMARY KEY,
    state text NOT NULL CHECK (state IN ('reserved', 'committed', 'released')),
    lines jsonb NOT NULL,
    total_cents bigint NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now()
  )`,
];

interface ProductRow {
  sku: string;
  name: string;
  price_cents: string;
  available: number;
  reserved: number;
}

interface ReservationRow {
  order_id: string;
  state: Reservation['state'];
  lines: PricedLine[];
  total_cents: string;
  created_at: Date;
  updated_at: Date;
}

const toProduct = (row: ProductRow): Product => ({
  sku: row.sku,
  name: row.name,
  priceCents: Number(row.price_cents),
  available: row.available,
  reserved: row.reserved,
});

const toReservation = (row: ReservationRow): Reservation => ({
  orderId: row.order_id,
  state: row.state,
  lines: row.lines,
  totalCents: Number(row.total_cents),
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const PRODUCT_COLUMNS = 'sku, name, price_cents, available, reserved';

/**
 * Inventory on PostgreSQL. A reserve or release takes its order's advisory lock first (a reserve and a
 * release of one order must see each other's rows, which may not exist yet), then the product rows in sku
 * order, so concurrent commands neither oversell nor deadlock.
 */
export class PgInventoryStore implements InventoryStore {
  readonly groupCommit: GroupCommit;
  private readonly commits = new Batcher<string, boolean>((orderIds) => this.commitGroup(orderIds), {
    maxSize: 256,
  });

  private constructor(private readonly db: PgDatabase) {
    this.groupCommit = new PgGroupCommit(db, SERVICE);
  }

  static async open(url: string): Promise<PgInventoryStore> {
    return new PgInventoryStore(await PgDatabase.open(url, { migrations: DDL }));
  }

  findReply(commandId: string): Promise<StoredReply | null> {
    return findPgReply(this.db, SERVICE, commandId);
  }

  async seed(products: readonly ProductSeed[]): Promise<number> {
    let added = 0;
    for (const p of products) {
      const result = await this.db.pool.query(
        `INSERT INTO inventory_products (sku, name, price_cents, available) VALUES ($1, $2, $3, $4)
         ON CONFLICT (sku) DO NOTHING`,
        [p.sku, p.name, p.priceCents, p.available],
      );
      added += result.rowCount ?? 0;
    }
    return added;
  }

  async listProducts(): Promise<Product[]> {
    const { rows } = await this.db.pool.query<ProductRow>(
      `SELECT ${PRODUCT_COLUMNS} FROM inventory_products ORDER BY sku`,
    );
    return rows.map(toProduct);
  }

  async getProduct(sku: string): Promise<Product | null> {
    const { rows } = await this.db.pool.query<ProductRow>(
      `SELECT ${PRODUCT_COLUMNS} FROM inventory_products WHERE sku = $1`,
      [sku],
    );
    return rows[0] ? toProduct(rows[0]) : null;
  }

  async putProduct(sku: string, change: PutProductRequest): Promise<{ product: Product; created: boolean } | null> {
    const update = () =>
      this.db.pool.query<ProductRow>(
        `UPDATE inventory_products SET name = COALESCE($2, name), price_cents = COALESCE($3, price_cents),
           available = COALESCE($4, available), updated_at = now()
         WHERE sku = $1 RETURNING ${PRODUCT_COLUMNS}`,
        [sku, change.name ?? null, change.priceCents ?? null, change.available ?? null],
      );
    const updated = await update();
    if (updated.rows[0]) return { product: toProduct(updated.rows[0]), created: false };
    if (change.name === undefined || change.priceCents === undefined) return null;
    const inserted = await this.db.pool.query<ProductRow>(
      `INSERT INTO inventory_products (sku, name, price_cents, available) VALUES ($1, $2, $3, $4)
       ON CONFLICT (sku) DO NOTHING RETURNING ${PRODUCT_COLUMNS}`,
      [sku, change.name, change.priceCents, change.available ?? 0],
    );
    if (inserted.rows[0]) return { product: toProduct(inserted.rows[0]), created: true };
    const raced = await update();
    return { product: toProduct(raced.rows[0]!), created: false };
  }

  async reserve(key: InboxKey, command: ReserveInventory): Promise<ReserveExecution> {
    let changes: StockChange[] = [];
    const execution = await runOncePg(this.db, SERVICE, key, async (client) => {
      await lockOrder(client, command.orderId);
      const { existing, products } = await reservationAndLockedStock(client, command.orderId, command.items);
      const { write, ...decided } = decideReserve(existing, products, command);
      // The product rows are locked by this transaction, so what the update leaves is what the decision says.
      changes = write?.stock ?? [];
      return { execution: decided, ...(write && { write: pgWriteOf(command.orderId, write) }) };
    });
    return { ...execution, changes: execution.duplicate ? [] : changes };
  }

  release(key: InboxKey, command: ReleaseInventory) {
    return runOncePg(this.db, SERVICE, key, async (client) => {
      await lockOrder(client, command.orderId);
      const { write, ...execution } = decideRelease(await lockReservation(client, command.orderId));
      return { execution, ...(write && { write: pgWriteOf(command.orderId, write) }) };
    });
  }

  /**
   * Locks every order of the batch, then their reservations and the products their reserves name (in sku
   * order) in one statement; decides each command in order on the stock and reservations the ones before
   * it left, so that nothing is oversold and a release gives back what its order holds; then writes the
   * stock moved (summed per sku), the reservations as they end and every inbox row in one statement.
   */
  runBatch(commands: InventoryCommand[]): Promise<InventoryExecution[]> {
    return this.db.transaction(async (client) => {
      const orderIds = [...new Set(commands.map((c) => c.command.orderId))];
      await lockKeys(client, orderIds.map(orderLockKey));
      const skus = new Set(commands.flatMap((c) => (c.kind === 'reserve' ? c.command.items.map((i) => i.sku) : [])));
      const { reservations, products } = await lockedReservationsAndStock(client, orderIds, [...skus].sort());
      const at = new Date();
      const deltas = new Map<string, StockDelta>();
      const written = new Map<string, Reservation>();
      const replies: InboxEntry[] = [];
      const apply = (orderId: string, write: InventoryWrite) => {
        for (const d of stockDeltasOf(write)) {
          const sum = deltas.get(d.sku) ?? { sku: d.sku, available: 0, reserved: 0 };
          deltas.set(d.sku, {
            sku: d.sku,
            available: sum.available + d.available,
            reserved: sum.reserved + d.reserved,
          });
        }
        const after = afterInventoryWrite(products, reservations.get(orderId) ?? null, orderId, write, at);
        reservations.set(orderId, after);
        written.set(orderId, after);
      };
      const executions = commands.map((c): InventoryExecution => {
        const { orderId } = c.command;
        const existing = reservations.get(orderId) ?? null;
        if (c.kind === 'reserve') {
          const { write, ...execution } = decideReserve(existing, products, c.command);
          replies.push({ key: c.key, reply: execution.reply });
          if (write) apply(orderId, write);
          return { ...execution, changes: write?.stock ?? [] };
        }
        const { write, ...execution } = decideRelease(existing);
        replies.push({ key: c.key, reply: execution.reply });
        if (write) apply(orderId, write);
        return execution;
      });
      await recordReplies(client, SERVICE, replies, batchWriteOf([...deltas.values()], [...written.values()]));
      return executions;
    });
  }

  /**
   * Completed orders arrive together (one event each): they are committed in groups, one transaction
   * for all that arrived meanwhile; a group that fails is committed again order by order.
   */
  commit(orderId: string): Promise<boolean> {
    return this.commits.submit(orderId);
  }

  private async commitGroup(orderIds: string[]): Promise<boolean[]> {
    if (orderIds.length === 1) return [await this.commitOne(orderIds[0]!)];
    const committed = await this.db.transaction(async (client) => {
      // Unnamed (planned at every run): see `PgWrite.name`.
      const { rows } = await client.query<ReservationRow>({
        text: 'SELECT * FROM inventory_reservations WHERE order_id = ANY($1::text[]) ORDER BY order_id FOR UPDATE',
        values: [[...new Set(orderIds)]],
      });
      const sales = rows.flatMap((row) => {
        const write = decideCommit(toReservation(row));
        return write ? [{ orderId: row.order_id, stock: write.stock }] : [];
      });
      if (sales.length === 0) return new Set<string>();
      const stock = [...quantitiesBySku(sales.flatMap((s) => s.stock))].map(([sku, quantity]) => ({ sku, quantity }));
      await runWrite(
        client,
        salesWriteOf(
          sales.map((s) => s.orderId),
          stock,
        ),
      );
      return new Set(sales.map((s) => s.orderId));
    });
    // An order named twice in the group changed something once.
    return orderIds.map((id, i) => committed.has(id) && orderIds.indexOf(id) === i);
  }

  /**
   * The reservation is read FOR UPDATE, so a concurrent commit or release waits and then reads the state
   * this one left: stock is sold once.
   */
  private async commitOne(orderId: string): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.db.transaction(async (client) => {
          const write = decideCommit(await lockReservation(client, orderId));
          if (!write) return false;
          await runWrite(client, pgWriteOf(orderId, write));
          return true;
        });
      } catch (error) {
        // Another order's write can lock the same products, so a deadlock can happen.
        if (attempt >= 5 || !['40001', '40P01'].includes((error as { code?: string }).code ?? '')) throw error;
      }
    }
  }

  async getReservation(orderId: string): Promise<Reservation | null> {
    const { rows } = await this.db.pool.query<ReservationRow>(
      'SELECT * FROM inventory_reservations WHERE order_id = $1',
      [orderId],
    );
    return rows[0] ? toReservation(rows[0]) : null;
  }

  async listReservations({ after, limit }: PageRequest) {
    const { rows } = await this.db.pool.query<ReservationRow>(
      'SELECT * FROM inventory_reservations WHERE $1::text IS NULL OR order_id > $1 ORDER BY order_id LIMIT $2',
      [after, limit + 1],
    );
    return pageOf(rows.map(toReservation), limit, (r) => r.orderId);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

/** The statement parts that persist a decision's write (stock first, in sku order, then the reservation). */
function pgWriteOf(orderId: string, write: InventoryWrite): PgWrite {
  const skus = (stock: StockMove[]) => stock.map((m) => m.sku);
  const quantities = (stock: StockMove[]) => stock.map((m) => m.quantity);
  switch (write.kind) {
    case 'reserve':
      return {
        name: 'inventory-reserve',
        ctes: [
          `stock AS (UPDATE inventory_products p
            SET available = p.available - n.q, reserved = p.reserved + n.q, updated_at = now()
            FROM unnest($1::text[], $2::int[]) AS n(sku, q) WHERE p.sku = n.sku)`,
          `reservation AS (INSERT INTO inventory_reservations (order_id, state, lines, total_cents)
            VALUES ($3, 'reserved', $4, $5))`,
        ],
        values: [skus(write.stock), quantities(write.stock), orderId, JSON.stringify(write.lines), write.totalCents],
      };
    case 'release':
      return {
        name: 'inventory-release',
        ctes: [
          `stock AS (UPDATE inventory_products p
            SET available = p.available + n.q, reserved = p.reserved - n.q * $3, updated_at = now()
            FROM unnest($1::text[], $2::int[]) AS n(sku, q) WHERE p.sku = n.sku)`,
          `reservation AS (UPDATE inventory_reservations SET state = 'released', updated_at = now()
            WHERE order_id = $4)`,
        ],
        values: [skus(write.stock), quantities(write.stock), write.fromReserved ? 1 : 0, orderId],
      };
    case 'tombstone':
      return {
        name: 'inventory-void',
        ctes: [
          `tombstone AS (INSERT INTO inventory_reservations (order_id, state, lines, total_cents)
            VALUES ($1, 'released', '[]', 0))`,
        ],
        values: [orderId],
      };
    case 'commit':
      return salesWriteOf([orderId], write.stock);
  }
}

/**
 * A batch's writes: the stock each sku gained or lost in all, and each reservation the batch created or
 * changed, as it ends (one row per order: a reserve and a release of one order make one released row).
 */
function batchWriteOf(deltas: StockDelta[], reservations: Reservation[]): PgWrite {
  const moved = deltas.filter((d) => d.available !== 0 || d.reserved !== 0);
  return {
    name: 'inventory-batch',
    ctes: [
      `stock AS (UPDATE inventory_products p
        SET available = p.available + n.a, reserved = p.reserved + n.r, updated_at = now()
        FROM unnest($1::text[], $2::int[], $3::int[]) AS n(sku, a, r) WHERE p.sku = n.sku)`,
      `reservations AS (INSERT INTO inventory_reservations (order_id, state, lines, total_cents)
        SELECT * FROM unnest($4::text[], $5::text[], $6::jsonb[], $7::bigint[])
        ON CONFLICT (order_id) DO UPDATE SET state = EXCLUDED.state, updated_at = now())`,
    ],
    values: [
      moved.map((d) => d.sku),
      moved.map((d) => d.available),
      moved.map((d) => d.reserved),
      reservations.map((r) => r.orderId),
      reservations.map((r) => r.state),
      reservations.map((r) => JSON.stringify(r.lines)),
      reservations.map((r) => r.totalCents),
    ],
  };
}

/** Completed orders' reservations turned into sales: `stock` holds each sku once (their sum). */
function salesWriteOf(orderIds: string[], stock: StockMove[]): PgWrite {
  return {
    ctes: [
      `stock AS (UPDATE inventory_products p SET reserved = p.reserved - n.q, updated_at = now()
        FROM unnest($1::text[], $2::int[]) AS n(sku, q) WHERE p.sku = n.sku)`,
      `sale AS (UPDATE inventory_reservations SET state = 'committed', updated_at = now()
        WHERE order_id = ANY($3::text[]))`,
    ],
    values: [stock.map((m) => m.sku), stock.map((m) => m.quantity), orderIds],
  };
}

/** Runs a write that returns nothing on its own. */
const runWrite = (client: pg.PoolClient, { name, ctes, values }: PgWrite) =>
  client.query({ name, text: `WITH ${ctes.join(',\n')}\nSELECT 1`, values });

/** The advisory lock that serialises the commands of one order. */
const orderLockKey = (orderId: string) => `inventory-order:${orderId}`;

const lockOrder = (client: pg.PoolClient, orderId: string) => lockKeys(client, [orderLockKey(orderId)]);

type JsonReservationRow = Omit<ReservationRow, 'created_at' | 'updated_at'> & {
  created_at: string;
  updated_at: string;
};

const fromJson = (row: JsonReservationRow): Reservation =>
  toReservation({ ...row, created_at: new Date(row.created_at), updated_at: new Date(row.updated_at) });

/**
 * After the order's lock: its reservation, and the order's products locked in sku order (so that
 * concurrent reserves neither oversell nor deadlock), in one statement.
 */
async function reservationAndLockedStock(
  client: pg.PoolClient,
  orderId: string,
  items: ReserveInventory['items'],
): Promise<{ existing: Reservation | null; products: Map<string, Product> }> {
  const { rows } = await client.query<{ existing: JsonReservationRow | null; products: ProductRow[] }>({
    name: 'inventory-reservation-and-stock',
    text: `WITH stock AS (
        SELECT ${PRODUCT_COLUMNS} FROM inventory_products WHERE sku = ANY($2::text[]) ORDER BY sku FOR UPDATE
      )
      SELECT (SELECT to_jsonb(r) FROM inventory_reservations r WHERE order_id = $1) AS existing,
        COALESCE((SELECT jsonb_agg(to_jsonb(s)) FROM stock s), '[]') AS products`,
    values: [orderId, [...quantitiesBySku(items).keys()]],
  });
  const row = rows[0]!;
  return {
    existing: row.existing ? fromJson(row.existing) : null,
    products: new Map(row.products.map((p) => [p.sku, toProduct(p)])),
  };
}

/**
 * After the orders' locks: their reservations, row-locked in order id order as a commit locks them, then
 * the products named, row-locked in sku order, in one statement. Unnamed: see `PgWrite.name`.
 */
async function lockedReservationsAndStock(
  client: pg.PoolClient,
  orderIds: string[],
  skus: string[],
): Promise<{ reservations: Map<string, Reservation>; products: Map<string, Product> }> {
  const { rows } = await client.query<{ reservations: JsonReservationRow[]; products: ProductRow[] }>({
    text: `WITH reservations AS (
        SELECT * FROM inventory_reservations WHERE order_id = ANY($1::text[]) ORDER BY order_id FOR UPDATE
      ), stock AS (
        SELECT ${PRODUCT_COLUMNS} FROM inventory_products WHERE sku = ANY($2::text[]) ORDER BY sku FOR UPDATE
      )
      SELECT COALESCE((SELECT jsonb_agg(to_jsonb(r)) FROM reservations r), '[]') AS reservations,
        COALESCE((SELECT jsonb_agg(to_jsonb(s)) FROM stock s), '[]') AS products`,
    values: [orderIds, skus],
  });
  const row = rows[0]!;
  return {
    reservations: new Map(row.reservations.map((r) => [r.order_id, fromJson(r)])),
    products: new Map(row.products.map((p) => [p.sku, toProduct(p)])),
  };
}

/** The order's reservation, row-locked so that a concurrent commit waits for this release (and vice versa). */
async function lockReservation(client: pg.PoolClient, orderId: string): Promise<Reservation | null> {
  const { rows } = await client.query<ReservationRow>({
    name: 'inventory-lock-reservation',
    text: 'SELECT * FROM inventory_reservations WHERE order_id = $1 FOR UPDATE',
    values: [orderId],
  });
  return rows[0] ? toReservation(rows[0]) : null;
}
