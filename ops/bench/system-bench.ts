/**
 * The whole-system benchmark (`make bench`): orders through the orchestrator and the three
 * participants as real processes, as `make local` runs them, on the local RabbitMQ and PostgreSQL,
 * beside the null saga — three command/reply round trips over the same broker with no store and no
 * work — so that every figure can be read as a share of what the broker alone carries.
 *
 *   node ops/dist/bench/system-bench.js [--orders 3000] [--warmup 300] [--runs 3] [--concurrency 50,200]
 *       [--catalogue 1000,1] [--mix happy,decline10] [--orchestrators 1,2] [--workers 1,2]
 *       [--queue-type classic,quorum] [--preload 10000,1000000] [--follow events|sse] [--skip-engine]
 *       [--out bench-results/latest.json]
 *
 * `--orchestrators` and `--workers` (processes per participant) run the whole system with that many
 * instances; the client spreads its POSTs over the orchestrators and hears the outcomes on the events
 * exchange (or, with `--follow sse`, on the first orchestrator's `GET /events`: saga events fan out to
 * every orchestrator's listeners). `--queue-type` declares the queues as QUEUE_TYPE says. Each
 * combination is a scenario of its own; CPU per order sums every instance of a service. `--preload`
 * fills the store with that many finished sagas (copies of a real one) before the measured orders.
 *
 * Each scenario runs `--runs` times, each time on a fresh system in its own vhost and schema; the
 * table and the JSON give medians. CPU per order is read from /proc for every process involved
 * (PostgreSQL: the backends serving the system's processes and the server's shared processes;
 * RabbitMQ: its Erlang VM, which other clients of the broker share), so other load on the machine
 * can show up in it: compare figures within one run of the benchmark.
 */
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import pg from 'pg';
import {
  EXCHANGES,
  PARTICIPANT_NAMES,
  QUEUE_TYPES,
  SYSTEM_SERVICES,
  sagaflowTopology,
  type QueueType,
  type SystemService,
} from '@sagaflow/contracts';
import { MessageBus, silentLogger } from '@sagaflow/contracts/messaging';
import {
  cpuMsOf,
  findRepoRoot,
  HttpFailure,
  managementApi,
  requestJson,
  startTestSystem,
  type LocalSystem,
  parseBenchArgs,
  machineInfo,
} from '@sagaflow/contracts/testing';
import { nullSaga } from './null-saga.js';
import { preloadFinishedSagas } from './preload.js';
import { postgresPidsServing } from './postgres-backends.js';
import { median, percentile } from './stats.js';

const values = parseBenchArgs(
  'node ops/dist/bench/system-bench.js [--orders 3000] [--warmup 300] [--runs 3] [--concurrency 50,200] [--catalogue 1000,1] [--mix happy,decline10] [--orchestrators 1,2] [--workers 1,2] [--queue-type classic,quorum] [--preload 10000,1000000] [--follow events|sse] [--skip-engine] [--out bench-results/latest.json]',
  {
    orders: { type: 'string', default: '3000' },
    warmup: { type: 'string', default: '300' },
    runs: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '50,200' },
    catalogue: { type: 'string', default: '1000,1' },
    mix: { type: 'string', default: 'happy,decline10' },
    orchestrators: { type: 'string', default: '1' },
    workers: { type: 'string', default: '1' },
    'queue-type': { type: 'string', default: 'classic' },
    'skip-engine': { type: 'boolean', default: false },
    preload: { type: 'string', default: '0' },
    follow: { type: 'string', default: 'events' },
    out: { type: 'string', default: 'bench-results/latest.json' },
  },
);
const orders = Number(values.orders);
const warmup = Number(values.warmup);
const runs = Number(values.runs);
const levels = values.concurrency!.split(',').map(Number);
const catalogues = values.catalogue!.split(',').map(Number);
const mixes = values.mix!.split(',') as Mix[];
type Mix = 'happy' | 'decline10';
type Follow = 'events' | 'sse';
const follow = values.follow as Follow;
if (follow !== 'events' && follow !== 'sse') throw new Error(`--follow must be events or sse (got '${follow}')`);
const orchestratorCounts = values.orchestrators!.split(',').map(Number);
const workerCounts = values.workers!.split(',').map(Number);
const queueTypes = values['queue-type']!.split(',') as QueueType[];
const badQueueType = queueTypes.find((t) => !QUEUE_TYPES.includes(t));
if (badQueueType !== undefined) throw new Error(`--queue-type takes ${QUEUE_TYPES.join(', ')} (got '${badQueueType}')`);

