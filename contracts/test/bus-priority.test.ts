import { expect } from 'chai';
import {
  dlqOf,
  EXPRESS_PRIORITY,
  expressQueueOf,
  HEADERS,
  QUEUES,
  retryQueueOf,
  SagaflowError,
  type QueueType,
} from '../src/index.js';
import { commandRouteOf, DeadLetterQueues, type DeliveryInfo, type MessageBus } from '../src/messaging/index.js';
import { chargeCommand, eventually } from '../src/testing/index.js';
import { BusFixture } from './support/bus-fixture.js';

const express = () => commandRouteOf('payment.charge', 'express');
const standard = () => commandRouteOf('payment.charge', 'standard');

for (const queueType of ['classic', 'quorum'] as const satisfies QueueType[]) {
  // Classic: one priority queue; quorum: the express queue, consumed beside the queue on its own channel.
  const expressLane = queueType === 'classic' ? QUEUES.payment : expressQueueOf(QUEUES.payment);

  describe(`MessageBus priorities (QUEUE_TYPE=${queueType})`, () => {
    let fixture: BusFixture;
    let bus: MessageBus;

    beforeEach(async () => {
      fixture = await BusFixture.create('bus-priority', queueType);
      bus = await fixture.bus();
    });

    afterEach(async () => {
      await fixture.cleanup();
    });

    it('serves express commands published behind a backlog of standard ones first', async () => {
      const backlog = Array.from({ length: 20 }, () => chargeCommand());
      for (const m of backlog) await bus.publishBuilt(m, standard());
      const urgent = [chargeCommand(), chargeCommand()];
      for (const m of urgent) await bus.publishBuilt(m, express());

      const received: { id: string; delivery: DeliveryInfo }[] = [];
      await bus.consume(
        QUEUES.payment,
        async (message, delivery) => {
          received.push({ id: message.messageId, delivery });
          // A command takes a while, as real ones do, so that the backlog lasts.
          await new Promise((resolve) => setTimeout(resolve, 5));
        },
        { prefetch: 1 },
      );
      await eventually(() => expect(received).to.have.length(22));
      // One at a time, the express ones come within the first few: at most one standard command per
      // lane was handed out before them.
      const firstFour = received.slice(0, 4).map((r) => r.id);
      expect(firstFour).to.include.members(urgent.map((m) => m.messageId));
      const lanes = received.filter((r) => urgent.some((m) => m.messageId === r.id)).map((r) => r.delivery.queue);
      expect(lanes).to.deep.equal([expressLane, expressLane]);
    });

    it('keeps an express command express through its retries and into the DLQ, and a replay sends it back', async () => {
      const attempts: { queue: string; attempt: number }[] = [];
      let failing = true;
      await bus.consume(QUEUES.payment, async (_message, delivery) => {
        attempts.push({ queue: delivery.queue, attempt: delivery.attempt });
        if (failing) throw new SagaflowError('gateway_down', `boom ${delivery.attempt}`);
      });
      const sent = chargeCommand();
      await bus.publishBuilt(sent, express());
      const dlq = await DeadLetterQueues.connect(fixture.vhost.url, fixture.topology());
      try {
        await eventually(async () => expect(await dlq.list({ queue: dlqOf(QUEUES.payment) })).to.have.length(1));
        const dead = (await dlq.show(sent.messageId))!;
        expect(attempts).to.deep.equal([1, 2, 3].map((attempt) => ({ queue: expressLane, attempt })));
        expect(dead.properties.priority).to.equal(EXPRESS_PRIORITY);
        expect(dead).to.include({ sourceQueue: expressLane, routingKey: 'payment.charge.express' });
        expect(dead.headers[HEADERS.attempts]).to.equal(3);
        const channel = await fixture.channel();
        expect((await channel.checkQueue(retryQueueOf(expressLane, 50))).messageCount).to.equal(0);

        // Replayed, it comes back into its lane, still express.
        failing = false;
        expect((await dlq.replay({ queue: dlqOf(QUEUES.payment) })).replayed).to.equal(1);
      } finally {
        await dlq.close();
      }
      await eventually(() => expect(attempts).to.have.length(4));
      expect(attempts[3]).to.deep.equal({ queue: expressLane, attempt: 1 });
    });
  });
}
