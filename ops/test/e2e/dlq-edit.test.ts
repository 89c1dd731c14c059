import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { dlqOf, QUEUES } from '@sagaflow/contracts';
import { eventually } from '@sagaflow/contracts/testing';
import {
  chargesOf,
  createProduct,
  deadLetters,
  json,
  ops,
  placeOrder,
  setPaymentFaults,
  settledStatus,
  useOpsSystem,
} from './support/ops-system.js';

const PAYMENT_DLQ = dlqOf(QUEUES.payment);

describe('sagaflow-ops dlq edit (every service a process)', function () {
  this.timeout(60_000);
  const ctx = useOpsSystem('e2e-edit');

  /** An order whose charge fails for good: its payment.charge ends in the payment DLQ. */
  async function deadLetteredCharge() {
    const sku = await createProduct(ctx.system, 10);
    await setPaymentFaults(ctx.system, 'error');
    const order = await placeOrder(ctx.system, sku);
    const letter = await eventually(
      async () => {
        const found = (await deadLetters(ctx.system, PAYMENT_DLQ)).find((d) => d.sagaId === order.sagaId);
        expect(found).to.not.equal(undefined);
        return found!;
      },
      { timeoutMs: 20_000, intervalMs: 200 },
    );
    await setPaymentFaults(ctx.system, 'none');
    return { ...order, messageId: letter.messageId };
  }

  it('checks with --dry-run, refuses a bad edit, then replays it: the order completes, charged once, the edit in its timeline', async () => {
    const { orderId, sagaId, messageId } = await deadLetteredCharge();

    const dry = await ops(ctx.system, ['dlq', 'edit', messageId, '--set', 'payload.customerId=c-fixed', '--dry-run']);
    expect(dry.code, dry.stderr).to.equal(0);
    expect(dry.stdout)
      .to.include('dry run: the edit is valid')
      .and.match(/payload\.customerId\s+"cust-ops"\s+"c-fixed"/);
    expect((await deadLetters(ctx.system, PAYMENT_DLQ)).map((d) => d.messageId)).to.include(messageId);

    const bad = await ops(ctx.system, ['dlq', 'edit', messageId, '--set', 'payload.amountCents=lots']);
    expect(bad.code).to.equal(1);
    expect(bad.stderr).to.include('invalid_edit').and.include('amountCents');

    const done = json<{ replayed: boolean; recorded: boolean }>(
      await ops(ctx.system, ['dlq', 'edit', messageId, '--set', 'payload.customerId=c-fixed', '--json']),
    );
    expect(done).to.include({ replayed: true, recorded: true });
    expect(await settledStatus(ctx.system, orderId)).to.equal('CONFIRMED');
    expect(await chargesOf(ctx.system, orderId)).to.deep.equal(['charge']);
    const saga = await ctx.system.request('orchestrator', 'GET', `/sagas/${sagaId}`);
    const action = (
      saga.body as { timeline: { kind: string; step: string; detail: Record<string, unknown> }[] }
    ).timeline.find((e) => e.kind === 'ops.action');
    expect(action?.step).to.equal('charging');
    expect(action?.detail).to.include({ action: 'dlq.edit', messageId });
  });

  it('takes a whole message from --file', async () => {
    const { orderId, messageId } = await deadLetteredCharge();
    const shown = json<{ body: { payload: Record<string, unknown> } }>(
      await ops(ctx.system, ['dlq', 'show', messageId, '--json']),
    );
    const dir = mkdtempSync(join(tmpdir(), 'sagaflow-edit-'));
    try {
      const file = join(dir, 'message.json');
      writeFileSync(
        file,
        JSON.stringify({ ...shown.body, payload: { ...shown.body.payload, customerId: 'from-file' } }),
      );
      const run = await ops(ctx.system, ['dlq', 'edit', messageId, '--file', file]);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.stdout).to.include(`replayed ${messageId}`).and.include('"from-file"');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(await settledStatus(ctx.system, orderId)).to.equal('CONFIRMED');
  });

  it('exits 2 on bad usage and 1 for a message no DLQ holds', async () => {
    expect((await ops(ctx.system, ['dlq', 'edit', 'some-id'])).code).to.equal(2);
    expect((await ops(ctx.system, ['dlq', 'edit', 'some-id', '--set', 'a=1', '--file', 'x.json'])).code).to.equal(2);
    expect((await ops(ctx.system, ['dlq', 'edit', 'some-id', '--set', 'no-equals-sign'])).code).to.equal(2);
    expect((await ops(ctx.system, ['dlq', 'edit', 'some-id', '--file', '/nonexistent/m.json'])).code).to.equal(2);
    const missing = await ops(ctx.system, ['dlq', 'edit', 'no-such-message', '--set', 'payload.x=1']);
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.include("no dead letter with message id 'no-such-message'");
  });
});
