import { expect } from 'chai';
import { sagaflowTopology } from '@sagaflow/contracts';
import { createMessage, MessageBus, silentLogger } from '@sagaflow/contracts/messaging';
import { eventually } from '@sagaflow/contracts/testing';
import type { Orchestrator } from '../../src/orchestrator.js';
import { http, TestStack } from '../support/test-stack.js';

describe('HTTP API: dead-letter queues', function () {
  this.timeout(20_000);
  let stack: TestStack;
  let orchestrator: Orchestrator;
  let bus: MessageBus;
  const auth = { authorization: 'Bearer sesame' };

  before(async () => {
    stack = await TestStack.create();
    orchestrator = await stack.orchestrator({ apiToken: 'sesame' });
    bus = await MessageBus.connect({ url: stack.vhost.url, topology: sagaflowTopology([20]), logger: silentLogger() });
  });

  after(async () => {
    await bus.stop();
    await stack.cleanup();
  });

  /** A reply for a saga nobody knows: the orchestrator dead-letters it with its reason. */
  const strayReply = async () => {
    const reply = createMessage(
      'payment.refund.reply',
      { outcome: 'success', result: { paymentId: null, amountCents: 0 } },
      { sagaId: 'saga_nobody', commandId: 'saga_nobody.refunding' },
    );
    await bus.publish(reply);
    return reply.messageId;
  };

  it('lists and shows dead letters, guarded by the token', async () => {
    const messageId = await strayReply();
    const listed = await eventually(async () => {
      const res = await http(orchestrator.url, 'GET', '/dlq?queue=orchestrator.replies.dlq', undefined, auth);
      expect(res.status).to.equal(200);
      const item = res.body.items.find((d: { messageId: string }) => d.messageId === messageId);
      expect(item).to.not.equal(undefined);
      return item;
    });
    expect(listed).to.include({ queue: 'orchestrator.replies.dlq', sagaId: 'saga_nobody', reason: 'rejected' });
    expect(JSON.stringify(listed.error)).to.include('unknown_saga');
    expect((await http(orchestrator.url, 'GET', '/dlq')).status).to.equal(401);

    const shown = await http(orchestrator.url, 'GET', `/dlq/${messageId}`, undefined, auth);
    expect(shown.status).to.equal(200);
    expect(shown.body.body.type).to.equal('payment.refund.reply');
    expect((await http(orchestrator.url, 'GET', '/dlq/no-such-message', undefined, auth)).status).to.equal(404);
  });

  it('replays through the same implementation as the CLI, and refuses a bad scope', async () => {
    const messageId = await strayReply();
    await eventually(async () => {
      const res = await http(orchestrator.url, 'GET', '/dlq', undefined, auth);
      expect(res.body.items.map((d: { messageId: string }) => d.messageId)).to.include(messageId);
    });
    const dry = await http(orchestrator.url, 'POST', '/dlq/replay', { sagaId: 'saga_nobody', dryRun: true }, auth);
    expect(dry.status).to.equal(200);
    expect(dry.body).to.include({ dryRun: true, replayed: 0 });
    expect(dry.body.matched).to.be.at.least(1);

    const replay = await http(orchestrator.url, 'POST', '/dlq/replay', { queue: 'orchestrator.replies.dlq' }, auth);
    expect(replay.status).to.equal(200);
    expect(replay.body.replayed).to.equal(replay.body.matched);
    // Still no such saga: the replayed reply is dead-lettered again, marked as replayed.
    await eventually(async () => {
      const res = await http(orchestrator.url, 'GET', `/dlq/${messageId}`, undefined, auth);
      expect(res.status).to.equal(200);
      expect(res.body.replayedAt).to.be.a('string');
    });

    expect((await http(orchestrator.url, 'POST', '/dlq/replay', {}, auth)).body.error).to.equal(
      'replay_scope_required',
    );
    const work = await http(orchestrator.url, 'POST', '/dlq/replay', { queue: 'payment.commands' }, auth);
    expect(work.status).to.equal(400);
    expect(work.body.error).to.equal('not_a_dead_letter_queue');
    expect((await http(orchestrator.url, 'POST', '/dlq/replay', { all: 'yes' }, auth)).status).to.equal(400);
    expect((await http(orchestrator.url, 'POST', '/dlq/replay', { all: true })).status).to.equal(401);
  });
});
