import { STORE_UNAVAILABLE } from '@sagaflow/contracts';
import { silentLogger } from '@sagaflow/contracts/messaging';
import { waitUntil } from '@sagaflow/contracts/testing';
import { expect } from 'chai';
import { failFast } from '../../src/store/fail-fast-store.js';
import type { SagaStore } from '../../src/store/saga-store.js';

/** A store whose server answers or not, as the test says; it counts the calls that reached it. */
function scriptedStore() {
  const state = { answering: true, reads: 0, pings: 0 };
  const timeout = () => new Error('Query read timeout');
  const store = {
    async getOrder(orderId: string) {
      state.reads++;
      if (!state.answering) throw timeout();
      return { orderId };
    },
    async ping() {
      state.pings++;
      if (!state.answering) throw timeout();
    },
    async close() {},
  } as unknown as SagaStore;
  return { state, store };
}

describe('failFast store', () => {
  it('fails every call at once while the store does not answer, and lets them through once a ping does', async () => {
    const { state, store } = scriptedStore();
    const guarded = failFast(store, { logger: silentLogger(), probeIntervalMs: 20 });
    expect(await guarded.getOrder('o-1')).to.deep.equal({ orderId: 'o-1' });

    state.answering = false;
    await guarded.getOrder('o-1').then(
      () => expect.fail('the first call reaches the store and fails'),
      (error: Error) => expect(error.message).to.equal('Query read timeout'),
    );
    for (let i = 0; i < 5; i++) {
      const error = await guarded.getOrder('o-1').catch((e: unknown) => e);
      expect(error).to.include({ type: STORE_UNAVAILABLE, retryable: true });
    }
    expect(state.reads, 'calls while it is down never reach the store').to.equal(2);

    state.answering = true;
    await waitUntil(
      () =>
        guarded.getOrder('o-1').then(
          () => true,
          () => false,
        ),
      'the store is used again',
      {
        timeoutMs: 2_000,
      },
    );
    expect(state.pings).to.be.at.least(1);
    await guarded.close();
  });
});
