import type { OrderLine, PricedLine, Product, ReleaseResult, ReserveInventory } from '@sagaflow/contracts';
import { failure, success, type Execution, type ReplyOf } from '../kit/inbox.js';
import type { Reservation, ReservationState, StockChange } from './inventory-store.js';

export type Pricing =
  | { ok: true; lines: PricedLine[]; totalCents: number; needs: Map<string, number> }
  | { ok: false; reply: ReplyOf<'inventory.reserve'> };

/** Quantity wanted per sku (an order may name a sku on several lines). */
export function quantitiesBySku(items: { sku: string; quantity: number }[]): Map<string, number> {
  const needs = new Map<string, number>();
  for (const item of items) needs.set(item.sku, (needs.get(item.sku) ?? 0) + item.quantity);
  return new Map([...needs].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Prices an order from the catalogue and checks every sku has the stock: all lines or a failure. */
export function priceOrder(items: OrderLine[], products: Map<string, Product>): Pricing {
  const needs = quantitiesBySku(items);
  for (const sku of needs.keys()) {
    if (!products.has(sku)) return { ok: false, reply: failure('unknown_sku', `unknown sku '${sku}'`) };
  }
  for (const [sku, quantity] of needs) {
    const available = products.get(sku)!.available;
    if (available < quantity) {
      return {
        ok: false,
        reply: failure('out_of_stock', `not enough '${sku}' in stock: ${quantity} wanted, ${available} available`),
      };
    }
  }
  const lines = items.map((item) => {
    const product = products.get(item.sku)!;
    return {
      sku: item.sku,
      name: product.name,
      quantity: item.quantity,
      unitPriceCents: product.priceCents,
      lineTotalCents: product.priceCents * item.quantity,
    };
  });
  return { ok: true, lines, totalCents: lines.reduce((sum, l) => sum + l.lineTotalCents, 0), needs };
}

/** The answer to a reserve for an order that already has a reservation (another command for the same order). */
function replyForExisting(reservation: Reservation): ReplyOf<'inventory.reserve'> {
  if (reservation.state === 'released') {
    return failure('order_voided', `the reservation of order '${reservation.orderId}' was released`);
  }
  return success({ lines: reservation.lines, totalCents: reservation.totalCents });
}

export const releasedOf = (lines: PricedLine[]): ReleaseResult['released'] =>
  [...quantitiesBySku(lines)].map(([sku, quantity]) => ({ sku, quantity }));

/** Stock of one sku that a decision moves. */
export interface StockMove {
  sku: string;
  quantity: number;
}

/**
 * What a store writes for a decision. `reserve`: each `stock` quantity leaves `available` for `reserved`
 * and the order's reservation is created. `release`: each quantity goes back to `available` (and leaves
 * `reserved` when `fromReserved`), and the reservation, read in state `from`, becomes `released`.
 * `tombstone`: an empty `released` reservation for an order released before it was reserved.
 * `commit`: each quantity leaves `reserved` (it is sold) and the `reserved` reservation becomes `committed`.
 */
export type InventoryWrite =
  | { kind: 'reserve'; lines: PricedLine[]; totalCents: number; stock: StockChange[] }
  | { kind: 'release'; from: ReservationState; fromReserved: boolean; stock: StockMove[] }
  | { kind: 'tombstone' }
  | { kind: 'commit'; stock: StockMove[] };

export type ReserveDecision = Execution<ReplyOf<'inventory.reserve'>> & {
  write?: Extract<InventoryWrite, { kind: 'reserve' }>;
};

export type ReleaseDecision = Execution<ReplyOf<'inventory.release'>> & {
  write?: Extract<InventoryWrite, { kind: 'release' | 'tombstone' }>;
};

/**
 * Reserve all lines or none: an order with a reservation gets the answer it got (or `order_voided` if it
 * was released); otherwise the order is priced from `products` (the stock the store read, locked) and
 * every sku's quantity is taken from what is available.
 */
export function decideReserve(
  existing: Reservation | null,
  products: Map<string, Product>,
  command: ReserveInventory,
): ReserveDecision {
  if (existing) return { reply: replyForExisting(existing), duplicate: true };
  const pricing = priceOrder(command.items, products);
  if (!pricing.ok) return { reply: pricing.reply, duplicate: false };
  const stock = [...pricing.needs].map(([sku, quantity]) => ({
    sku,
    quantity,
    available: products.get(sku)!.available - quantity,
  }));
  return {
    reply: success({ lines: pricing.lines, totalCents: pricing.totalCents }),
    duplicate: false,
    write: { kind: 'reserve', lines: pricing.lines, totalCents: pricing.totalCents, stock },
  };
}

/**
 * Release exactly what the order holds, once: a reserved or committed order gives its lines' stock back;
 * a released one gives nothing again; an order never reserved is tombstoned, so that a reserve arriving
 * after its compensation takes no stock for a dead order.
 */
export function decideRelease(existing: Reservation | null): ReleaseDecision {
  if (!existing) return { reply: success({ released: [] }), duplicate: false, write: { kind: 'tombstone' } };
  if (existing.state === 'released') return { reply: success({ released: [] }), duplicate: true };
  const released = releasedOf(existing.lines);
  return {
    reply: success({ released }),
    duplicate: false,
    write: { kind: 'release', from: existing.state, fromReserved: existing.state === 'reserved', stock: released },
  };
}

/** Turn a completed order's reservation into a sale: only a `reserved` one, and only once. */
export function decideCommit(existing: Reservation | null): Extract<InventoryWrite, { kind: 'commit' }> | null {
  return existing?.state === 'reserved' ? { kind: 'commit', stock: releasedOf(existing.lines) } : null;
}

/** How much of one sku's `available` and `reserved` a write changes (negative: taken away). */
export interface StockDelta {
  sku: string;
  available: number;
  reserved: number;
}

/** The stock a write moves, per sku. */
export function stockDeltasOf(write: InventoryWrite): StockDelta[] {
  switch (write.kind) {
    case 'reserve':
      return write.stock.map((m) => ({ sku: m.sku, available: -m.quantity, reserved: m.quantity }));
    case 'release':
      return write.stock.map((m) => ({
        sku: m.sku,
        available: m.quantity,
        reserved: write.fromReserved ? -m.quantity : 0,
      }));
    case 'tombstone':
      return [];
    case 'commit':
      return write.stock.map((m) => ({ sku: m.sku, available: 0, reserved: -m.quantity }));
  }
}

/**
 * What a write leaves behind, `at` the time it was decided, for the next command decided before anything
 * is written (as in a batch): the `products` it moves stock of (those the map holds) change in place, and
 * the order's reservation as it now stands is returned.
 */
export function afterInventoryWrite(
  products: Map<string, Product>,
  existing: Reservation | null,
  orderId: string,
  write: InventoryWrite,
  at: Date,
): Reservation {
  for (const delta of stockDeltasOf(write)) {
    const product = products.get(delta.sku);
    if (product) {
      products.set(delta.sku, {
        ...product,
        available: product.available + delta.available,
        reserved: product.reserved + delta.reserved,
      });
    }
  }
  const created = { orderId, createdAt: at, updatedAt: at };
  switch (write.kind) {
    case 'reserve':
      return { ...created, state: 'reserved', lines: write.lines, totalCents: write.totalCents };
    case 'tombstone':
      return { ...created, state: 'released', lines: [], totalCents: 0 };
    case 'release':
      return { ...existing!, state: 'released', updatedAt: at };
    case 'commit':
      return { ...existing!, state: 'committed', updatedAt: at };
  }
}
