/** Headers the kit writes on retried and dead-lettered messages; the ops CLI reads them. */
export const HEADERS = {
  schemaVersion: 'x-schema-version',
  traceparent: 'traceparent',
  attempts: 'x-sagaflow-attempts',
  reason: 'x-sagaflow-reason',
  error: 'x-sagaflow-error',
  queue: 'x-sagaflow-queue',
  originalExchange: 'x-sagaflow-original-exchange',
  originalRoutingKey: 'x-sagaflow-original-routing-key',
  firstFailureAt: 'x-sagaflow-first-failure-at',
  deadLetteredAt: 'x-sagaflow-dead-lettered-at',
  replayedAt: 'x-sagaflow-replayed-at',
} as const;

/** Why a message was dead-lettered. */
export type DeadLetterReason =
  | 'unparsable'
  | 'invalid_envelope'
  | 'unknown_type'
  | 'unsupported_schema_version'
  | 'invalid_payload'
  | 'retries_exhausted'
  | 'rejected';
