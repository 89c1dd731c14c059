import { expect } from 'chai';
import { eventually } from '@sagaflow/contracts/testing';
import { ScriptedParticipants } from '../support/scripted-participants.js';
import { OrchestratorProcess } from '../support/orchestrator-process.js';
import { http, orderRequest, TestStack } from '../support/test-stack.js';

/** Every order reached a final status; no step of any order was applied with two command ids. */
async function expectAllSettledOnce(url: string, orderIds: string[], participants: ScriptedParticipants) {
  await eventually(
    async () => {
      for (const orderId of orderIds) {
        const { body } = await http(url, 'GET', `/orders/${orderId}`);
        expect(body.status, `${orderId}: ${JSON.stringify(body)}`).to.equal('CONFIRMED');
        expect(body.sagaStatus).to.equal('COMPLETED');
      }
    },
    { timeoutMs: 60_000, intervalMs: 200 },
  );
  for (const type of ['inventory.reserve', 'payment.charge', 'notification.send'] as const) {
    const byOrder = new Map<string, Set<string>>();
    for (const m of participants.effects.values()) {
      if (m.type !== type) continue;
      const orderId = (m.payload as { orderId: string }).orderId;
      byOrder.set(orderId, (byOrder.get(orderId) ?? new Set()).add(m.commandId!));
    }
    for (const orderId of orderIds) expect(byOrder.get(orderId)?.size, `${type} effects of ${orderId}`).to.equal(1);
  }
}

describe('recovery and concurrency', function () {
  this.timeout(120_000);
  let stack: TestStack;
  let participants: ScriptedParticipants;

  beforeEach(async () => {
    stack = await TestStack.create();
    participants = await ScriptedParticipants.start(stack.vhost.url);
  });

  afterEach(async () => {
    await participants.stop();
    await stack.cleanup();
  });

  it('loses no saga when the orchestrator is killed with SIGKILL while 200 are in flight', async () => {
    const first = await OrchestratorProcess.spawn(stack.env({ STEP_TIMEOUT_MS: '2000' }));
    const accepted: string[] = [];
    const posts = Array.from({ length: 200 }, (_, i) =>
      http(first.url, 'POST', '/orders', orderRequest({ customerId: `crash-${i}` })).then(
        (res) => {
          if (res.status === 202) accepted.push(res.body.orderId);
        },
        () => undefined, // the connection died with the process: never acknowledged
      ),
    );
    await eventually(() => expect(accepted.length).to.be.at.least(100), { timeoutMs: 30_000, intervalMs: 5 });
    await first.kill('SIGKILL');
    await Promise.all(posts);

    const second = await OrchestratorProcess.spawn(stack.env({ STEP_TIMEOUT_MS: '2000' }));
    try {
      const listed = await http(second.url, 'GET', '/orders?limit=500');
      const stored: string[] = listed.body.items.map((o: { orderId: string }) => o.orderId);
      expect(stored).to.include.members(accepted);
      await expectAllSettledOnce(second.url, stored, participants);
    } finally {
      await second.kill('SIGTERM');
    }
  });

  it('two orchestrators on one store and broker lose no update under concurrent replies', async () => {
    const a = await stack.orchestrator();
    const b = await stack.orchestrator();
    participants.duplicateReplies = true;
    const ids = await Promise.all(
      Array.from({ length: 100 }, async (_, i) => {
        const target = i % 2 ? a : b;
        const res = await http(target.url, 'POST', '/orders', orderRequest({ customerId: `twin-${i}` }));
        expect(res.status).to.equal(202);
        return res.body.orderId as string;
      }),
    );
    await expectAllSettledOnce(a.url, ids, participants);
    for (const orderId of ids) {
      const order = (await http(b.url, 'GET', `/orders/${orderId}`)).body;
      const saga = (await http(b.url, 'GET', `/sagas/${order.sagaId}`)).body;
      const kinds = saga.timeline.map((e: { kind: string }) => e.kind);
      expect(kinds.filter((k: string) => k === 'reply.received')).to.have.length(3);
      expect(saga.timeline.map((e: { seq: number }) => e.seq)).to.deep.equal(
        kinds.map((_: string, i: number) => i + 1),
      );
      expect(saga.version).to.equal(4);
    }
  });
});
