import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { sagaflowTopology, type ReconciliationReport } from '@sagaflow/contracts';
import { createMessage, MessageBus, silentLogger } from '@sagaflow/contracts/messaging';
import { eventually } from '@sagaflow/contracts/testing';
import {
  API_TOKEN,
  createProduct,
  ops,
  orderOf,
  placeOrder,
  settledStatus,
  useOpsSystem,
} from './support/ops-system.js';

const authorized = { authorization: `Bearer ${API_TOKEN}` };
/** Orders at rest this long are judged: short, so that the test need not wait minutes. */
const STALLED_AFTER = '1s';
const STALLED_AFTER_MS = 1_000;

describe('sagaflow-ops reconcile end to end (every service a process)', function () {
  this.timeout(90_000);
  const ctx = useOpsSystem('recon-e2e');
  let bus: MessageBus | undefined;

  /** A client of the test's own, to publish commands straight to the participants' queues. */
  const publisher = async () =>
    (bus ??= await MessageBus.connect({
      url: ctx.system.amqpUrl,
      topology: sagaflowTopology([50, 100]),
      logger: silentLogger(),
      name: 'recon-publisher',
    }));

  after(async () => {
    await bus?.stop();
  });

  const order = (sku: string, token: string) =>
    ctx.system.request(
      'orchestrator',
      'POST',
      '/orders',
      {
        customerId: 'cust-recon',
        customerEmail: 'recon@example.com',
        currency: 'EUR',
        items: [{ sku, quantity: 1 }],
        payment: { method: 'card', token },
      },
      authorized,
    );

  /** Waits until the order and its sagas have finished and been at rest long enough to be judged. */
  async function atRest(orderId: string, sagaStatus: string): Promise<void> {
    await eventually(
      async () => {
        const response = await ctx.system.request('orchestrator', 'GET', `/orders/${orderId}`);
        const found = response.body as { sagaStatus: string; updatedAt: string };
        expect(found.sagaStatus).to.equal(sagaStatus);
        expect(Date.now() - Date.parse(found.updatedAt)).to.be.greaterThan(STALLED_AFTER_MS + 200);
      },
      { timeoutMs: 20_000, intervalMs: 100 },
    );
  }

  const reconcile = (argv: string[] = [], token: string | null = API_TOKEN) =>
    ops(ctx.system, ['reconcile', '--stalled-after', STALLED_AFTER, ...argv], token);

  it('finds no anomalies after confirmed, declined and cancelled-after-confirm orders, and exits 0', async () => {
    const { system } = ctx;
    const sku = await createProduct(system, 10, 1_500);
    const confirmed = await placeOrder(system, sku);
    const declinedAnswer = await order(sku, 'tok_decline');
    expect(declinedAnswer.status, declinedAnswer.text).to.equal(202);
    const declined = declinedAnswer.body as { orderId: string };
    const cancelled = await placeOrder(system, sku);
    expect(await settledStatus(system, confirmed.orderId)).to.equal('CONFIRMED');
    expect(await settledStatus(system, declined.orderId)).to.equal('CANCELLED');
    expect(await settledStatus(system, cancelled.orderId)).to.equal('CONFIRMED');
    const cancel = await system.request(
      'orchestrator',
      'POST',
      `/orders/${cancelled.orderId}/cancel`,
      undefined,
      authorized,
    );
    expect(cancel.status, cancel.text).to.equal(202);
    await atRest(confirmed.orderId, 'COMPLETED');
    await atRest(declined.orderId, 'CANCELLED');
    await atRest(cancelled.orderId, 'COMPLETED');
    expect((await orderOf(system, cancelled.orderId)).status).to.equal('CANCELLED');

    const run = await reconcile();
    expect(run.code, run.stderr + run.stdout).to.equal(0);
    expect(run.stdout).to.match(
      /^no anomalies: 3 orders checked \(4 sagas, 2 charges, 1 refunds, 3 reservations, 4 notifications\)/,
    );
    const report = JSON.parse((await reconcile(['--json'])).stdout) as ReconciliationReport;
    expect(report).to.deep.include({
      stalledAfterMs: STALLED_AFTER_MS,
      anomalies: [],
      counts: { orders: 3, sagas: 4, charges: 2, refunds: 1, reservations: 3, notifications: 4 },
    });
  });

  it('finds a charge and a reservation for unknown orders and stock held for a finished order, and exits 1', async () => {
    const { system } = ctx;
    const inStock = await createProduct(system, 5, 700);
    const soldOut = await createProduct(system, 0, 700);
    const refusedAnswer = await order(soldOut, 'tok_visa');
    expect(refusedAnswer.status, refusedAnswer.text).to.equal(202);
    const refused = refusedAnswer.body as { orderId: string };
    expect(await settledStatus(system, refused.orderId)).to.equal('CANCELLED');

    const ghostCharge = `ghost-charge-${randomUUID()}`;
    const ghostReserve = `ghost-reserve-${randomUUID()}`;
    const publish = await publisher();
    const command = { sagaId: `saga-${randomUUID()}` };
    await publish.publish(
      createMessage(
        'payment.charge',
        {
          orderId: ghostCharge,
          customerId: 'cust-ghost',
          amountCents: 4_200,
          currency: 'EUR',
          method: 'card',
          token: 'tok_visa',
        },
        { ...command, commandId: `cmd-${randomUUID()}` },
      ),
    );
    await publish.publish(
      createMessage(
        'inventory.reserve',
        { orderId: ghostReserve, items: [{ sku: inStock, quantity: 2 }] },
        { ...command, commandId: `cmd-${randomUUID()}` },
      ),
    );
    // A reserve for an order that finished without one: it takes stock nobody will give back.
    await publish.publish(
      createMessage(
        'inventory.reserve',
        { orderId: refused.orderId, items: [{ sku: inStock, quantity: 1 }] },
        { ...command, commandId: `cmd-${randomUUID()}` },
      ),
    );

    const expected = [
      ['charge_for_unknown_order', ghostCharge],
      ['reservation_for_unknown_order', ghostReserve],
      ['stock_held_after_finish', refused.orderId],
    ];
    const report = await eventually(
      async () => {
        const run = await reconcile(['--json']);
        expect(run.code, run.stderr).to.equal(1);
        const parsed = JSON.parse(run.stdout) as ReconciliationReport;
        expect(parsed.anomalies.map((a) => [a.kind, a.orderId])).to.have.deep.members(expected);
        return parsed;
      },
      { timeoutMs: 20_000, intervalMs: 250 },
    );
    const charge = report.anomalies.find((a) => a.kind === 'charge_for_unknown_order')!;
    expect(charge.detail).to.contain('42.00 EUR');
    expect(charge.action).to.contain('refund');
    expect(report.anomalies.find((a) => a.kind === 'stock_held_after_finish')!.detail).to.contain('still reserved');

    const table = await reconcile();
    expect(table.code).to.equal(1);
    expect(table.stdout).to.match(/^KIND\s+ORDER\s+SAGA\s+WHAT IS WRONG\s+ACTION/);
    for (const [kind, orderId] of expected) expect(table.stdout).to.match(new RegExp(`${kind}\\s+${orderId}`));
    expect(table.stdout).to.match(/\n3 anomalies: \d+ orders checked/);
  });

  it('needs the token when the orchestrator has one', async () => {
    const anonymous = await ctx.system.request('orchestrator', 'GET', '/reconciliation');
    expect(anonymous.status).to.equal(401);
    expect(anonymous.body).to.include({ error: 'unauthorized' });
    const run = await reconcile([], null);
    expect(run.code).to.equal(1);
    expect(run.stderr).to.contain('unauthorized');
  });

  it('refuses a bad --stalled-after as bad usage, and a bad stalledAfter with a 400', async () => {
    const run = await ops(ctx.system, ['reconcile', '--stalled-after', 'soon']);
    expect(run.code).to.equal(2);
    expect(run.stderr).to.contain("'soon' is not a duration");
    const bad = await ctx.system.request(
      'orchestrator',
      'GET',
      '/reconciliation?stalledAfter=soon',
      undefined,
      authorized,
    );
    expect(bad.status).to.equal(400);
    expect(bad.body).to.include({ error: 'validation_failed' });
  });

  it('answers 503 naming a participant that does not answer, never an all-clear', async () => {
    const { system } = ctx;
    await system.kill('notification');
    try {
      const response = await system.request('orchestrator', 'GET', '/reconciliation', undefined, authorized);
      expect(response.status, response.text).to.equal(503);
      expect(response.body).to.deep.include({
        error: 'participant_unavailable',
        details: { participant: 'notification' },
      });
      expect((response.body as { message: string }).message).to.contain('notification service');
      const run = await reconcile();
      expect(run.code).to.equal(1);
      expect(run.stdout).to.equal('');
      expect(run.stderr).to.contain('notification service').and.contain('503');
    } finally {
      await system.restart('notification');
    }
  });
});
