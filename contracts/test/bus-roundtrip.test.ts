import { expect } from 'chai';
import { EXCHANGES, HEADERS, QUEUES, SagaflowError, sagaflowTopology, type Message } from '../src/index.js';
import { createMessage, MessageBus, silentLogger, type DeliveryInfo } from '../src/messaging/index.js';
import { waitUntil } from '../src/testing/index.js';
import { BusFixture, chargeCommand } from './support/bus-fixture.js';

describe('MessageBus round trip', () => {
  let fixture: BusFixture;

  beforeEach(async () => {
    fixture = await BusFixture.create('bus-roundtrip');
  });

  afterEach(async () => {
    await fixture.cleanup();
  });

  it('publishes a command persistent, with its ids, type, version and trace on the wire', async () => {
    const bus = await fixture.bus();
    const sent = chargeCommand();
    await bus.publish(sent);
    const [raw] = await fixture.take(QUEUES.payment, 1);
    const { properties, fields } = raw!;
    expect(fields).to.include({ exchange: EXCHANGES.commands, routingKey: 'payment.charge' });
    expect(properties).to.include({
      messageId: sent.messageId,
      correlationId: sent.sagaId,
      type: 'payment.charge',
      contentType: 'application/json',
      deliveryMode: 2,
    });
    expect(properties.headers).to.include({
      [HEADERS.schemaVersion]: 1,
      [HEADERS.traceparent]: sent.traceparent,
    });
    expect(JSON.parse(raw!.content.toString())).to.deep.equal(sent);
  });

  it('acks what its handlers settled while it runs, so five times its prefetch get through', async () => {
    const bus = await fixture.bus();
    let handled = 0;
    // The broker hands out no more than the prefetch unacked: only acks that reach it let the rest through.
    await bus.consume(
      QUEUES.payment,
      async () => {
        handled++;
      },
      { prefetch: 8 },
    );
    await Promise.all(Array.from({ length: 40 }, () => bus.publish(chargeCommand())));
    await waitUntil(() => handled === 40, 'all 40 commands are handled, not only the first 8');
    expect(handled).to.equal(40);
  });

  it('delivers a confirmed command to its participant queue unchanged and acks it', async () => {
    const bus = await fixture.bus();
    const received: { message: Message; delivery: DeliveryInfo }[] = [];
    await bus.consume(QUEUES.payment, async (message, delivery) => {
      received.push({ message, delivery });
    });
    const sent = chargeCommand();
    await bus.publish(sent);
    await waitUntil(() => received.length === 1, 'the command arrives');
    expect(received[0]!.message).to.deep.equal(sent);
    expect(received[0]!.delivery).to.deep.equal({ queue: QUEUES.payment, attempt: 1, redelivered: false });
    await bus.stop();
    const channel = await fixture.channel();
    expect((await channel.checkQueue(QUEUES.payment)).messageCount).to.equal(0);
  });

  it('refuses to publish an invalid message', async () => {
    const bus = await fixture.bus();
    const message = chargeCommand();
    const bad = { ...message, payload: { ...message.payload, currency: 'euro' } };
    const error = await bus.publish(bad).then(
      () => expect.fail('published'),
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(SagaflowError);
    expect(error).to.include({ type: 'invalid_payload', retryable: false });
  });

  it('publishes a message built from checked parts as it is, with the properties of a checked one', async () => {
    const bus = await fixture.bus();
    const sent = chargeCommand();
    // Not checked again on the way out: what does not conform is for the consumer to dead-letter.
    const unchecked = { ...sent, payload: { ...sent.payload, currency: 'euro' } };
    await bus.publishBuilt(sent);
    await bus.publishBuilt(unchecked);
    const [first, second] = await fixture.take(QUEUES.payment, 2);
    expect(first!.fields).to.include({ exchange: EXCHANGES.commands, routingKey: 'payment.charge' });
    expect(first!.properties).to.include({ messageId: sent.messageId, correlationId: sent.sagaId, deliveryMode: 2 });
    expect(first!.properties.headers).to.include({ [HEADERS.traceparent]: sent.traceparent });
    expect(JSON.parse(first!.content.toString())).to.deep.equal(sent);
    expect(JSON.parse(second!.content.toString())).to.deep.equal(unchecked);
  });

  it('refuses queues and exchanges outside its topology', async () => {
    const bus = await fixture.bus();
    const consume = await bus.consume('nowhere', async () => undefined).catch((e: unknown) => e);
    expect(consume).to.include({ type: 'unknown_queue' });
    const listen = await bus.listen('nowhere', '#', () => undefined).catch((e: unknown) => e);
    expect(listen).to.include({ type: 'unknown_exchange' });
  });

  it('lets listeners see events on the events exchange', async () => {
    const bus = await fixture.bus();
    const seen: Message[] = [];
    const subscription = await bus.listen(EXCHANGES.events, 'inventory.#', (m) => seen.push(m));
    const event = createMessage('inventory.low', { sku: 'SKU-1', available: 1, threshold: 5 });
    await bus.publish(event);
    await waitUntil(() => seen.length === 1, 'the event arrives');
    expect(seen[0]).to.deep.equal(event);
    await subscription.stop();
  });

  it('fails to connect in time to a broker that does not answer', async () => {
    const started = Date.now();
    const error = await MessageBus.connect(
      { url: 'amqp://guest:guest@127.0.0.1:1', topology: sagaflowTopology(), logger: silentLogger() },
      300,
    ).then(
      () => expect.fail('connected'),
      (e: unknown) => e,
    );
    expect(error).to.include({ type: 'timeout' });
    expect(Date.now() - started).to.be.lessThan(2_000);
  });
});
