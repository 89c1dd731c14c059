import { index, modelOptions, prop, Severity, type ReturnModelType } from '@typegoose/typegoose';
import mongoose, { type ClientSession } from 'mongoose';
import type { PricedLine, Product, PutProductRequest, ReleaseInventory, ReserveInventory } from '@sagaflow/contracts';
import { failure, RejectCommand, type InboxKey, type StoredReply } from '../kit/inbox.js';
import { MongoDatabase, runOnceMongo } from '../kit/mongo-database.js';
import { pageOf, type PageRequest } from '../kit/record-page.js';
import type {
  InventoryStore,
  ProductSeed,
  Reservation,
  ReservationState,
  ReserveExecution,
  StockChange,
} from './inventory-store.js';
import {
  decideCommit,
  decideRelease,
  decideReserve,
  quantitiesBySku,
  type InventoryWrite,
} from './reservation-rules.js';

const SERVICE = 'inventory';

@modelOptions({ schemaOptions: { collection: 'inventory_products', versionKey: false } })
@index({ sku: 1 }, { unique: true })
class ProductDoc {
  @prop({ type: () => String, required: true })
  sku!: string;

  @prop({ type: () => String, required: true })
  name!: string;

  @prop({ type: () => Number, required: true, min: 0 })
  priceCents!: number;

  @prop({ type: () => Number, required: true, min: 0 })
  available!: number;

  @prop({ type: () => Number, required: true, min: 0, default: 0 })
  reserved!: number;
}

@modelOptions({
  schemaOptions: { collection: 'inventory_reservations', versionKey: false },
  options: { allowMixed: Severity.ALLOW },
})
@index({ orderId: 1 }, { unique: true })
class ReservationDoc {
  @prop({ type: () => String, required: true })
  orderId!: string;

  @prop({ type: () => String, required: true, enum: ['reserved', 'committed', 'released'] })
  state!: Reservation['state'];

  @prop({ type: () => [mongoose.Schema.Types.Mixed], required: true })
  lines!: PricedLine[];

  @prop({ type: () => Number, required: true })
  totalCents!: number;

  @prop({ type: () => Date, required: true })
  createdAt!: Date;

  @prop({ type: () => Date, required: true })
  updatedAt!: Date;
}

const toProduct = (d: ProductDoc): Product => ({
  sku: d.sku,
  name: d.name,
  priceCents: d.priceCents,
  available: d.available,
  reserved: d.reserved,
});

const toReservation = (d: ReservationDoc): Reservation => ({
  orderId: d.orderId,
  state: d.state,
  lines: d.lines,
  totalCents: d.totalCents,
  createdAt: d.createdAt,
  updatedAt: d.updatedAt,
});

/**
 * Inventory on MongoDB. Every command is one transaction; stock moves with conditional `$inc`s, so a
 * concurrent change shows up as a write conflict that `withTransaction` retries, never as an oversell.
 */
export class MongoInventoryStore implements InventoryStore {
  private readonly products: ReturnModelType<typeof ProductDoc>;
  private readonly reservations: ReturnModelType<typeof ReservationDoc>;

  private constructor(private readonly db: MongoDatabase) {
    this.products = db.model(ProductDoc, 'InventoryProduct');
    this.reservations = db.model(ReservationDoc, 'InventoryReservation');
  }

  static open(url: string): Promise<MongoInventoryStore> {
    return MongoDatabase.openStore(url, (db) => new MongoInventoryStore(db));
  }

  findReply(commandId: string): Promise<StoredReply | null> {
    return this.db.findReply(SERVICE, commandId);
  }

  async seed(products: readonly ProductSeed[]): Promise<number> {
    let added = 0;
    for (const p of products) {
      const result = await this.products.updateOne(
        { sku: p.sku },
        { $setOnInsert: { ...p, reserved: 0 } },
        { upsert: true },
      );
      added += result.upsertedCount;
    }
    return added;
  }

  async listProducts(): Promise<Product[]> {
    return (await this.products.find().sort({ sku: 1 }).lean()).map(toProduct);
  }

  async getProduct(sku: string): Promise<Product | null> {
    const doc = await this.products.findOne({ sku }).lean();
    return doc ? toProduct(doc) : null;
  }

