import { expect } from 'chai';
import { SagaflowError } from '@sagaflow/contracts';
import { createMessage } from '@sagaflow/contracts/messaging';
import { CurrencyRouter } from '../../src/engine/currency-router.js';

/** A router over a fake broker holding `queues`, on a clock the test moves; counts the checks made. */
function routerOver(queues: string[]) {
  const present = new Set(queues);
  const clock = { now: 0 };
  const checks: string[] = [];
  const router = new CurrencyRouter({
    queueExists: async (queue) => {
      checks.push(queue);
      return present.has(queue);
    },
    presentForMs: 60_000,
    absentForMs: 2_000,
    now: () => clock.now,
  });
  return { router, present, clock, checks };
}

const charge = (currency: string) =>
  createMessage(
    'payment.charge',
    { orderId: 'o-1', customerId: 'c-1', amountCents: 100, currency, method: 'card', token: 'tok_visa' },
    { sagaId: 's-1', commandId: 'cmd-1' },
  );

describe('CurrencyRouter', () => {
  it("routes to a currency's own queue, else to the default queue, else to nobody", async () => {
    const { router } = routerOver(['payment.commands.eur', 'payment.commands']);
    expect(await router.routingKeyOf('payment.charge', 'EUR')).to.equal('payment.charge.eur');
    expect(await router.routingKeyOf('payment.refund', 'EUR')).to.equal('payment.refund.eur');
    expect(await router.routingKeyOf('payment.charge', 'USD')).to.equal('payment.charge');
    const alone = routerOver(['payment.commands.eur']).router;
    expect(await alone.serves('EUR')).to.equal(true);
    expect(await alone.serves('USD')).to.equal(false);
  });

  it('routes commands: payment ones by the currency they carry, a refund without one and others as given', async () => {
    const { router } = routerOver(['payment.commands.gbp', 'payment.commands']);
    expect(await router.routeCommand(charge('GBP'), 'payment.charge')).to.equal('payment.charge.gbp');
    const refund = createMessage('payment.refund', { orderId: 'o-1' }, { sagaId: 's-1', commandId: 'cmd-2' });
    expect(await router.routeCommand(refund, 'payment.refund')).to.equal('payment.refund');
    const reserve = createMessage(
      'inventory.reserve',
      { orderId: 'o-1', items: [{ sku: 'A', quantity: 1 }] },
      { sagaId: 's-1', commandId: 'cmd-3' },
    );
    expect(await router.routeCommand(reserve, 'inventory.reserve')).to.equal('inventory.reserve');
  });

  it('fails a payment command nobody takes with currency_not_served', async () => {
    const { router } = routerOver([]);
    const error = await router.routeCommand(charge('USD'), 'payment.charge').catch((e: unknown) => e);
    expect(error).to.be.instanceOf(SagaflowError).with.property('type', 'currency_not_served');
    expect((error as Error).message).to.contain('USD');
  });

  it('keeps a queue it saw for long and a missing one briefly, so a new worker takes its currency soon', async () => {
    const { router, present, clock, checks } = routerOver(['payment.commands']);
    expect(await router.routingKeyOf('payment.charge', 'EUR')).to.equal('payment.charge');
    const first = checks.length;
    present.add('payment.commands.eur');
    clock.now = 1_999;
    expect(await router.routingKeyOf('payment.charge', 'EUR')).to.equal('payment.charge');
    expect(checks.length).to.equal(first);
    clock.now = 2_001;
    expect(await router.routingKeyOf('payment.charge', 'EUR')).to.equal('payment.charge.eur');
    present.delete('payment.commands.eur');
    clock.now = 50_000;
    expect(await router.routingKeyOf('payment.charge', 'EUR')).to.equal('payment.charge.eur');
  });

  it('asks the broker again once a publish came back unroutable', async () => {
    const { router, present } = routerOver(['payment.commands.eur', 'payment.commands']);
    expect(await router.routeCommand(charge('EUR'), 'payment.charge')).to.equal('payment.charge.eur');
    present.delete('payment.commands.eur');
    router.unroutable(charge('EUR'));
    expect(await router.routeCommand(charge('EUR'), 'payment.charge')).to.equal('payment.charge');
  });

  it('goes by what it learnt last while the broker cannot be asked, and fails with nothing learnt', async () => {
    let reachable = true;
    const clock = { now: 0 };
    const router = new CurrencyRouter({
      queueExists: async (queue) => {
        if (!reachable) throw new SagaflowError('broker_unavailable', 'not connected to the broker');
        return queue === 'payment.commands.eur';
      },
      now: () => clock.now,
    });
    expect(await router.serves('EUR')).to.equal(true);
    reachable = false;
    clock.now = 3_600_000;
    expect(await router.serves('EUR')).to.equal(true);
    const error = await router.serves('USD').catch((e: unknown) => e);
    expect(error).to.be.instanceOf(SagaflowError).with.property('type', 'broker_unavailable');
  });

  it('checks a queue once for many callers at the same time', async () => {
    const { router, checks } = routerOver(['payment.commands.eur']);
    await Promise.all(Array.from({ length: 20 }, () => router.serves('EUR')));
    expect(checks).to.deep.equal(['payment.commands.eur']);
  });
});
