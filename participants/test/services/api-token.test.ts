import { expect } from 'chai';
import { startInventory, startPayment } from '../../src/index.js';
import { configFromEnv } from '../../src/config.js';
import { Harness } from '../support/harness.js';

const TOKEN = 'participant-secret';
const auth = { authorization: `Bearer ${TOKEN}` };

describe('participants: API_TOKEN guards the mutating routes', () => {
  let inventory: Harness;
  let payment: Harness;

  before(async () => {
    inventory = await Harness.start((config) => startInventory({ ...config, apiToken: TOKEN, lowStockThreshold: 5 }));
    payment = await Harness.start((config) => startPayment({ ...config, apiToken: TOKEN, limitCents: 100_000 }));
  });

  after(async () => {
    await Promise.all([inventory?.stop(), payment?.stop()]);
  });

  it('refuses PUT /products/:sku and PUT /faults without the bearer token, with a reason', async () => {
    const attempts = [
      () => inventory.http('PUT', '/products/TOKEN-1', { available: 3 }),
      () => inventory.http('PUT', '/products/TOKEN-1', { available: 3 }, { authorization: 'Bearer wrong' }),
      () => inventory.http('PUT', `/products/TOKEN-1?token=${TOKEN}`, { available: 3 }),
      () => payment.http('PUT', '/faults', { mode: 'error', rate: 1 }),
      () => payment.http('PUT', '/faults', { mode: 'error', rate: 1 }, { authorization: TOKEN }),
    ];
    for (const attempt of attempts) {
      const res = await attempt();
      expect(res.status).to.equal(401);
      expect(res.body).to.include({ error: 'unauthorized' });
    }
    expect((await inventory.http('GET', '/products/TOKEN-1')).status).to.equal(404);
    expect((await payment.http('GET', '/faults')).body).to.include({ mode: 'none' });
  });

  it('accepts them with the token, and leaves reading open', async () => {
    const put = await inventory.http(
      'PUT',
      '/products/TOKEN-1',
      { available: 3, priceCents: 250, name: 'Token' },
      auth,
    );
    expect(put.status).to.be.oneOf([200, 201]);
    expect((await inventory.http('GET', '/products/TOKEN-1')).body).to.include({ available: 3 });
    expect((await payment.http('PUT', '/faults', { mode: 'none' }, auth)).status).to.equal(200);
    expect((await payment.http('GET', '/healthz')).status).to.equal(200);
    expect((await payment.http('GET', '/metrics')).status).to.equal(200);
  });

  it('reads the token from API_TOKEN', () => {
    expect(configFromEnv('payment', { API_TOKEN: TOKEN }).config.apiToken).to.equal(TOKEN);
    expect(configFromEnv('payment', {}).config.apiToken).to.equal(undefined);
  });
});
