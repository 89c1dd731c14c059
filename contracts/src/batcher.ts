import { isStoreUnavailable } from './store-unavailable.js';

/**
 * Group commit for any write that costs more per call than per item: callers `submit` one item each
 * and get their own result, while the batcher hands `run` every item that arrived in the same turn of
 * the event loop, or while the previous batches were running. Under light load a batch holds one item
 * and waits for nothing but the end of the current turn; under load, batches grow by themselves up
 * to `maxSize`, and one statement, one transaction, one WAL flush serve many callers.
 *
 * A batch that fails as a whole is run again one item at a time (when it held more than one), so one
 * bad item fails alone and its neighbours succeed; a batch of one passes its error to its caller. A
 * store that does not answer (`store_unavailable`) is no item's fault: every item of the batch gets that
 * error at once, rather than each waiting for the same timeout in turn.
 */
export interface BatcherOptions {
  /** Items per batch at most. */
  maxSize?: number;
  /** Batches running at once at most; the items that arrive meanwhile wait for the next one. */
  maxConcurrent?: number;
}

interface Pending<I, O> {
  item: I;
  resolve: (output: O) => void;
  reject: (error: unknown) => void;
}

export class Batcher<I, O> {
  private queue: Pending<I, O>[] = [];
  private running = 0;
  private scheduled = false;
  private readonly maxSize: number;
  private readonly maxConcurrent: number;

  /** `run` answers every item of a batch, in order: `outputs[i]` belongs to `items[i]`. */
  constructor(
    private readonly run: (items: I[]) => Promise<O[]>,
    options: BatcherOptions = {},
  ) {
    this.maxSize = options.maxSize ?? 100;
    this.maxConcurrent = options.maxConcurrent ?? 2;
    if (!(this.maxSize >= 1) || !(this.maxConcurrent >= 1))
      throw new RangeError('a batcher needs maxSize and maxConcurrent of at least 1');
  }

  /** Items waiting for a batch (not those running). */
  get waiting(): number {
    return this.queue.length;
  }

  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled || this.running >= this.maxConcurrent || this.queue.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.running < this.maxConcurrent && this.queue.length > 0)
        void this.execute(this.queue.splice(0, this.maxSize));
    });
  }

  private async execute(batch: Pending<I, O>[]): Promise<void> {
    this.running++;
    try {
      await this.settle(batch);
    } finally {
      this.running--;
      this.schedule();
    }
  }

  private async settle(batch: Pending<I, O>[]): Promise<void> {
    let outputs: O[];
    try {
      outputs = await this.run(batch.map((p) => p.item));
      if (outputs.length !== batch.length)
        throw new Error(`a batch of ${batch.length} was answered with ${outputs.length} results`);
    } catch (error) {
      if (batch.length === 1 || isStoreUnavailable(error)) for (const pending of batch) pending.reject(error);
      else for (const pending of batch) await this.settle([pending]);
      return;
    }
    batch.forEach((pending, i) => pending.resolve(outputs[i]!));
  }
}
