/**
 * Engine throughput: order sagas per second through the HTTP API, with scripted participants that
 * reply at once, on the real broker and PostgreSQL. The orchestrator runs as its own process, as in
 * production, and its CPU is read from /proc; the client places orders over kept-alive HTTP after a
 * warm-up. Prints medians of several runs per concurrency.
 *
 *   node orchestrator/dist/bench/engine-bench.js [--sagas 1000] [--warmup 300] [--runs 3] [--concurrency 50,200] [--json]
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { Agent } from 'node:http';
import { fileURLToPath } from 'node:url';
import { EXCHANGES, sagaflowTopology } from '@sagaflow/contracts';
import { MessageBus, silentLogger } from '@sagaflow/contracts/messaging';
import { cpuMsOf, requestJson, parseBenchArgs } from '@sagaflow/contracts/testing';
import { OrchestratorProcess } from '../test/support/orchestrator-process.js';
import { orderRequest, TestStack } from '../test/support/test-stack.js';

const values = parseBenchArgs(
  'node orchestrator/dist/bench/engine-bench.js [--sagas 1000] [--warmup 300] [--runs 3] [--concurrency 50,200] [--json]',
  {
    sagas: { type: 'string', default: '1000' },
    warmup: { type: 'string', default: '300' },
    runs: { type: 'string', default: '3' },
    concurrency: { type: 'string', default: '50,200' },
    json: { type: 'boolean', default: false },
  },
);
const sagas = Number(values.sagas);
const warmup = Number(values.warmup);
/** POST /orders over a kept-alive connection; resolves with the saga id. */
const placeOrder = async (agent: Agent, url: string): Promise<string> =>
  (await requestJson<{ sagaId: string }>(agent, 'POST', `${url}/orders`, orderRequest())).sagaId;
const runs = Number(values.runs);
const levels = values.concurrency!.split(',').map(Number);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const percentile = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(xs.length * p))]!;

interface RunResult {
  sagasPerSecond: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  /** CPU of the orchestrator's process per saga. */
  cpuMsPerSaga: number;
}

async function startParticipants(url: string): Promise<ChildProcess> {
  const child = fork(fileURLToPath(new URL('./scripted-participants-main.js', import.meta.url)), [url]);
  await once(child, 'message');
  return child;
}

async function runOnce(concurrency: number): Promise<RunResult> {
  const stack = await TestStack.create();
  const participants = await startParticipants(stack.vhost.url);
  const orchestrator = await OrchestratorProcess.spawn(stack.env({ STEP_TIMEOUT_MS: '30000' }));
  const pid = orchestrator.child.pid!;
  const listener = await MessageBus.connect({
    url: stack.vhost.url,
    topology: sagaflowTopology([20]),
    logger: silentLogger(),
  });
  // A completion may be heard before the POST that started the saga has returned.
  const completedAt = new Map<string, number>();
  const waiting = new Map<string, () => void>();
  const subscription = await listener.listen(EXCHANGES.events, 'saga.order.completed', (message) => {
    const sagaId = message.sagaId!;
    completedAt.set(sagaId, performance.now());
    waiting.get(sagaId)?.();
  });
  const completion = (sagaId: string) =>
    completedAt.has(sagaId) ? Promise.resolve() : new Promise<void>((resolve) => waiting.set(sagaId, resolve));
  const round = async (count: number, agent: Agent) => {
    const latencies: number[] = [];
    let next = 0;
    const worker = async () => {
      while (next < count) {
        next++;
        const t0 = performance.now();
        const sagaId = await placeOrder(agent, orchestrator.url);
        // Hold the slot until this saga completes, so that `concurrency` sagas are in flight.
        await completion(sagaId);
        latencies.push(completedAt.get(sagaId)! - t0);
        waiting.delete(sagaId);
      }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return latencies;
  };
  const agent = new Agent({ keepAlive: true, maxSockets: 512 });
  try {
    await round(warmup, agent);
    const cpu = cpuMsOf(pid);
    const begin = performance.now();
    const latencies = await round(sagas, agent);
    const seconds = (performance.now() - begin) / 1000;
    return {
      sagasPerSecond: sagas / seconds,
      p50Ms: percentile(latencies, 0.5),
      p95Ms: percentile(latencies, 0.95),
      p99Ms: percentile(latencies, 0.99),
      cpuMsPerSaga: (cpuMsOf(pid) - cpu) / sagas,
    };
  } finally {
    agent.destroy();
    await orchestrator.kill('SIGTERM');
    await subscription.stop();
    await listener.stop();
    participants.kill('SIGTERM');
    await once(participants, 'exit');
    await stack.cleanup();
  }
}

const table: Record<string, unknown>[] = [];
for (const concurrency of levels) {
  const results: RunResult[] = [];
  for (let i = 0; i < runs; i++) results.push(await runOnce(concurrency));
  table.push({
    concurrency,
    sagas,
    runs,
    'sagas/s (median)': Math.round(median(results.map((r) => r.sagasPerSecond))),
    'p50 ms (median)': Math.round(median(results.map((r) => r.p50Ms))),
    'p95 ms (median)': Math.round(median(results.map((r) => r.p95Ms))),
    'p99 ms (median)': Math.round(median(results.map((r) => r.p99Ms))),
    'orchestrator CPU ms/saga': Number(median(results.map((r) => r.cpuMsPerSaga)).toFixed(2)),
    'sagas/s (all runs)': results.map((r) => Math.round(r.sagasPerSecond)).join(' / '),
  });
}
if (values.json) console.log(JSON.stringify(table, null, 2));
else console.table(table);
process.exit(0);
