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
 * Inventory on PostgreSQL. Every write to an order takes that order's advisory lock first, then the
 * product rows in sku order, so concurrent commands neither oversell nor deadlock.
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
      const existing = await selectReservation(client, command.orderId);
      if (existing) return { reply: replyForExisting(existing), duplicate: true };
      const skus = [...quantitiesBySku(command.items).keys()];
      const { rows } = await client.query<ProductRow>(
        `SELECT ${PRODUCT_COLUMNS} FROM inventory_products WHERE sku = ANY($1::text[]) ORDER BY sku FOR UPDATE`,
        [skus],
      );
      const pricing = priceOrder(command.items, new Map(rows.map((r) => [r.sku, toProduct(r)])));
      if (!pricing.ok) return { reply: pricing.reply, duplicate: false };
      const updated = await client.query<{ sku: string; available: number }>(
        `UPDATE inventory_products p SET available = p.available - n.q, reserved = p.reserved + n.q, updated_at = now()
         FROM unnest($1::text[], $2::int[]) AS n(sku, q) WHERE p.sku = n.sku RETURNING p.sku, p.available`,
        [[...pricing.needs.keys()], [...pricing.needs.values()]],
      );
      changes = updated.rows.map((r) => ({ sku: r.sku, quantity: pricing.needs.get(r.sku)!, available: r.available }));
      await client.query(
        `INSERT INTO inventory_reservations (order_id, state, lines, total_cents) VALUES ($1, 'reserved', $2, $3)`,
        [command.orderId, JSON.stringify(pricing.lines), pricing.totalCents],
      );
      return { reply: success({ lines: pricing.lines, totalCents: pricing.totalCents }), duplicate: false };
    });
    return { ...execution, changes: execution.duplicate ? [] : changes };
  }

  release(key: InboxKey, command: ReleaseInventory) {
    return runOncePg(this.db, SERVICE, key, async (client) => {
      await lockOrder(client, command.orderId);
      const existing = await selectReservation(client, command.orderId);
      if (!existing) {
        // A tombstone: a reserve arriving after its compensation must not take stock for a dead order.
        await client.query(
          `INSERT INTO inventory_reservations (order_id, state, lines, total_cents) VALUES ($1, 'released', '[]', 0)`,
          [command.orderId],
        );
        return { reply: success({ released: [] }), duplicate: false };
      }
      if (existing.state === 'released') return { reply: success({ released: [] }), duplicate: true };
      const released = releasedOf(existing.lines);
      const held = existing.state === 'reserved' ? 1 : 0;
      await client.query(
        `UPDATE inventory_products p SET available = p.available + n.q, reserved = p.reserved - n.q * $3,
           updated_at = now()
         FROM unnest($1::text[], $2::int[]) AS n(sku, q) WHERE p.sku = n.sku`,
        [released.map((r) => r.sku), released.map((r) => r.quantity), held],
      );
      await client.query(
        `UPDATE inventory_reservations SET state = 'released', updated_at = now() WHERE order_id = $1`,
        [command.orderId],
      );
      return { reply: success({ released }), duplicate: false };
    });
  }

  async commit(orderId: string): Promise<boolean> {
    return this.db.transaction(async (client) => {
      await lockOrder(client, orderId);
      const existing = await selectReservation(client, orderId);
      if (existing?.state !== 'reserved') return false;
      const sold = releasedOf(existing.lines);
      await client.query(
        `UPDATE inventory_products p SET reserved = p.reserved - n.q, updated_at = now()
         FROM unnest($1::text[], $2::int[]) AS n(sku, q) WHERE p.sku = n.sku`,
        [sold.map((r) => r.sku), sold.map((r) => r.quantity)],
      );
      await client.query(
        `UPDATE inventory_reservations SET state = 'committed', updated_at = now() WHERE order_id = $1`,
        [orderId],
      );
      return true;
    });
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

const lockOrder = (client: pg.PoolClient, orderId: string) =>
  client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`inventory-order:${orderId}`]);

async function selectReservation(client: pg.PoolClient, orderId: string): Promise<Reservation | null> {
  const { rows } = await client.query<ReservationRow>('SELECT * FROM inventory_reservations WHERE order_id = $1', [
    orderId,
  ]);
  return rows[0] ? toReservation(rows[0]) : null;
}
