import { expect } from 'chai';
import { setTimeout as delay } from 'node:timers/promises';
import { QUEUES, toErrorInfo } from '../src/index.js';
import { type MessageBus } from '../src/messaging/index.js';
import { managementApi, waitUntil } from '../src/testing/index.js';
import { BusFixture, chargeCommand } from './support/bus-fixture.js';

const outcomes = async (bus: MessageBus, count: number): Promise<string[]> => {
  const settled = await Promise.allSettled(Array.from({ length: count }, () => bus.publish(chargeCommand())));
  return settled.map((s) => (s.status === 'fulfilled' ? 'ok' : toErrorInfo(s.reason).type));
};

const tally = (types: string[]) =>
  types.reduce<Record<string, number>>((acc, t) => ({ ...acc, [t]: (acc[t] ?? 0) + 1 }), {});

describe('MessageBus publish limits', () => {
  let fixture: BusFixture;

  beforeEach(async () => {
    fixture = await BusFixture.create('bus-limits');
  });

  afterEach(async () => {
    await fixture.cleanup();
  });

  it('fails fast while the broker is unreachable instead of buffering without bound, and recovers', async () => {
    const bus = await fixture.bus({ maxPendingPublishes: 5, maxDisconnectedMs: 300, publishTimeoutMs: 20_000 });
    // Deleting the vhost drops the connection and refuses every reconnect: the broker is away.
    await fixture.vhost.delete();
    await waitUntil(() => !bus.connected, 'the bus sees the broker go');

    const first = await Promise.race([
      outcomes(bus, 8),
      delay(3_000, undefined, { ref: false }).then(() =>
        expect.fail('publishes still pending 3 s into the outage (publish timeout is 20 s)'),
      ),
    ]);
    expect(tally(first)).to.deep.equal({ broker_unavailable: 5, publish_backlog_full: 3 });

    const again = Date.now();
    expect(await outcomes(bus, 3)).to.deep.equal(['broker_unavailable', 'broker_unavailable', 'broker_unavailable']);
    expect(Date.now() - again, 'fails at once').to.be.lessThan(100);

    // The broker comes back: the same bus reconnects, declares its topology again and publishes.
    const vhost = encodeURIComponent(fixture.vhost.name);
    await managementApi('PUT', `/vhosts/${vhost}`);
    await managementApi('PUT', `/permissions/${vhost}/guest`, { configure: '.*', write: '.*', read: '.*' });
    await waitUntil(() => bus.connected, 'the bus reconnects', { timeoutMs: 10_000 });
    await waitUntil(async () => (await outcomes(bus, 1))[0] === 'ok', 'publishes succeed again');
    const channel = await fixture.channel();
    await waitUntil(
      async () => (await channel.checkQueue(QUEUES.payment)).messageCount >= 1,
      'the message is on its queue',
    );
  });

  it('refuses publishes beyond the backlog while confirms are outstanding', async () => {
    const bus = await fixture.bus({ maxPendingPublishes: 10 });
    const results = tally(await outcomes(bus, 200));
    expect(results.ok).to.be.at.least(10);
    expect(results.publish_backlog_full).to.be.greaterThan(0);
    expect(results.ok + results.publish_backlog_full!).to.equal(200);
    expect(await outcomes(bus, 1)).to.deep.equal(['ok']);
  });
});
