import type {
  Message,
  OrderLine,
  OrderPriority,
  OrderStatus,
  PricedLine,
  SagaStatus,
  SagaType,
  TimelineEntry,
} from '@sagaflow/contracts';

export interface SagaRecord {
  sagaId: string;
  type: SagaType;
  /** The machine version the saga started on; it runs on that version until it ends. */
  definitionVersion: number;
  orderId: string;
  /** Its order's priority: how its commands are published (see `commandRouteOf`). */
  priority: OrderPriority;
  status: SagaStatus;
  /** The machine's state value, dotted (`charging`, `compensation.releasing`). */
  state: string;
  /** The machine's persisted snapshot (JSON). */
  snapshot: unknown;
  /** Incremented by every commit; a commit names the version it read. */
  version: number;
  /** The command the saga waits for a reply to, if any. */
  awaitingCommandId: string | null;
  /** When the awaited step times out; null when nothing is awaited or the saga is stalled. */
  deadlineAt: Date | null;
  timeline: TimelineEntry[];
  createdAt: Date;
  updatedAt: Date;
}

export type SagaSummaryRecord = Omit<SagaRecord, 'snapshot' | 'timeline'>;

export interface OrderRecord {
  orderId: string;
  /** The order saga. */
  sagaId: string;
  /** The saga acting on the order now (the order saga, or its cancellation saga). */
  activeSagaId: string;
  sagaStatus: SagaStatus;
  cancellationSagaId: string | null;
  status: OrderStatus;
  customerId: string;
  customerEmail: string;
  currency: string;
  priority: OrderPriority;
  items: OrderLine[];
  lines: PricedLine[] | null;
  totalCents: number | null;
  reason: string | null;
  idempotencyKey: string | null;
  /** Hash of the request body, to tell a replay of the same request from a reused key. */
  requestHash: string | null;
  createdAt: Date;
  updatedAt: Date;
}

/** A message waiting in the outbox; `messageId` is its key. */
export interface OutboxEntry {
  messageId: string;
  sagaId: string;
  exchange: string;
  routingKey: string;
  /** AMQP priority it is published with; 0 for none. Kept so that a message sent again keeps it. */
  priority: number;
  message: Message;
  createdAt: Date;
}

export type OrderPatch = Partial<
  Pick<OrderRecord, 'status' | 'sagaStatus' | 'activeSagaId' | 'lines' | 'totalCents' | 'reason'>
>;

/** One atomic write: the saga's new state, its new timeline entries, commands to send, the order's change. */
export interface SagaCommit {
  /** The saga as it is after the change; `saga.version` must be `expectedVersion + 1`. */
  saga: SagaRecord;
  expectedVersion: number;
  /** Entries appended to the timeline by this change (already in `saga.timeline`). */
  newEntries: TimelineEntry[];
  outbox: OutboxEntry[];
  /**
   * Applied only while this saga is the order's active saga: once a cancellation saga has taken the
   * order over, the order saga's late steps no longer change what the order shows.
   */
  orderPatch: OrderPatch | null;
}

export type CreateOrderResult = { created: true } | { created: false; existing: OrderRecord };

export type StartCancellationResult =
  | { started: true }
  | { started: false; reason: 'not_found' | 'not_confirmed' | 'already_cancelling'; order: OrderRecord | null };

export interface Page<T> {
  items: T[];
  /** Opaque cursor for the next page, null on the last. */
  next: string | null;
}

export interface ListOrdersFilter {
  status?: OrderStatus;
  customerId?: string;
  limit: number;
  cursor?: string;
}

export interface ListSagasFilter {
  status?: SagaStatus;
  type?: SagaType;
  limit: number;
  cursor?: string;
}

/**
 * Where the orchestrator keeps orders, sagas and the outbox. Every write that changes a saga is one
 * atomic, version-checked write together with its outbox entries and its order change.
 * Implemented for MongoDB (typegoose; needs a replica set for transactions) and PostgreSQL (JSONB).
 */
