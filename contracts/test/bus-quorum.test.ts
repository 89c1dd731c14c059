import { expect } from 'chai';
import {
  dlqOf,
  EXCHANGES,
  HEADERS,
  QUEUES,
  QUORUM_DELIVERY_LIMIT,
  queueDeclarations,
  SagaflowError,
  type Message,
} from '../src/index.js';
import { DeadLetterQueues, type MessageBus } from '../src/messaging/index.js';
import {
  chargeCommand,
  eventually,
  FailingPaymentQueue,
  managementApi,
  waitUntil,
  type TestVhost,
} from '../src/testing/index.js';
import { BusFixture, header, retriedThenDeadLettered } from './support/bus-fixture.js';

/** Every queue of a vhost by name with its type, as the broker reports it. */
async function queueTypes(vhost: TestVhost): Promise<Map<string, string>> {
  const listed = (await managementApi('GET', `/queues/${encodeURIComponent(vhost.name)}?columns=name,type`)) as {
    name: string;
    type: string;
  }[];
  return new Map(listed.map((q) => [q.name, q.type]));
}

describe('MessageBus on quorum queues (QUEUE_TYPE=quorum)', () => {
  let fixture: BusFixture;
  let bus: MessageBus;

  beforeEach(async () => {
    fixture = await BusFixture.create('bus-quorum', 'quorum');
    bus = await fixture.bus();
  });

  afterEach(async () => {
    await fixture.cleanup();
  });

  it("declares work, dead-letter and retry queues as quorum queues, and a listener's private queue as classic", async () => {
    const listener = await bus.listen(EXCHANGES.events, 'saga.#', () => undefined);
    const durable = queueDeclarations(fixture.topology()).map((q) => q.name);
    const types = await eventually(async () => {
      const found = await queueTypes(fixture.vhost);
      expect([...found.keys()].filter((name) => name.startsWith('amq.gen-'))).to.have.length(1);
      return found;
    });
    for (const name of durable) expect(types.get(name), name).to.equal('quorum');
    const [, privateType] = [...types].find(([name]) => name.startsWith('amq.gen-'))!;
    expect(privateType).to.equal('classic');
    await listener.stop();
  });

  it('delivers a confirmed command to its participant queue and acks it', async () => {
    const received: Message[] = [];
    await bus.consume(QUEUES.payment, async (message) => {
      received.push(message);
    });
    const sent = chargeCommand();
    await bus.publish(sent);
    await waitUntil(() => received.length === 1, 'the command arrives');
    expect(received[0]).to.deep.equal(sent);
    await bus.stop();
    expect((await (await fixture.channel()).checkQueue(QUEUES.payment)).messageCount).to.equal(0);
  });

  it('retries a failing handler through the quorum delay queues, then dead-letters it with the last error', async () => {
    await retriedThenDeadLettered(bus, fixture);
  });

  it('dead-letters at once, with the reason, a message whose handler cannot ever succeed', async () => {
    let calls = 0;
    await bus.consume(QUEUES.payment, async () => {
      calls++;
      throw SagaflowError.nonRetryable('poison', 'cannot ever work');
    });
    await bus.publish(chargeCommand());
    const [dead] = await fixture.take(dlqOf(QUEUES.payment), 1);
    expect(calls).to.equal(1);
    expect(header(dead!, HEADERS.reason)).to.equal('rejected');
    expect(header(dead!, HEADERS.attempts)).to.equal(1);
  });

  it(`dead-letters by itself a message handed back ${QUORUM_DELIVERY_LIMIT} times, which the operator sees`, async () => {
    // A consumer that never settles a message (it dies holding it, say) never gets to retry it.
    const channel = await fixture.channel();
    let deliveries = 0;
    const { consumerTag } = await channel.consume(QUEUES.payment, (raw) => {
      if (!raw) return;
      deliveries++;
      channel.nack(raw, false, true);
    });
    const sent = chargeCommand();
    await bus.publish(sent);
    const dlq = await DeadLetterQueues.connect(fixture.vhost.url, fixture.topology());
    try {
      const [letter] = await eventually(async () => {
        const listed = await dlq.list({ queue: dlqOf(QUEUES.payment) });
        expect(listed).to.have.length(1);
        return listed;
      });
      await channel.cancel(consumerTag);
      expect(deliveries).to.equal(QUORUM_DELIVERY_LIMIT + 1);
      expect(letter).to.include({
        messageId: sent.messageId,
        sourceQueue: QUEUES.payment,
        reason: 'delivery_limit',
        deadLetteredBy: 'broker',
        exchange: EXCHANGES.commands,
        routingKey: 'payment.charge',
      });
    } finally {
      await dlq.close();
    }
  });
});

describe('DeadLetterQueues on quorum queues (QUEUE_TYPE=quorum)', () => {
  let queue: FailingPaymentQueue;
  let dlq: DeadLetterQueues;

  beforeEach(async () => {
    queue = await FailingPaymentQueue.start('dlq-quorum', 'quorum');
    dlq = await DeadLetterQueues.connect(queue.vhost.url, queue.topology);
  });

  afterEach(async () => {
    await dlq.close();
    await queue.stop();
  });

  it('lists dead letters in order and puts every one back, then replays them to their route once', async () => {
    const sent = [1, 2, 3].map((n) => chargeCommand({ sagaId: `s-${n}`, orderId: `o-${n}` }));
    await queue.deadLetter(...sent);

    const ids = sent.map((m) => m.messageId);
    expect((await dlq.list()).map((d) => d.messageId)).to.deep.equal(ids);
    expect(
      (await dlq.list()).map((d) => d.messageId),
      'looking changed nothing',
    ).to.deep.equal(ids);
    expect(await queue.depth()).to.equal(3);

    queue.failing = false;
    expect(await dlq.replay({ sagaId: 's-2' })).to.include({ matched: 1, replayed: 1 });
    await waitUntil(() => queue.handled.length === 1, 'the replayed charge is handled');
    expect(queue.handled[0]!.message).to.deep.equal(sent[1]);
    expect(queue.handled[0]!.delivery.attempt, 'a replay starts a full retry budget').to.equal(1);

    expect(await dlq.replay({ all: true })).to.include({ matched: 2, replayed: 2 });
    await waitUntil(() => queue.handled.length === 3, 'every replayed charge is handled');
    expect(await queue.depth()).to.equal(0);
    expect(await dlq.replay({ all: true })).to.include({ matched: 0, replayed: 0 });
  });
});
