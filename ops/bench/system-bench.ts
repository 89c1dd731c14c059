/**
 * The whole-system benchmark (`make bench`): orders through the orchestrator and the three
 * participants as real processes, as `make local` runs them, on the local RabbitMQ and PostgreSQL,
 * beside the null saga — three command/reply round trips over the same broker with no store and no
 * work — so that every figure can be read as a share of what the broker alone carries.
 *
 *   node ops/dist/bench/system-bench.js [--orders 3000] [--warmup 300] [--runs 3] [--concurrency 50,200]
 *       [--catalogue 1000,1] [--mix happy,decline10] [--preload 10000,1000000] [--skip-engine]
 *       [--out bench-results/latest.json]
 *
 * Each scenario runs `--runs` times, each time on a fresh system in its own vhost and schema; the
 * table and the JSON give medians. CPU per order is read from /proc for every process involved
 * (PostgreSQL is every `postgres` process, RabbitMQ its Erlang VM), so other load on the machine
 * shows up in it: compare figures within one run of the benchmark.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { PARTICIPANT_NAMES, SYSTEM_SERVICES, type SystemService } from '@sagaflow/contracts';
import { findRepoRoot, managementApi, startTestSystem, type LocalSystem } from '@sagaflow/contracts/testing';
import { nullSaga } from './null-saga.js';
import { preloadFinishedSagas } from './preload.js';
import { median, percentile } from './stats.js';

const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: '3000' },
    warmup: { type: 'string', default: '300' },
    runs: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '50,200' },
    catalogue: { type: 'string', default: '1000,1' },
    mix: { type: 'string', default: 'happy,decline10' },
    'skip-engine': { type: 'boolean', default: false },
    preload: { type: 'string', default: '0' },
    out: { type: 'string', default: 'bench-results/latest.json' },
  },
});
const orders = Number(values.orders);
const warmup = Number(values.warmup);
const runs = Number(values.runs);
const levels = values.concurrency!.split(',').map(Number);
const catalogues = values.catalogue!.split(',').map(Number);
const mixes = values.mix!.split(',') as Mix[];
type Mix = 'happy' | 'decline10';
/** Finished sagas put into the store before the measured orders, one scenario per size. */
const preloads = values.preload!.split(',').map(Number);

type Process = SystemService | 'rabbitmq' | 'postgresql';

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

const TICKS_PER_SECOND = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

/** CPU milliseconds a process has used so far (user + system), or 0 when it is gone. */
function cpuMsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return 0;
  }
}

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

/** CPU of every process of the system, the broker and the database, read at one moment. */
function sampleCpu(system: LocalSystem | null): Map<string, number> {
  const sample = new Map<string, number>();
  for (const service of system ? SYSTEM_SERVICES : []) {
    const pid = system!.pid(service);
    if (pid) sample.set(`${service}:${pid}`, cpuMsOf(pid));
  }
  for (const pid of pidsNamed('beam.smp')) sample.set(`rabbitmq:${pid}`, cpuMsOf(pid));
  // Backends that start during the run count from zero; those that end before it finishes are lost.
  for (const pid of pidsNamed('postgres')) sample.set(`postgresql:${pid}`, cpuMsOf(pid));
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

/** Follows `GET /events` and resolves when a saga reaches a final status. */
class Completions {
  private readonly finished = new Map<string, number>();
  private readonly waiting = new Map<string, () => void>();
  private readonly controller = new AbortController();

  async open(orchestratorUrl: string): Promise<void> {
    const response = await fetch(`${orchestratorUrl}/events`, { signal: this.controller.signal });
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

  close(): void {
    this.controller.abort();
  }
}

async function send<T>(method: string, url: string, body?: unknown): Promise<T> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
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

/** Places `count` orders, `concurrency` at a time, each held until its saga ends; latencies in ms. */
async function placeOrders(
  orchestratorUrl: string,
  completions: Completions,
  count: number,
  concurrency: number,
  catalogue: number,
  mix: Mix,
): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      const n = next++;
      const t0 = performance.now();
      const { sagaId } = await send<{ sagaId: string }>('POST', `${orchestratorUrl}/orders`, {
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

async function runSystem(catalogue: number, mix: Mix, concurrency: number, preload: number): Promise<RunResult> {
  const { system, vhost, cleanup } = await startTestSystem({ prefix: 'bench', env: { LOG_LEVEL: 'info' } });
  try {
    await seedCatalogue(system.url('inventory'), catalogue);
    const completions = new Completions();
    await completions.open(system.url('orchestrator'));
    await placeOrders(system.url('orchestrator'), completions, warmup, concurrency, catalogue, mix);
    if (preload > 0) {
      const loaded = await preloadFinishedSagas(system.storeUrl, preload);
      say(`  preloaded ${preload} finished sagas in ${loaded.seconds.toFixed(1)} s`);
    }
    const published = await publishedSoFar(vhost.name, 0);
    const commits = await commitsSoFar(system.storeUrl);
    const cpu = sampleCpu(system);
    const begin = performance.now();
    const latencies = await placeOrders(system.url('orchestrator'), completions, orders, concurrency, catalogue, mix);
    const seconds = (performance.now() - begin) / 1000;
    const cpuMsPerOrder = cpuPerOrder(cpu, sampleCpu(system), orders);
    const commitsPerOrder = round2(((await commitsSoFar(system.storeUrl)) - commits) / orders);
    const messagesPerOrder = round2(((await publishedSoFar(vhost.name, published + orders)) - published) / orders);
    completions.close();
    return {
      ordersPerSecond: orders / seconds,
      p50Ms: percentile(latencies, 0.5),
      p95Ms: percentile(latencies, 0.95),
      p99Ms: percentile(latencies, 0.99),
      cpuMsPerOrder,
      commitsPerOrder,
      messagesPerOrder,
    };
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

const say = (line: string) => process.stderr.write(`${line}\n`);
const results: ScenarioResult[] = [];
for (const concurrency of levels) {
  say(`null saga, C=${concurrency}`);
  results.push(summarise({ scenario: 'null-saga', concurrency }, await repeat(() => runNullSaga(concurrency))));
}
for (const catalogue of catalogues) {
  for (const mix of mixes) {
    for (const concurrency of levels) {
      for (const preload of preloads) {
        say(
          `whole system, catalogue ${catalogue}, ${mix}, C=${concurrency}${preload ? `, ${preload} finished sagas` : ''}`,
        );
        const runResults = await repeat(() => runSystem(catalogue, mix, concurrency, preload));
        results.push(
          summarise({ scenario: 'e2e', catalogue, mix, concurrency, ...(preload && { preload }) }, runResults),
        );
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
    ...(preloads.some(Boolean) && { preload: r.preload ?? '' }),
    C: r.concurrency,
    'orders/s': `${r.ordersPerSecond}${ratio(r)}`,
    'p50 ms': r.p50Ms,
    'p95 ms': r.p95Ms,
    'p99 ms': r.p99Ms,
    ...Object.fromEntries(
      ['orchestrator', ...PARTICIPANT_NAMES, 'rabbitmq', 'postgresql'].map((p) => [
        `${p} cpu ms`,
        r.cpuMsPerOrder[p as Process] ?? '',
      ]),
    ),
    'commits/order': r.commitsPerOrder ?? '',
    'messages/order': r.messagesPerOrder ?? '',
  })),
);
const report = {
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
  },
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
