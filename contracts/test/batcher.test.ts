import { expect } from 'chai';
import { Batcher, SagaflowError, STORE_UNAVAILABLE } from '../src/index.js';

/** A run that records each batch and answers every item doubled, after the caller releases it. */
function recordingRun() {
  const batches: number[][] = [];
  const releases: (() => void)[] = [];
  const run = async (items: number[]) => {
    batches.push(items);
    await new Promise<void>((resolve) => releases.push(resolve));
    return items.map((n) => n * 2);
  };
  const releaseAll = () => releases.splice(0).forEach((release) => release());
  return { batches, run, releaseAll };
}

const turn = () => new Promise((resolve) => setImmediate(resolve));

/** Turns the event loop until `condition` holds, failing after a hundred turns. */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (condition()) return;
    await turn();
  }
  throw new Error('condition never held');
}

describe('Batcher', () => {
  it('hands everything submitted in one turn to one batch, and each caller its own result', async () => {
    const { batches, run, releaseAll } = recordingRun();
    const batcher = new Batcher(run, { maxSize: 10, maxConcurrent: 1 });
    const results = Promise.all([1, 2, 3].map((n) => batcher.submit(n)));
    await turn();
    releaseAll();
    expect(await results).to.deep.equal([2, 4, 6]);
    expect(batches).to.deep.equal([[1, 2, 3]]);
  });

  it('collects what arrives while the running batches are busy into the next one, up to maxSize', async () => {
    const { batches, run, releaseAll } = recordingRun();
    const batcher = new Batcher(run, { maxSize: 3, maxConcurrent: 1 });
    const first = batcher.submit(1);
    await turn();
    const later = [2, 3, 4, 5].map((n) => batcher.submit(n));
    await turn();
    expect(batches).to.deep.equal([[1]]);
    expect(batcher.waiting).to.equal(4);
    releaseAll();
    expect(await first).to.equal(2);
    await until(() => batches.length === 2);
    expect(batches).to.deep.equal([[1], [2, 3, 4]]);
    releaseAll();
    await until(() => batches.length === 3);
    releaseAll();
    expect(await Promise.all(later)).to.deep.equal([4, 6, 8, 10]);
    expect(batches).to.deep.equal([[1], [2, 3, 4], [5]]);
  });

  it('runs up to maxConcurrent batches at once', async () => {
    const { batches, run, releaseAll } = recordingRun();
    const batcher = new Batcher(run, { maxSize: 2, maxConcurrent: 2 });
    const all = Promise.all([1, 2, 3, 4, 5].map((n) => batcher.submit(n)));
    await turn();
    expect(batches).to.deep.equal([
      [1, 2],
      [3, 4],
    ]);
    releaseAll();
    await until(() => batches.length === 3);
    releaseAll();
    expect(await all).to.deep.equal([2, 4, 6, 8, 10]);
  });

  it('runs a failed batch again item by item, so only the bad item fails', async () => {
    const batches: number[][] = [];
    const batcher = new Batcher(
      async (items: number[]) => {
        batches.push(items);
        if (items.includes(13)) throw new Error('unlucky');
        return items;
      },
      { maxSize: 10 },
    );
    const outcomes = await Promise.allSettled([12, 13, 14].map((n) => batcher.submit(n)));
    expect(outcomes.map((o) => (o.status === 'fulfilled' ? o.value : (o.reason as Error).message))).to.deep.equal([
      12,
      'unlucky',
      14,
    ]);
    expect(batches).to.deep.equal([[12, 13, 14], [12], [13], [14]]);
  });

  it('fails every item of a batch at once when the store did not answer, without running them one by one', async () => {
    const batches: number[][] = [];
    const batcher = new Batcher(
      async (items: number[]) => {
        batches.push(items);
        throw new SagaflowError(STORE_UNAVAILABLE, 'the store did not answer: Query read timeout');
      },
      { maxSize: 10 },
    );
    const outcomes = await Promise.allSettled([1, 2, 3].map((n) => batcher.submit(n)));
    expect(outcomes.map((o) => o.status === 'rejected' && (o.reason as SagaflowError).type)).to.deep.equal([
      STORE_UNAVAILABLE,
      STORE_UNAVAILABLE,
      STORE_UNAVAILABLE,
    ]);
    expect(batches).to.deep.equal([[1, 2, 3]]);
  });

  it('fails every item of a batch answered with the wrong number of results', async () => {
    const batcher = new Batcher(async (items: number[]) => items.slice(1), { maxSize: 10 });
    const outcomes = await Promise.allSettled([1, 2].map((n) => batcher.submit(n)));
    expect(outcomes.map((o) => o.status)).to.deep.equal(['rejected', 'rejected']);
  });

  it('refuses a size or concurrency below one', () => {
    expect(() => new Batcher(async (items: number[]) => items, { maxSize: 0 })).to.throw(RangeError);
    expect(() => new Batcher(async (items: number[]) => items, { maxConcurrent: 0 })).to.throw(RangeError);
  });
});
