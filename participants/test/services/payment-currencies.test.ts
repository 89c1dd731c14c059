import { expect } from 'chai';
import { ConfigError } from '@sagaflow/contracts';
import { configFromEnv } from '../../src/config.js';
import { paymentCommands, type PaymentConfig } from '../../src/payment/payment-service.js';

const paymentConfig = (env: Record<string, string>) => configFromEnv('payment', env).config as unknown as PaymentConfig;

describe('payment by currency (PAYMENT_CURRENCIES)', () => {
  it('consumes one queue per currency named, in the topology it declares, and not the default queue', () => {
    const config = paymentConfig({ PAYMENT_CURRENCIES: 'eur,GBP', RETRY_DELAYS_MS: '50' });
    expect(config.currencies).to.deep.equal(['EUR', 'GBP']);
    const { queues, topology } = paymentCommands(config);
    expect(queues).to.deep.equal(['payment.commands.eur', 'payment.commands.gbp']);
    const declared = topology.queues.map((q) => q.name);
    expect(declared).to.include.members(queues).and.not.include('payment.commands');
  });

  it('consumes the default queue without it', () => {
    const { queues, topology } = paymentCommands(paymentConfig({}));
    expect(queues).to.deep.equal(['payment.commands']);
    expect(topology.queues.map((q) => q.name)).to.include('payment.commands');
  });

  it('refuses to start on a bad value, naming the variable', () => {
    expect(() => configFromEnv('payment', { PAYMENT_CURRENCIES: 'EURO,GBP' }))
      .to.throw(ConfigError)
      .with.property('message')
      .that.contains('PAYMENT_CURRENCIES');
  });
});
