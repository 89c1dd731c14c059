import { expect } from 'chai';
import { eventually } from '@sagaflow/contracts/testing';
import {
  createProduct,
  kinds,
  ledgerOf,
  notificationsOf,
  placeOrder,
  productOf,
  settledOrder,
  templates,
  useOrderSystem,
} from './support/order-system.js';

describe('participants end to end: orders racing for the last units', function () {
  this.timeout(60_000);
  const ctx = useOrderSystem('e2e-concurrency');

  it('confirms exactly as many orders as there are units, charges each once and conserves stock', async () => {
    const { system } = ctx;
    const STOCK = 20;
    const ORDERS = 60;
    const product = await createProduct(system, { available: STOCK, priceCents: 700 });

    const placed = await Promise.all(
      Array.from({ length: ORDERS }, () => placeOrder(system, [{ sku: product.sku, quantity: 1 }])),
    );
    const orders = await Promise.all(placed.map(({ orderId }) => settledOrder(system, orderId, 30_000)));

    const confirmed = orders.filter((o) => o.status === 'CONFIRMED');
    const cancelled = orders.filter((o) => o.status === 'CANCELLED');
    expect(confirmed, 'confirmed orders').to.have.length(STOCK);
    expect(cancelled, 'cancelled orders').to.have.length(ORDERS - STOCK);

    await eventually(
      async () => {
        expect(await productOf(system, product.sku)).to.include({ available: 0, reserved: 0 });
      },
      { timeoutMs: 10_000, intervalMs: 50 },
    );

    const ledgers = await Promise.all(
      orders.map(async (o) => ({ order: o, ledger: await ledgerOf(system, o.orderId) })),
    );
    for (const { order, ledger } of ledgers) {
      if (order.status === 'CONFIRMED') {
        expect(kinds(ledger), `ledger of confirmed ${order.orderId}`).to.deep.equal(['charge']);
        expect(ledger[0]!.amountCents).to.equal(700);
      } else {
        expect(ledger, `ledger of cancelled ${order.orderId}`).to.deep.equal([]);
      }
    }
    // Stock is conserved: what was there is what is left plus what the confirmed orders took.
    const atRest = await productOf(system, product.sku);
    expect(atRest.available + atRest.reserved + confirmed.length).to.equal(STOCK);

    await eventually(
      async () => {
        for (const order of cancelled.slice(0, 5)) {
          expect(templates(await notificationsOf(system, order.orderId))).to.deep.equal(['order.cancelled']);
        }
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
  });
});
