/**
 * Orchestrator memory with many sagas in flight: starts the system as `make local` runs it, stops
 * payment so that every saga waits for its charge, places orders up to each of `--marks` (the last is
 * the total) and samples the orchestrator's RSS and heap at each, then starts payment again and samples once every
 * saga has completed. Flat figures mean nothing in the orchestrator grows with the sagas waiting.
 *
 *   node ops/dist/bench/in-flight-memory.js [--marks 10000,50000,100000] [--concurrency 100] [--catalogue 1000]
 */
import { readFileSync } from 'node:fs';
import { startTestSystem, type LocalSystem, parseBenchArgs } from '@sagaflow/contracts/testing';

const values = parseBenchArgs(
  'node ops/dist/bench/in-flight-memory.js [--marks 10000,50000,100000] [--concurrency 100] [--catalogue 1000]',
  {
    marks: { type: 'string', default: '10000,50000,100000' },
    concurrency: { type: 'string', default: '100' },
    catalogue: { type: 'string', default: '1000' },
  },
);
const marks = values.marks!.split(',').map(Number);
const concurrency = Number(values.concurrency);
const catalogue = Number(values.catalogue);

const say = (line: string) => process.stderr.write(`${line}\n`);
const skuOf = (i: number) => `MEM-${String(i).padStart(4, '0')}`;

interface Sample {
  at: string;
  rssMiB: number;
  heapUsedMiB: number | null;
  counts: Record<string, number>;
}

function rssMiBOf(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8')
    .split('\n')
    .find((l) => l.startsWith('VmRSS:'))!;
  return Math.round(Number(line.split(/\s+/)[1]) / 1024);
}

/** The heap the orchestrator's default metrics report. */
async function heapUsedMiB(system: LocalSystem): Promise<number | null> {
  const text = await (await fetch(`${system.url('orchestrator')}/metrics`)).text();
  const match = /^sagaflow_orchestrator_nodejs_heap_size_used_bytes (\S+)$/m.exec(text);
  return match ? Math.round(Number(match[1]) / 2 ** 20) : null;
}

async function counts(system: LocalSystem): Promise<Record<string, number>> {
  return ((await system.request('orchestrator', 'GET', '/saga-counts')).body as { counts: Record<string, number> })
    .counts;
}

async function sample(system: LocalSystem, at: string): Promise<Sample> {
  const s = {
    at,
    rssMiB: rssMiBOf(system.pid('orchestrator')!),
    heapUsedMiB: await heapUsedMiB(system),
    counts: await counts(system),
  };
  say(`${at}: RSS ${s.rssMiB} MiB, heap ${s.heapUsedMiB} MiB, ${JSON.stringify(s.counts)}`);
  return s;
}

async function until(what: string, timeoutMs: number, done: () => Promise<boolean>): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; !(await done());) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  }
}

const { system, cleanup } = await startTestSystem({
  prefix: 'memory',
  // Sagas wait for payment as long as the run takes, without resends or stalls.
  env: { LOG_LEVEL: 'warn', STEP_TIMEOUT_MS: '3600000' },
});
const samples: Sample[] = [];
try {
  for (let i = 0; i < catalogue; i++) {
    await system.request('inventory', 'PUT', `/products/${skuOf(i)}`, {
      name: `Memory item ${i}`,
      priceCents: 100,
      available: 1_000_000_000,
    });
  }
  samples.push(await sample(system, 'idle'));
  await system.kill('payment', 'SIGTERM');
  let placed = 0;
  for (const mark of marks) {
    const worker = async () => {
      while (placed < mark) {
        const n = placed++;
        // Plain fetch: no client-side timeout, the orchestrator is slow to answer under this load on purpose.
        const res = await fetch(`${system.url('orchestrator')}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            customerId: `memory-${n % 1000}`,
            customerEmail: 'memory@example.com',
            currency: 'EUR',
            items: [{ sku: skuOf(n % catalogue), quantity: 1 }],
            payment: { method: 'card', token: 'tok_visa' },
          }),
        });
        if (res.status !== 202) throw new Error(`POST /orders: ${res.status} ${await res.text()}`);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    // Every saga has been reserved and waits on its charge: the orchestrator holds what it holds for them.
    await until(`${mark} sagas wait for payment`, 600_000, async () => {
      const text = await (await fetch(`${system.url('orchestrator')}/metrics`)).text();
      return /^sagaflow_outbox_pending 0$/m.test(text) && ((await counts(system)).RUNNING ?? 0) >= mark;
    });
    samples.push(await sample(system, `${mark} in flight`));
  }
  await system.restart('payment');
  await until('every saga completed', 1_800_000, async () => ((await counts(system)).COMPLETED ?? 0) >= placed);
  samples.push(await sample(system, 'all completed'));
  console.table(samples.map(({ counts: _counts, ...s }) => s));
} finally {
  await cleanup();
}
process.exit(0);
