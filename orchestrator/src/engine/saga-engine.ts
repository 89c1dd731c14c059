import { hash, randomUUID } from 'node:crypto';
import {
  DEFAULT_ORDER_PRIORITY,
  type CreateOrderRequest,
  type Message,
  type OrderPriority,
  type SagaType,
} from '@sagaflow/contracts';
import { newTraceparent, type Logger } from '@sagaflow/contracts/messaging';
import { definitionFor, latestVersion } from '../sagas/index.js';
import type { CancellationSagaInput, OrderSagaInput, ReplyPayload, SagaEvent } from '../sagas/saga-protocol.js';
import type { OrderRecord, SagaCommit, SagaRecord, SagaStore } from '../store/saga-store.js';
import { canonicalJson } from './canonical-json.js';
import { systemClock, type Clock } from './clock.js';
import { KeyedMutex } from './keyed-mutex.js';
import { RunningSaga } from './running-saga.js';
import { SagaCache } from './saga-cache.js';
import type { OutboxRelay } from './outbox-relay.js';
import type { SagaObserver } from './saga-observer.js';
import { annotateSaga, applyEvent, startSaga } from './saga-transition.js';

export interface SagaEngineOptions {
  store: SagaStore;
  relay: OutboxRelay;
  log: Logger;
  metrics: SagaObserver;
  clock?: Clock;
  stepTimeoutMs: number;
  maxAttempts: number;
  /** The version new sagas of a type start on, when not the latest (tests pin the version they test). */
  startVersions?: Partial<Record<SagaType, number>>;
  /** Sagas in flight kept in memory between their events; 0 reads every event's saga from the store. */
  cacheSize?: number;
}

export type DispatchResult =
  | { outcome: 'applied'; saga: SagaRecord }
  /** The saga does not accept the event now: a duplicate or stale reply, or a refused operator action. */
  | { outcome: 'unchanged'; saga: SagaRecord }
  | { outcome: 'not_found' };

export type PlaceOrderResult =
  | { outcome: 'created' | 'replayed'; order: OrderRecord }
  /** The idempotency key was used before for a different request. */
  | { outcome: 'key_reused'; order: OrderRecord };

export type CancelOrderResult =
  | { outcome: 'started' | 'already_cancelling'; order: OrderRecord }
  | { outcome: 'not_found' }
  | { outcome: 'not_confirmed'; order: OrderRecord };

const MAX_CONFLICT_RETRIES = 10;

/**
 * Runs sagas: every event is load → restore the machine → apply → one atomic, version-checked write of
 * state, timeline, outbox and order change → publish the outbox. A version conflict (another
 * orchestrator wrote first) is retried on fresh state; within one process, events of a saga queue up.
 */
export class SagaEngine {
  private readonly locks = new KeyedMutex();
  private readonly cache: SagaCache;
  private readonly clock: Clock;

  constructor(private readonly options: SagaEngineOptions) {
    this.clock = options.clock ?? systemClock;
    this.cache = new SagaCache(options.cacheSize ?? 10_000);
  }

  private get settings() {
    return { now: this.clock.now(), stepTimeoutMs: this.options.stepTimeoutMs };
  }

