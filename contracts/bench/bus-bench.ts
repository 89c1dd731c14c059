/**
 * Throughput of the messaging kit against plain amqplib on the same broker, in a fresh vhost:
 * confirmed publishing, and publish → consume → ack, for persistent ~300-byte messages.
 *
 *   node contracts/dist/bench/bus-bench.js [--n 20000] [--runs 3] [--window 10000] [--prefetch 100] [--json]
 */
import amqplib, { type ConsumeMessage } from 'amqplib';
import { performance } from 'node:perf_hooks';
import { QUEUES, sagaflowTopology, type Message } from '../src/index.js';
import { createMessage, MessageBus, messageProperties, routeOf, silentLogger } from '../src/messaging/index.js';
import { createTestVhost } from '../src/testing/index.js';

interface Settings {
  n: number;
  runs: number;
  window: number;
  prefetch: number;
  json: boolean;
}

function readSettings(argv: string[]): Settings {
  const value = (name: string, fallback: number): number => {
    const at = argv.indexOf(`--${name}`);
    if (at === -1) return fallback;
    const parsed = Number(argv[at + 1]);
    if (!Number.isInteger(parsed) || parsed < 1) throw new Error(`--${name} needs a positive integer`);
    return parsed;
  };
  return {
    n: value('n', 20_000),
    runs: value('runs', 3),
    window: value('window', 10_000),
    prefetch: value('prefetch', 100),
    json: argv.includes('--json'),
  };
}

const QUEUE = QUEUES.payment;
const ROUTE = routeOf('payment.charge');

const makeMessages = (n: number): Message[] =>
  Array.from({ length: n }, (_, i) =>
    createMessage(
      'payment.charge',
      {
        orderId: `o-${i}`,
        customerId: `c-${i % 100}`,
        amountCents: 1_000 + i,
        currency: 'EUR',
        method: 'card',
        token: 'tok_ok',
      },
      { sagaId: `s-${i}`, commandId: `k-${i}` },
    ),
  );

const rate = (n: number, ms: number): number => Math.round((n / ms) * 1000);

/** Times one phase: wall-clock rate, and this process's CPU per message (what the client itself costs). */
async function measure(n: number, phase: () => Promise<void>): Promise<{ rate: number; cpuMicros: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await phase();
  const elapsed = performance.now() - started;
  const used = process.cpuUsage(cpu);
  return { rate: rate(n, elapsed), cpuMicros: Number(((used.user + used.system) / n).toFixed(1)) };
}

type Phase = 'rawPublish' | 'kitPublish' | 'rawRoundTrip' | 'kitRoundTrip';
const PHASES: Phase[] = ['rawPublish', 'kitPublish', 'rawRoundTrip', 'kitRoundTrip'];
const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : Math.round((sorted[mid - 1]! + sorted[mid]!) / 2);
};

async function publishInWindows(bus: MessageBus, messages: Message[], window: number): Promise<void> {
  for (let from = 0; from < messages.length; from += window) {
    await Promise.all(messages.slice(from, from + window).map((m) => bus.publish(m)));
  }
}

