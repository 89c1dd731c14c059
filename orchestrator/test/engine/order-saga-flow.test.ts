import { expect } from 'chai';
import { Writable } from 'node:stream';
import winston from 'winston';
import { eventually } from '@sagaflow/contracts/testing';
import type { Orchestrator } from '../../src/orchestrator.js';
import { happyScript, ScriptedParticipants, type Script } from '../support/scripted-participants.js';
import { http, orderRequest, TestStack } from '../support/test-stack.js';

const kinds = (saga: { timeline: { kind: string }[] }) => saga.timeline.map((e) => e.kind);

/** Reads a stream until `done(text)` holds; a read that blocks past the deadline fails the test. */
async function readUntil(
  reader: ReadableStreamDefaultReader<Uint8Array>,
  done: (text: string) => boolean,
  timeoutMs = 10_000,
): Promise<string> {
  const decoder = new TextDecoder();
  let text = '';
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not read within ${timeoutMs} ms; read so far: ${text}`)), timeoutMs);
  });
  try {
    while (!done(text)) {
      const chunk = await Promise.race([reader.read(), deadline]);
      if (chunk.done) throw new Error(`the stream ended; read: ${text}`);
      text += decoder.decode(chunk.value, { stream: true });
    }
    return text;
  } finally {
    clearTimeout(timer);
  }
}

/** A logger that keeps every entry, debug included, so that a test can see what the service noticed. */
function recordingLogger() {
  const entries: { level: string; message: string; [field: string]: unknown }[] = [];
  const stream = new Writable({
    objectMode: true,
    write(entry, _encoding, callback) {
      entries.push(entry);
      callback();
    },
  });
  return {
    entries,
    logger: winston.createLogger({ level: 'debug', transports: [new winston.transports.Stream({ stream })] }),
  };
}

describe('order sagas on the real broker and PostgreSQL (scripted participants)', function () {
  this.timeout(30_000);
  let stack: TestStack;
  let participants: ScriptedParticipants;
  let orchestrator: Orchestrator;

  const place = async (overrides = {}) => {
    const res = await http(orchestrator.url, 'POST', '/orders', orderRequest(overrides));
    expect(res.status, JSON.stringify(res.body)).to.equal(202);
    return res.body as { orderId: string; sagaId: string };
  };

  const settled = (orderId: string, status: string) =>
    eventually(
      async () => {
        const order = await http(orchestrator.url, 'GET', `/orders/${orderId}`);
        expect(order.body.status).to.equal(status);
        expect(order.body.sagaStatus).to.be.oneOf(['COMPLETED', 'CANCELLED']);
        return order.body;
      },
      { timeoutMs: 15_000 },
    );

  const sagaOf = async (sagaId: string) => (await http(orchestrator.url, 'GET', `/sagas/${sagaId}`)).body;

  const startWith = async (script: Script, config = {}) => {
    participants = await ScriptedParticipants.start(stack.vhost.url, script);
    orchestrator = await stack.orchestrator(config);
  };

  beforeEach(async () => {
    stack = await TestStack.create();
  });

  afterEach(async () => {
    await participants?.stop();
    await stack.cleanup();
  });

  it('confirms an order: reserve, charge, notify, and records the timeline', async () => {
    await startWith(happyScript);
    const { orderId, sagaId } = await place();
    const order = await settled(orderId, 'CONFIRMED');
    expect(order.totalCents).to.equal(2000);
    expect(order.sagaStatus).to.equal('COMPLETED');
    const saga = await sagaOf(sagaId);
    expect(saga.status).to.equal('COMPLETED');
    expect(kinds(saga)).to.deep.equal([
      'saga.started',
      'command.sent',
      'reply.received',
      'command.sent',
      'reply.received',
      'command.sent',
      'reply.received',
      'saga.completed',
    ]);
    expect(saga.timeline.map((e: { seq: number }) => e.seq)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(participants.commandsOf('payment.charge', orderId)[0]!.payload).to.include({
      amountCents: 2000,
      currency: 'EUR',
    });
  });

  it('compensates a declined card: the reservation is released and the order cancelled', async () => {
    await startWith((command, delivery) =>
      command.type === 'payment.charge'
        ? { outcome: 'failure', reason: { code: 'card_declined', message: 'card declined' } }
        : happyScript(command, delivery),
    );
    const { orderId, sagaId } = await place();
    const order = await settled(orderId, 'CANCELLED');
    expect(order.reason).to.match(/declined/);
    expect(participants.commandsOf('inventory.release', orderId)).to.have.length(1);
    const notify = participants.commandsOf('notification.send', orderId);
    expect(notify.map((m) => (m.payload as { template: string }).template)).to.deep.equal(['order.cancelled']);
    const saga = await sagaOf(sagaId);
    expect(saga.status).to.equal('CANCELLED');
    expect(kinds(saga)).to.include.members(['compensation.started', 'saga.cancelled']);
  });

  it('cancels an order that cannot be reserved without charging it', async () => {
    await startWith((command, delivery) =>
      command.type === 'inventory.reserve'
        ? { outcome: 'failure', reason: { code: 'out_of_stock', message: 'BOOK-1: 0 available' } }
        : happyScript(command, delivery),
    );
    const { orderId } = await place();
    await settled(orderId, 'CANCELLED');
    expect(participants.commandsOf('payment.charge', orderId)).to.have.length(0);
    expect(participants.commandsOf('inventory.release', orderId)).to.have.length(0);
  });

  it('resends a step whose reply does not come in time, with the same command id', async () => {
    await startWith(
      (command, delivery) =>
        command.type === 'payment.charge' && delivery === 1 ? 'silence' : happyScript(command, delivery),
      {
        stepTimeoutMs: 300,
      },
    );
    const { orderId, sagaId } = await place();
    await settled(orderId, 'CONFIRMED');
    const charges = participants.commandsOf('payment.charge', orderId);
    expect(charges).to.have.length(2);
    expect(charges[0]!.commandId).to.equal(charges[1]!.commandId);
    expect(charges[0]!.messageId).to.not.equal(charges[1]!.messageId);
    expect(kinds(await sagaOf(sagaId))).to.include.members(['step.timeout', 'command.resent']);
  });

  it('stalls after the resend budget, and an operator retry resumes the saga', async () => {
    let paymentUp = false;
    await startWith(
      (command, delivery) =>
        command.type === 'payment.charge' && !paymentUp ? 'silence' : happyScript(command, delivery),
      {
        stepTimeoutMs: 200,
        stepMaxAttempts: 2,
      },
    );
    const { orderId, sagaId } = await place();
    const stalled = await eventually(async () => {
      const saga = await sagaOf(sagaId);
      expect(saga.status).to.equal('STALLED');
      return saga;
    });
    expect(kinds(stalled)).to.include('saga.stalled');
    expect(participants.commandsOf('payment.charge', orderId)).to.have.length(2);
    const listed = await http(orchestrator.url, 'GET', '/sagas?status=STALLED');
    expect(listed.body.items.map((s: { sagaId: string }) => s.sagaId)).to.include(sagaId);

    paymentUp = true;
    const retried = await http(orchestrator.url, 'POST', `/sagas/${sagaId}/retry`);
    expect(retried.status).to.equal(202);
    await settled(orderId, 'CONFIRMED');
    expect(kinds(await sagaOf(sagaId))).to.include.members(['ops.action', 'saga.resumed', 'saga.completed']);
    const again = await http(orchestrator.url, 'POST', `/sagas/${sagaId}/retry`);
    expect(again.status).to.equal(409);
  });

  it('resumes a stalled saga by itself when the missing reply arrives late', async () => {
    let paymentUp = false;
    await startWith(
      (command, delivery) =>
        command.type === 'payment.charge' && !paymentUp ? 'silence' : happyScript(command, delivery),
      { stepTimeoutMs: 150, stepMaxAttempts: 1 },
    );
    const { orderId, sagaId } = await place();
    await eventually(async () => expect((await sagaOf(sagaId)).status).to.equal('STALLED'));
    paymentUp = true;
    await participants.redeliver(participants.commandsOf('payment.charge', orderId)[0]!);
    await settled(orderId, 'CONFIRMED');
    const saga = await sagaOf(sagaId);
    expect(kinds(saga)).to.include('saga.resumed').and.not.include('ops.action');
  });

  it('lets an operator compensate a stalled charge: refund, release, cancel', async () => {
    await startWith(
      (command, delivery) => (command.type === 'payment.charge' ? 'silence' : happyScript(command, delivery)),
      {
        stepTimeoutMs: 150,
        stepMaxAttempts: 1,
      },
    );
    const { orderId, sagaId } = await place();
    await eventually(async () => expect((await sagaOf(sagaId)).status).to.equal('STALLED'));
    const res = await http(orchestrator.url, 'POST', `/sagas/${sagaId}/compensate`);
    expect(res.status).to.equal(202);
    await settled(orderId, 'CANCELLED');
    expect(participants.commandsOf('payment.refund', orderId)).to.have.length(1);
    expect(participants.commandsOf('inventory.release', orderId)).to.have.length(1);
  });

  it('applies a duplicated reply once', async () => {
    participants = await ScriptedParticipants.start(stack.vhost.url, happyScript);
    participants.duplicateReplies = true;
    const log = recordingLogger();
    orchestrator = await stack.orchestrator({}, log.logger);
    const { orderId, sagaId } = await place();
    await settled(orderId, 'CONFIRMED');
    const commandIds = participants.received.map((m) => m.commandId!);
    expect(commandIds).to.have.length(3);
    expect([...participants.duplicatesSent]).to.have.members(commandIds);
    // Each second copy reached the orchestrator, which saw it was not awaited any more.
    await eventually(() =>
      expect(log.entries.filter((e) => e.message.startsWith('reply ignored')).map((e) => e.commandId)).to.have.members(
        commandIds,
      ),
    );
    const saga = await sagaOf(sagaId);
    expect(kinds(saga).filter((k: string) => k === 'reply.received')).to.have.length(3);
    expect(saga.version).to.equal(4);
  });

  it('refunds, releases and notifies when a confirmed order is cancelled', async () => {
    await startWith(happyScript);
    const { orderId } = await place();
    await settled(orderId, 'CONFIRMED');
    const [first, second] = await Promise.all([
      http(orchestrator.url, 'POST', `/orders/${orderId}/cancel`),
      http(orchestrator.url, 'POST', `/orders/${orderId}/cancel`),
    ]);
    expect([first.status, second.status]).to.deep.equal([202, 202]);
    expect(first.body.sagaId).to.equal(second.body.sagaId);
    const order = await settled(orderId, 'CANCELLED');
    expect(order.cancellationSagaId).to.equal(first.body.sagaId);
    expect(participants.commandsOf('payment.refund', orderId)).to.have.length(1);
    const templates = participants
      .commandsOf('notification.send', orderId)
      .map((m) => (m.payload as { template: string }).template);
    expect(templates).to.deep.equal(['order.confirmed', 'order.refunded']);
    const cancellation = await sagaOf(first.body.sagaId);
    expect(cancellation).to.include({ type: 'cancellation', status: 'COMPLETED' });
    expect((await http(orchestrator.url, 'POST', `/orders/${orderId}/cancel`)).status).to.equal(409);
  });

  it('streams saga changes as Server-Sent Events', async () => {
    await startWith(happyScript);
    const controller = new AbortController();
    const response = await fetch(`${orchestrator.url}/events`, { signal: controller.signal });
    expect(response.headers.get('content-type')).to.match(/text\/event-stream/);
    const reader = response.body!.getReader();
    const { sagaId } = await place();
    const text = await readUntil(reader, (read) => read.includes('"status":"COMPLETED"'));
    controller.abort();
    const frames = text.split('\n\n').filter((f) => f.includes('event: saga'));
    const changes = frames.map((f) => JSON.parse(f.slice(f.indexOf('data: ') + 6)));
    expect(changes.every((c) => c.sagaId === sagaId)).to.equal(true);
    expect(changes.map((c) => c.version)).to.include.members([1, 4]);
  });
});
