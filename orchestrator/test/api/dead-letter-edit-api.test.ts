import { expect } from 'chai';
import amqp, { type ChannelModel } from 'amqplib';
import { EXCHANGES } from '@sagaflow/contracts';
import { createMessage } from '@sagaflow/contracts/messaging';
import { eventually } from '@sagaflow/contracts/testing';
import type { Orchestrator } from '../../src/orchestrator.js';
import { http, TestStack } from '../support/test-stack.js';

describe('HTTP API: edit and replay a dead letter', function () {
  this.timeout(30_000);
  let stack: TestStack;
  let orchestrator: Orchestrator;
  let raw: ChannelModel;
  const auth = { authorization: 'Bearer sesame' };

  before(async () => {
    stack = await TestStack.create();
    await stack.declarePaymentQueue();
    orchestrator = await stack.orchestrator({ apiToken: 'sesame', stepTimeoutMs: 60_000 });
    raw = await amqp.connect(stack.vhost.url);
  });

  after(async () => {
    await raw?.close().catch(() => undefined);
    await stack.cleanup();
  });

  /** An order whose reservation reply arrives broken (a negative total): the orchestrator dead-letters it. */
  async function brokenReservationReply() {
    const placed = await http(
      orchestrator.url,
      'POST',
      '/orders',
      {
        customerId: 'c-edit',
        customerEmail: 'edit@example.com',
        currency: 'EUR',
        items: [{ sku: 'BOOK-001', quantity: 1 }],
        payment: { method: 'card', token: 'tok_visa' },
      },
      auth,
    );
    expect(placed.status).to.equal(202);
    const { sagaId } = placed.body;
    const line = { sku: 'BOOK-001', name: 'Book', quantity: 1, unitPriceCents: 4599, lineTotalCents: 4599 };
    const reply = createMessage(
      'inventory.reserve.reply',
      { outcome: 'success', result: { lines: [line], totalCents: -5 } },
      { sagaId, commandId: `${sagaId}.reserving` },
    );
    const channel = await raw.createConfirmChannel();
    channel.publish(EXCHANGES.replies, 'inventory.reserve.reply', Buffer.from(JSON.stringify(reply)), {
      persistent: true,
      messageId: reply.messageId,
      correlationId: sagaId,
      type: reply.type,
    });
    await channel.waitForConfirms();
    await channel.close();
    await eventually(async () => {
      const res = await http(orchestrator.url, 'GET', `/dlq/${reply.messageId}`, undefined, auth);
      expect(res.status).to.equal(200);
      expect(res.body.reason).to.equal('invalid_payload');
    });
    return { sagaId: sagaId as string, messageId: reply.messageId };
  }

  it('checks an edit on a dry run, refuses a bad one, then replays it and records the change in the timeline', async () => {
    const { sagaId, messageId } = await brokenReservationReply();
    const edit = (body: unknown, headers = auth) =>
      http(orchestrator.url, 'POST', `/dlq/${messageId}/edit`, body, headers);
    const fix = { set: [{ path: 'payload.result.totalCents', value: 4599 }] };

    expect((await edit(fix, {} as typeof auth)).status).to.equal(401);
    const dry = await edit({ ...fix, dryRun: true });
    expect(dry.status).to.equal(200);
    expect(dry.body).to.include({ dryRun: true, replayed: false, recorded: false });
    expect(dry.body.changes).to.deep.equal([{ path: 'payload.result.totalCents', from: -5, to: 4599 }]);

    const bad = await edit({ set: [{ path: 'payload.result.totalCents', value: 'lots' }] });
    expect(bad.status).to.equal(400);
    expect(bad.body.error).to.equal('invalid_edit');
    expect(bad.body.message).to.include('totalCents');
    expect((await edit({ set: [{ path: 'sagaId', value: 'x' }] })).body.message).to.include('cannot be edited');
    expect((await edit({ ...fix, replace: {} })).status).to.equal(400);
    expect((await edit({})).status).to.equal(400);

    const done = await edit(fix);
    expect(done.status).to.equal(200);
    expect(done.body).to.include({ replayed: true, recorded: true });

    const saga = await eventually(async () => {
      const res = await http(orchestrator.url, 'GET', `/sagas/${sagaId}`);
      expect(res.body.state).to.equal('charging');
      return res.body;
    });
    const action = saga.timeline.find((e: { kind: string }) => e.kind === 'ops.action');
    expect(action.step).to.equal('reserving');
    expect(action.detail).to.deep.equal({
      action: 'dlq.edit',
      messageId,
      queue: 'orchestrator.replies.dlq',
      type: 'inventory.reserve.reply',
      changes: [{ path: 'payload.result.totalCents', from: -5, to: 4599 }],
    });
    expect((await http(orchestrator.url, 'GET', `/dlq/${messageId}`, undefined, auth)).status).to.equal(404);
  });

  it('answers 404 for a message no dead-letter queue holds', async () => {
    const res = await http(orchestrator.url, 'POST', '/dlq/no-such-id/edit', { set: [{ path: 'a', value: 1 }] }, auth);
    expect(res.status).to.equal(404);
    expect((await http(orchestrator.url, 'POST', '/dlq/no-such-id/replay', undefined, auth)).status).to.equal(404);
  });

  it('serves the saga definitions drawn from the machines, and a clear 404 for an unbuilt viewer', async () => {
    const res = await http(orchestrator.url, 'GET', '/saga-definitions');
    const order = res.body.items.find((d: { type: string }) => d.type === 'order');
    expect(order.initial).to.equal('reserving');
    expect(order.transitions).to.deep.include({ from: 'charging', to: 'releasing', event: 'REPLY', when: 'failure' });
    expect(order.states).to.deep.include({ name: 'refunding', final: false, compensating: true });
    const ui = await http(orchestrator.url, 'GET', '/ui/sagas/s-1');
    expect(ui.status).to.equal(404);
    expect(ui.body.error).to.equal('ui_not_built');
    const root = await fetch(`${orchestrator.url}/`, { redirect: 'manual' });
    expect(root.status).to.equal(302);
    expect(root.headers.get('location')).to.equal('/ui/');
    const events = await fetch(`${orchestrator.url}/events`);
    expect(events.status, 'the event stream needs the token').to.equal(401);
  });
});