async function main(): Promise<void> {
  const settings = readSettings(process.argv.slice(2));
  const { n, runs, window, prefetch } = settings;
  if (!settings.json) console.error(`${runs} runs of ${n} messages; this takes a minute or so`);
  const vhost = await createTestVhost('bench');
  const topology = sagaflowTopology();
  const connection = await amqplib.connect(vhost.url, { noDelay: true });
  const bus = await MessageBus.connect({
    url: vhost.url,
    topology,
    logger: silentLogger(),
    name: 'bench',
    maxPendingPublishes: Math.max(window, 10_000),
  });
  try {
    const admin = await connection.createChannel();
    const purge = () => admin.purgeQueue(QUEUE);

    // Plain amqplib gets the same bytes and properties the kit puts on the wire.
    const rawBody = (m: Message) => ({ content: Buffer.from(JSON.stringify(m)), properties: messageProperties(m) });
    const sample = rawBody(makeMessages(1)[0]!);
    const results = Object.fromEntries(
      PHASES.map((p) => [p, { rate: [] as number[], cpuMicros: [] as number[] }]),
    ) as Record<Phase, { rate: number[]; cpuMicros: number[] }>;
    const record = (phase: Phase, m: { rate: number; cpuMicros: number }) => {
      results[phase].rate.push(m.rate);
      results[phase].cpuMicros.push(m.cpuMicros);
    };

    const rawPublishAll = async (bodies: ReturnType<typeof rawBody>[]) => {
      const channel = await connection.createConfirmChannel();
      for (const b of bodies)
        channel.publish(ROUTE.exchange, ROUTE.routingKey, b.content, { ...b.properties, persistent: true });
      await channel.waitForConfirms();
      await channel.close();
    };

    for (let run = 1; run <= runs; run++) {
      // (a) plain amqplib: a confirm channel, everything in flight, then waitForConfirms.
      const rawBodies = makeMessages(n).map(rawBody);
      record('rawPublish', await measure(n, () => rawPublishAll(rawBodies)));
      await purge();

      // (b) the kit: validate, encode and publish with a confirm each, in windows.
      const kitMessages = makeMessages(n);
      record('kitPublish', await measure(n, () => publishInWindows(bus, kitMessages, window)));
      await purge();

      // (c) plain amqplib publish → consume → ack.
      const consumerChannel = await connection.createChannel();
      await consumerChannel.prefetch(prefetch);
      let consumed = 0;
      let allConsumed!: () => void;
      const done = new Promise<void>((resolve) => (allConsumed = resolve));
      const { consumerTag } = await consumerChannel.consume(QUEUE, (raw: ConsumeMessage | null) => {
        if (!raw) return;
        JSON.parse(raw.content.toString('utf8'));
        consumerChannel.ack(raw);
        if (++consumed === n) allConsumed();
      });
      const roundTripBodies = makeMessages(n).map(rawBody);
      record(
        'rawRoundTrip',
        await measure(n, async () => {
          await rawPublishAll(roundTripBodies);
          await done;
        }),
      );
      await consumerChannel.cancel(consumerTag);
      await consumerChannel.close();

      // (d) the kit: publish → consume(handler) → ack.
      let handled = 0;
      let allHandled!: () => void;
      const handledAll = new Promise<void>((resolve) => (allHandled = resolve));
      const subscription = await bus.consume(
        QUEUE,
        async () => {
          if (++handled === n) allHandled();
        },
        { prefetch },
      );
      const roundTripMessages = makeMessages(n);
      record(
        'kitRoundTrip',
        await measure(n, async () => {
          await publishInWindows(bus, roundTripMessages, window);
          await handledAll;
        }),
      );
      await subscription.stop();
      await purge();
      if (!settings.json) console.error(`run ${run}/${runs} done`);
    }

    const medians = Object.fromEntries(
      PHASES.map((p) => [p, { rate: median(results[p].rate), cpuMicros: median(results[p].cpuMicros) }]),
    ) as Record<Phase, { rate: number; cpuMicros: number }>;
    const ratio = (kit: Phase, raw: Phase) => Number((medians[kit].rate / medians[raw].rate).toFixed(2));
    const report = {
      messages: n,
      bytesPerMessage: sample.content.length,
      runs,
      window,
      prefetch,
      medians,
      ratios: { publish: ratio('kitPublish', 'rawPublish'), roundTrip: ratio('kitRoundTrip', 'rawRoundTrip') },
      samples: results,
    };
    if (settings.json) {
      console.log(JSON.stringify(report, null, 2));
    } else {
      console.log(`${n} persistent messages of ${sample.content.length} bytes, median of ${runs} runs`);
      const row = (kit: Phase, raw: Phase) => ({
        'raw msg/s': medians[raw].rate,
        'kit msg/s': medians[kit].rate,
        'kit/raw': ratio(kit, raw),
        'raw client CPU µs/msg': medians[raw].cpuMicros,
        'kit client CPU µs/msg': medians[kit].cpuMicros,
      });
      console.table({
        'publish, confirmed': row('kitPublish', 'rawPublish'),
        'publish → consume → ack': row('kitRoundTrip', 'rawRoundTrip'),
      });
    }
  } finally {
    await bus.stop();
    await connection.close().catch(() => undefined);
    await vhost.delete();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
