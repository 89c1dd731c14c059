import type { SagaCommit, SagaRecord } from '../store/saga-store.js';

/** What the engine reports after each commit; the Prometheus metrics are one implementation. */
export interface SagaObserver {
  observeCommit(commit: SagaCommit, previous: SagaRecord | null): void;
}
