import { SagaflowError, TERMINAL_SAGA_STATUSES, type SagaStatus } from '@sagaflow/contracts';
import { type Logger } from '@sagaflow/contracts/messaging';
import mongoose from 'mongoose';
import {
  createSagaStoreModels,
  type OrderDoc,
  type OutboxDoc,
  type SagaCountDoc,
  type SagaDoc,
  type SagaStoreModels,
} from './mongo-models.js';
import { checkLimit, decodeCursor, toPage } from './page-cursor.js';
import type {
  CreateOrderResult,
  ListOrdersFilter,
  ListSagasFilter,
  OrderRecord,
  OutboxEntry,
  Page,
  SagaCommit,
  SagaRecord,
  SagaStore,
  SagaSummaryRecord,
  StartCancellationResult,
} from './saga-store.js';
import { assertCommitFollows, cancellationRefusal } from './store-rules.js';
import { ORDER_FIELD_NAMES, ORDER_FIELDS } from './order-fields.js';

/** Thrown inside a transaction to abort it; never leaves this file. */
class Refused extends Error {}

const SUMMARY_PROJECTION = { snapshot: 0, timeline: 0 } as const;

const FINISHED: string[] = [...TERMINAL_SAGA_STATUSES];

/** The kept totals' horizon: sagas finished before it are in them. */
const horizonOf = (kept: SagaCountDoc[]): Date =>
  kept.reduce((latest, doc) => (doc.through > latest ? doc.through : latest), new Date(0));

/**
 * The saga store on MongoDB (typegoose models on a connection of its own): `orders`, `sagas` and
 * `outbox` collections. Writes that touch several documents run in a transaction, so **MongoDB must run
 * as a replica set** (a single-node one, `mongod --replSet rs0` plus `rs.initiate()`, is enough).
 *
 * The URL is `STORE_URL`: `mongodb://host:27017/sagaflow` or `mongodb+srv://…`; the database comes from
 * its path.
 */
export class MongoSagaStore implements SagaStore {
  private readonly connection: mongoose.Connection;
  private readonly models: SagaStoreModels;
  private opening: Promise<unknown> | undefined;

  constructor(
    private readonly url: string,
    private readonly logger: Logger,
  ) {
    this.connection = mongoose.createConnection();
    // Without a listener, a failed connection attempt would surface as an unhandled rejection.
    this.connection.on('error', (error: Error) =>
      this.logger.warn('mongodb connection error', { error: error.message }),
    );
    this.models = createSagaStoreModels(this.connection);
  }

  async init(): Promise<void> {
    // Collections and indexes are made here, not behind the application's back on first use.
    this.opening ??= this.connection.openUri(this.url, { autoCreate: false, autoIndex: false }).catch((error) => {
      this.opening = undefined; // a later init() tries again
      throw error;
    });
    await this.opening;
    // Collections must exist before a transaction writes to them on servers older than 4.4.
    for (const model of [this.models.orders, this.models.sagas, this.models.outbox, this.models.sagaCounts]) {
      await model.createCollection();
      await model.createIndexes();
    }
    this.logger.debug('saga store ready', { store: 'mongodb', database: this.connection.name });
  }

  async close(): Promise<void> {
    await this.connection.close();
  }

  async ping(): Promise<void> {
    const db = this.connection.readyState === mongoose.ConnectionStates.connected ? this.connection.db : undefined;
    if (!db) throw new SagaflowError('store_unavailable', 'not connected to MongoDB');
    await db.admin().ping();
  }