/** Finished sagas put into the store before the measured orders, one scenario per size. */
const preloads = values.preload!.split(',').map(Number);

/**
 * How the whole system runs: processes of the orchestrator and of each participant, the queue type,
 * and how many finished sagas the store holds.
 */
interface Layout {
  orchestrators: number;
  workers: number;
  queueType: QueueType;
  preload: number;
}

/** `client` is the benchmark's own process, which places the orders and follows their events. */
type Process = SystemService | 'rabbitmq' | 'postgresql' | 'client';

interface RunResult {
  ordersPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  cpuMsPerOrder: Partial<Record<Process, number>>;
  commitsPerOrder?: number;
  messagesPerOrder?: number;
}

export interface ScenarioResult {
  scenario: 'e2e' | 'engine' | 'null-saga';
  catalogue?: number;
  mix?: Mix;
  /** Whole-system scenarios: orchestrator processes, processes per participant, queue type. */
  orchestrators?: number;
  workers?: number;
  queueType?: QueueType;
  /** Finished sagas the store held before the measured orders. */
  preload?: number;
  concurrency: number;
  ordersPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** This scenario's orders per second over the null saga's at the same concurrency. */
  nullSagaRatio: number | null;
  cpuMsPerOrder: Partial<Record<Process, number>>;
  commitsPerOrder?: number;
  messagesPerOrder?: number;
  runs: number[];
}

// ---- CPU time from /proc ----------------------------------------------------------------------

/** Every process whose command name is one of `names`. */
function pidsNamed(...names: string[]): number[] {
  return readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .map(Number)
    .filter((pid) => {
      try {
        return names.includes(readFileSync(`/proc/${pid}/comm`, 'utf8').trim());
      } catch {
        return false;
      }
    });
}

/** CPU of every process of the system (every instance), the broker and the database, read at one moment. */
function sampleCpu(system: LocalSystem | null): Map<string, number> {
  const sample = new Map<string, number>();
  const clients: number[] = [];
  for (const service of system ? SYSTEM_SERVICES : []) {
    for (const pid of system!.pidsOf(service)) {
      sample.set(`${service}:${pid}`, cpuMsOf(pid));
      clients.push(pid);
    }
  }
  for (const pid of pidsNamed('beam.smp')) sample.set(`rabbitmq:${pid}`, cpuMsOf(pid));
  // The system's own backends and the server's shared processes, not other clients' backends. Backends
  // that start during the run count from zero; those that end before it finishes are lost.
  for (const pid of postgresPidsServing(clients)) sample.set(`postgresql:${pid}`, cpuMsOf(pid));
  return sample;
}

function cpuPerOrder(before: Map<string, number>, after: Map<string, number>, count: number) {
  const totals: Partial<Record<Process, number>> = {};
  for (const [key, ms] of after) {
    const process = key.slice(0, key.indexOf(':')) as Process;
    totals[process] = (totals[process] ?? 0) + ms - (before.get(key) ?? 0);
  }
  return Object.fromEntries(Object.entries(totals).map(([p, ms]) => [p, round2(ms! / count)]));
}

const round2 = (n: number) => Math.round(n * 100) / 100;
const say = (line: string) => process.stderr.write(`${line}\n`);

// ---- commits and messages ---------------------------------------------------------------------

async function commitsSoFar(storeUrl: string): Promise<number> {
  const url = new URL(storeUrl);
  url.searchParams.delete('schema');
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const { rows } = await client.query(
      'SELECT xact_commit::bigint AS n FROM pg_stat_database WHERE datname = current_database()',
    );
    return Number(rows[0].n);
  } finally {
    await client.end();
  }
}

/** Messages published into a vhost so far, once the management API's statistics have caught up. */
async function publishedSoFar(vhost: string, atLeast: number): Promise<number> {
  const read = async () => {
    const stats = (await managementApi('GET', `/vhosts/${encodeURIComponent(vhost)}`)) as {
      message_stats?: { publish?: number };
    };
    return stats.message_stats?.publish ?? 0;
  };
  // Statistics are collected every few seconds: read until two readings agree and reach the floor.
  let last = -1;
  for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
    const now = await read();
    if (now === last && now >= atLeast) return now;
    last = now;
    await new Promise((resolve) => setTimeout(resolve, 2_500));
  }
  return last;
}

// ---- driving orders ---------------------------------------------------------------------------

