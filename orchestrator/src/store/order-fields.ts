import type { OrderRecord } from './saga-store.js';

/** How a field is stored; each store maps a kind to its own type and conversions. */
export type FieldKind = 'text' | 'bigint' | 'timestamp' | 'json';

export type OrderFieldName = keyof OrderRecord;

export interface OrderField {
  kind: FieldKind;
  /** Absent until set: NULL in PostgreSQL, `null` by default in MongoDB. */
  nullable?: true;
  /**
   * What an order stored before the field existed holds: a field added to a released schema has one.
   * PostgreSQL adds its column to an older table with this default; MongoDB reads it into older documents.
   */
  default?: string;
}

/**
 * Every field of an order record, once. The PostgreSQL table, its row mapping and the MongoDB document
 * follow from this table, so a new order field is its line in `OrderRecord` and its line here.
 */
export const ORDER_FIELDS: Record<OrderFieldName, OrderField> = {
  orderId: { kind: 'text' },
  sagaId: { kind: 'text' },
  activeSagaId: { kind: 'text' },
  sagaStatus: { kind: 'text' },
  cancellationSagaId: { kind: 'text', nullable: true },
  status: { kind: 'text' },
  customerId: { kind: 'text' },
  customerEmail: { kind: 'text' },
  currency: { kind: 'text' },
  priority: { kind: 'text', default: 'standard' },
  items: { kind: 'json' },
  lines: { kind: 'json', nullable: true },
  totalCents: { kind: 'bigint', nullable: true },
  reason: { kind: 'text', nullable: true },
  idempotencyKey: { kind: 'text', nullable: true },
  requestHash: { kind: 'text', nullable: true },
  createdAt: { kind: 'timestamp' },
  updatedAt: { kind: 'timestamp' },
};

export const ORDER_FIELD_NAMES = Object.keys(ORDER_FIELDS) as OrderFieldName[];

/** The snake_case column a field is stored in (`activeSagaId` → `active_saga_id`). */
export const columnOf = (field: string): string => field.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
