import { expect } from 'chai';
import { silentLogger } from '@sagaflow/contracts/messaging';
import { createTestSchema } from '@sagaflow/contracts/testing';
import { RetentionSweeper } from '../../src/engine/retention-sweeper.js';
import { PostgresSagaStore } from '../../src/store/postgres-saga-store.js';
import type { SagaStatus } from '@sagaflow/contracts';
import { at, nextCommit, orderFixture } from '../store/store-fixtures.js';

const HOUR = 3_600_000;

describe('RetentionSweeper', function () {
  let store: PostgresSagaStore;
  let dropSchema: () => Promise<void>;

  beforeEach(async function () {
    const schema = await createTestSchema('retention');
    dropSchema = () => schema.drop();
    store = new PostgresSagaStore(schema.url, silentLogger());
    await store.init();
  });

  afterEach(async function () {
    await store.close();
    await dropSchema();
  });

  /** A saga that reached `status` at `atMs` (after T0). */
  async function sagaAt(status: SagaStatus, atMs: number): Promise<string> {
    const { order, saga } = orderFixture();
    expect(await store.createOrder(order, saga, [])).to.deep.equal({ created: true });
    expect(await store.commitSaga(nextCommit(saga, { status, outboxSize: 0, atMs }))).to.equal(true);
    return saga.sagaId;
  }

  const clockAt = (ms: number) => ({ now: () => at(ms) });

  it('removes finished sagas past the retention in bounded batches, and leaves sagas in flight', async function () {
    const old = await Promise.all(Array.from({ length: 7 }, (_, i) => sagaAt('COMPLETED', i * 1000)));
    const young = await sagaAt('CANCELLED', 50 * HOUR);
    const waiting = await sagaAt('STALLED', 0);
    const sweeper = new RetentionSweeper(store, silentLogger(), {
      retentionMs: 24 * HOUR,
      batchSize: 2,
      maxBatches: 3,
      clock: clockAt(60 * HOUR),
    });

    expect(await sweeper.sweep()).to.equal(6); // three batches of two: the seventh waits for the next sweep
    expect(await sweeper.sweep()).to.equal(1);
    expect(await sweeper.sweep()).to.equal(0);

    for (const sagaId of old) expect(await store.getSaga(sagaId)).to.equal(null);
    expect(await store.getSaga(young)).to.not.equal(null);
    expect(await store.getSaga(waiting)).to.not.equal(null);
    expect(await store.countSagasByStatus()).to.deep.equal({ CANCELLED: 1, STALLED: 1 });
  });

  it('with retention 0 removes nothing and keeps the counts right while it folds them', async function () {
    for (let i = 0; i < 5; i++) await sagaAt(i % 2 ? 'CANCELLED' : 'COMPLETED', i * HOUR);
    const sweeper = new RetentionSweeper(store, silentLogger(), { retentionMs: 0, clock: clockAt(3 * HOUR) });

    expect(await sweeper.sweep()).to.equal(0);

    expect(await store.countSagasByStatus()).to.deep.equal({ COMPLETED: 3, CANCELLED: 2 });
    await sagaAt('COMPLETED', 10 * HOUR);
    expect(await store.countSagasByStatus()).to.deep.equal({ COMPLETED: 4, CANCELLED: 2 });
  });
});