/**
 * Hears when each order saga ends. By default the way a service that places orders would: a queue
 * of its own on the events exchange, bound to `saga.order.completed` and `saga.order.cancelled`.
 * With `--follow sse`, the way the viewer does: `GET /events`, every change of every saga (which costs
 * the orchestrator and the broker a share of their work per order; compare the two).
 */
class Completions {
  private readonly finished = new Map<string, number>();
  private readonly waiting = new Map<string, () => void>();
  private readonly controller = new AbortController();
  private bus?: MessageBus;

  async open(follow: Follow, system: LocalSystem, queueType: QueueType): Promise<void> {
    if (follow === 'events') {
      this.bus = await MessageBus.connect({
        url: system.amqpUrl,
        topology: sagaflowTopology(undefined, queueType),
        logger: silentLogger(),
      });
      for (const status of ['completed', 'cancelled'])
        await this.bus.listen(EXCHANGES.events, `saga.order.${status}`, (message) => {
          const change = message.payload as { sagaId: string; type: string; status: string };
          this.observe(change);
        });
      return;
    }
    const response = await fetch(`${system.url('orchestrator')}/events`, { signal: this.controller.signal });
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    void (async () => {
      try {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          buffer += decoder.decode(value, { stream: true });
          let end: number;
          while ((end = buffer.indexOf('\n\n')) >= 0) {
            const data = buffer
              .slice(0, end)
              .split('\n')
              .find((line) => line.startsWith('data: '));
            buffer = buffer.slice(end + 2);
            if (data) this.observe(JSON.parse(data.slice(6)));
          }
        }
      } catch {
        // the stream was closed
      }
    })();
  }

  private observe(change: { sagaId: string; type: string; status: string }): void {
    if (change.type !== 'order' || (change.status !== 'COMPLETED' && change.status !== 'CANCELLED')) return;
    this.finished.set(change.sagaId, performance.now());
    this.waiting.get(change.sagaId)?.();
  }

  async of(sagaId: string): Promise<number> {
    if (!this.finished.has(sagaId)) await new Promise<void>((resolve) => this.waiting.set(sagaId, resolve));
    this.waiting.delete(sagaId);
    return this.finished.get(sagaId)!;
  }

  async close(): Promise<void> {
    this.controller.abort();
    await this.bus?.stop();
  }
}

/**
 * Kept-alive connections: the client's own CPU per order counts against the same two cores. Each
 * round of orders gets a fresh agent, so that no socket the server closed while idle is reused.
 */
let agent = new Agent({ keepAlive: true, maxSockets: 512 });

/** JSON over the current round's agent. */
const send = <T>(method: string, url: string, body?: unknown, headers?: Record<string, string>) =>
  requestJson<T>(agent, method, url, body, headers);

/**
 * Places one order under an idempotency key, as a careful script would: a request lost with its
 * connection (the server may drop kept-alive sockets under load) or answered 5xx is sent again, and
 * the key makes sure that the order exists once.
 */
async function placeOrder(url: string, key: string, order: unknown): Promise<{ sagaId: string }> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await send<{ sagaId: string }>('POST', url, order, { 'idempotency-key': key });
    } catch (error) {
      const transient = !(error instanceof HttpFailure) || error.status >= 500;
      if (!transient || attempt === 5) throw error;
      say(`retrying order ${key}: ${(error as Error).message}`);
    }
  }
}

const skuOf = (i: number) => `BENCH-${String(i).padStart(4, '0')}`;

async function seedCatalogue(inventoryUrl: string, size: number): Promise<void> {
  for (let i = 0; i < size; i += 50) {
    await Promise.all(
      Array.from({ length: Math.min(50, size - i) }, (_, k) =>
        send('PUT', `${inventoryUrl}/products/${skuOf(i + k)}`, {
          name: `Benchmark item ${i + k}`,
          priceCents: 100,
          available: 1_000_000_000,
        }),
      ),
    );
  }
}

/** Places `count` orders, `concurrency` at a time, over the orchestrators in turn, each held until its saga ends; latencies in ms. */
async function placeOrders(
  orchestratorUrls: string[],
  completions: Completions,
  count: number,
  concurrency: number,
  catalogue: number,
  mix: Mix,
): Promise<number[]> {
  agent.destroy();
  agent = new Agent({ keepAlive: true, maxSockets: 512 });
  const round = randomUUID();
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const n = next++;
      const t0 = performance.now();
      const orchestratorUrl = orchestratorUrls[n % orchestratorUrls.length]!;
      const { sagaId } = await placeOrder(`${orchestratorUrl}/orders`, `${round}-${n}`, {
        customerId: `bench-${n}`,
        customerEmail: 'bench@example.com',
        currency: 'EUR',
        items: [{ sku: skuOf(n % catalogue), quantity: 1 }],
        payment: { method: 'card', token: mix === 'decline10' && n % 10 === 9 ? 'tok_decline' : 'tok_visa' },
      });
      latencies.push((await completions.of(sagaId)) - t0);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return latencies;
}

