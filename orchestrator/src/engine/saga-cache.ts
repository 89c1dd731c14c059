import type { SagaRecord } from '../store/saga-store.js';

/**
 * The sagas this process wrote last, so that the next event of a saga in flight skips a read.
 * Never trusted blindly: a commit is version-checked, and the engine reads the store again on a
 * conflict or when a cached saga refuses an event (another orchestrator may have moved it on).
 */
export class SagaCache {
  private readonly entries = new Map<string, SagaRecord>();

  constructor(private readonly capacity: number) {}

  get(sagaId: string): SagaRecord | undefined {
    return this.entries.get(sagaId);
  }

  set(saga: SagaRecord): void {
    this.entries.delete(saga.sagaId);
    if (saga.status === 'COMPLETED' || saga.status === 'CANCELLED' || this.capacity === 0) return;
    this.entries.set(saga.sagaId, saga);
    if (this.entries.size > this.capacity) this.entries.delete(this.entries.keys().next().value!);
  }

  delete(sagaId: string): void {
    this.entries.delete(sagaId);
  }
}
