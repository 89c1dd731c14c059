/**
 * End-to-end throughput: orders per second through the whole system — orchestrator and the three
 * participants as real processes, as `make local` runs them — on the real broker and PostgreSQL.
 *
 *   node ops/dist/bench/e2e-bench.js [--orders 1000] [--concurrency 50] [--runs 3] [--log-level info] [--json]
 *   node ops/dist/bench/e2e-bench.js --url http://127.0.0.1:8080 --inventory-url http://127.0.0.1:8081
 *
 * Without --url each run starts its own system in a fresh vhost and schema and removes it after.
 * A completion is seen on the orchestrator's own event stream (`GET /events`).
 */
import { parseArgs } from 'node:util';
import { startTestSystem } from '@sagaflow/contracts/testing';

const { values } = parseArgs({
  options: {
    orders: { type: 'string', default: '1000' },
    concurrency: { type: 'string', default: '50' },
    runs: { type: 'string', default: '3' },
    'log-level': { type: 'string', default: 'info' },
    url: { type: 'string' },
    'inventory-url': { type: 'string', default: 'http://127.0.0.1:8081' },
    json: { type: 'boolean', default: false },
  },
});
const orders = Number(values.orders);
const concurrency = Number(values.concurrency);
const runs = Number(values.runs);
const SKU = 'BENCH-1';

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

async function send<T = unknown>(method: string, url: string, body?: unknown): Promise<T> {
  const res = await fetch(url, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}

/** Follows `GET /events` and resolves a saga's promise when it reaches a final status. */
class Completions {
  private readonly finished = new Map<string, { at: number; status: string }>();
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
            const frame = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const data = frame.split('\n').find((line) => line.startsWith('data: '));
            if (data) this.observe(JSON.parse(data.slice(6)));
          }
        }
      } catch {
        // closed
      }
    })();
  }

  private observe(change: { sagaId: string; type: string; status: string }): void {
    if (change.type !== 'order' || (change.status !== 'COMPLETED' && change.status !== 'CANCELLED')) return;
    this.finished.set(change.sagaId, { at: performance.now(), status: change.status });
    this.waiting.get(change.sagaId)?.();
  }

  async of(sagaId: string): Promise<{ at: number; status: string }> {
    if (!this.finished.has(sagaId)) await new Promise<void>((resolve) => this.waiting.set(sagaId, resolve));
    this.waiting.delete(sagaId);
    return this.finished.get(sagaId)!;
  }

  close(): void {
    this.controller.abort();
  }
}

interface RunResult {
  ordersPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  confirmed: number;
}

async function drive(orchestratorUrl: string, inventoryUrl: string): Promise<RunResult> {
  await send('PUT', `${inventoryUrl}/products/${SKU}`, {
    name: 'Benchmark item',
    priceCents: 100,
    available: 100_000_000,
  });
  const completions = new Completions();
  await completions.open(orchestratorUrl);
  const latencies: number[] = [];
  let confirmed = 0;
  let next = 0;
  const begin = performance.now();
  const worker = async () => {
    while (next < orders) {
      next++;
      const t0 = performance.now();
      const { sagaId } = await send<{ sagaId: string }>('POST', `${orchestratorUrl}/orders`, {
        customerId: `bench-${next}`,
        customerEmail: 'bench@example.com',
        currency: 'EUR',
        items: [{ sku: SKU, quantity: 1 }],
        payment: { method: 'card', token: 'tok_visa' },
      });
      const done = await completions.of(sagaId);
      latencies.push(done.at - t0);
      if (done.status === 'COMPLETED') confirmed++;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const seconds = (performance.now() - begin) / 1000;
  completions.close();
  return {
    ordersPerSecond: orders / seconds,
    p50Ms: percentile(latencies, 0.5),
    p95Ms: percentile(latencies, 0.95),
    confirmed,
  };
}

const results: RunResult[] = [];
for (let i = 0; i < runs; i++) {
  if (values.url) {
    results.push(await drive(values.url, values['inventory-url']!));
    continue;
  }
  const { system, cleanup } = await startTestSystem({ prefix: 'bench', env: { LOG_LEVEL: values['log-level']! } });
  try {
    results.push(await drive(system.url('orchestrator'), system.url('inventory')));
  } finally {
    await cleanup();
  }
}
const summary = {
  orders,
  concurrency,
  runs,
  logLevel: values.url ? 'as configured' : values['log-level'],
  'orders/s (median)': Math.round(median(results.map((r) => r.ordersPerSecond))),
  'p50 ms (median)': Math.round(median(results.map((r) => r.p50Ms))),
  'p95 ms (median)': Math.round(median(results.map((r) => r.p95Ms))),
  'orders/s (all runs)': results.map((r) => Math.round(r.ordersPerSecond)).join(' / '),
  'confirmed (all runs)': results.map((r) => r.confirmed).join(' / '),
};
if (values.json) console.log(JSON.stringify(summary, null, 2));
else console.table([summary]);
process.exit(0);
