import type { SagaRecord } from '../store/saga-store.js';
import type { RunningSaga } from './running-saga.js';

/** A saga as this process last wrote it, with its machine still running at that version. */
export interface CachedSaga {
  saga: SagaRecord;
  machine?: RunningSaga;
}

/**
 * The sagas this process wrote last, so that the next event of a saga in flight skips a read and a
 * restore of its machine. Never trusted blindly: a commit is version-checked, and the engine reads the
 * store again on a conflict or when a cached saga refuses an event (another orchestrator may have
 * moved it on). Finished sagas are not kept; the oldest entry goes when the cache is full.
 */
export class SagaCache {
  private readonly entries = new Map<string, CachedSaga>();

  constructor(private readonly capacity: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(sagaId: string): CachedSaga | undefined {
    return this.entries.get(sagaId);
  }

  set(saga: SagaRecord, machine?: RunningSaga): void {
    const previous = this.entries.get(saga.sagaId);
    this.entries.delete(saga.sagaId);
    if (previous?.machine && previous.machine !== machine) previous.machine.stop();
    if (saga.status === 'COMPLETED' || saga.status === 'CANCELLED' || this.capacity === 0) {
      machine?.stop();
      return;
    }
    this.entries.set(saga.sagaId, { saga, machine });
    if (this.entries.size > this.capacity) this.delete(this.entries.keys().next().value!);
  }

  delete(sagaId: string): void {
    this.entries.get(sagaId)?.machine?.stop();
    this.entries.delete(sagaId);
  }
}
