import { expect } from 'chai';
import type { Channel } from 'amqplib';
import { dlqOf, EXCHANGES, HEADERS, QUEUES, type Message } from '@sagaflow/contracts';
import { chargeCommand, FailingPaymentQueue, waitUntil } from '@sagaflow/contracts/testing';
import { runCli } from './support/run-cli.js';

const DLQ = FailingPaymentQueue.DLQ;

const charge = (sagaId: string, orderId: string) => chargeCommand({ sagaId, orderId });

describe('sagaflow-ops dlq', () => {
  let queue: FailingPaymentQueue;
  let channel: Channel;
  let env: Record<string, string>;

  const depth = () => queue.depth();
  const cli = (...argv: string[]) => runCli(argv, env);
  const deadLetter = (...messages: Message[]) => queue.deadLetter(...messages);

  beforeEach(async () => {
    queue = await FailingPaymentQueue.start('ops-dlq');
    ({ channel } = queue);
    env = { AMQP_URL: queue.vhost.url };
  });

  afterEach(async () => {
    await queue.stop();
  });

  it('lists dead letters as a table and as JSON, leaving them in place', async () => {
    const a = charge('s-1', 'o-1');
    await deadLetter(a);

    const table = await cli('dlq', 'list');
    expect(table.code).to.equal(0);
    const [header, row] = table.stdout.trimEnd().split('\n');
    expect(header).to.match(
      /^QUEUE\s+MESSAGE ID\s+SAGA\s+ORDER\s+ROUTING KEY\s+REASON\s+TRIES\s+FIRST FAILURE\s+ERROR$/,
    );
    expect(row).to.contain(DLQ).and.contain(a.messageId).and.contain('s-1').and.contain('rejected');

    const json = await cli('dlq', 'list', '--queue', DLQ, '--json');
    expect(json.code).to.equal(0);
    const { items } = JSON.parse(json.stdout) as { items: Record<string, unknown>[] };
    expect(items).to.have.length(1);
    expect(items[0]).to.include({
      queue: DLQ,
      messageId: a.messageId,
      sagaId: 's-1',
      orderId: 'o-1',
      type: 'payment.charge',
      exchange: EXCHANGES.commands,
      routingKey: 'payment.charge',
      reason: 'rejected',
      attempts: 1,
    });
    expect(items[0]!.error).to.deep.equal({
      type: 'card_gateway_bug',
      message: `cannot charge ${a.messageId}`,
      retryable: false,
    });
    expect(items[0]).to.have.keys([
      'queue',
      'sourceQueue',
      'messageId',
      'sagaId',
      'orderId',
      'type',
      'exchange',
      'routingKey',
      'reason',
      'error',
      'attempts',
      'firstFailureAt',
      'deadLetteredAt',
      'replayedAt',
      'deadLetteredBy',
    ]);
    expect(JSON.parse((await cli('dlq', 'list', '--queue', dlqOf(QUEUES.inventory), '--json')).stdout)).to.deep.equal({
      items: [],
    });
    expect(await depth()).to.equal(1);
  });

  it('shows one dead letter, and fails with 1 for an unknown id', async () => {
    const a = charge('s-1', 'o-1');
    await deadLetter(a);

    const shown = await cli('dlq', 'show', a.messageId);
    expect(shown.code).to.equal(0);
    expect(shown.stdout).to.match(/original route\s+sagaflow\.commands payment\.charge/);
    expect(shown.stdout).to.contain(HEADERS.reason).and.contain('"orderId": "o-1"');

    const json = JSON.parse((await cli('dlq', 'show', a.messageId, '--json')).stdout);
    expect(json.body).to.deep.equal(a);
    expect(json.headers[HEADERS.queue]).to.equal(QUEUES.payment);

    const missing = await cli('dlq', 'show', 'no-such-id');
    expect(missing.code).to.equal(1);
    expect(missing.stderr).to.contain("no dead letter with message id 'no-such-id'");
  });

  it('replays by saga after a dry run that changes nothing', async () => {
    const [a, b] = [charge('s-1', 'o-1'), charge('s-2', 'o-2')];
    await deadLetter(a, b);
    queue.failing = false;

    const dry = await cli('dlq', 'replay', '--saga', 's-1', '--dry-run');
    expect(dry.code).to.equal(0);
    expect(dry.stdout).to.contain('dry run: 1 dead letter(s) would be replayed').and.contain(a.messageId);
    expect(dry.stdout).not.to.contain(b.messageId);
    expect(await depth()).to.equal(2);

    const run = await cli('dlq', 'replay', '--saga', 's-1', '--json');
    expect(run.code).to.equal(0);
    expect(JSON.parse(run.stdout)).to.include({ matched: 1, replayed: 1, dryRun: false });
    await waitUntil(() => queue.handled.length === 1, 'the replayed command is handled');
    expect(queue.handled[0]!.message).to.deep.equal(a);
    expect(await depth()).to.equal(1);

    const again = await cli('dlq', 'replay', '--saga', 's-1');
    expect(again).to.include({ code: 0 });
    expect(again.stdout).to.contain('no dead letters matched');
  });

  it('exits 1 and names the message a replay could not route, which stays', async () => {
    channel.sendToQueue(DLQ, Buffer.from(JSON.stringify(charge('s-3', 'o-3'))), {
      messageId: 'forged-1',
      headers: {
        [HEADERS.reason]: 'rejected',
        [HEADERS.originalExchange]: EXCHANGES.commands,
        [HEADERS.originalRoutingKey]: 'payment.nowhere',
      },
    });
    await waitUntil(async () => (await depth()) === 1, 'the forged dead letter is there');

    const run = await cli('dlq', 'replay', '--queue', DLQ);
    expect(run.code).to.equal(1);
    expect(run.stdout).to.contain('replayed 0 of 1').and.contain('forged-1').and.contain('unroutable');
    const json = await cli('dlq', 'replay', '--all', '--json');
    expect(json.code).to.equal(1);
    expect(JSON.parse(json.stdout).failed).to.deep.equal([
      {
        messageId: 'forged-1',
        queue: DLQ,
        reason: `unroutable: exchange '${EXCHANGES.commands}' routing key 'payment.nowhere'`,
      },
    ]);
    expect(await depth()).to.equal(1);
  });

  it('shows a progress bar on a terminal for a long replay', async () => {
    await deadLetter(...Array.from({ length: 20 }, (_, i) => charge('s-many', `o-${i}`)));
    queue.failing = false;
    const run = await runCli(['dlq', 'replay', '--all'], env, { stderrIsTTY: true });
    expect(run.code).to.equal(0);
    expect(run.stderr).to.contain('replaying [');
    expect(run.stdout).to.contain('replayed 20 of 20');
    await waitUntil(() => queue.handled.length === 20, 'every replayed command is handled');
  });

  it('purges only with --yes', async () => {
    await deadLetter(charge('s-1', 'o-1'), charge('s-2', 'o-2'));

    const refused = await cli('dlq', 'purge', '--queue', DLQ);
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.contain('add --yes');
    expect(await depth()).to.equal(2);

    const purged = await cli('dlq', 'purge', '--queue', DLQ, '--yes', '--json');
    expect(purged.code).to.equal(0);
    expect(JSON.parse(purged.stdout)).to.deep.equal({ queue: DLQ, purged: 2 });
    expect(await depth()).to.equal(0);
  });

  it('exits 2 on bad usage and 0 on --help', async () => {
    for (const argv of [
      ['dlq', 'replay'],
      ['dlq', 'replay', '--dry-run'],
      ['dlq', 'list', '--queue', QUEUES.payment],
      ['dlq', 'purge', '--yes'],
      ['dlq', 'purge', '--queue', QUEUES.payment, '--yes'],
      ['dlq', 'list', '--limit', 'many'],
      ['dlq', 'list', '--bogus'],
      ['dlq', 'show'],
      ['dlq', 'frobnicate'],
      ['dlq'],
      [],
    ]) {
      const run = await cli(...argv);
      expect(run.code, argv.join(' ')).to.equal(2);
      expect(run.stderr, argv.join(' ')).not.to.equal('');
    }
    const hint = await cli('dlq', 'list', '--queue', QUEUES.payment);
    expect(hint.stderr).to.contain(`its dead letters are in '${DLQ}'`);
    for (const argv of [['--help'], ['dlq', '--help'], ['dlq', 'replay', '--help'], ['saga', 'show', '--help']]) {
      const run = await cli(...argv);
      expect(run.code, argv.join(' ')).to.equal(0);
      expect(run.stdout).to.contain('Usage: sagaflow-ops');
    }
  });

  it('exits 1 when the broker cannot be reached', async () => {
    const run = await runCli(['dlq', 'list'], { AMQP_URL: 'amqp://guest:guest@127.0.0.1:1' });
    expect(run.code).to.equal(1);
    expect(run.stderr).to.contain('cannot connect to the broker');
  });
});
