import type { SagaCommit, SagaRecord } from '../store/saga-store.js';

/** What the engine reports after each commit; the Prometheus metrics are one implementation. */
export interface SagaObserver {
  observeCommit(commit: SagaCommit, previous: SagaRecord | null): void;
}

/** Several observers as one, told in order. */
export const allOf = (...observers: SagaObserver[]): SagaObserver => ({
  observeCommit: (commit, previous) => observers.forEach((observer) => observer.observeCommit(commit, previous)),
});