export interface SagaStore {
  /** Creates collections/tables and indexes; safe to call again. */
  init(): Promise<void>;
  close(): Promise<void>;
  /** Throws when the store does not answer. */
  ping(): Promise<void>;

  /**
   * Inserts a new order with its saga and first commands. When `order.idempotencyKey` is taken,
   * inserts nothing and returns the order that holds it (concurrent duplicates give one order).
   */
  createOrder(order: OrderRecord, saga: SagaRecord, outbox: OutboxEntry[]): Promise<CreateOrderResult>;

  /**
   * Starts a cancellation saga for a CONFIRMED order that has none yet: sets the order's
   * `cancellationSagaId`, `activeSagaId`, `sagaStatus` and inserts the saga and its outbox, atomically.
   * Refusals: `not_found`; `not_confirmed` when the order is not CONFIRMED (also once a cancellation has
   * cancelled it); `already_cancelling` when it is CONFIRMED and a cancellation saga is under way.
   * Throws a non-retryable `invalid_cancellation` error when `saga.orderId` is not `orderId`.
   */
  startCancellation(orderId: string, saga: SagaRecord, outbox: OutboxEntry[]): Promise<StartCancellationResult>;

  /**
   * Applies a commit if the saga is still at `expectedVersion`; false on a version conflict (then nothing
   * is written). An outbox entry whose `messageId` is already in the outbox is queued again (unsent).
   * Throws a non-retryable `invalid_commit` error when `saga.version` is not `expectedVersion + 1`.
   */
  commitSaga(commit: SagaCommit): Promise<boolean>;

  getSaga(sagaId: string): Promise<SagaRecord | null>;
  getOrder(orderId: string): Promise<OrderRecord | null>;
  getOrderByIdempotencyKey(key: string): Promise<OrderRecord | null>;
  /**
   * Newest first (createdAt, then id). `limit` is 1 to 1000; a bad limit or a cursor this store did not
   * make throws a non-retryable `invalid_limit` / `invalid_cursor` error.
   */
  listOrders(filter: ListOrdersFilter): Promise<Page<OrderRecord>>;
  /** Newest first (createdAt, then id); without snapshot and timeline. */
  listSagas(filter: ListSagasFilter): Promise<Page<SagaSummaryRecord>>;

  /** Sagas whose `deadlineAt` is at or before `now`, oldest deadline first. */
  findDue(now: Date, limit: number): Promise<SagaRecord[]>;

  /** Outbox entries not yet marked sent and created at or before `createdBefore`, oldest first. */
  unsentOutbox(createdBefore: Date, limit: number): Promise<OutboxEntry[]>;
  /** Removes entries that were sent (published and confirmed) from the outbox; unknown ids are ignored. */
  markSent(messageIds: string[]): Promise<void>;
  countUnsent(): Promise<number>;
  /**
   * How many sagas the store holds, by status (statuses with none are left out). Finished sagas are
   * counted from the totals `foldFinishedCounts` keeps plus those finished since, so that the answer
   * costs little however many finished sagas the store holds.
   */
  countSagasByStatus(): Promise<Partial<Record<SagaStatus, number>>>;

  /**
   * Adds the finished sagas (COMPLETED, CANCELLED) last changed before `settledBefore` to the kept totals
   * and moves the totals' horizon there; a horizon at or before the current one changes nothing. A saga
   * committed with an `updatedAt` before the horizon after the fold is missed, so callers fold well
   * behind now (minutes, more than clocks may differ). Safe to call from several processes at once.
   */
  foldFinishedCounts(settledBefore: Date): Promise<void>;

  /**
   * Deletes up to `limit` finished sagas (COMPLETED, CANCELLED) last changed before `finishedBefore`,
   * oldest first; never a saga in flight. Orders, the business record, stay as they are, and so does
   * the outbox (unsent entries are still published). Returns how many sagas went. Safe to call from
   * several processes at once: each saga is deleted once and counted out of the kept totals once.
   */
  removeFinishedSagas(finishedBefore: Date, limit: number): Promise<number>;
}
