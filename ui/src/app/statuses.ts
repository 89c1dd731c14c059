import type { SagaStatus } from '@sagaflow/contracts';

// Only types come from contracts: its runtime belongs to the services, not to the browser bundle.
export const SAGA_STATUSES = [
  'RUNNING',
  'COMPENSATING',
  'STALLED',
  'COMPLETED',
  'CANCELLED',
] as const satisfies readonly SagaStatus[];