async function runSystem(catalogue: number, mix: Mix, concurrency: number, layout: Layout): Promise<RunResult> {
  const { system, vhost, cleanup } = await startTestSystem({
    prefix: 'bench',
    env: { LOG_LEVEL: 'info', QUEUE_TYPE: layout.queueType },
    // Up to eight processes start at once on a machine that may be busy.
    startTimeoutMs: 60_000,
    instances: {
      orchestrator: layout.orchestrators,
      ...Object.fromEntries(PARTICIPANT_NAMES.map((p) => [p, layout.workers])),
    },
  });
  try {
    await seedCatalogue(system.url('inventory'), catalogue);
    const completions = new Completions();
    await completions.open(follow, system, layout.queueType);
    const orchestrators = system.urlsOf('orchestrator');
    await placeOrders(orchestrators, completions, warmup, concurrency, catalogue, mix);
    if (layout.preload > 0) {
      const loaded = await preloadFinishedSagas(system.storeUrl, layout.preload);
      say(`  preloaded ${layout.preload} finished sagas in ${loaded.seconds.toFixed(1)} s`);
    }
    const published = await publishedSoFar(vhost.name, 0);
    const commits = await commitsSoFar(system.storeUrl);
    const cpu = sampleCpu(system);
    const client = process.cpuUsage();
    const begin = performance.now();
    const latencies = await placeOrders(orchestrators, completions, orders, concurrency, catalogue, mix);
    const seconds = (performance.now() - begin) / 1000;
    const clientUsage = process.cpuUsage(client);
    const cpuMsPerOrder = {
      ...cpuPerOrder(cpu, sampleCpu(system), orders),
      client: round2((clientUsage.user + clientUsage.system) / 1000 / orders),
    };
    const commitsPerOrder = round2(((await commitsSoFar(system.storeUrl)) - commits) / orders);
    const messagesPerOrder = round2(((await publishedSoFar(vhost.name, published + orders)) - published) / orders);
    await completions.close();
    return {
      ordersPerSecond: orders / seconds,
      p50Ms: percentile(latencies, 0.5),
      p95Ms: percentile(latencies, 0.95),
      p99Ms: percentile(latencies, 0.99),
      cpuMsPerOrder,
      commitsPerOrder,
      messagesPerOrder,
    };
  } catch (error) {
    say(`the run failed; the services' last output:\n${system.output(undefined, 15)}`);
    throw error;
  } finally {
    await cleanup();
  }
}

async function runNullSaga(concurrency: number): Promise<RunResult> {
  const cpu = sampleCpu(null);
  const self = process.cpuUsage();
  const result = await nullSaga({ sagas: warmup + orders, warmup, concurrency, steps: 3 });
  const used = process.cpuUsage(self);
  const cpuMsPerOrder = cpuPerOrder(cpu, sampleCpu(null), orders);
  return {
    ...result,
    cpuMsPerOrder: { ...cpuMsPerOrder, orchestrator: round2((used.user + used.system) / 1000 / (warmup + orders)) },
  };
}

// ---- the whole benchmark ----------------------------------------------------------------------

function summarise(base: Omit<ScenarioResult, keyof RunResult | 'runs' | 'nullSagaRatio'>, results: RunResult[]) {
  const med = (pick: (r: RunResult) => number | undefined) => {
    const xs = results.map(pick).filter((x): x is number => x !== undefined);
    return xs.length ? median(xs) : undefined;
  };
  const processes = [...new Set(results.flatMap((r) => Object.keys(r.cpuMsPerOrder)))] as Process[];
  return {
    ...base,
    ordersPerSecond: Math.round(med((r) => r.ordersPerSecond)!),
    p50Ms: Math.round(med((r) => r.p50Ms)!),
    p95Ms: Math.round(med((r) => r.p95Ms)!),
    p99Ms: Math.round(med((r) => r.p99Ms)!),
    nullSagaRatio: null,
    cpuMsPerOrder: Object.fromEntries(processes.map((p) => [p, round2(med((r) => r.cpuMsPerOrder[p])!)])),
    ...(med((r) => r.commitsPerOrder) !== undefined && { commitsPerOrder: med((r) => r.commitsPerOrder) }),
    ...(med((r) => r.messagesPerOrder) !== undefined && { messagesPerOrder: med((r) => r.messagesPerOrder) }),
    runs: results.map((r) => Math.round(r.ordersPerSecond)),
  } satisfies ScenarioResult;
}

