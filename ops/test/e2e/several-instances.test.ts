import { expect } from 'chai';
import { eventually, startTestSystem, type TestSystem } from '@sagaflow/contracts/testing';
import { createProduct, settledStatus } from './support/ops-system.js';

/** Commands an instance handled so far, from its Prometheus counter. */
async function commandsHandled(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return text
    .split('\n')
    .filter((line) => line.startsWith('sagaflow_participant_commands_total'))
    .reduce((sum, line) => sum + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
}

describe('several instances of a service (startTestSystem instances)', function () {
  this.timeout(90_000);
  let started: TestSystem | undefined;

  before(async function () {
    this.timeout(90_000);
    started = await startTestSystem({
      prefix: 'e2e-instances',
      instances: { orchestrator: 2, payment: 2 },
      startTimeoutMs: 45_000,
    });
  });

  after(async function () {
    this.timeout(30_000);
    await started?.cleanup();
  });

  it('runs each instance on its own port, the first where url() and pid() point', () => {
    const { system } = started!;
    for (const service of ['orchestrator', 'payment'] as const) {
      const urls = system.urlsOf(service);
      expect(urls).to.have.length(2);
      expect(new Set(urls).size).to.equal(2);
      expect(urls[0]).to.equal(system.url(service));
      expect(system.pidsOf(service)).to.have.length(2);
      expect(system.pidsOf(service)[0]).to.equal(system.pid(service));
    }
    expect(system.urlsOf('inventory')).to.deep.equal([system.url('inventory')]);
  });

  it('confirms orders placed on either orchestrator, the payment instances sharing the charges', async () => {
    const { system } = started!;
    const sku = await createProduct(system, 100, 500);
    const orchestrators = system.urlsOf('orchestrator');
    const placed = await Promise.all(
      Array.from({ length: 20 }, async (_, n) => {
        const response = await fetch(`${orchestrators[n % 2]}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            customerId: `cust-${n}`,
            customerEmail: 'many@example.com',
            currency: 'EUR',
            items: [{ sku, quantity: 1 }],
            payment: { method: 'card', token: 'tok_visa' },
          }),
        });
        expect(response.status).to.equal(202);
        return (await response.json()) as { orderId: string };
      }),
    );
    for (const { orderId } of placed) expect(await settledStatus(system, orderId)).to.equal('CONFIRMED');
    // Competing consumers with a prefetch each: the broker hands both instances work.
    await eventually(async () => {
      const handled = await Promise.all(system.urlsOf('payment').map(commandsHandled));
      expect(handled.reduce((a, b) => a + b, 0)).to.equal(placed.length);
      for (const count of handled) expect(count).to.be.above(0);
    });
  });
});
