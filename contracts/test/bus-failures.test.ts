import { expect } from 'chai';
import { dlqOf, EXCHANGES, HEADERS, QUEUES, retryQueueOf, SagaflowError, sagaflowTopology } from '../src/index.js';
import { deadLetter, messageProperties, retryLater, type MessageBus } from '../src/messaging/index.js';
import { waitUntil } from '../src/testing/index.js';
import { BusFixture, chargeCommand, errorOf, header, retriedThenDeadLettered } from './support/bus-fixture.js';

describe('MessageBus failures', () => {
  let fixture: BusFixture;
  let bus: MessageBus;

  beforeEach(async () => {
    fixture = await BusFixture.create('bus-failures');
    bus = await fixture.bus();
  });

  afterEach(async () => {
    await fixture.cleanup();
  });

  it('dead-letters bodies it cannot read, with the reason, without calling the handler', async () => {
    let calls = 0;
    await bus.consume(QUEUES.payment, async () => {
      calls++;
    });
    const valid = chargeCommand();
    const bodies: Record<string, unknown> = {
      invalid_payload: { ...valid, payload: { ...valid.payload, amountCents: 'lots' } },
      unknown_type: { ...valid, type: 'payment.steal' },
      invalid_envelope: { ...valid, messageId: undefined, surplus: 1 },
      unsupported_schema_version: { ...valid, schemaVersion: 9 },
    };
    const send = (id: string, content: Buffer) =>
      bus.publishRaw(EXCHANGES.commands, 'payment.charge', content, { ...messageProperties(valid), messageId: id });
    for (const [reason, body] of Object.entries(bodies)) await send(reason, Buffer.from(JSON.stringify(body)));
    await send('unparsable', Buffer.from('{"not json'));

    const dead = await fixture.take(dlqOf(QUEUES.payment), 5);
    expect(dead).to.have.length(5);
    for (const message of dead) {
      const id = message.properties.messageId as string;
      expect(header(message, HEADERS.reason), id).to.equal(id);
      expect(errorOf(message)).to.include({ type: id, retryable: false });
      expect(errorOf(message).message).to.be.a('string').and.not.empty;
      expect(header(message, HEADERS.originalExchange)).to.equal(EXCHANGES.commands);
      expect(header(message, HEADERS.originalRoutingKey)).to.equal('payment.charge');
      expect(header(message, HEADERS.queue)).to.equal(QUEUES.payment);
      expect(message.properties.deliveryMode).to.equal(2);
    }
    const unparsable = dead.find((m) => m.properties.messageId === 'unparsable')!;
    expect(unparsable.content.toString()).to.equal('{"not json');
    expect(calls).to.equal(0);
    expect((await (await fixture.channel()).checkQueue(QUEUES.payment)).messageCount).to.equal(0);
  });

  it('retries a failing handler after each delay, then dead-letters it with the last error', async () => {
    const { sent, dead } = await retriedThenDeadLettered(bus, fixture);
    expect(header(dead, HEADERS.originalExchange)).to.equal(EXCHANGES.commands);
    expect(header(dead, HEADERS.firstFailureAt)).to.be.a('string');
    expect(header(dead, HEADERS.deadLetteredAt)).to.be.a('string');
    expect(dead.properties).to.include({ messageId: sent.messageId, correlationId: sent.sagaId, deliveryMode: 2 });
  });

  it('retries through the delay queue when the handler asks to', async () => {
    // A delay long enough to see the message wait in its delay queue, and only there.
    const delayMs = 1_000;
    const slow = await fixture.bus({ topology: sagaflowTopology([delayMs], 'classic', 0) });
    const channel = await fixture.channel();
    const attempts: { attempt: number; at: number }[] = [];
    await slow.consume(QUEUES.payment, async (_message, delivery) => {
      attempts.push({ attempt: delivery.attempt, at: Date.now() });
      if (delivery.attempt === 1) return retryLater({ type: 'busy', message: 'later', retryable: true });
    });
    await slow.publish(chargeCommand());
    await waitUntil(() => attempts.length === 1, 'the first delivery');
    await waitUntil(
      async () => (await channel.checkQueue(retryQueueOf(QUEUES.payment, delayMs))).messageCount === 1,
      `the message waits in ${retryQueueOf(QUEUES.payment, delayMs)}`,
      { timeoutMs: delayMs / 2 },
    );
    expect(attempts).to.have.length(1);
    await waitUntil(() => attempts.length === 2, 'the retry arrives');
    expect(attempts.map((a) => a.attempt)).to.deep.equal([1, 2]);
    expect(attempts[1]!.at - attempts[0]!.at).to.be.at.least(delayMs);
    expect((await channel.checkQueue(retryQueueOf(QUEUES.payment, delayMs))).messageCount).to.equal(0);
  });

  /**
   * A burst of `count` commands whose handler fails each once, at once, retried after `delayMs` with
   * `jitter`: how long each waited between its failure and its retry, ascending.
   */
  async function waitsOfABurst(delayMs: number, jitter: number, count: number): Promise<number[]> {
    const jittered = await fixture.bus({ topology: sagaflowTopology([delayMs], 'classic', jitter) });
    const failedAt = new Map<string, number>();
    const waits: number[] = [];
    const subscription = await jittered.consume(
      QUEUES.payment,
      async (message, delivery) => {
        if (delivery.attempt === 1) {
          failedAt.set(message.messageId, performance.now());
          return retryLater({ type: 'gateway_down', message: 'all at once', retryable: true });
        }
        waits.push(performance.now() - failedAt.get(message.messageId)!);
      },
      { prefetch: count },
    );
    await Promise.all(Array.from({ length: count }, () => jittered.publish(chargeCommand())));
    await waitUntil(() => waits.length === count, `${count} retries back`, { timeoutMs: 3 * delayMs + 5_000 });
    await subscription.stop();
    return waits.sort((a, b) => a - b);
  }

  /** Groups of retries that came back together: sorted waits more than `gapMs` apart start a new one. */
  const wavesOf = (waits: number[], gapMs: number): number =>
    waits.filter((wait, i) => i === 0 || wait - waits[i - 1]! > gapMs).length;

  it('spreads a burst of failures over the jitter window when it comes back, and not without jitter', async () => {
    const delayMs = 1_000;
    const window = 2 * 0.2 * delayMs; // 800..1,200 ms
    // One after the other: both consume the same queue.
    const jittered = await waitsOfABurst(delayMs, 0.2, 40);
    const plain = await waitsOfABurst(delayMs, 0, 40);
    const spread = (waits: number[]) => waits.at(-1)! - waits[0]!;
    expect(spread(jittered), `waits with jitter: ${jittered.map(Math.round).join(', ')}`).to.be.at.least(0.3 * window);
    expect(wavesOf(jittered, 40), 'the retries come back in several waves').to.be.at.least(3);
    expect(jittered[0]).to.be.at.least(0.8 * delayMs - 5);
    // The same burst without jitter comes back together: the spread above tells them apart.
    expect(spread(plain), `waits without jitter: ${plain.map(Math.round).join(', ')}`).to.be.below(0.3 * window);
  });

  it('retries a message whose store did not answer for as long as it takes, without spending its retries', async () => {
    const attempts: number[] = [];
    await bus.consume(QUEUES.payment, async (_message, delivery) => {
      attempts.push(delivery.attempt);
      // More failures than the topology's two retry delays allow.
      if (attempts.length <= 5) throw new Error('timeout exceeded when trying to connect');
    });
    await bus.publish(chargeCommand());
    await waitUntil(() => attempts.length === 6, 'handled once the store answers');
    expect(attempts).to.deep.equal([1, 1, 1, 1, 1, 1]);
    expect((await (await fixture.channel()).checkQueue(dlqOf(QUEUES.payment))).messageCount).to.equal(0);
  });

  for (const [name, fail] of [
    [
      'returns deadLetter(...)',
      async () => deadLetter({ type: 'poison', message: 'cannot ever work', retryable: false }),
    ],
    [
      'throws a non-retryable error',
      async () => {
        throw SagaflowError.nonRetryable('poison', 'cannot ever work');
      },
    ],
  ] as const) {
    it(`dead-letters at once a message whose handler ${name}`, async () => {
      let calls = 0;
      await bus.consume(QUEUES.payment, async () => {
        calls++;
        return fail();
      });
      await bus.publish(chargeCommand());
      const [dead] = await fixture.take(dlqOf(QUEUES.payment), 1);
      expect(calls).to.equal(1);
      expect(header(dead!, HEADERS.reason)).to.equal('rejected');
      expect(header(dead!, HEADERS.attempts)).to.equal(1);
      expect(errorOf(dead!)).to.deep.equal({ type: 'poison', message: 'cannot ever work', retryable: false });
    });
  }
});
