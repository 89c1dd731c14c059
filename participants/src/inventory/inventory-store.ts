import type { PricedLine, Product, PutProductRequest, ReleaseInventory, ReserveInventory } from '@sagaflow/contracts';
import type { Closeable, Execution, InboxKey, InboxReader, ReplyOf } from '../kit/inbox.js';
import type { PageRequest, RecordPage } from '../kit/record-page.js';

export type ReservationState = 'reserved' | 'committed' | 'released';

/** What one order holds: `reserved` stock, stock `committed` to a completed order, or `released` back. */
export interface Reservation {
  orderId: string;
  state: ReservationState;
  lines: PricedLine[];
  totalCents: number;
  createdAt: Date;
  updatedAt: Date;
}

/** A product whose `available` a reserve lowered, as it stands after the reserve. */
export interface StockChange {
  sku: string;
  quantity: number;
  available: number;
}

export type ReserveExecution = Execution<ReplyOf<'inventory.reserve'>> & { changes: StockChange[] };

/** A reserve or a release, as `InventoryStore.reserve` and `release` take it, to run in a batch. */
export type InventoryCommand =
  | { kind: 'reserve'; key: InboxKey; command: ReserveInventory }
  | { kind: 'release'; key: InboxKey; command: ReleaseInventory };

export type InventoryExecution = ReserveExecution | Execution<ReplyOf<'inventory.release'>>;

export type ProductSeed = Omit<Product, 'reserved'>;

export interface InventoryStore extends InboxReader, Closeable {
  /** Inserts the products that do not exist yet, never touching those that do; returns how many it added. */
  seed(products: readonly ProductSeed[]): Promise<number>;
  listProducts(): Promise<Product[]>;
  getProduct(sku: string): Promise<Product | null>;
  /** Updates a product, or creates it when the change names it and prices it; null when it can't be created. */
  putProduct(sku: string, change: PutProductRequest): Promise<{ product: Product; created: boolean } | null>;
  /** All lines or none, atomically; the order's reservation and the reply commit with the stock change. */
  reserve(key: InboxKey, command: ReserveInventory): Promise<ReserveExecution>;
  /** Gives back exactly what the order holds, once. */
  release(key: InboxKey, command: ReleaseInventory): Promise<Execution<ReplyOf<'inventory.release'>>>;
  /**
   * Present where the store can: runs many commands as `reserve` and `release` would one after the
   * other (in the caller's group transaction, if any), with a fixed number of statements for them all.
   */
  runBatch?(commands: InventoryCommand[]): Promise<InventoryExecution[]>;
  /** Turns a completed order's reservation into a sale; true when it changed something. */
  commit(orderId: string): Promise<boolean>;
  getReservation(orderId: string): Promise<Reservation | null>;
  /** Every order's reservation (released ones too), a page at a time in order id order. */
  listReservations(page: PageRequest): Promise<RecordPage<Reservation>>;
}