  /** `traceparent` is the caller's (the HTTP request's): the saga's trace continues it. */
  async placeOrder(
    request: CreateOrderRequest,
    idempotencyKey: string | null,
    traceparent?: string,
  ): Promise<PlaceOrderResult> {
    const { store } = this.options;
    // No read of the key first: the insert gives way to an order holding it and returns that order, so a
    // keyed order costs what an unkeyed one does, and only a replay pays for the read. Only a keyed order
    // is ever compared with another request, so an unkeyed one keeps no hash.
    const { priority = DEFAULT_ORDER_PRIORITY, ...rest } = request;
    // A standard request hashes without the field, as it did before priorities: a key used before them
    // still matches its replay, and naming `standard` is the same request as naming none.
    const hashed = priority === DEFAULT_ORDER_PRIORITY ? rest : request;
    const requestHash = idempotencyKey === null ? null : hash('sha256', canonicalJson(hashed));
    const orderId = `ord_${randomUUID()}`;
    const sagaId = `saga_${randomUUID()}`;
    const input: OrderSagaInput = {
      sagaId,
      orderId,
      customerId: request.customerId,
      customerEmail: request.customerEmail,
      currency: request.currency,
      items: request.items,
      payment: request.payment,
      maxAttempts: this.options.maxAttempts,
    };
    const commit = this.begin('order', sagaId, orderId, priority, input, traceparent);
    const now = commit.saga.createdAt;
    const order: OrderRecord = {
      orderId,
      sagaId,
      activeSagaId: sagaId,
      sagaStatus: commit.saga.status,
      cancellationSagaId: null,
      status: 'PENDING',
      customerId: request.customerId,
      customerEmail: request.customerEmail,
      currency: request.currency,
      priority,
      items: request.items,
      lines: null,
      totalCents: null,
      reason: null,
      idempotencyKey,
      requestHash,
      createdAt: now,
      updatedAt: now,
    };
    const result = await store.createOrder(order, commit.saga, commit.outbox);
    if (!result.created) {
      commit.machine.stop();
      const existing = result.existing;
      return { outcome: existing.requestHash === requestHash ? 'replayed' : 'key_reused', order: existing };
    }
    this.cache.set(commit.saga, commit.machine);
    this.committed(commit, null);
    return { outcome: 'created', order };
  }

  async cancelOrder(orderId: string, traceparent?: string): Promise<CancelOrderResult> {
    const { store } = this.options;
    const order = await store.getOrder(orderId);
    if (!order) return { outcome: 'not_found' };
    if (order.status !== 'CONFIRMED' || order.totalCents === null) return { outcome: 'not_confirmed', order };
    if (order.cancellationSagaId) return { outcome: 'already_cancelling', order };
    const sagaId = `saga_${randomUUID()}`;
    const input: CancellationSagaInput = {
      sagaId,
      orderId,
      customerEmail: order.customerEmail,
      currency: order.currency,
      totalCents: order.totalCents,
      lines: order.lines,
      maxAttempts: this.options.maxAttempts,
    };
    const commit = this.begin('cancellation', sagaId, orderId, order.priority, input, traceparent);
    const result = await store.startCancellation(orderId, commit.saga, commit.outbox);
    if (!result.started) {
      commit.machine.stop();
      if (result.reason === 'not_found' || !result.order) return { outcome: 'not_found' };
      if (result.reason === 'already_cancelling') return { outcome: 'already_cancelling', order: result.order };
      return { outcome: 'not_confirmed', order: result.order };
    }
    this.cache.set(commit.saga, commit.machine);
    this.committed(commit, null);
    return { outcome: 'started', order: (await store.getOrder(orderId)) ?? order };
  }

  /** A participant's reply: applied when it answers the awaited command, otherwise ignored. */
  async handleReply(message: Message): Promise<DispatchResult> {
    const reply = message.payload as ReplyPayload;
    return this.dispatch(message.sagaId!, { type: 'REPLY', commandId: message.commandId!, reply });
  }

  /** Fires the awaited step's deadline if it is still due (another orchestrator may have fired it). */
  async fireTimeout(sagaId: string): Promise<DispatchResult> {
    return this.dispatch(
      sagaId,
      { type: 'TIMEOUT' },
      (saga) => saga.deadlineAt !== null && saga.deadlineAt <= this.clock.now(),
    );
  }

  async operatorAction(sagaId: string, action: 'RETRY' | 'COMPENSATE'): Promise<DispatchResult> {
    return this.dispatch(sagaId, { type: action });
  }

  /** A new saga's first commit, and its machine, which the cache keeps once that commit is written. */
  private begin(
    type: SagaType,
    sagaId: string,
    orderId: string,
    priority: OrderPriority,
    input: unknown,
    traceparent?: string,
  ): SagaCommit & { machine: RunningSaga } {
    const definitionVersion = this.options.startVersions?.[type] ?? latestVersion(type);
    const machine = new RunningSaga(definitionFor(type, definitionVersion), { input });
    const commit = startSaga(
      machine,
      { sagaId, type, definitionVersion, orderId, priority },
      this.settings,
      traceparent ?? newTraceparent(),
    );
    return { ...commit, machine };
  }

