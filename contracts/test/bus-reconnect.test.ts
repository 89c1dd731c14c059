import { expect } from 'chai';
import { QUEUES, toErrorInfo, type Message } from '../src/index.js';
import { closeVhostConnections, managementApi, waitUntil } from '../src/testing/index.js';
import { BusFixture, chargeCommand } from './support/bus-fixture.js';

describe('MessageBus across broker connection loss', () => {
  let fixture: BusFixture;

  beforeEach(async () => {
    fixture = await BusFixture.create('bus-reconnect');
  });

  afterEach(async () => {
    await fixture.cleanup();
  });

  it('delivers every confirmed publish while connections are killed mid-stream, and carries on', async function () {
    this.timeout(20_000);
    const publisher = await fixture.bus({ name: 'publisher', publishTimeoutMs: 5_000 });
    const consumer = await fixture.bus({ name: 'consumer' });
    const received = new Set<string>();
    await consumer.consume(QUEUES.payment, async (m) => void received.add(m.messageId), { prefetch: 200 });

    // The management API lists new connections late; once it does, the kill below is quick.
    const listed = async () =>
      ((await managementApi('GET', `/vhosts/${encodeURIComponent(fixture.vhost.name)}/connections`)) as unknown[])
        .length;
    await waitUntil(async () => (await listed()) >= 2, 'the broker lists both connections');

    const total = 2_000;
    const confirmed: string[] = [];
    const failures = new Map<string, number>();
    let kill: Promise<number> | undefined;
    let publishedAfterKill = 0;
    const publishOne = async () => {
      const message = chargeCommand();
      try {
        await publisher.publish(message);
        confirmed.push(message.messageId);
      } catch (error) {
        const { type } = toErrorInfo(error);
        failures.set(type, (failures.get(type) ?? 0) + 1);
      }
      if (confirmed.length >= 300 && !kill) kill = closeVhostConnections(fixture.vhost.name, { atLeast: 2 });
    };
    for (let sent = 0; sent < total; sent += 50) {
      let killed = false;
      void kill?.then(() => (killed = true));
      await Promise.all(Array.from({ length: 50 }, publishOne));
      if (killed) publishedAfterKill += 50;
    }
    const closed = await kill!;
    expect(closed, 'connections closed').to.be.at.least(2);
    expect(publishedAfterKill, 'publishes after the kill').to.be.greaterThan(0);
    const rejected = [...failures.values()].reduce((a, b) => a + b, 0);
    expect(confirmed.length + rejected).to.equal(total);
    expect(confirmed.length).to.be.greaterThan(300);

    await waitUntil(() => confirmed.every((id) => received.has(id)), 'every confirmed publish is delivered', {
      timeoutMs: 15_000,
    });

    // The same bus publishes again once it is back.
    const later = Array.from({ length: 20 }, () => chargeCommand());
    await Promise.all(later.map((m) => publisher.publish(m)));
    await waitUntil(() => later.every((m) => received.has(m.messageId)), 'later publishes are delivered');
    expect(publisher.connected).to.equal(true);
  });

  it('drops the stale ack of a handler that outlived its channel; the message is redelivered and the consumer goes on', async () => {
    const bus = await fixture.bus();
    const runs: { messageId: string; redelivered: boolean }[] = [];
    let releaseFirst!: () => void;
    const firstHeld = new Promise<void>((resolve) => (releaseFirst = resolve));
    await bus.consume(QUEUES.payment, async (message: Message, delivery) => {
      runs.push({ messageId: message.messageId, redelivered: delivery.redelivered });
      if (runs.length === 1) await firstHeld;
    });

    const first = chargeCommand();
    await bus.publish(first);
    await waitUntil(() => runs.length === 1, 'the first delivery is being handled');
    expect(await closeVhostConnections(fixture.vhost.name)).to.be.at.least(1);
    await waitUntil(() => runs.length === 2, 'the message is redelivered on the new channel', { timeoutMs: 10_000 });
    expect(runs[1]).to.deep.equal({ messageId: first.messageId, redelivered: true });

    // The first handler now finishes; its ack belongs to a channel that no longer exists.
    releaseFirst();
    const second = chargeCommand();
    await bus.publish(second);
    await waitUntil(() => runs.length === 3, 'the consumer still receives');
    expect(runs[2]).to.deep.equal({ messageId: second.messageId, redelivered: false });

    await bus.stop();
    const channel = await fixture.channel();
    expect((await channel.checkQueue(QUEUES.payment)).messageCount, 'nothing left unacked').to.equal(0);
    expect(runs).to.have.length(3);
  });
});
