import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { EVENT_LOG_STREAM, EXCHANGES, eventLogSegmentBytes, type SagaChanged } from '@sagaflow/contracts';
import { createTestVhost, eventually, managementApi, type LocalSystem } from '@sagaflow/contracts/testing';
import { runCli, type CliRun } from '../support/run-cli.js';
import { cliEnv, createProduct, placeOrder, settledStatus, useOpsSystem } from './support/ops-system.js';

/** A line of `events tail --json`: the event as published, with its place in the log. */
interface LoggedEvent {
  offset: number;
  routingKey: string;
  type: string;
  occurredAt: string;
  sagaId?: string;
  payload: SagaChanged;
}

const RETENTION = { EVENT_LOG_MAX_BYTES: '20000000', EVENT_LOG_MAX_AGE: '3h' };

/** `events tail …` in-process; a read still waiting for events after 10 s is interrupted, as Ctrl-C would. */
const tail = (system: LocalSystem, argv: string[]): Promise<CliRun> =>
  runCli(['events', 'tail', ...argv], cliEnv(system), { interruptAfterMs: 10_000 });

const jsonLines = (run: CliRun): LoggedEvent[] => {
  expect(run.code, run.stderr).to.equal(0);
  return run.stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as LoggedEvent);
};

const vhostOf = (system: LocalSystem): string => decodeURIComponent(new URL(system.amqpUrl).pathname.slice(1));

/** Places an order, waits until its saga has finished and returns it with the saga's last version. */
async function settledOrder(system: LocalSystem, sku: string): Promise<{ sagaId: string; version: number }> {
  const { orderId, sagaId } = await placeOrder(system, sku);
  expect(await settledStatus(system, orderId)).to.equal('CONFIRMED');
  const saga = await system.request('orchestrator', 'GET', `/sagas/${sagaId}`);
  return { sagaId, version: (saga.body as { version: number }).version };
}

