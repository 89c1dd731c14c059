import { expect } from 'chai';
import { configFromEnv } from '../../src/config.js';

describe('participant configuration', () => {
  it('reads RETRY_JITTER as the orchestrator does (0.2 by default, 0 for none) and refuses a bad one', () => {
    expect(configFromEnv('payment', {}).config.retryJitter).to.equal(0.2);
    expect(configFromEnv('inventory', { RETRY_JITTER: '0' }).config.retryJitter).to.equal(0);
    expect(() => configFromEnv('notification', { RETRY_JITTER: 'lots' })).to.throw(
      /RETRY_JITTER must be a fraction from 0 to 0.9, 0 for none \(got 'lots'\)/,
    );
  });
});