  async createOrder(order: OrderRecord, saga: SagaRecord, outbox: OutboxEntry[]): Promise<CreateOrderResult> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.inTransaction(async (session) => {
          await new this.models.orders(toOrderDoc(order)).save({ session });
          await new this.models.sagas(toSagaDoc(saga)).save({ session });
          await this.queue(outbox, session);
        });
        return { created: true };
      } catch (error) {
        if (!isDuplicateKey(error, 'idempotencyKey') || order.idempotencyKey === null) throw error;
      }
      const existing = await this.getOrderByIdempotencyKey(order.idempotencyKey);
      if (existing) return { created: false, existing };
      if (attempt === 3)
        throw new SagaflowError('store_conflict', `idempotency key ${order.idempotencyKey} is contended`);
    }
  }

  async startCancellation(orderId: string, saga: SagaRecord, outbox: OutboxEntry[]): Promise<StartCancellationResult> {
    if (saga.orderId !== orderId) {
      throw SagaflowError.nonRetryable('invalid_cancellation', `saga ${saga.sagaId} belongs to order ${saga.orderId}`);
    }
    try {
      await this.inTransaction(async (session) => {
        const result = await this.models.orders.updateOne(
          { _id: orderId, status: 'CONFIRMED', cancellationSagaId: null },
          {
            $set: {
              cancellationSagaId: saga.sagaId,
              activeSagaId: saga.sagaId,
              sagaStatus: saga.status,
              updatedAt: saga.createdAt,
            },
          },
          { session },
        );
        if (result.matchedCount === 0) throw new Refused();
        await new this.models.sagas(toSagaDoc(saga)).save({ session });
        await this.queue(outbox, session);
      });
      return { started: true };
    } catch (error) {
      if (!(error instanceof Refused)) throw error;
    }
    return cancellationRefusal(await this.getOrder(orderId));
  }

  async commitSaga(commit: SagaCommit): Promise<boolean> {
    const { saga, expectedVersion } = commit;
    assertCommitFollows(commit);
    const patch = Object.fromEntries(Object.entries(commit.orderPatch ?? {}).filter(([, v]) => v !== undefined));
    const updateSaga = (session?: mongoose.ClientSession) =>
      this.models.sagas.updateOne(
        { _id: saga.sagaId, version: expectedVersion },
        {
          $set: {
            status: saga.status,
            state: saga.state,
            snapshot: JSON.stringify(saga.snapshot),
            version: saga.version,
            awaitingCommandId: saga.awaitingCommandId,
            deadlineAt: saga.deadlineAt,
            updatedAt: saga.updatedAt,
          },
          $push: { timeline: { $each: commit.newEntries } },
        },
        { session },
      );

    if (commit.outbox.length === 0 && Object.keys(patch).length === 0) {
      // One document: atomic on its own, no transaction needed.
      return (await updateSaga()).matchedCount === 1;
    }
    try {
      await this.inTransaction(async (session) => {
        if ((await updateSaga(session)).matchedCount === 0) throw new Refused();
        await this.queue(commit.outbox, session);
        if (Object.keys(patch).length > 0) {
          await this.models.orders.updateOne(
            { _id: saga.orderId, activeSagaId: saga.sagaId },
            { $set: { ...patch, updatedAt: saga.updatedAt } },
            { session },
          );
        }
      });
      return true;
    } catch (error) {
      if (error instanceof Refused) return false;
      throw error;
    }
  }

  async getSaga(sagaId: string): Promise<SagaRecord | null> {
    const doc = await this.models.sagas.findById(sagaId).lean<SagaDoc>();
    return doc ? toSaga(doc) : null;
  }

  async getOrder(orderId: string): Promise<OrderRecord | null> {
    const doc = await this.models.orders.findById(orderId).lean<OrderDoc>();
    return doc ? toOrder(doc) : null;
  }

  async getOrderByIdempotencyKey(key: string): Promise<OrderRecord | null> {
    // `$type` repeats the partial index's filter so that the planner may use it.
    const doc = await this.models.orders.findOne({ idempotencyKey: { $eq: key, $type: 'string' } }).lean<OrderDoc>();
    return doc ? toOrder(doc) : null;
  }

  async listOrders(filter: ListOrdersFilter): Promise<Page<OrderRecord>> {
    const limit = checkLimit(filter.limit);
    const query = pageQuery(filter.cursor, { status: filter.status, customerId: filter.customerId });
    const docs = await this.models.orders
      .find(query)
      .sort({ createdAt: -1, _id: -1 })
      .limit(limit + 1)
      .lean<OrderDoc[]>();
    return toPage(docs.map(toOrder), limit, (o) => ({ createdAt: o.createdAt, id: o.orderId }));
  }

  async listSagas(filter: ListSagasFilter): Promise<Page<SagaSummaryRecord>> {
    const limit = checkLimit(filter.limit);
    const query = pageQuery(filter.cursor, { status: filter.status, type: filter.type });
    const docs = await this.models.sagas
      .find(query, SUMMARY_PROJECTION)
      .sort({ createdAt: -1, _id: -1 })
      .limit(limit + 1)
      .lean<SagaDoc[]>();
    return toPage(docs.map(toSagaSummary), limit, (s) => ({ createdAt: s.createdAt, id: s.sagaId }));
  }

  async findDue(now: Date, limit: number): Promise<SagaRecord[]> {
    const docs = await this.models.sagas
      .find({ deadlineAt: { $type: 'date', $lte: now } })
      .sort({ deadlineAt: 1, _id: 1 })
      .limit(limit)
      .lean<SagaDoc[]>();
    return docs.map(toSaga);
  }

  async unsentOutbox(createdBefore: Date, limit: number): Promise<OutboxEntry[]> {
    const docs = await this.models.outbox
      .find({ sentAt: null, createdAt: { $lte: createdBefore } })
      .sort({ createdAt: 1, position: 1, _id: 1 })
      .limit(limit)
      .lean<OutboxDoc[]>();
    return docs.map((doc) => ({
      messageId: doc._id,
      sagaId: doc.sagaId,
      exchange: doc.exchange,
      routingKey: doc.routingKey,
      priority: doc.priority ?? 0,
      message: doc.message as unknown as OutboxEntry['message'],
      createdAt: doc.createdAt,
    }));
  }

  async markSent(messageIds: string[]): Promise<void> {
    if (messageIds.length === 0) return;
    // A sent entry leaves the outbox at once (one write, not an update now and a delete later).
    await this.models.outbox.deleteMany({ _id: { $in: messageIds } });
  }

  async countUnsent(): Promise<number> {
    return this.models.outbox.countDocuments({ sentAt: null });
  }

  async countSagasByStatus(): Promise<Partial<Record<SagaStatus, number>>> {
    // Read together in one transaction: a fold between the parts could count a saga twice or not at all.
    let parts: { _id: string; n: number }[] = [];
    await this.inTransaction(async (session) => {
      const kept = await this.models.sagaCounts.find({}, null, { session }).lean<SagaCountDoc[]>();
      const [inFlight, recent] = await Promise.all([
        this.models.sagas.aggregate<{ _id: string; n: number }>(
          [{ $match: { status: { $nin: FINISHED } } }, { $group: { _id: '$status', n: { $sum: 1 } } }],
          { session },
        ),
        this.models.sagas.aggregate<{ _id: string; n: number }>(
          [
            { $match: { status: { $in: FINISHED }, updatedAt: { $gte: horizonOf(kept) } } },
            { $group: { _id: '$status', n: { $sum: 1 } } },
          ],
          { session },
        ),
      ]);
      parts = [...inFlight, ...recent, ...kept];
    });
    const counts: Partial<Record<SagaStatus, number>> = {};
    for (const { _id, n } of parts) counts[_id as SagaStatus] = (counts[_id as SagaStatus] ?? 0) + n;
    return Object.fromEntries(Object.entries(counts).filter(([, n]) => n > 0));
  }

  async foldFinishedCounts(settledBefore: Date): Promise<void> {
    await this.inTransaction(async (session) => {
      const kept = await this.models.sagaCounts.find({}, null, { session }).lean<SagaCountDoc[]>();
      const horizon = horizonOf(kept);
      if (horizon >= settledBefore) return;
      const settled = await this.models.sagas.aggregate<{ _id: string; n: number }>(
        [
          { $match: { status: { $in: FINISHED }, updatedAt: { $gte: horizon, $lt: settledBefore } } },
          { $group: { _id: '$status', n: { $sum: 1 } } },
        ],
        { session },
      );
      // Every status's document is written, so that two folds at once conflict and one of them goes again.
      await this.models.sagaCounts.bulkWrite(
        FINISHED.map((status) => ({
          updateOne: {
            filter: { _id: status },
            update: {
              $inc: { n: settled.find((s) => s._id === status)?.n ?? 0 },
              $set: { through: settledBefore },
            },
            upsert: true,
          },
        })),
        { session, ordered: true },
      );
    });
  }

  async removeFinishedSagas(finishedBefore: Date, limit: number): Promise<number> {
    const finished = { status: { $in: FINISHED }, updatedAt: { $lt: finishedBefore } };
    let removed = 0;
    await this.inTransaction(async (session) => {
      removed = 0;
      const ids = await this.models.sagas
        .find(finished, { _id: 1 }, { session })
        .sort({ updatedAt: 1 })
        .limit(limit)
        .lean<{ _id: string }[]>();
      if (ids.length === 0) return;
      const chosen = { ...finished, _id: { $in: ids.map((s) => s._id) } };
      const horizon = horizonOf(await this.models.sagaCounts.find({}, null, { session }).lean<SagaCountDoc[]>());
      // Deleted per status and side of the horizon, so that each count comes from what was deleted.
      const recent = await this.models.sagas.deleteMany(
        { ...chosen, updatedAt: { $lt: finishedBefore, $gte: horizon } },
        { session },
      );
      removed = recent.deletedCount;
      for (const status of FINISHED) {
        const counted = await this.models.sagas.deleteMany(
          { ...chosen, status, updatedAt: { $lt: finishedBefore < horizon ? finishedBefore : horizon } },
          { session },
        );
        removed += counted.deletedCount;
        if (counted.deletedCount > 0) {
          await this.models.sagaCounts.updateOne({ _id: status }, { $inc: { n: -counted.deletedCount } }, { session });
        }
      }
    });
    return removed;
  }

  /** Runs `work` in a transaction; the driver retries it on transient errors (write conflicts). */
  private async inTransaction(work: (session: mongoose.ClientSession) => Promise<void>): Promise<void> {
    const session = await this.connection.startSession();
    try {
      await session.withTransaction(() => work(session));
    } finally {
      await session.endSession();
    }
  }

  /**
   * Upserts the entries: one whose id is already in the outbox is queued again, since putting a message
   * in the outbox means "make sure it is published".
   */
  private async queue(outbox: OutboxEntry[], session: mongoose.ClientSession): Promise<void> {
    if (outbox.length === 0) return;
    await this.models.outbox.bulkWrite(
      outbox.map((entry, position) => ({
        updateOne: {
          filter: { _id: entry.messageId },
          update: {
            $set: {
              sagaId: entry.sagaId,
              exchange: entry.exchange,
              routingKey: entry.routingKey,
              priority: entry.priority,
              message: entry.message as unknown as Record<string, unknown>,
              createdAt: entry.createdAt,
              position,
              sentAt: null,
            },
          },
          upsert: true,
        },
      })),
      { session, ordered: true },
    );
  }
}

