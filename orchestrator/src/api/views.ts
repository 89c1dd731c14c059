import type { Order, SagaDetail, SagaSummary } from '@sagaflow/contracts';
import type { OrderRecord, SagaRecord, SagaSummaryRecord } from '../store/saga-store.js';

export const orderView = (o: OrderRecord): Order => ({
  orderId: o.orderId,
  sagaId: o.sagaId,
  status: o.status,
  sagaStatus: o.sagaStatus,
  customerId: o.customerId,
  customerEmail: o.customerEmail,
  items: o.items,
  ...(o.lines && { lines: o.lines }),
  totalCents: o.totalCents,
  currency: o.currency,
  priority: o.priority,
  ...(o.reason && { reason: o.reason }),
  ...(o.cancellationSagaId && { cancellationSagaId: o.cancellationSagaId }),
  createdAt: o.createdAt.toISOString(),
  updatedAt: o.updatedAt.toISOString(),
});

export const sagaSummaryView = (s: SagaSummaryRecord): SagaSummary => ({
  sagaId: s.sagaId,
  type: s.type,
  status: s.status,
  state: s.state,
  orderId: s.orderId,
  version: s.version,
  createdAt: s.createdAt.toISOString(),
  updatedAt: s.updatedAt.toISOString(),
});

export const sagaView = (s: SagaRecord): SagaDetail => ({
  ...sagaSummaryView(s),
  definitionVersion: s.definitionVersion,
  timeline: s.timeline,
});