async function repeat(run: () => Promise<RunResult>): Promise<RunResult[]> {
  const results: RunResult[] = [];
  for (let i = 0; i < runs; i++) results.push(await run());
  return results;
}

const results: ScenarioResult[] = [];
for (const concurrency of levels) {
  say(`null saga, C=${concurrency}`);
  results.push(summarise({ scenario: 'null-saga', concurrency }, await repeat(() => runNullSaga(concurrency))));
}
const layouts: Layout[] = queueTypes.flatMap((queueType) =>
  orchestratorCounts.flatMap((orchestrators) =>
    workerCounts.flatMap((workers) => preloads.map((preload) => ({ orchestrators, workers, queueType, preload }))),
  ),
);
for (const catalogue of catalogues) {
  for (const mix of mixes) {
    for (const concurrency of levels) {
      for (const layout of layouts) {
        const shape =
          `${layout.orchestrators} orchestrator(s), ${layout.workers} worker(s) each, ${layout.queueType} queues` +
          (layout.preload ? `, ${layout.preload} finished sagas` : '');
        say(`whole system, catalogue ${catalogue}, ${mix}, C=${concurrency}, ${shape}`);
        const runResults = await repeat(() => runSystem(catalogue, mix, concurrency, layout));
        results.push(summarise({ scenario: 'e2e', catalogue, mix, ...layout, concurrency }, runResults));
      }
    }
  }
}
if (!values['skip-engine']) {
  say('engine with scripted participants');
  const root = findRepoRoot();
  const output = execFileSync(
    process.execPath,
    [
      `${root}/orchestrator/dist/bench/engine-bench.js`,
      '--sagas',
      String(orders),
      '--runs',
      String(runs),
      '--concurrency',
      levels.join(','),
      '--json',
    ],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] },
  );
  for (const row of JSON.parse(output) as Record<string, number>[]) {
    results.push({
      scenario: 'engine',
      concurrency: row.concurrency!,
      ordersPerSecond: row['sagas/s (median)']!,
      p50Ms: row['p50 ms (median)']!,
      p95Ms: row['p95 ms (median)']!,
      p99Ms: row['p99 ms (median)'] ?? NaN,
      nullSagaRatio: null,
      cpuMsPerOrder: { orchestrator: row['orchestrator CPU ms/saga']! },
      runs: [],
    });
  }
}
const reference = new Map(results.filter((r) => r.scenario === 'null-saga').map((r) => [r.concurrency, r]));
for (const r of results) {
  const base = reference.get(r.concurrency);
  r.nullSagaRatio = base ? Math.round((r.ordersPerSecond / base.ordersPerSecond) * 1000) / 1000 : null;
}

const ratio = (r: ScenarioResult) => (r.nullSagaRatio === null ? '' : ` (${r.nullSagaRatio.toFixed(3)}×)`);
console.table(
  results.map((r) => ({
    scenario: r.scenario,
    catalogue: r.catalogue ?? '',
    mix: r.mix ?? '',
    orch: r.orchestrators ?? '',
    workers: r.workers ?? '',
    queues: r.queueType ?? '',
    ...(preloads.some(Boolean) && { preload: r.preload ?? '' }),
    C: r.concurrency,
    'orders/s': `${r.ordersPerSecond}${ratio(r)}`,
    'p50 ms': r.p50Ms,
    'p95 ms': r.p95Ms,
    'p99 ms': r.p99Ms,
    ...Object.fromEntries(
      ['orchestrator', ...PARTICIPANT_NAMES, 'rabbitmq', 'postgresql', 'client'].map((p) => [
        `${p} cpu ms`,
        r.cpuMsPerOrder[p as Process] ?? '',
      ]),
    ),
    'commits/order': r.commitsPerOrder ?? '',
    'messages/order': r.messagesPerOrder ?? '',
  })),
);
const report = {
  machine: machineInfo(),
  at: new Date().toISOString(),
  orders,
  warmup,
  runsPerScenario: runs,
  results,
};
mkdirSync(dirname(values.out!), { recursive: true });
writeFileSync(values.out!, `${JSON.stringify(report, null, 2)}\n`);
say(`written to ${values.out}`);
process.exit(0);
