import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import { deadLetterQueues, dlqOf, EXCHANGES, HEADERS, QUEUES, sagaflowTopology } from '@sagaflow/contracts';
import { createMessage, MessageBus, messageProperties, silentLogger } from '@sagaflow/contracts/messaging';
import { eventually } from '@sagaflow/contracts/testing';
import {
  answeredCharges,
  chargesOf,
  createProduct,
  deadLetters,
  json,
  ops,
  opsProcess,
  placeOrder,
  productOf,
  sagaStatusOf,
  setPaymentFaults,
  settledStatus,
  stalled,
  useOpsSystem,
  type DeadLetterRow,
} from './support/ops-system.js';

const PAYMENT_DLQ = dlqOf(QUEUES.payment);
const REPLIES_DLQ = dlqOf(QUEUES.replies);

interface ReplaySummary {
  matched: number;
  replayed: number;
  failed: { messageId: string; queue: string; reason: string }[];
  dryRun: boolean;
}

describe('sagaflow-ops end to end (every service a process)', function () {
  this.timeout(60_000);
  const ctx = useOpsSystem('e2e-ops');
  let bus: MessageBus | undefined;

  /** A client of the test's own, to put messages where the services would. */
  const publisher = async () =>
    (bus ??= await MessageBus.connect({
      url: ctx.system.amqpUrl,
      topology: sagaflowTopology([50, 100]),
      logger: silentLogger(),
      name: 'e2e-publisher',
    }));

  afterEach(async () => {
    await bus?.stop();
    bus = undefined;
    // A failed test must not leave dead letters or a failing payment service to the next one.
    await setPaymentFaults(ctx.system, 'none');
    for (const queue of deadLetterQueues(sagaflowTopology())) {
      const run = await ops(ctx.system, ['dlq', 'purge', '--queue', queue, '--yes']);
      expect(run.code, run.stderr).to.equal(0);
    }
  });

  it('replays the charges of stalled sagas once the payment service works again, once', async () => {
    const { system } = ctx;
    const sku = await createProduct(system, 10, 1_200);
    await setPaymentFaults(system, 'error');
    const orders = await Promise.all([placeOrder(system, sku), placeOrder(system, sku), placeOrder(system, sku)]);
    const sagaIds = orders.map((o) => o.sagaId);
    await stalled(system, sagaIds);

    const stuck = await eventually(
      async () => {
        const items = await deadLetters(system, PAYMENT_DLQ);
        for (const sagaId of sagaIds) expect(items.map((d) => d.sagaId)).to.include(sagaId);
        return items;
      },
      { timeoutMs: 10_000, intervalMs: 100 },
    );
    for (const letter of stuck) {
      expect(letter).to.include({
        type: 'payment.charge',
        reason: 'retries_exhausted',
        exchange: EXCHANGES.commands,
        routingKey: 'payment.charge',
      });
      expect(letter.error?.type).to.equal('injected_fault');
      expect(sagaIds).to.include(letter.sagaId);
    }

    // The bin as a real process sees the same dead letters.
    const listed = await opsProcess(system, ['dlq', 'list', '--queue', PAYMENT_DLQ, '--json']);
    expect(listed.code, listed.stderr).to.equal(0);
    expect(
      (JSON.parse(listed.stdout) as { items: DeadLetterRow[] }).items.map((d) => d.messageId).sort(),
    ).to.deep.equal(stuck.map((d) => d.messageId).sort());

    const shown = await ops(system, ['saga', 'show', sagaIds[0]!]);
    expect(shown.code, shown.stderr).to.equal(0);
    expect(shown.stdout).to.contain('STALLED');
    for (const kind of ['saga.started', 'command.sent', 'step.timeout', 'saga.stalled']) {
      expect(shown.stdout).to.contain(kind);
    }

    const dryRun = await ops(system, ['dlq', 'replay', '--all', '--dry-run', '--json']);
    expect(json<ReplaySummary>(dryRun)).to.include({ matched: stuck.length, replayed: 0, dryRun: true });
    expect((await deadLetters(system, PAYMENT_DLQ)).map((d) => d.messageId).sort()).to.deep.equal(
      stuck.map((d) => d.messageId).sort(),
    );
    for (const { orderId } of orders) expect(await chargesOf(system, orderId)).to.deep.equal([]);

    await setPaymentFaults(system, 'none');
    const replay = json<ReplaySummary>(await ops(system, ['dlq', 'replay', '--all', '--json']));
    expect(replay).to.include({ matched: stuck.length, replayed: stuck.length, dryRun: false });
    expect(replay.failed).to.deep.equal([]);

    for (const { orderId } of orders) {
      expect(await settledStatus(system, orderId)).to.equal('CONFIRMED');
      expect(await chargesOf(system, orderId)).to.deep.equal(['charge']);
    }
    await eventually(async () => expect(await deadLetters(system)).to.deep.equal([]), { timeoutMs: 5_000 });
    expect(await productOf(system, sku)).to.include({ available: 7 });

    const again = await ops(system, ['dlq', 'replay', '--all']);
    expect(again.code, again.stderr).to.equal(0);
    expect(again.stdout).to.contain('no dead letters matched');
    for (const { orderId } of orders) expect(await chargesOf(system, orderId)).to.deep.equal(['charge']);
  });

  it('acts on stalled sagas only with the right API token', async () => {
    const { system } = ctx;
    const sku = await createProduct(system, 5);
    await setPaymentFaults(system, 'error');
    const retried = await placeOrder(system, sku);
    const compensated = await placeOrder(system, sku);
    await stalled(system, [retried.sagaId, compensated.sagaId]);

    for (const [action, sagaId] of [
      ['retry', retried.sagaId],
      ['compensate', compensated.sagaId],
    ] as const) {
      const wrong = await ops(system, ['saga', action, sagaId], 'not-the-token');
      expect(wrong.code, `${action} with a wrong token`).to.equal(1);
      expect(wrong.stderr).to.match(/401|unauthori[sz]ed|token/i);
      const none = await ops(system, ['saga', action, sagaId], null);
      expect(none.code, `${action} without a token`).to.equal(1);
      expect(await sagaStatusOf(system, sagaId)).to.equal('STALLED');
    }

    await setPaymentFaults(system, 'none');
    const retry = await ops(system, ['saga', 'retry', retried.sagaId]);
    expect(retry.code, retry.stderr).to.equal(0);
    const compensate = await ops(system, ['saga', 'compensate', compensated.sagaId]);
    expect(compensate.code, compensate.stderr).to.equal(0);

    expect(await settledStatus(system, retried.orderId)).to.equal('CONFIRMED');
    expect(await settledStatus(system, compensated.orderId)).to.equal('CANCELLED');
    expect(await chargesOf(system, retried.orderId)).to.deep.equal(['charge']);
    await eventually(async () => expect(await productOf(system, sku)).to.include({ available: 4, reserved: 0 }), {
      timeoutMs: 5_000,
    });

    const shown = await ops(system, ['saga', 'show', compensated.sagaId]);
    expect(shown.code, shown.stderr).to.equal(0);
    expect(shown.stdout).to.contain('ops.action');

    // The charges that failed before the operator stepped in are still dead letters; sending them now
    // must neither charge the retried order again nor charge the compensated one at all.
    const answered = await answeredCharges(system);
    const replay = json<ReplaySummary>(await ops(system, ['dlq', 'replay', '--queue', PAYMENT_DLQ, '--json']));
    expect(replay.replayed).to.be.at.least(2);
    expect(replay.failed).to.deep.equal([]);
    await eventually(async () => expect(await answeredCharges(system)).to.be.at.least(answered + replay.replayed), {
      timeoutMs: 5_000,
    });
    expect(await deadLetters(system)).to.deep.equal([]);
    expect(await chargesOf(system, retried.orderId)).to.deep.equal(['charge']);
    expect(await chargesOf(system, compensated.orderId)).to.deep.equal([]);
    expect(await settledStatus(system, compensated.orderId)).to.equal('CANCELLED');
  });

  it('leaves a dead letter it cannot route in its queue, with the reason', async () => {
    const { system } = ctx;
    const orderId = `ord_${randomUUID()}`;
    const forged = createMessage(
      'payment.charge',
      { orderId, customerId: 'cust-ops', amountCents: 500, currency: 'EUR', method: 'card', token: 'tok_visa' },
      { sagaId: `saga_${randomUUID()}`, commandId: `cmd_${randomUUID()}` },
    );
    const properties = messageProperties(forged);
    await (
      await publisher()
    ).publishRaw(EXCHANGES.deadLetter, QUEUES.payment, Buffer.from(JSON.stringify(forged)), {
      ...properties,
      headers: {
        ...properties.headers,
        [HEADERS.reason]: 'rejected',
        [HEADERS.error]: JSON.stringify({ type: 'forged', message: 'put here by the test', retryable: false }),
        [HEADERS.queue]: QUEUES.payment,
        [HEADERS.attempts]: 1,
        [HEADERS.originalExchange]: EXCHANGES.commands,
        [HEADERS.originalRoutingKey]: 'payment.nowhere',
      },
    });
    const [letter] = await eventually(
      async () => {
        const items = await deadLetters(system, PAYMENT_DLQ);
        expect(items).to.have.length(1);
        return items;
      },
      { timeoutMs: 5_000 },
    );
    expect(letter).to.include({ messageId: forged.messageId, reason: 'rejected', routingKey: 'payment.nowhere' });

    const replay = await ops(system, ['dlq', 'replay', '--queue', PAYMENT_DLQ, '--json']);
    expect(replay.code, 'a replay that leaves a message behind fails').to.equal(1);
    const summary = JSON.parse(replay.stdout) as ReplaySummary;
    expect(summary).to.include({ matched: 1, replayed: 0 });
    expect(summary.failed).to.have.length(1);
    expect(summary.failed[0]).to.include({ messageId: forged.messageId, queue: PAYMENT_DLQ });
    expect(summary.failed[0]!.reason).to.match(/unroutable/);

    const still = await deadLetters(system, PAYMENT_DLQ);
    expect(still).to.have.length(1);
    expect(still[0]).to.include({ messageId: forged.messageId, reason: 'rejected', routingKey: 'payment.nowhere' });
    expect(still[0]!.error).to.include({ type: 'forged' });
    expect(await chargesOf(system, orderId)).to.deep.equal([]);

    const table = await ops(system, ['dlq', 'replay', '--queue', PAYMENT_DLQ]);
    expect(table.code).to.equal(1);
    expect(table.stdout)
      .to.contain(forged.messageId)
      .and.to.match(/unroutable/);
  });

  it('dead-letters a reply for a saga it does not know, and a replay that fails again leaves it there', async () => {
    const { system } = ctx;
    const sagaId = `saga_${randomUUID()}`;
    const reply = createMessage(
      'payment.charge.reply',
      { outcome: 'success', result: { paymentId: `pay_${randomUUID()}`, amountCents: 500, currency: 'EUR' } },
      { sagaId, commandId: `${sagaId}.charging` },
    );
    await (await publisher()).publish(reply);

    const [letter] = await eventually(
      async () => {
        const items = await deadLetters(system, REPLIES_DLQ);
        expect(items).to.have.length(1);
        return items;
      },
      { timeoutMs: 5_000 },
    );
    expect(letter).to.include({
      messageId: reply.messageId,
      sagaId,
      type: 'payment.charge.reply',
      exchange: EXCHANGES.replies,
      routingKey: 'payment.charge.reply',
      replayedAt: null,
    });
    expect(letter!.reason).to.be.a('string').and.not.empty;
    expect(letter!.error?.type).to.equal('unknown_saga');

    const shown = await ops(system, ['dlq', 'show', reply.messageId]);
    expect(shown.code, shown.stderr).to.equal(0);
    expect(shown.stdout).to.contain('unknown_saga').and.to.contain(sagaId);

    const replay = json<ReplaySummary>(await ops(system, ['dlq', 'replay', '--saga', sagaId, '--json']));
    expect(replay).to.include({ matched: 1, replayed: 1 });

    const again = await eventually(
      async () => {
        const items = await deadLetters(system, REPLIES_DLQ);
        expect(items).to.have.length(1);
        expect(items[0]!.replayedAt, 'back after the replay').to.be.a('string');
        return items[0]!;
      },
      { timeoutMs: 5_000 },
    );
    expect(again).to.include({ messageId: reply.messageId, reason: letter!.reason });
    expect(again.error?.type).to.equal('unknown_saga');
  });
});
