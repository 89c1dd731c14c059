import type { OrderLine, PricedLine, Product, ReleaseResult } from '@sagaflow/contracts';
import { failure, success, type ReplyOf } from '../kit/inbox.js';
import type { Reservation } from './inventory-store.js';

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
export function replyForExisting(reservation: Reservation): ReplyOf<'inventory.reserve'> {
  if (reservation.state === 'released') {
    return failure('order_voided', `the reservation of order '${reservation.orderId}' was released`);
  }
  return success({ lines: reservation.lines, totalCents: reservation.totalCents });
}

export const releasedOf = (lines: PricedLine[]): ReleaseResult['released'] =>
  [...quantitiesBySku(lines)].map(([sku, quantity]) => ({ sku, quantity }));
