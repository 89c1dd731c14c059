import {
  buildSchema,
  getModelForClass,
  index,
  modelOptions,
  prop,
  Severity,
  type ReturnModelType,
} from '@typegoose/typegoose';
import mongoose from 'mongoose';
import { ORDER_FIELD_NAMES, ORDER_FIELDS, type FieldKind, type OrderFieldName } from './order-fields.js';
import type { OrderRecord } from './saga-store.js';

// Every @prop names its type: tsx/esbuild emit no decorator metadata for typegoose to read.

/** Shared by every document class: no `__v`, empty objects kept (a timeline `detail: {}` must round-trip). */
const documentOptions = { versionKey: false, minimize: false, timestamps: false, _id: false } as const;

@modelOptions({ schemaOptions: { ...documentOptions } })
export class OrderLineDoc {
  @prop({ type: () => String, required: true })
  sku!: string;

  @prop({ type: () => Number, required: true })
  quantity!: number;
}

@modelOptions({ schemaOptions: { ...documentOptions } })
export class PricedLineDoc {
  @prop({ type: () => String, required: true })
  sku!: string;

  @prop({ type: () => String, required: true })
  name!: string;

  @prop({ type: () => Number, required: true })
  quantity!: number;

  @prop({ type: () => Number, required: true })
  unitPriceCents!: number;

  @prop({ type: () => Number, required: true })
  lineTotalCents!: number;
}

@modelOptions({ schemaOptions: { ...documentOptions }, options: { allowMixed: Severity.ALLOW } })
export class TimelineEntryDoc {
  @prop({ type: () => Number, required: true })
  seq!: number;

  @prop({ type: () => String, required: true })
  at!: string;

  @prop({ type: () => String, required: true })
  kind!: string;

  @prop({ type: () => String, default: null })
  step!: string | null;

  @prop({ type: () => mongoose.Schema.Types.Mixed, default: () => ({}) })
  detail!: Record<string, unknown>;
}

/** An order as its document stores it: the order id is `_id`. */
export type OrderDoc = Omit<OrderRecord, 'orderId'> & { _id: string };

const MONGO_TYPES: Record<FieldKind, unknown> = {
  text: String,
  bigint: Number,
  timestamp: Date,
  json: mongoose.Schema.Types.Mixed,
};

/** JSON fields that MongoDB keeps as arrays of typed subdocuments; any other JSON field is Mixed. */
const SUBDOCUMENT_ARRAYS: Partial<Record<OrderFieldName, new () => object>> = {
  items: OrderLineDoc,
  lines: PricedLineDoc,
};

/** The `orders` schema, one path per field of `ORDER_FIELDS`. */
function orderSchema(): mongoose.Schema<OrderDoc> {
  const paths = ORDER_FIELD_NAMES.map((name) => {
    const { kind, nullable, default: fallback } = ORDER_FIELDS[name];
    const element = SUBDOCUMENT_ARRAYS[name];
    const type = element ? [buildSchema(element)] : MONGO_TYPES[kind];
    const rule = nullable
      ? { default: null }
      : { required: true, ...(fallback !== undefined && { default: fallback }) };
    return [name === 'orderId' ? '_id' : name, { type, ...rule }];
  });
  const schema = new mongoose.Schema<OrderDoc>(Object.fromEntries(paths), {
    ...documentOptions,
    _id: true,
    collection: 'orders',
  });
  schema.index(
    { idempotencyKey: 1 },
    { unique: true, partialFilterExpression: { idempotencyKey: { $type: 'string' } } },
  );
  schema.index({ createdAt: -1, _id: -1 });
  schema.index({ status: 1, createdAt: -1, _id: -1 });
  schema.index({ customerId: 1, createdAt: -1, _id: -1 });
  return schema;
}

