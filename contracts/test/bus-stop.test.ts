import { expect } from 'chai';
import { setTimeout as delay } from 'node:timers/promises';
import { QUEUES } from '../src/index.js';
import { waitUntil } from '../src/testing/index.js';
import { BusFixture, chargeCommand } from './support/bus-fixture.js';

describe('MessageBus stop', () => {
  let fixture: BusFixture;

  beforeEach(async () => {
    fixture = await BusFixture.create('bus-stop');
  });

  afterEach(async () => {
    await fixture.cleanup();
  });

  it('lets an in-flight handler finish and ack, and takes no new deliveries once stopping', async () => {
    const bus = await fixture.bus({ name: 'stopping' });
    const other = await fixture.bus({ name: 'other' });
    const started: string[] = [];
    let finishedAt = 0;
    await bus.consume(
      QUEUES.payment,
      async (message) => {
        started.push(message.messageId);
        await delay(300); // a slow handler: the work stop() must wait for
        finishedAt = Date.now();
      },
      { prefetch: 10 },
    );
    const first = chargeCommand();
    await bus.publish(first);
    await waitUntil(() => started.length === 1, 'the handler starts');

    const stopping = bus.stop();
    const later = Array.from({ length: 5 }, () => chargeCommand());
    await Promise.all(later.map((m) => other.publish(m)));
    await stopping;
    const stoppedAt = Date.now();

    expect(finishedAt, 'the handler finished').to.be.greaterThan(0);
    expect(finishedAt).to.be.at.most(stoppedAt);
    expect(started).to.deep.equal([first.messageId]);
    await bus.publish(chargeCommand()).then(
      () => expect.fail('a stopped bus published'),
      (error: unknown) => expect(error).to.include({ type: 'bus_stopped' }),
    );

    // Had the first message not been acked, the broker would hand it out again, ahead of the others.
    const received: string[] = [];
    await other.consume(QUEUES.payment, async (m) => void received.push(m.messageId));
    await waitUntil(() => received.length >= later.length, 'the later messages reach another consumer');
    expect(received).to.have.members(later.map((m) => m.messageId));
  });

  it('is idempotent', async () => {
    const bus = await fixture.bus();
    await Promise.all([bus.stop(), bus.stop()]);
    await bus.stop();
    expect(bus.connected).to.equal(false);
  });
});
