import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'chai';
import { dlqOf, EXCHANGES, QUEUES, serviceCommandOf } from '@sagaflow/contracts';
import { eventually, findRepoRoot, managementApi } from '@sagaflow/contracts/testing';
import {
  chargesOf,
  createProduct,
  deadLetters,
  json,
  ops,
  placeOrder,
  setPaymentFaults,
  settledStatus,
  stalled,
  useOpsSystem,
} from './support/ops-system.js';

const PAYMENT_DLQ = dlqOf(QUEUES.payment);

describe('orders on quorum queues (QUEUE_TYPE=quorum, every service a process)', function () {
  this.timeout(60_000);
  // Each service declares some twenty quorum queues as it starts (a Raft group each): on a busy
  // machine that takes longer than classic ones.
  const ctx = useOpsSystem('e2e-quorum', { env: { QUEUE_TYPE: 'quorum' }, startTimeoutMs: 45_000 });
  const vhostOf = () => decodeURIComponent(new URL(ctx.system.amqpUrl).pathname.slice(1));

  afterEach(async () => {
    await setPaymentFaults(ctx.system, 'none');
  });

  it('declares the queues as quorum queues', async () => {
    const listed = (await managementApi('GET', `/queues/${encodeURIComponent(vhostOf())}?columns=name,type`)) as {
      name: string;
      type: string;
    }[];
    const types = new Map(listed.map((q) => [q.name, q.type]));
    for (const queue of [QUEUES.payment, QUEUES.replies, PAYMENT_DLQ, `${QUEUES.payment}.retry.50`]) {
      expect(types.get(queue), queue).to.equal('quorum');
    }
  });

  it('confirms an order, and one whose charge was dead-lettered once the ops CLI replays it', async () => {
    const { system } = ctx;
    const sku = await createProduct(system, 10, 1_200);
    const first = await placeOrder(system, sku);
    expect(await settledStatus(system, first.orderId)).to.equal('CONFIRMED');
    expect(await chargesOf(system, first.orderId)).to.deep.equal(['charge']);

    await setPaymentFaults(system, 'error');
    const stuck = await placeOrder(system, sku);
    await stalled(system, [stuck.sagaId]);
    const letters = await eventually(
      async () => {
        const items = await deadLetters(system, PAYMENT_DLQ);
        expect(items.map((d) => d.sagaId)).to.include(stuck.sagaId);
        return items;
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    expect(letters[0]).to.include({ reason: 'retries_exhausted', exchange: EXCHANGES.commands });

    await setPaymentFaults(system, 'none');
    const replay = json<{ matched: number; replayed: number }>(await ops(system, ['dlq', 'replay', '--all', '--json']));
    expect(replay).to.include({ matched: letters.length, replayed: letters.length });
    expect(await settledStatus(system, stuck.orderId)).to.equal('CONFIRMED');
    expect(await chargesOf(system, stuck.orderId)).to.deep.equal(['charge']);
    await eventually(async () => expect(await deadLetters(system)).to.deep.equal([]), { timeoutMs: 5_000 });
  });

  it('stops a service started with QUEUE_TYPE=classic: one line on stderr and exit code 2, so it is not restarted', async () => {
    const { script, args } = serviceCommandOf('payment');
    const env = {
      PATH: process.env.PATH,
      AMQP_URL: ctx.system.amqpUrl,
      STORE_URL: ctx.system.storeUrl,
      PORT: '0',
      QUEUE_TYPE: 'classic',
    };
    const exit = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      execFile(
        process.execPath,
        [join(findRepoRoot(), script), ...args],
        { env, timeout: 20_000 },
        (error, _out, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? null) : 0, stderr }),
      );
    });
    expect(exit.code, exit.stderr).to.equal(2);
    expect(exit.stderr.trim().split('\n')).to.have.length(1);
    expect(exit.stderr).to.contain('as a quorum queue but QUEUE_TYPE=classic');
    expect(exit.stderr).to.contain('start with QUEUE_TYPE=quorum');
  });
});