describe('sagaflow-ops events tail (the event log stream)', function () {
  this.timeout(60_000);
  // The system starts in seconds; a machine busy with other work may need longer.
  const ctx = useOpsSystem('e2e-events', { env: RETENTION, startTimeoutMs: 45_000 });
  let first: { sagaId: string; version: number }[];
  let events: LoggedEvent[];

  before(async () => {
    // Enough stock that no inventory.low event joins the saga events in the log.
    const sku = await createProduct(ctx.system, 1_000);
    first = [await settledOrder(ctx.system, sku), await settledOrder(ctx.system, sku)];
    const total = first.reduce((sum, s) => sum + s.version, 0);
    events = jsonLines(await tail(ctx.system, ['--from', 'start', '--json', '--limit', String(total)]));
  });

  it('declares the stream with the retention the variables say, bound to every event', async () => {
    const vhost = encodeURIComponent(vhostOf(ctx.system));
    const queue = (await managementApi('GET', `/queues/${vhost}/${encodeURIComponent(EVENT_LOG_STREAM)}`)) as {
      type: string;
      arguments: Record<string, unknown>;
    };
    expect(queue.type).to.equal('stream');
    expect(queue.arguments).to.deep.equal({
      'x-queue-type': 'stream',
      'x-max-length-bytes': 20_000_000,
      'x-max-age': '3h',
      'x-stream-max-segment-size-bytes': eventLogSegmentBytes(20_000_000),
    });
    const bindings = (await managementApi('GET', `/exchanges/${vhost}/${EXCHANGES.events}/bindings/source`)) as {
      destination: string;
      routing_key: string;
    }[];
    expect(bindings.filter((b) => b.destination === EVENT_LOG_STREAM).map((b) => b.routing_key)).to.deep.equal(['#']);
  });

  it('--from start gives every saga event in order, with offsets that increase by one', () => {
    expect(events.map((e) => e.type)).to.deep.equal(events.map(() => 'saga.changed'));
    expect(events.map((e) => e.offset)).to.deep.equal(events.map((_, i) => events[0]!.offset + i));
    for (const { sagaId, version } of first) {
      const own = events.filter((e) => e.payload.sagaId === sagaId);
      expect(own.map((e) => e.payload.version)).to.deep.equal(Array.from({ length: version }, (_, i) => i + 1));
      expect(own.at(-1)!.payload.status).to.equal('COMPLETED');
      expect(own.at(-1)!.routingKey).to.equal('saga.order.completed');
    }
  });

  it('--from OFFSET starts at that offset, and the text lines say offset, time, saga, type, status, state, order', async () => {
    const at = events[3]!;
    const run = await tail(ctx.system, ['--from', String(at.offset), '--limit', '2']);
    expect(run.code, run.stderr).to.equal(0);
    const lines = run.stdout.trim().split('\n');
    expect(lines).to.have.length(2);
    const { payload } = at;
    expect(lines[0]).to.match(
      new RegExp(
        `^${at.offset}  ${payload.updatedAt}  saga=${payload.sagaId} type=order status=${payload.status} ` +
          `state=${payload.state} order=${payload.orderId}`,
      ),
    );
    expect(lines[1]).to.match(new RegExp(`^${at.offset + 1}  `));
  });

  it('--from TIME skips the events that occurred before it; --saga keeps one saga', async () => {
    const since = new Date();
    const sku = await createProduct(ctx.system, 1_000);
    const later = await settledOrder(ctx.system, sku);
    const fromTime = jsonLines(
      await tail(ctx.system, ['--from', since.toISOString(), '--json', '--limit', String(later.version)]),
    );
    expect(fromTime.map((e) => e.payload.sagaId)).to.deep.equal(fromTime.map(() => later.sagaId));
    expect(fromTime.map((e) => e.payload.version)).to.deep.equal(
      Array.from({ length: later.version }, (_, i) => i + 1),
    );

    const one = first[1]!;
    const ofOne = jsonLines(
      await tail(ctx.system, ['--from', 'start', '--saga', one.sagaId, '--json', '--limit', '3']),
    );
    expect(ofOne.map((e) => [e.payload.sagaId, e.payload.version])).to.deep.equal([
      [one.sagaId, 1],
      [one.sagaId, 2],
      [one.sagaId, 3],
    ]);
  });

  it('refuses bad usage with exit code 2 and says what is allowed', async () => {
    for (const argv of [
      ['--from', 'yesterday'],
      ['--from', '-1'],
      ['--from', '2026-13-45T00:00:00Z'],
      ['--limit', '0'],
      ['--saga'],
    ]) {
      const run = await tail(ctx.system, argv);
      expect(run.code, argv.join(' ')).to.equal(2);
      expect(run.stdout).to.equal('');
    }
    const run = await tail(ctx.system, ['--from', 'yesterday']);
    expect(run.stderr).to.contain('must be start, next, an offset');
  });

  it('fails (exit 1) saying who declares the log when the broker has none', async () => {
    const empty = await createTestVhost('e2e-events-none');
    try {
      const run = await runCli(['events', 'tail', '--from', 'start'], { AMQP_URL: empty.url });
      expect(run.code).to.equal(1);
      expect(run.stderr).to.contain(`the event log '${EVENT_LOG_STREAM}' does not exist`);
      expect(run.stderr).to.contain('the orchestrator declares it');
    } finally {
      await empty.delete();
    }
  });

  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    it(`follows until ${signal}, then exits 0`, async () => {
      const bin = fileURLToPath(new URL('../../src/main.js', import.meta.url));
      const child = spawn(process.execPath, [bin, 'events', 'tail'], {
        env: { PATH: process.env.PATH ?? '', ...cliEnv(ctx.system) },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      try {
        // It says so on stderr once it is attached to the stream.
        await eventually(() => expect(stderr).to.contain(`reading ${EVENT_LOG_STREAM} from the next event`), {
          timeoutMs: 15_000,
          intervalMs: 50,
        });
        child.kill(signal);
        const code = await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000, 'still running'))]);
        expect(code, stderr).to.equal(0);
      } finally {
        child.kill('SIGKILL');
      }
    });
});