  async putProduct(sku: string, change: PutProductRequest): Promise<{ product: Product; created: boolean } | null> {
    const set = Object.fromEntries(Object.entries(change).filter(([, v]) => v !== undefined));
    const updated = await this.products.findOneAndUpdate({ sku }, { $set: set }, { returnDocument: 'after' }).lean();
    if (updated) return { product: toProduct(updated), created: false };
    if (change.name === undefined || change.priceCents === undefined) return null;
    try {
      const created = await this.products.create({
        sku,
        name: change.name,
        priceCents: change.priceCents,
        available: change.available ?? 0,
        reserved: 0,
      });
      return { product: toProduct(created.toObject()), created: true };
    } catch (error) {
      if ((error as { code?: number }).code !== 11000) throw error;
      const raced = await this.products.findOneAndUpdate({ sku }, { $set: set }, { returnDocument: 'after' }).lean();
      return { product: toProduct(raced!), created: false };
    }
  }

  async reserve(key: InboxKey, command: ReserveInventory): Promise<ReserveExecution> {
    let changes: StockChange[] = [];
    const execution = await runOnceMongo(this.db, SERVICE, key, async (session) => {
      const existing = await this.reservationOf(session, command.orderId);
      const skus = [...quantitiesBySku(command.items).keys()];
      const docs = await this.products
        .find({ sku: { $in: skus } })
        .session(session)
        .lean();
      const { write, ...decided } = decideReserve(existing, new Map(docs.map((d) => [d.sku, toProduct(d)])), command);
      changes = write?.stock ?? [];
      if (write) await this.persist(session, command.orderId, write);
      return decided;
    });
    return { ...execution, changes: execution.duplicate ? [] : changes };
  }

  release(key: InboxKey, command: ReleaseInventory) {
    return runOnceMongo(this.db, SERVICE, key, async (session) => {
      const { write, ...execution } = decideRelease(await this.reservationOf(session, command.orderId));
      if (write) await this.persist(session, command.orderId, write);
      return execution;
    });
  }

  async commit(orderId: string): Promise<boolean> {
    return this.db.transaction(async (session) => {
      const write = decideCommit(await this.reservationOf(session, orderId));
      if (write) await this.persist(session, orderId, write);
      return write !== null;
    });
  }

  private async reservationOf(session: ClientSession, orderId: string): Promise<Reservation | null> {
    const doc = await this.reservations.findOne({ orderId }).session(session).lean();
    return doc ? toReservation(doc) : null;
  }

  async listReservations({ after, limit }: PageRequest) {
    const docs = await this.reservations
      .find(after === null ? {} : { orderId: { $gt: after } })
      .sort({ orderId: 1 })
      .limit(limit + 1)
      .lean();
    return pageOf(docs.map(toReservation), limit, (r) => r.orderId);
  }

  /**
   * Persists what a decision says, in the command's transaction. Stock moves with conditional `$inc`s and
   * the reservation from the state it was read in, so a concurrent change is a write conflict that the
   * transaction retries, never an oversell.
   */
  private async persist(session: ClientSession, orderId: string, write: InventoryWrite): Promise<void> {
    const now = new Date();
    const createReservation = (state: ReservationState, lines: PricedLine[], totalCents: number) =>
      this.reservations.create([{ orderId, state, lines, totalCents, createdAt: now, updatedAt: now }], { session });
    switch (write.kind) {
      case 'reserve':
        for (const { sku, quantity } of write.stock) {
          const taken = await this.products.updateOne(
            { sku, available: { $gte: quantity } },
            { $inc: { available: -quantity, reserved: quantity } },
            { session },
          );
          if (taken.modifiedCount !== 1)
            throw new RejectCommand(failure('out_of_stock', `not enough '${sku}' in stock`));
        }
        await createReservation('reserved', write.lines, write.totalCents);
        return;
      case 'release':
        for (const { sku, quantity } of write.stock) {
          const reserved = write.fromReserved ? -quantity : 0;
          await this.products.updateOne({ sku }, { $inc: { available: quantity, reserved } }, { session });
        }
        return this.markState(session, orderId, write.from, 'released');
      case 'tombstone':
        await createReservation('released', [], 0);
        return;
      case 'commit':
        for (const { sku, quantity } of write.stock) {
          await this.products.updateOne({ sku }, { $inc: { reserved: -quantity } }, { session });
        }
        return this.markState(session, orderId, 'reserved', 'committed');
    }
  }

  /** Moves a reservation from the state it was read in; a concurrent move makes the transaction retry. */
  private async markState(
    session: ClientSession,
    orderId: string,
    from: Reservation['state'],
    to: Reservation['state'],
  ): Promise<void> {
    const result = await this.reservations.updateOne(
      { orderId, state: from },
      { $set: { state: to, updatedAt: new Date() } },
      { session },
    );
    if (result.modifiedCount !== 1) throw new Error(`reservation of '${orderId}' changed concurrently`);
  }

  async getReservation(orderId: string): Promise<Reservation | null> {
    const doc = await this.reservations.findOne({ orderId }).lean();
    return doc ? toReservation(doc) : null;
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
