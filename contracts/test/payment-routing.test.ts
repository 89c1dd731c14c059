import { expect } from 'chai';
import {
  ConfigError,
  EnvReader,
  EXCHANGES,
  currencyOfQueue,
  isDeadLetterQueue,
  notADeadLetterQueue,
  parseCurrencies,
  paymentRouteFor,
  sagaflowTopology,
  SagaflowError,
} from '../src/index.js';
import { BusFixture, chargeCommand } from './support/bus-fixture.js';

describe('payment routing by currency', () => {
  describe('PAYMENT_CURRENCIES', () => {
    const currencies = (value?: string) => {
      const read = new EnvReader({ PAYMENT_CURRENCIES: value });
      const parsed = read.paymentCurrencies();
      read.done();
      return parsed;
    };

    it('takes a comma list of three-letter codes in either case, upper-cased, each once', () => {
      expect(currencies('EUR,gbp')).to.deep.equal(['EUR', 'GBP']);
      expect(currencies(' eur , EUR ,Chf ')).to.deep.equal(['EUR', 'CHF']);
    });

    it('is empty when unset or blank: the worker takes every currency without a queue of its own', () => {
      expect(currencies()).to.deep.equal([]);
      expect(currencies('  ')).to.deep.equal([]);
    });

    for (const bad of ['EURO', 'EU', 'EUR,,GBP', 'EUR;GBP', 'E1R', 'EUR,', 'EUR,dlq'])
      it(`refuses '${bad}' as a configuration error naming the variable`, () => {
        expect(() => currencies(bad))
          .to.throw(ConfigError)
          .with.property('message')
          .that.contains('PAYMENT_CURRENCIES')
          .and.contains(bad);
        expect(parseCurrencies(bad).ok).to.equal(false);
      });
  });

  describe('the topology', () => {
    it('gives a currency worker one queue per currency bound to its keys, with DLQ and retry queues', () => {
      const topology = sagaflowTopology([50], 'classic', 0, { payment: { currencies: ['EUR', 'GBP'] } });
      const eur = topology.queues.find((q) => q.name === 'payment.commands.eur');
      expect(eur).to.deep.equal({
        name: 'payment.commands.eur',
        bindings: [
          { exchange: EXCHANGES.commands, routingKey: 'payment.charge.eur' },
          { exchange: EXCHANGES.commands, routingKey: 'payment.refund.eur' },
        ],
        retryDelaysMs: [50],
        retryJitter: 0,
        // Like every command queue, a priority queue: express charges overtake (see `lanesOf`).
        priority: true,
      });
      expect(topology.queues.map((q) => q.name))
        .to.include('payment.commands.gbp')
        .and.not.include('payment.commands');
    });

    it('leaves payment command queues out for the other services, and holds the default one by default', () => {
      const names = (t: ReturnType<typeof sagaflowTopology>) => t.queues.map((q) => q.name);
      expect(
        names(sagaflowTopology([50], 'classic', 0, { payment: 'none' })).filter((n) => n.startsWith('payment.')),
      ).to.deep.equal([]);
      expect(names(sagaflowTopology([50]))).to.include('payment.commands');
    });

    it("takes a currency queue's DLQ for a dead-letter queue without it being in the topology", () => {
      const topology = sagaflowTopology();
      expect(isDeadLetterQueue(topology, 'payment.commands.eur.dlq')).to.equal(true);
      expect(notADeadLetterQueue(topology, 'payment.commands.eur.dlq')).to.equal(null);
      expect(notADeadLetterQueue(topology, 'payment.commands.eur')).to.contain("'payment.commands.eur.dlq'");
      expect(isDeadLetterQueue(topology, 'payment.commands.euro.dlq')).to.equal(false);
      expect(currencyOfQueue('payment.commands.chf')).to.equal('CHF');
      expect(currencyOfQueue('payment.commands')).to.equal(null);
      // The default queue's DLQ is no currency's queue.
      expect(currencyOfQueue('payment.commands.dlq')).to.equal(null);
      expect(isDeadLetterQueue(topology, 'payment.commands.dlq.dlq')).to.equal(false);
    });
  });

  describe('paymentRouteFor', () => {
    it("prefers the currency's own queue, then the default one, else routes nowhere", () => {
      expect(paymentRouteFor('payment.refund', 'EUR', { own: true, fallback: true })).to.equal('payment.refund.eur');
      expect(paymentRouteFor('payment.charge', 'USD', { own: false, fallback: true })).to.equal('payment.charge');
      expect(paymentRouteFor('payment.charge', 'USD', { own: false, fallback: false })).to.equal(null);
    });
  });

  describe('on the broker', function () {
    this.timeout(20_000);
    let fixture: BusFixture;

    beforeEach(async () => {
      fixture = await BusFixture.create('bus-currency');
    });

    afterEach(async () => {
      await fixture.cleanup();
    });

    it("tells which queues exist, a missing one's 404 leaving the bus working", async () => {
      const bus = await fixture.bus({
        topology: sagaflowTopology([50], 'classic', 0, { payment: { currencies: ['EUR'] } }),
      });
      expect(await bus.queueExists('payment.commands.eur')).to.equal(true);
      expect(await bus.queueExists('payment.commands')).to.equal(false);
      await bus.publish(chargeCommand(), { exchange: EXCHANGES.commands, routingKey: 'payment.charge.eur' });
      const [delivered] = await fixture.take('payment.commands.eur', 1);
      expect(delivered!.fields.routingKey).to.equal('payment.charge.eur');
    });

    it('fails a command that no queue is bound for with unroutable, and the next publish still goes through', async () => {
      const bus = await fixture.bus({ topology: sagaflowTopology([50], 'classic', 0, { payment: 'none' }) });
      const refused = await bus.publish(chargeCommand()).then(
        () => null,
        (error: unknown) => error,
      );
      expect(refused).to.be.instanceOf(SagaflowError).with.property('type', 'unroutable');
      await bus.publish(chargeCommand(), { exchange: EXCHANGES.commands, routingKey: 'inventory.reserve' });
      expect(await fixture.take('inventory.commands', 1)).to.have.length(1);
    });
  });
});
