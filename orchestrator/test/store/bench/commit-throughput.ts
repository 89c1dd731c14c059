/**
 * Saga commits per second on PostgreSQL, one at a time and 16 in parallel (each commit: the saga, one
 * timeline entry, one outbox message, an order patch). Run after a build:
 * `node orchestrator/dist/test/store/bench/commit-throughput.js [commits]`.
 */
import { silentLogger } from '@sagaflow/contracts/messaging';
import { createTestSchema } from '@sagaflow/contracts/testing';
import { PostgresSagaStore } from '../../../src/store/postgres-saga-store.js';
import type { SagaRecord } from '../../../src/store/saga-store.js';
import { nextCommit, orderFixture } from '../store-fixtures.js';

const total = Number(process.argv[2] ?? 4000);

/** Commits per saga: about a real saga's, so that timelines stay the size they have in use. */
const SAGA_LENGTH = 10;

async function run(store: PostgresSagaStore, workers: number): Promise<number> {
  const perWorker = Math.ceil(total / workers);
  const chains: SagaRecord[][] = [];
  for (let w = 0; w < workers; w++) {
    const chain: SagaRecord[] = [];
    for (let i = 0; i < perWorker / SAGA_LENGTH; i++) {
      const { order, saga, outbox } = orderFixture();
      await store.createOrder(order, saga, outbox);
      chain.push(saga);
    }
    chains.push(chain);
  }
  const started = performance.now();
  await Promise.all(
    chains.map(async (chain) => {
      let saga = chain[0]!;
      for (let i = 0; i < perWorker; i++) {
        if (i % SAGA_LENGTH === 0) saga = chain[i / SAGA_LENGTH]!;
        const commit = nextCommit(saga, { orderPatch: { sagaStatus: 'RUNNING', reason: `step ${i}` } });
        if (!(await store.commitSaga(commit))) throw new Error('unexpected version conflict');
        saga = commit.saga;
      }
    }),
  );
  return (perWorker * workers) / ((performance.now() - started) / 1000);
}

const schema = await createTestSchema('bench');
const store = new PostgresSagaStore(schema.url, silentLogger(), { maxConnections: 16 });
try {
  await store.init();
  await run(store, 4); // warm-up
  for (const workers of [1, 16]) {
    console.log(`${workers} in parallel: ${Math.round(await run(store, workers))} commits/s`);
  }
} finally {
  await store.close();
  await schema.drop();
}