@modelOptions({ schemaOptions: { ...documentOptions, _id: true, collection: 'sagas' } })
@index({ status: 1, createdAt: -1, _id: -1 })
@index({ createdAt: -1, _id: -1 })
@index({ type: 1, createdAt: -1, _id: -1 })
@index({ deadlineAt: 1 }, { partialFilterExpression: { deadlineAt: { $type: 'date' } } })
@index({ orderId: 1 })
// Retention walks finished sagas from the oldest; counts read those finished past the kept totals' horizon.
@index({ status: 1, updatedAt: 1 })
export class SagaDoc {
  /** The saga id. */
  @prop({ type: () => String, required: true })
  _id!: string;

  @prop({ type: () => String, required: true })
  type!: string;

  @prop({ type: () => Number, required: true })
  definitionVersion!: number;

  @prop({ type: () => String, required: true })
  orderId!: string;

  /** Absent from sagas written before priorities: those are standard. */
  @prop({ type: () => String, default: 'standard' })
  priority?: string;

  @prop({ type: () => String, required: true })
  status!: string;

  @prop({ type: () => String, required: true })
  state!: string;

  /**
   * The machine snapshot as JSON text: it is opaque to the store, and its keys (state ids such as
   * `order.compensation`) are not all valid MongoDB field names.
   */
  @prop({ type: () => String, required: true })
  snapshot!: string;

  @prop({ type: () => Number, required: true })
  version!: number;

  @prop({ type: () => String, default: null })
  awaitingCommandId!: string | null;

  @prop({ type: () => Date, default: null })
  deadlineAt!: Date | null;

  @prop({ type: () => [TimelineEntryDoc], default: [] })
  timeline!: TimelineEntryDoc[];

  @prop({ type: () => Date, required: true })
  createdAt!: Date;

  @prop({ type: () => Date, required: true })
  updatedAt!: Date;
}

@modelOptions({
  schemaOptions: { ...documentOptions, _id: true, collection: 'outbox' },
  options: { allowMixed: Severity.ALLOW },
})
@index({ sentAt: 1, createdAt: 1, position: 1 })
export class OutboxDoc {
  /** The message id. */
  @prop({ type: () => String, required: true })
  _id!: string;

  @prop({ type: () => String, required: true })
  sagaId!: string;

  @prop({ type: () => String, required: true })
  exchange!: string;

  @prop({ type: () => String, required: true })
  routingKey!: string;

  /** AMQP priority; absent from entries written before priorities (none). */
  @prop({ type: () => Number, default: 0 })
  priority?: number;

  @prop({ type: () => mongoose.Schema.Types.Mixed, required: true })
  message!: Record<string, unknown>;

  @prop({ type: () => Date, required: true })
  createdAt!: Date;

  /** Place within the write that queued it, to keep one write's messages in order. */
  @prop({ type: () => Number, required: true })
  position!: number;

  @prop({ type: () => Date, default: null })
  sentAt!: Date | null;
}

/** Finished sagas of one status last changed before `through`, counted once so that counting does not scan them all. */
@modelOptions({ schemaOptions: { ...documentOptions, _id: true, collection: 'sagaCounts' } })
export class SagaCountDoc {
  /** The status. */
  @prop({ type: () => String, required: true })
  _id!: string;

  @prop({ type: () => Number, required: true })
  n!: number;

  @prop({ type: () => Date, required: true })
  through!: Date;
}

export interface SagaStoreModels {
  orders: mongoose.Model<OrderDoc>;
  sagas: ReturnModelType<typeof SagaDoc>;
  outbox: ReturnModelType<typeof OutboxDoc>;
  sagaCounts: ReturnModelType<typeof SagaCountDoc>;
}

/** The models bound to one connection; typegoose's by-name cache is off so that stores on other connections coexist. */
export function createSagaStoreModels(connection: mongoose.Connection): SagaStoreModels {
  const options = { existingConnection: connection, options: { disableCaching: true } };
  return {
    orders: connection.model<OrderDoc>('Order', orderSchema()),
    sagas: getModelForClass(SagaDoc, options),
    outbox: getModelForClass(OutboxDoc, options),
    sagaCounts: getModelForClass(SagaCountDoc, options),
  };
}
