import { SagaflowError } from '@sagaflow/contracts';
import type { OrderRecord, SagaCommit, StartCancellationResult } from './saga-store.js';

/** Rules every store applies the same way, whatever it runs on. */

/** A commit must name the version it read and produce the next one. */
export function assertCommitFollows({ saga, expectedVersion }: SagaCommit): void {
  if (saga.version !== expectedVersion + 1) {
    throw SagaflowError.nonRetryable(
      'invalid_commit',
      `saga ${saga.sagaId}: version ${saga.version} does not follow ${expectedVersion}`,
    );
  }
}

/** Why a cancellation did not start, judged on the order as it is now. */
export function cancellationRefusal(order: OrderRecord | null): StartCancellationResult {
  if (!order) return { started: false, reason: 'not_found', order: null };
  // A cancelled order is not "being cancelled" any more, even though it keeps its cancellation saga id.
  if (order.status !== 'CONFIRMED') return { started: false, reason: 'not_confirmed', order };
  return { started: false, reason: 'already_cancelling', order };
}
