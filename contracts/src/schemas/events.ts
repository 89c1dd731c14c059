import { Type, type Static } from '@sinclair/typebox';
import { Id, IsoDate, Sku, Strict } from './common.js';
import { SagaStatus, SagaType, TimelineEntry } from './sagas.js';

/** Published on every saga change, routing key `saga.<type>.<status>`. */
export const SagaChanged = Strict({
  sagaId: Id,
  type: SagaType,
  status: SagaStatus,
  state: Type.String(),
  orderId: Id,
  version: Type.Integer(),
  updatedAt: IsoDate,
  entries: Type.Array(TimelineEntry),
});
export type SagaChanged = Static<typeof SagaChanged>;

export const InventoryLow = Strict({
  sku: Sku,
  available: Type.Integer(),
  threshold: Type.Integer(),
});
export type InventoryLow = Static<typeof InventoryLow>;
