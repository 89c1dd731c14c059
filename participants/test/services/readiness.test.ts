import { expect } from 'chai';
import { closeVhostConnections, eventually } from '@sagaflow/contracts/testing';
import { startNotification } from '../../src/index.js';
import { Harness } from '../support/harness.js';

describe('readiness (GET /readyz)', () => {
  let h: Harness;

  beforeEach(async () => {
    h = await Harness.start((config) => startNotification(config));
  });

  afterEach(async () => {
    await h.stop();
  });

  it('is ready while consuming, not ready while the broker is away, and ready again after it returns', async () => {
    expect(await h.http('GET', '/readyz')).to.deep.include({
      status: 200,
      body: { status: 'ready', service: 'notification' },
    });
    await closeVhostConnections(h.vhost.name, { atLeast: 2 });
    await eventually(async () => expect((await h.http('GET', '/readyz')).status).to.equal(503), { intervalMs: 10 });
    await eventually(async () => expect((await h.http('GET', '/readyz')).status).to.equal(200), {
      timeoutMs: 20_000,
    });
    expect((await h.http('GET', '/healthz')).status).to.equal(200);
  });
});
