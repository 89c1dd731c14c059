import type pg from 'pg';
import type { PricedLine, Product, PutProductRequest, ReleaseInventory, ReserveInventory } from '@sagaflow/contracts';
import { success, type InboxKey, type StoredReply } from '../kit/inbox.js';
import { findPgReply, INBOX_DDL, PgDatabase, runOncePg } from '../kit/pg-database.js';
import type { InventoryStore, ProductSeed, Reservation, ReserveExecution, StockChange } from './inventory-store.js';
import { priceOrder, quantitiesBySku, releasedOf, replyForExisting } from './reservation-rules.js';

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
  private constructor(private readonly db: PgDatabase) {}

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
      changes = [];
      await lockOrder(client, command.orderId);
      const { existing, products } = await reservationAndLockedStock(client, command.orderId, command.items);
      if (existing) return { execution: { reply: replyForExisting(existing), duplicate: true } };
      const pricing = priceOrder(command.items, products);
      if (!pricing.ok) return { execution: { reply: pricing.reply, duplicate: false } };
      // The product rows are locked by this transaction, so what the update leaves is known already.
      changes = [...pricing.needs].map(([sku, quantity]) => ({
        sku,
        quantity,
        available: products.get(sku)!.available - quantity,
      }));
      return {
        execution: { reply: success({ lines: pricing.lines, totalCents: pricing.totalCents }), duplicate: false },
        write: {
          name: 'inventory-reserve',
          ctes: [
            `stock AS (UPDATE inventory_products p
              SET available = p.available - n.q, reserved = p.reserved + n.q, updated_at = now()
              FROM unnest($1::text[], $2::int[]) AS n(sku, q) WHERE p.sku = n.sku)`,
            `reservation AS (INSERT INTO inventory_reservations (order_id, state, lines, total_cents)
              VALUES ($3, 'reserved', $4, $5))`,
          ],
          values: [
            [...pricing.needs.keys()],
            [...pricing.needs.values()],
            command.orderId,
            JSON.stringify(pricing.lines),
            pricing.totalCents,
          ],
        },
      };
    });
    return { ...execution, changes: execution.duplicate ? [] : changes };
  }

  release(key: InboxKey, command: ReleaseInventory) {
    return runOncePg(this.db, SERVICE, key, async (client) => {
      await lockOrder(client, command.orderId);
      const existing = await lockReservation(client, command.orderId);
      if (!existing) {
        // A tombstone: a reserve arriving after its compensation must not take stock for a dead order.
        return {
          execution: { reply: success({ released: [] }), duplicate: false },
          write: {
            name: 'inventory-void',
            ctes: [
              `tombstone AS (INSERT INTO inventory_reservations (order_id, state, lines, total_cents)
                VALUES ($1, 'released', '[]', 0))`,
            ],
            values: [command.orderId],
          },
        };
      }
      if (existing.state === 'released') return { execution: { reply: success({ released: [] }), duplicate: true } };
      const released = releasedOf(existing.lines);
      const held = existing.state === 'reserved' ? 1 : 0;
      return {
        execution: { reply: success({ released }), duplicate: false },
        write: {
          name: 'inventory-release',
          ctes: [
            `stock AS (UPDATE inventory_products p
              SET available = p.available + n.q, reserved = p.reserved - n.q * $3, updated_at = now()
              FROM unnest($1::text[], $2::int[]) AS n(sku, q) WHERE p.sku = n.sku)`,
            `reservation AS (UPDATE inventory_reservations SET state = 'released', updated_at = now()
              WHERE order_id = $4)`,
          ],
          values: [released.map((r) => r.sku), released.map((r) => r.quantity), held, command.orderId],
        },
      };
    });
  }

  /**
   * One conditional UPDATE: only a `reserved` reservation turns `committed`, and its row lock makes a
   * concurrent commit or release wait and then re-check the state, so stock is sold once. A release
   * reads the row FOR UPDATE, so it sees this commit (or this commit sees its release).
   */
  async commit(orderId: string): Promise<boolean> {
    for (let attempt = 1; ; attempt++) {
      try {
        const { rows } = await this.db.pool.query<{ committed: number }>({
          name: 'inventory-commit',
          text: COMMIT_SALE,
          values: [orderId],
        });
        return rows[0]!.committed > 0;
      } catch (error) {
        // Product rows are locked in no fixed order here, so a deadlock with another order's write can happen.
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

  close(): Promise<void> {
    return this.db.close();
  }
}

const COMMIT_SALE = `WITH sale AS (
    UPDATE inventory_reservations SET state = 'committed', updated_at = now()
    WHERE order_id = $1 AND state = 'reserved' RETURNING lines
  ), sold AS (
    SELECT line.sku, sum(line.quantity)::int AS q
    FROM sale, jsonb_to_recordset(sale.lines) AS line(sku text, quantity int) GROUP BY line.sku
  ), stock AS (
    UPDATE inventory_products p SET reserved = p.reserved - sold.q, updated_at = now() FROM sold WHERE p.sku = sold.sku
  )
  SELECT count(*)::int AS committed FROM sale`;

const lockOrder = (client: pg.PoolClient, orderId: string) =>
  client.query({
    name: 'inventory-lock-order',
    text: 'SELECT pg_advisory_xact_lock(hashtext($1))',
    values: [`inventory-order:${orderId}`],
  });

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

/** The order's reservation, row-locked so that a concurrent commit waits for this release (and vice versa). */
async function lockReservation(client: pg.PoolClient, orderId: string): Promise<Reservation | null> {
  const { rows } = await client.query<ReservationRow>({
    name: 'inventory-lock-reservation',
    text: 'SELECT * FROM inventory_reservations WHERE order_id = $1 FOR UPDATE',
    values: [orderId],
  });
  return rows[0] ? toReservation(rows[0]) : null;
}
