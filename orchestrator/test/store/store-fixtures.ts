import { randomUUID } from 'node:crypto';
import { type OrderPriority, type SagaStatus, type SagaType, type TimelineEntry } from '@sagaflow/contracts';
import { commandRouteOf, createMessage } from '@sagaflow/contracts/messaging';
import type { OrderRecord, OutboxEntry, SagaCommit, SagaRecord } from '../../src/store/saga-store.js';

/** Far from "now", so that tests can place times before and after it at will. */
export const T0 = new Date('2030-01-01T00:00:00.000Z');

export const at = (ms: number): Date => new Date(T0.getTime() + ms);

/** Hex only, so that every store and collation orders ids alike. */
export const newId = (prefix: string): string => `${prefix}${randomUUID().replaceAll('-', '')}`;

export function timelineEntry(seq: number, kind: TimelineEntry['kind'], atMs = seq): TimelineEntry {
  return { seq, at: at(atMs).toISOString(), kind, step: kind === 'saga.started' ? null : 'reserve', detail: { seq } };
}

export interface OrderFixture {
  order: OrderRecord;
  saga: SagaRecord;
  outbox: OutboxEntry[];
}

export function orderFixture(
  options: {
    createdAt?: Date;
    customerId?: string;
    idempotencyKey?: string | null;
    outboxSize?: number;
    priority?: OrderPriority;
  } = {},
): OrderFixture {
  const createdAt = options.createdAt ?? T0;
  const priority = options.priority ?? 'standard';
  const orderId = newId('o');
  const sagaId = newId('s');
  const saga = sagaFixture({ sagaId, orderId, type: 'order', createdAt, priority });
  const order: OrderRecord = {
    orderId,
    sagaId,
    activeSagaId: sagaId,
    sagaStatus: 'RUNNING',
    cancellationSagaId: null,
    status: 'PENDING',
    customerId: options.customerId ?? 'customer-1',
    customerEmail: 'ada@example.com',
    currency: 'EUR',
    priority,
    items: [
      { sku: 'SKU-1', quantity: 2 },
      { sku: 'SKU-2', quantity: 1 },
    ],
    lines: null,
    totalCents: null,
    reason: null,
    idempotencyKey: options.idempotencyKey ?? null,
    requestHash: options.idempotencyKey ? 'hash-1' : null,
    createdAt,
    updatedAt: createdAt,
  };
  const outbox = Array.from({ length: options.outboxSize ?? 1 }, () =>
    outboxEntry(sagaId, orderId, createdAt, priority),
  );
  return { order, saga, outbox };
}

export function sagaFixture(options: {
  sagaId?: string;
  orderId?: string;
  type?: SagaType;
  status?: SagaStatus;
  createdAt?: Date;
  deadlineAt?: Date | null;
  priority?: OrderPriority;
}): SagaRecord {
  const createdAt = options.createdAt ?? T0;
  return {
    sagaId: options.sagaId ?? newId('s'),
    type: options.type ?? 'order',
    definitionVersion: 1,
    orderId: options.orderId ?? newId('o'),
    priority: options.priority ?? 'standard',
    status: options.status ?? 'RUNNING',
    state: 'reserving',
    // Keys MongoDB would refuse as field names must survive too: snapshots are opaque to the store.
    snapshot: {
      status: 'active',
      value: 'reserving',
      context: { attempts: 1, note: 'zażółć ✓', empty: {}, list: [1, null, 'x'], nested: { deep: [{ a: true }] } },
      historyValue: { 'order.compensation': [] },
      $internal: 1,
    },
    version: 1,
    awaitingCommandId: 'cmd-1',
    deadlineAt: options.deadlineAt === undefined ? new Date(createdAt.getTime() + 5000) : options.deadlineAt,
    timeline: [timelineEntry(1, 'saga.started'), timelineEntry(2, 'command.sent')],
    createdAt,
    updatedAt: createdAt,
  };
}

export function outboxEntry(
  sagaId: string,
  orderId: string,
  createdAt: Date,
  priority: OrderPriority = 'standard',
): OutboxEntry {
  const message = createMessage(
    'inventory.reserve',
    { orderId, items: [{ sku: 'SKU-1', quantity: 2 }] },
    { sagaId, commandId: newId('c'), occurredAt: createdAt },
  );
  const route = commandRouteOf('inventory.reserve', priority);
  const { exchange, routingKey } = route;
  return {
    messageId: message.messageId,
    sagaId,
    exchange,
    routingKey,
    priority: route.priority ?? 0,
    message,
    createdAt,
  };
}

/** The next commit of `saga`: a new state, one more timeline entry, `outboxSize` new commands. */
export function nextCommit(
  saga: SagaRecord,
  options: { status?: SagaStatus; outboxSize?: number; orderPatch?: SagaCommit['orderPatch']; atMs?: number } = {},
): SagaCommit {
  const updatedAt = at(options.atMs ?? saga.version * 1000);
  const entry = timelineEntry(saga.timeline.length + 1, 'reply.received', saga.version * 1000);
  const next: SagaRecord = {
    ...saga,
    status: options.status ?? saga.status,
    state: `state-${saga.version + 1}`,
    snapshot: { value: `state-${saga.version + 1}`, context: { version: saga.version + 1 } },
    version: saga.version + 1,
    awaitingCommandId: `cmd-${saga.version + 1}`,
    deadlineAt: new Date(updatedAt.getTime() + 5000),
    timeline: [...saga.timeline, entry],
    updatedAt,
  };
  return {
    saga: next,
    expectedVersion: saga.version,
    newEntries: [entry],
    outbox: Array.from({ length: options.outboxSize ?? 1 }, () =>
      outboxEntry(saga.sagaId, saga.orderId, updatedAt, saga.priority),
    ),
    orderPatch: options.orderPatch ?? null,
  };
}
