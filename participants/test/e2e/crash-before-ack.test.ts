import { expect } from 'chai';
import pg from 'pg';
import { parseStoreUrl } from '@sagaflow/contracts';
import { waitUntil } from '@sagaflow/contracts/testing';
import {
  createProduct,
  effectsSettled,
  kinds,
  ledgerOf,
  placeOrder,
  productOf,
  settledOrder,
  useOrderSystem,
} from './support/order-system.js';

/** The payment ledger read straight from PostgreSQL, for while the payment service is down. */
async function ledgerKindsInStore(storeUrl: string, orderId: string): Promise<string[]> {
  const { url, schema } = parseStoreUrl(storeUrl);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const { rows } = await client.query<{ kind: string }>(
      `SELECT kind FROM "${schema ?? 'public'}".payment_ledger WHERE order_id = $1 ORDER BY kind`,
      [orderId],
    );
    return rows.map((row) => row.kind);
  } finally {
    await client.end();
  }
}

describe('participants end to end: a participant killed after its effect and before its ack', function () {
  this.timeout(60_000);
  const ctx = useOrderSystem('faults-crash');

  it('completes the order once after the restart: the redelivered charge is answered from the inbox', async () => {
    const { system } = ctx;
    const product = await createProduct(system, { available: 5, priceCents: 2_500 });
    const put = await system.request('payment', 'PUT', '/faults', { mode: 'crash', rate: 1 });
    expect(put.status, put.text).to.equal(200);

    const order = await placeOrder(system, [{ sku: product.sku, quantity: 2 }]);
    await waitUntil(() => system.pidsOf('payment').length === 0, 'payment crashed after committing the charge', {
      timeoutMs: 15_000,
    });
    // Committed before the crash: the charge is there, the order still waits for its reply.
    expect(await ledgerKindsInStore(system.storeUrl, order.orderId)).to.deep.equal(['charge']);

    await system.restart('payment');
    expect((await settledOrder(system, order.orderId)).status).to.equal('CONFIRMED');
    await effectsSettled(system, order.orderId, 'order.confirmed', product.sku);

    const ledger = await ledgerOf(system, order.orderId);
    expect(kinds(ledger)).to.deep.equal(['charge']);
    expect(ledger[0]!.amountCents).to.equal(5_000);
    expect(await productOf(system, product.sku)).to.include({ available: 3, reserved: 0 });
    const metrics = await fetch(`${system.url('payment')}/metrics`).then((r) => r.text());
    expect(metrics, 'the redelivered charge was answered as a duplicate').to.match(
      /sagaflow_participant_duplicate_commands_total\{[^}]*type="payment.charge"[^}]*\} [1-9]/,
    );
  });
});