  /**
   * Records an operator's action that is not an event of the machine (an edited dead letter) in the
   * timeline, on `step` when given, otherwise on the step the saga waits in.
   */
  async recordOperatorAction(
    sagaId: string,
    detail: Record<string, unknown>,
    step?: string | null,
  ): Promise<DispatchResult> {
    return this.transact(sagaId, (saga, machine) => {
      const commit = annotateSaga(saga, detail, this.settings, step ?? undefined);
      // The machine's state does not change: the one running at this version serves the next.
      return { commit, machine };
    });
  }

  private dispatch(
    sagaId: string,
    event: SagaEvent,
    applies: (saga: SagaRecord) => boolean = () => true,
  ): Promise<DispatchResult> {
    return this.transact(sagaId, (saga, running) => {
      if (!applies(saga)) return null;
      const machine =
        running ?? new RunningSaga(definitionFor(saga.type, saga.definitionVersion), { snapshot: saga.snapshot });
      const commit = applyEvent(machine, saga, event, this.settings);
      if (commit) return { commit, machine };
      // Refused: a machine of the cache stays as it was; a fresh one is not needed any more.
      if (!running) machine.stop();
      return null;
    });
  }

  /**
   * Commits what `change` makes of the saga, version-checked, retrying on fresh state after a conflict.
   * `change` gets the saga's running machine when the cache has it at that version, and hands back the
   * machine to keep with the commit.
   */
  private transact(
    sagaId: string,
    change: (saga: SagaRecord, machine?: RunningSaga) => { commit: SagaCommit; machine?: RunningSaga } | null,
  ): Promise<DispatchResult> {
    return this.locks.run(sagaId, async () => {
      let fresh = false;
      for (let attempt = 1; ; attempt++) {
        const cached = fresh ? undefined : this.cache.get(sagaId);
        const saga = cached?.saga ?? (await this.options.store.getSaga(sagaId));
        fresh = true;
        if (!saga) return { outcome: 'not_found' };
        let changed: ReturnType<typeof change>;
        try {
          changed = change(saga, cached?.machine);
        } catch (error) {
          this.cache.delete(sagaId); // its machine may be half-way through the failed step
          throw error;
        }
        if (!changed) {
          // A cached saga may be behind another orchestrator's write: judge refusals on fresh state.
          if (cached) continue;
          return { outcome: 'unchanged', saga };
        }
        const { commit, machine } = changed;
        let written: boolean;
        try {
          written = await this.options.store.commitSaga(commit);
        } catch (error) {
          if (machine !== cached?.machine) machine?.stop();
          this.cache.delete(sagaId);
          throw error;
        }
        if (written) {
          this.cache.set(commit.saga, machine);
          this.committed(commit, saga);
          return { outcome: 'applied', saga: commit.saga };
        }
        // The machine ran ahead of what the store holds: it goes, and the next attempt restores one.
        if (machine !== cached?.machine) machine?.stop();
        this.cache.delete(sagaId);
        if (attempt >= MAX_CONFLICT_RETRIES) throw new Error(`saga ${sagaId}: ${attempt} version conflicts in a row`);
        this.options.log.debug('version conflict; retrying on fresh state', { sagaId, attempt });
      }
    });
  }

  /** After a commit: publish its outbox (not awaited by the caller's write path) and count. */
  private committed(commit: SagaCommit, previous: SagaRecord | null): void {
    const { saga } = commit;
    this.options.metrics.observeCommit(commit, previous);
    this.options.log.debug('saga changed', {
      sagaId: saga.sagaId,
      orderId: saga.orderId,
      status: saga.status,
      state: saga.state,
      commandIds: commit.outbox.flatMap((e) => (e.message.commandId ? [e.message.commandId] : [])),
    });
    void this.options.relay.publish(commit.outbox);
  }
}
