import { expect } from 'chai';
import { currencyOfQueue } from '@sagaflow/contracts';
import { vhostOf } from '@sagaflow/contracts/messaging';
import { eventually, managementApi, type LocalSystem } from '@sagaflow/contracts/testing';
import { API_TOKEN, createProduct, json, ops, settledStatus, useOpsSystem } from './support/ops-system.js';

const authorized = { authorization: `Bearer ${API_TOKEN}` };

/** Payment commands an instance answered, by command type (its Prometheus counter, every outcome). */
async function paymentCommandsOf(url: string): Promise<{ charges: number; refunds: number }> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const count = (type: string) =>
    text
      .split('\n')
      .filter((line) => line.startsWith('sagaflow_participant_commands_total{') && line.includes(`type="${type}"`))
      .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  return { charges: count('payment.charge'), refunds: count('payment.refund') };
}

function placeOrder(system: LocalSystem, sku: string, currency: string) {
  return system.request(
    'orchestrator',
    'POST',
    '/orders',
    {
      customerId: 'cust-cur',
      customerEmail: 'cur@example.com',
      currency,
      items: [{ sku, quantity: 1 }],
      payment: { method: 'card', token: 'tok_visa' },
    },
    authorized,
  );
}

async function confirmedOrder(system: LocalSystem, sku: string, currency: string): Promise<string> {
  const placed = await placeOrder(system, sku, currency);
  expect(placed.status, placed.text).to.equal(202);
  const { orderId } = placed.body as { orderId: string };
  expect(await settledStatus(system, orderId)).to.equal('CONFIRMED');
  return orderId;
}

/** One system for a describe block whose payment instances run with these `PAYMENT_CURRENCIES` ('' for none). */
const useSystemWithPaymentWorkers = (prefix: string, currencies: string[]) =>
  useOpsSystem(prefix, {
    instances: { payment: currencies.length },
    instanceEnv: { payment: currencies.map((c): Record<string, string> => (c ? { PAYMENT_CURRENCIES: c } : {})) },
    startTimeoutMs: 45_000,
  });

describe('payment routing by currency (PAYMENT_CURRENCIES)', function () {
  this.timeout(60_000);

  describe('a EUR,GBP worker beside a default worker', () => {
    const running = useSystemWithPaymentWorkers('e2e-currency', ['eur,GBP', '']);
    const system = () => running.system;

    it('sends EUR and GBP charges and refunds to the EUR,GBP worker only, USD to the default worker', async () => {
      const sku = await createProduct(system(), 100, 700);
      const [byCurrency, byDefault] = system().urlsOf('payment');
      const eur = await confirmedOrder(system(), sku, 'EUR');
      await confirmedOrder(system(), sku, 'GBP');
      await confirmedOrder(system(), sku, 'USD');
      const cancelled = await system().request('orchestrator', 'POST', `/orders/${eur}/cancel`, undefined, authorized);
      expect(cancelled.status, cancelled.text).to.equal(202);
      await eventually(async () => expect(await settledStatus(system(), eur)).to.equal('CANCELLED'));
      expect(await paymentCommandsOf(byCurrency!)).to.deep.equal({ charges: 2, refunds: 1 });
      expect(await paymentCommandsOf(byDefault!)).to.deep.equal({ charges: 1, refunds: 0 });
      // Only payment workers declare payment command queues: one of each kind here.
      const queues = (await managementApi(
        'GET',
        `/queues/${encodeURIComponent(vhostOf(system().amqpUrl))}?columns=name`,
      )) as {
        name: string;
      }[];
      expect(
        queues.map((q) => q.name).filter((name) => name === 'payment.commands' || currencyOfQueue(name) !== null),
      ).to.have.members(['payment.commands', 'payment.commands.eur', 'payment.commands.gbp']);
    });

    it('lists and replays the dead letters of a currency queue (GET /dlq, sagaflow-ops dlq)', async () => {
      const sku = await createProduct(system(), 100, 700);
      const [byCurrency] = system().urlsOf('payment');
      const fault = await fetch(`${byCurrency}/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ mode: 'error', rate: 1 }),
      });
      expect(fault.status).to.equal(200);
      const placed = await placeOrder(system(), sku, 'GBP');
      expect(placed.status, placed.text).to.equal(202);
      const { sagaId, orderId } = placed.body as { sagaId: string; orderId: string };
      const listed = await eventually(
        async () => {
          const response = await system().request('orchestrator', 'GET', '/dlq', undefined, authorized);
          const items = (response.body as { items: { queue: string; sagaId: string; routingKey: string }[] }).items;
          const ours = items.filter((d) => d.sagaId === sagaId);
          if (!ours.length) throw new Error(`no dead letter of saga ${sagaId} yet: ${response.text}`);
          return ours;
        },
        { timeoutMs: 15_000, intervalMs: 100 },
      );
      expect(listed[0]).to.include({ queue: 'payment.commands.gbp.dlq', routingKey: 'payment.charge.gbp' });
      const cli = json<{ items: { queue: string }[] }>(await ops(system(), ['dlq', 'list', '--json']));
      expect(cli.items.map((d) => d.queue)).to.include('payment.commands.gbp.dlq');
      await fetch(`${byCurrency}/faults`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ mode: 'none' }),
      });
      const replay = await ops(system(), ['dlq', 'replay', '--queue', 'payment.commands.gbp.dlq', '--saga', sagaId]);
      expect(replay.code, replay.stderr).to.equal(0);
      expect(await settledStatus(system(), orderId)).to.equal('CONFIRMED');
    });
  });

  describe('a EUR,GBP worker alone', () => {
    const running = useSystemWithPaymentWorkers('e2e-currency-only', ['EUR,GBP']);

    it('refuses a USD order at POST /orders (422 currency_not_served) and confirms a EUR one', async () => {
      const { system } = running;
      const sku = await createProduct(system, 100, 700);
      const refused = await placeOrder(system, sku, 'USD');
      expect(refused.status, refused.text).to.equal(422);
      expect(refused.body).to.include({ error: 'currency_not_served' });
      expect((refused.body as { message: string }).message)
        .to.contain('USD')
        .and.contain('PAYMENT_CURRENCIES');
      await confirmedOrder(system, sku, 'EUR');
      const orders = (await system.request('orchestrator', 'GET', '/orders?customerId=cust-cur')).body as {
        items: { currency: string }[];
      };
      expect(orders.items.map((o) => o.currency)).to.deep.equal(['EUR']);
    });
  });
});
