import { expect } from 'chai';
import type { Channel } from 'amqplib';
import { dlqOf, EXCHANGES, HEADERS, QUEUES, SagaflowError, type Message } from '../src/index.js';
import { DeadLetterQueues, type MessageBus } from '../src/messaging/index.js';
import { chargeCommand, eventually, FailingPaymentQueue, waitUntil } from '../src/testing/index.js';

const DLQ = FailingPaymentQueue.DLQ;

const charge = (sagaId: string, orderId: string) => chargeCommand({ sagaId, orderId });

describe('DeadLetterQueues', () => {
  let queue: FailingPaymentQueue;
  let bus: MessageBus;
  let dlq: DeadLetterQueues;
  let channel: Channel;

  const depth = (name?: string) => queue.depth(name);
  const deadLetterThroughTheKit = (messages: Message[]) => queue.deadLetter(...messages);

  /** A dead letter as the kit writes it, but with a forged original route. */
  async function forgeDeadLetter(messageId: string, exchange: string, routingKey: string): Promise<void> {
    const message = charge('s-forged', `o-${messageId}`);
    channel.sendToQueue(DLQ, Buffer.from(JSON.stringify({ ...message, messageId })), {
      persistent: true,
      messageId,
      correlationId: 's-forged',
      type: 'payment.charge',
      headers: {
        [HEADERS.reason]: 'rejected',
        [HEADERS.error]: JSON.stringify({ type: 'boom', message: 'forged', retryable: false }),
        [HEADERS.queue]: QUEUES.payment,
        [HEADERS.originalExchange]: exchange,
        [HEADERS.originalRoutingKey]: routingKey,
        [HEADERS.attempts]: 1,
      },
    });
    await waitUntil(async () => (await dlq.show(messageId)) !== null, 'the forged dead letter is there');
  }

  beforeEach(async () => {
    queue = await FailingPaymentQueue.start('dlq');
    ({ bus, channel } = queue);
    dlq = await DeadLetterQueues.connect(queue.vhost.url, queue.topology);
  });

  afterEach(async () => {
    await dlq.close();
    await queue.stop();
  });

  it('lists dead letters with their reason and original route, and puts every one back', async () => {
    const a = charge('s-1', 'o-1');
    await deadLetterThroughTheKit([a]);
    await bus.publishRaw(EXCHANGES.commands, 'payment.charge', Buffer.from('{not json'), { messageId: 'bad-1' });
    await waitUntil(async () => (await depth()) === 2, 'the unparsable message is dead-lettered');

    const listed = await dlq.list();
    expect(listed.map((d) => d.messageId)).to.deep.equal([a.messageId, 'bad-1']);
    expect(listed[0]).to.include({
      queue: DLQ,
      sourceQueue: QUEUES.payment,
      sagaId: 's-1',
      orderId: 'o-1',
      type: 'payment.charge',
      exchange: EXCHANGES.commands,
      routingKey: 'payment.charge',
      reason: 'rejected',
      attempts: 1,
      deadLetteredBy: 'sagaflow',
    });
    expect(listed[0]!.error).to.deep.equal({
      type: 'card_gateway_bug',
      message: `cannot charge ${a.messageId}`,
      retryable: false,
    });
    expect(listed[0]!.deadLetteredAt).to.be.a('string');
    expect(listed[1]).to.include({ reason: 'unparsable', sagaId: null, orderId: null, routingKey: 'payment.charge' });

    expect(await depth()).to.equal(2);
    expect((await dlq.list()).map((d) => d.messageId)).to.deep.equal([a.messageId, 'bad-1']);
    expect(await dlq.list({ queue: DLQ, limit: 1 })).to.have.length(1);
    expect(await dlq.list({ queue: dlqOf(QUEUES.inventory) })).to.deep.equal([]);

    const shown = await dlq.show(a.messageId);
    expect(shown?.body).to.deep.equal(a);
    expect(shown?.headers[HEADERS.reason]).to.equal('rejected');
    expect(shown?.properties.correlationId).to.equal('s-1');
    const bad = await dlq.show('bad-1');
    expect(bad?.body).to.equal(null);
    expect(bad?.rawBody).to.equal('{not json');
    expect(await dlq.show('nope')).to.equal(null);
    await waitUntil(async () => (await depth()) === 2, 'looking changed nothing: both are still there');
  });

  it('replays a message to its original route with a full retry budget, and a second replay finds nothing', async () => {
    const a = charge('s-1', 'o-1');
    await deadLetterThroughTheKit([a]);
    queue.failing = false;

    const dry = await dlq.replay({ all: true, dryRun: true });
    expect(dry).to.include({ matched: 1, replayed: 0, dryRun: true });
    // The broker puts browsed messages back once their channel closes, a moment after the dry run returns.
    await waitUntil(async () => (await depth()) === 1, 'the dry run left the message in its queue');
    expect(queue.handled).to.have.length(0);

    const progress: number[] = [];
    const summary = await dlq.replay({ queue: DLQ, onProgress: (p) => progress.push(p.scanned) });
    expect(summary).to.include({ matched: 1, replayed: 1, dryRun: false });
    expect(summary.failed).to.deep.equal([]);
    expect(progress).to.deep.equal([0, 1]);
    await waitUntil(() => queue.handled.length === 1, 'the replayed command is queue.handled');
    expect(queue.handled[0]!.message).to.deep.equal(a);
    expect(queue.handled[0]!.delivery.attempt).to.equal(1);
    expect(await depth()).to.equal(0);

    const again = await dlq.replay({ all: true });
    expect(again).to.include({ matched: 0, replayed: 0 });
  });

  it('replays only the messages of one saga', async () => {
    const [a, b, c] = [charge('s-1', 'o-1'), charge('s-2', 'o-2'), charge('s-1', 'o-3')];
    await deadLetterThroughTheKit([a, b, c]);
    queue.failing = false;

    const summary = await dlq.replay({ sagaId: 's-1' });
    expect(summary).to.include({ matched: 2, replayed: 2 });
    await waitUntil(() => queue.handled.length === 2, 'both commands of the saga are queue.handled');
    expect(queue.handled.map((h) => h.message.messageId).sort()).to.deep.equal([a.messageId, c.messageId].sort());
    expect((await dlq.list()).map((d) => d.messageId)).to.deep.equal([b.messageId]);
  });

  it('keeps a message it cannot route, and says why', async () => {
    await forgeDeadLetter('lost-1', EXCHANGES.commands, 'payment.nowhere');
    await forgeDeadLetter('lost-2', 'sagaflow.gone', 'payment.charge');
    queue.failing = false;

    for (let run = 0; run < 2; run++) {
      const summary = await dlq.replay({ queue: DLQ });
      expect(summary).to.include({ matched: 2, replayed: 0 });
      expect(summary.failed).to.deep.equal([
        {
          messageId: 'lost-1',
          queue: DLQ,
          reason: `unroutable: exchange '${EXCHANGES.commands}' routing key 'payment.nowhere'`,
        },
        { messageId: 'lost-2', queue: DLQ, reason: "exchange 'sagaflow.gone' not found" },
      ]);
      expect((await dlq.list()).map((d) => d.messageId)).to.deep.equal(['lost-1', 'lost-2']);
    }
    expect(queue.handled).to.have.length(0);
  });

  it('reads and replays a message the broker dead-lettered (x-death)', async () => {
    await bus.stop(); // no kit consumer: this message is rejected by hand
    const a = charge('s-9', 'o-9');
    channel.publish(EXCHANGES.commands, 'payment.charge', Buffer.from(JSON.stringify(a)), {
      messageId: a.messageId,
      correlationId: 's-9',
    });
    const got = await eventually(async () => {
      const m = await channel.get(QUEUES.payment);
      if (!m) throw new Error('not yet');
      return m;
    });
    channel.nack(got, false, false);
    await waitUntil(async () => (await depth()) === 1, 'the broker dead-letters it');

    const [letter] = await dlq.list();
    expect(letter).to.include({
      messageId: a.messageId,
      sagaId: 's-9',
      orderId: 'o-9',
      exchange: EXCHANGES.commands,
      routingKey: 'payment.charge',
      reason: 'rejected',
      sourceQueue: QUEUES.payment,
      deadLetteredBy: 'broker',
      attempts: 1,
    });

    expect(await dlq.replay({ sagaId: 's-9' })).to.include({ matched: 1, replayed: 1 });
    const back = await eventually(async () => {
      const m = await channel.get(QUEUES.payment, { noAck: true });
      if (!m) throw new Error('not yet');
      return m;
    });
    expect(back.properties.headers?.['x-death']).to.equal(undefined);
    expect(back.properties.headers?.[HEADERS.replayedAt]).to.be.a('string');
    expect(JSON.parse(back.content.toString())).to.deep.equal(a);
    expect(await depth()).to.equal(0);
  });

  it('purges dead-letter queues only', async () => {
    await deadLetterThroughTheKit([charge('s-1', 'o-1'), charge('s-2', 'o-2')]);
    expect(await dlq.purge(DLQ)).to.equal(2);
    expect(await depth()).to.equal(0);
    for (const attempt of [() => dlq.purge(QUEUES.payment), () => dlq.list({ queue: 'x' }), () => dlq.replay({})]) {
      const error = await attempt().then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).to.be.instanceOf(SagaflowError);
      expect((error as SagaflowError).retryable).to.equal(false);
    }
    const error = (await dlq.purge(QUEUES.payment).catch((e: unknown) => e)) as SagaflowError;
    expect(error.type).to.equal('not_a_dead_letter_queue');
    expect(error.message).to.contain(DLQ);
  });
});
