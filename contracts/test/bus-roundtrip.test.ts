import { expect } from 'chai';
import { createMessage, MessageBus, QUEUES, sagaflowTopology, silentLogger, type Message } from '../src/index.js';
import { createTestVhost, waitUntil, type TestVhost } from '../src/testing/index.js';

describe('MessageBus round trip', () => {
  let vhost: TestVhost;
  let bus: MessageBus;

  beforeEach(async () => {
    vhost = await createTestVhost('bus');
    bus = await MessageBus.connect({ url: vhost.url, topology: sagaflowTopology([50]), logger: silentLogger() });
  });

  afterEach(async () => {
    await bus.stop();
    await vhost.delete();
  });

  it('delivers a confirmed command to its participant queue', async () => {
    const received: Message[] = [];
    await bus.consume(QUEUES.payment, async (m) => {
      received.push(m);
    });
    const sent = createMessage(
      'payment.charge',
      { orderId: 'o-1', customerId: 'c-1', amountCents: 1200, currency: 'EUR', method: 'card', token: 'tok_ok' },
      { sagaId: 's-1', commandId: 'cmd-1' },
    );
    await bus.publish(sent);
    await waitUntil(() => received.length === 1, 'the command arrives');
    expect(received[0]).to.deep.equal(sent);
  });
});
