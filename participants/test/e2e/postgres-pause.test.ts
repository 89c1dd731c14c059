import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { eventually, pausePostgres, type HttpResult, type LocalSystem } from '@sagaflow/contracts/testing';
import {
  createProduct,
  kinds,
  ledgerOf,
  placeOrder,
  productOf,
  settledOrder,
  useOrderSystem,
} from './support/order-system.js';

/** The most the API may take to answer while the store is paused. */
const ANSWER_WITHIN_MS = 5_000;
const PAUSE_MS = 8_000;

/** One request, with how long it took to answer. */
async function timed(
  system: LocalSystem,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<HttpResult & { ms: number }> {
  const started = Date.now();
  const response = await system.request('orchestrator', method, path, body, headers);
  return { ...response, ms: Date.now() - started };
}

/** The payment service's ledger of an order, with how long it took to answer. */
async function timedLedger(system: LocalSystem, orderId: string): Promise<HttpResult & { ms: number }> {
  const started = Date.now();
  const response = await system.request('payment', 'GET', `/payments?orderId=${orderId}`);
  return { ...response, ms: Date.now() - started };
}

/** An order request with its own Idempotency-Key, so that it can be sent again safely. */
function orderRequest(sku: string): { body: unknown; headers: Record<string, string> } {
  return {
    body: {
      customerId: `cust-${randomUUID().slice(0, 8)}`,
      customerEmail: 'ada@example.com',
      currency: 'EUR',
      items: [{ sku, quantity: 1 }],
      payment: { method: 'card', token: 'tok_visa' },
    },
    headers: { 'Idempotency-Key': randomUUID() },
  };
}

/** Resident memory of a process, from /proc. */
async function rssKbOf(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
}

describe('end to end: PostgreSQL paused (every postgres process stopped)', function () {
  this.timeout(120_000);
  const ctx = useOrderSystem('faults-pgpause');

  it('answers 503 store_unavailable within 5 s meanwhile (orchestrator and participants), and completes every accepted order after', async () => {
    const { system } = ctx;
    const product = await createProduct(system, { available: 100, priceCents: 700 });
    const known = await placeOrder(system, [{ sku: product.sku, quantity: 1 }]);
    await settledOrder(system, known.orderId);
    // In flight when the server stops: their commands and replies meet the pause half way.
    const accepted = await Promise.all(
      Array.from({ length: 10 }, () => placeOrder(system, [{ sku: product.sku, quantity: 1 }])),
    );
    const rssBefore = await rssKbOf(system.pid('orchestrator')!);

    const refused = Array.from({ length: 50 }, () => orderRequest(product.sku));
    const pause = await pausePostgres(PAUSE_MS);
    try {
      const [ledger, read, ready, ...posted] = await Promise.all([
        timedLedger(system, known.orderId),
        timed(system, 'GET', `/orders/${known.orderId}`),
        timed(system, 'GET', '/readyz'),
        ...refused.map(({ body, headers }) => timed(system, 'POST', '/orders', body, headers)),
      ]);
      for (const response of [ledger, read, ...posted]) {
        expect(response.status, response.text).to.equal(503);
        expect(response.body).to.include({ error: 'store_unavailable' });
        expect(response.ms, 'answered while the store is paused').to.be.below(ANSWER_WITHIN_MS);
      }
      expect(ready.status, ready.text).to.equal(503);
      expect((ready.body as { store: string }).store).to.not.equal('ok');
      expect(ready.ms).to.be.below(ANSWER_WITHIN_MS);
      const again = await timed(system, 'GET', `/orders/${known.orderId}`);
      expect(again.status, again.text).to.equal(503);
      expect(again.ms).to.be.below(ANSWER_WITHIN_MS);
      expect(await rssKbOf(system.pid('orchestrator')!), 'orchestrator memory (kB)').to.be.below(rssBefore + 100_000);
    } finally {
      await pause.resume();
    }

    // A client retries a 503 (the server may still be catching up). A 503 leaves it open whether the order was written (its statement may have reached the server
    // before the pause); the same Idempotency-Key tells, and never places it twice.
    for (const { body, headers } of refused) {
      const again = await eventually(
        async () => {
          const response = await timed(system, 'POST', '/orders', body, headers);
          expect(response.status, response.text).to.equal(202);
          return response;
        },
        { timeoutMs: 15_000, intervalMs: 200 },
      );
      accepted.push(again.body as { orderId: string; sagaId: string });
    }
    for (const { orderId } of accepted) {
      expect((await settledOrder(system, orderId, 30_000)).status, orderId).to.equal('CONFIRMED');
      expect(kinds(await ledgerOf(system, orderId)), orderId).to.deep.equal(['charge']);
    }
    expect(system.unexpectedExits()).to.deep.equal([]);
    const after = await timed(system, 'GET', '/readyz');
    expect(after.status, after.text).to.equal(200);
    expect((await productOf(system, product.sku)).available).to.equal(100 - 1 - accepted.length);
  });
});
