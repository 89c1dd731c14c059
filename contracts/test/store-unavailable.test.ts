import { expect } from 'chai';
import { SagaflowError, STORE_UNAVAILABLE, whileStoreStarts } from '../src/index.js';

const unavailable = () => new SagaflowError(STORE_UNAVAILABLE, 'the store did not answer');

describe('whileStoreStarts', () => {
  it('tries start-up work again while the store is unavailable, then returns what it gave', async () => {
    let calls = 0;
    const result = await whileStoreStarts(async () => {
      calls++;
      if (calls < 3) throw unavailable();
      return 'ready';
    }, 5_000);
    expect(result).to.equal('ready');
    expect(calls).to.equal(3);
  });

  it('throws any other failure at once', async () => {
    let calls = 0;
    const failure = await whileStoreStarts(async () => {
      calls++;
      throw new Error('relation "sagas" is broken');
    }, 5_000).catch((error: Error) => error);
    expect((failure as Error).message).to.equal('relation "sagas" is broken');
    expect(calls).to.equal(1);
  });

  it('gives up with the last failure once the wait is over', async () => {
    let calls = 0;
    const began = Date.now();
    const failure = await whileStoreStarts(async () => {
      calls++;
      throw unavailable();
    }, 500).catch((error: unknown) => error);
    expect(failure).to.be.instanceOf(SagaflowError).with.property('type', STORE_UNAVAILABLE);
    expect(calls).to.be.within(2, 4);
    expect(Date.now() - began).to.be.below(2_000);
  });
});