function isDuplicateKey(error: unknown, field: string): boolean {
  if (typeof error !== 'object' || error === null || (error as { code?: unknown }).code !== 11000) return false;
  const { keyPattern, message } = error as { keyPattern?: Record<string, unknown>; message?: string };
  return keyPattern ? field in keyPattern : (message ?? '').includes(field);
}

/** Equality filters plus "after the cursor's key", for a newest-first page. */
function pageQuery(
  cursor: string | undefined,
  filters: Record<string, string | undefined>,
): mongoose.QueryFilter<unknown> {
  const query: Record<string, unknown> = Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined));
  if (cursor !== undefined) {
    const key = decodeCursor(cursor);
    query.$or = [{ createdAt: { $lt: key.createdAt } }, { createdAt: key.createdAt, _id: { $lt: key.id } }];
  }
  return query;
}

function toOrderDoc(order: OrderRecord): OrderDoc {
  const { orderId, ...rest } = order;
  return { _id: orderId, ...rest };
}

function toSagaDoc(saga: SagaRecord): SagaDoc {
  const { sagaId, snapshot, ...rest } = saga;
  return { _id: sagaId, ...rest, snapshot: JSON.stringify(snapshot) };
}

function toOrder(doc: OrderDoc): OrderRecord {
  const order: Record<string, unknown> = {};
  for (const field of ORDER_FIELD_NAMES) {
    const value = field === 'orderId' ? doc._id : doc[field];
    const { nullable, default: fallback } = ORDER_FIELDS[field];
    order[field] = nullable ? (value ?? null) : (value ?? fallback);
  }
  return order as unknown as OrderRecord;
}

function toSagaSummary(doc: Omit<SagaDoc, 'snapshot' | 'timeline'>): SagaSummaryRecord {
  return {
    sagaId: doc._id,
    type: doc.type as SagaRecord['type'],
    definitionVersion: doc.definitionVersion,
    orderId: doc.orderId,
    priority: (doc.priority ?? 'standard') as SagaRecord['priority'],
    status: doc.status as SagaStatus,
    state: doc.state,
    version: doc.version,
    awaitingCommandId: doc.awaitingCommandId ?? null,
    deadlineAt: doc.deadlineAt ?? null,
    createdAt: doc.createdAt,
    updatedAt: doc.updatedAt,
  };
}

function toSaga(doc: SagaDoc): SagaRecord {
  return {
    ...toSagaSummary(doc),
    snapshot: JSON.parse(doc.snapshot) as unknown,
    timeline: doc.timeline.map(({ seq, at, kind, step, detail }) => ({
      seq,
      at,
      kind: kind as SagaRecord['timeline'][number]['kind'],
      step: step ?? null,
      detail: detail ?? {},
    })),
  };
}
