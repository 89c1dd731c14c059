import { expect } from 'chai';
import { SYSTEM_SERVICES, type SystemService } from '@sagaflow/contracts';
import { startTestSystem, type TestSystem } from '@sagaflow/contracts/testing';
import { brokenVerdictLines } from '../../chaos/chaos-report.js';
import { checkOrderInvariants } from '../../chaos/invariants.js';
import { placeOrdersSteadily, RequestTally, seedCatalogue } from '../../chaos/order-load.js';
import { sumOfCounter } from '../../chaos/service-counters.js';
import { awaitTerminal } from '../../chaos/settle.js';

/** What shows that an instance did work: replies applied (orchestrator), commands answered (participants). */
const WORK_COUNTERS: Record<SystemService, string> = {
  orchestrator: 'sagaflow_step_duration_seconds_count',
  inventory: 'sagaflow_participant_commands_total',
  payment: 'sagaflow_participant_commands_total',
  notification: 'sagaflow_participant_commands_total',
};

/** Each instance's count of its service's work counter, the first instance first. */
async function workOf(urls: string[], service: SystemService): Promise<number[]> {
  return Promise.all(
    urls.map(async (url) => sumOfCounter(await (await fetch(`${url}/metrics`)).text(), WORK_COUNTERS[service])),
  );
}

/** A smallest share of its service's work every instance must have had: a real part, not a straggler's. */
const FAIR_SHARE = 0.2;

/**
 * The mixed load (confirmed, declined, out of stock, cancelled after confirming): a burst of orders
 * placed within a fifth of a second.
 */
const ORDERS = 60;
const RATE = 300;

describe('two of each service (startTestSystem instances)', function () {
  let started: TestSystem | undefined;

  before(async function () {
    // Eight processes starting at once on two shared cores.
    this.timeout(120_000);
    started = await startTestSystem({
      prefix: 'e2e-instances',
      instances: { orchestrator: 2, inventory: 2, payment: 2, notification: 2 },
      // Short deadlines: an order whose step was lost is sent again within the test.
      env: { STEP_TIMEOUT_MS: '3000', LOG_LEVEL: 'warn' },
      startTimeoutMs: 60_000,
    });
  });

  afterEach(function () {
    if (started && this.currentTest?.state === 'failed') {
      process.stderr.write(`\nlast output of the services:\n${started.system.output(undefined, 20)}\n`);
    }
  });

  after(async function () {
    this.timeout(30_000);
    await started?.cleanup();
  });

  it('runs each instance on its own port, the first where url() and pid() point', () => {
    const { system } = started!;
    for (const service of SYSTEM_SERVICES) {
      const urls = system.urlsOf(service);
      expect(urls, service).to.have.length(2);
      expect(new Set(urls).size).to.equal(2);
      expect(urls[0]).to.equal(system.url(service));
      expect(system.pidsOf(service)).to.have.length(2);
      expect(system.pidsOf(service)[0]).to.equal(system.pid(service));
    }
  });

  it('seeds the demo catalogue once though two inventories started together', async () => {
    const { system } = started!;
    const answer = await system.request('inventory', 'GET', '/products');
    const items = (answer.body as { items: { sku: string; available: number }[] }).items;
    expect(items.filter((p) => p.sku === 'BOOK-001').map((p) => p.available)).to.deep.equal([100]);
  });

  it('shares a mixed load between the instances of every service, every invariant holding', async function () {
    this.timeout(60_000);
    const { system } = started!;
    const urls = {
      orchestrator: system.url('orchestrator'),
      inventory: system.url('inventory'),
      payment: system.url('payment'),
      notification: system.url('notification'),
    };
    const catalogue = await seedCatalogue(urls.inventory, ORDERS);
    const drainTimeoutMs = 30_000;
    let deadline = Number.POSITIVE_INFINITY;
    const load = placeOrdersSteadily(
      {
        orchestratorUrls: () => system.urlsOf('orchestrator'),
        catalogue,
        orders: ORDERS,
        rate: RATE,
        cancelDeadline: () => deadline,
      },
      new RequestTally(),
    );
    await load.sent;
    const sentAt = performance.now();
    deadline = sentAt + drainTimeoutMs;
    await load.cancellations();
    const accepted = load.placed.filter((p) => p.orderId !== undefined);
    expect(accepted, 'orders accepted').to.have.length(ORDERS);
    const settling = await awaitTerminal(urls.orchestrator, accepted, sentAt, deadline);
    const verdicts = await checkOrderInvariants({
      urls,
      catalogue,
      placed: load.placed,
      settling,
      drainTimeoutMs,
    });
    expect(
      verdicts.every((v) => v.ok),
      brokenVerdictLines('two of each', verdicts).join('\n'),
    ).to.equal(true);

    // The mix met every outcome: confirmed, declined, out of stock and cancelled after confirming.
    const outcomes = await Promise.all(
      accepted.map(async (p) => {
        const order = (await system.request('orchestrator', 'GET', `/orders/${p.orderId}`)).body as {
          status: string;
          reason?: string;
        };
        return order.status === 'CONFIRMED' ? 'confirmed' : (order.reason ?? '').split(':')[0];
      }),
    );
    expect([...new Set(outcomes)].sort()).to.deep.equal([
      'cancelled by request',
      'card_declined',
      'confirmed',
      'out_of_stock',
    ]);

    // Competing consumers with a prefetch each: the broker hands every instance a real part of the work.
    for (const service of SYSTEM_SERVICES) {
      const counts = await workOf(system.urlsOf(service), service);
      const total = counts.reduce((a, b) => a + b, 0);
      process.stderr.write(`      ${service}: ${counts.join(' + ')} = ${total}\n`);
      for (const count of counts) expect(count / total, `${service}: ${counts.join(' / ')}`).to.be.at.least(FAIR_SHARE);
    }
  });
});
