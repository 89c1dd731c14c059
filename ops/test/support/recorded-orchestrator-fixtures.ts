import type { SagaDetail, SagaSummary } from '@sagaflow/contracts';

/**
 * Responses in the shapes of the orchestrator's saga routes (DESIGN §5, contracts `SagaSummary`,
 * `SagaDetail`), for testing the saga commands without a running orchestrator. The test checks them
 * against the contract schemas so that they cannot drift from it.
 */
export const STALLED_SAGA: SagaDetail = {
  sagaId: 'saga-7f3a',
  type: 'order',
  status: 'STALLED',
  state: 'chargingPayment',
  orderId: 'order-7f3a',
  version: 6,
  definitionVersion: 1,
  createdAt: '2025-03-01T10:00:00.000Z',
  updatedAt: '2025-03-01T10:00:31.500Z',
  timeline: [
    { seq: 1, at: '2025-03-01T10:00:00.000Z', kind: 'saga.started', step: null, detail: { orderId: 'order-7f3a' } },
    {
      seq: 2,
      at: '2025-03-01T10:00:00.010Z',
      kind: 'command.sent',
      step: 'reserveInventory',
      detail: { command: 'inventory.reserve', commandId: 'cmd-1' },
    },
    {
      seq: 3,
      at: '2025-03-01T10:00:00.120Z',
      kind: 'reply.received',
      step: 'reserveInventory',
      detail: { outcome: 'success', totalCents: 2400 },
    },
    {
      seq: 4,
      at: '2025-03-01T10:00:00.130Z',
      kind: 'command.sent',
      step: 'chargePayment',
      detail: { command: 'payment.charge', commandId: 'cmd-2' },
    },
    {
      seq: 5,
      at: '2025-03-01T10:00:30.130Z',
      kind: 'step.timeout',
      step: 'chargePayment',
      detail: { attempt: 3 },
    },
    {
      seq: 6,
      at: '2025-03-01T10:00:31.500Z',
      kind: 'saga.stalled',
      step: 'chargePayment',
      detail: { reason: 'no reply after 3 attempts' },
    },
  ],
};

export const summaryOf = ({ timeline: _t, definitionVersion: _d, ...summary }: SagaDetail): SagaSummary => summary;

export const COMPLETED_SAGA: SagaSummary = {
  sagaId: 'saga-1b2c',
  type: 'order',
  status: 'COMPLETED',
  state: 'completed',
  orderId: 'order-1b2c',
  version: 9,
  createdAt: '2025-03-01T09:59:00.000Z',
  updatedAt: '2025-03-01T09:59:01.000Z',
};
