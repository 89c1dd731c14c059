import { createActor, type AnyStateMachine, type SimulatedClock } from 'xstate';
import type { FailureCode, ReservationResult } from '@sagaflow/contracts';
import type {
  OrderSagaInput,
  ReplyPayload,
  SagaCommandEmitted,
  SagaContextBase,
  SagaEvent,
} from '../../src/sagas/saga-protocol.js';

/**
 * Runs a saga the way the engine does: every event restores a fresh actor from the persisted
 * snapshot after a JSON round trip, collects the commands it emits, and persists again.
 */
export class SagaDriver {
  /** Every command emitted so far, in order. */
  readonly emitted: SagaCommandEmitted[] = [];

  private constructor(
    private readonly machine: AnyStateMachine,
    private stored: string,
    private readonly clock?: SimulatedClock,
  ) {}

  static start(machine: AnyStateMachine, input: unknown, clock?: SimulatedClock): SagaDriver {
    const driver = new SagaDriver(machine, '', clock);
    driver.run({ input });
    return driver;
  }

  /** Picks up a stored saga, possibly with another registry's machine (as after a deploy). */
  static restore(machine: AnyStateMachine, persisted: unknown, clock?: SimulatedClock): SagaDriver {
    return new SagaDriver(machine, JSON.stringify(persisted), clock);
  }

  /** Sends one event; returns the commands it emitted. */
  send(event: SagaEvent): SagaCommandEmitted[] {
    return this.run({ snapshot: JSON.parse(this.stored) }, event);
  }

  /** The persisted snapshot, as the store holds it. */
  get persisted(): PersistedSaga {
    return JSON.parse(this.stored) as PersistedSaga;
  }

  get context(): SagaContextBase {
    return this.persisted.context;
  }

  /** A live snapshot restored from the store, for `can`, `hasTag` and `matches`. */
  live() {
    const actor = createActor(this.machine, { snapshot: JSON.parse(this.stored), clock: this.clock });
    actor.start();
    const snapshot = actor.getSnapshot();
    actor.stop();
    return snapshot;
  }

  can(event: SagaEvent): boolean {
    return this.live().can(event);
  }

  /** A reply to the command the saga awaits. */
  reply(reply: ReplyPayload): SagaCommandEmitted[] {
    const awaiting = this.context.awaiting;
    if (!awaiting) throw new Error(`saga awaits nothing (state ${JSON.stringify(this.persisted.value)})`);
    return this.send({ type: 'REPLY', commandId: awaiting.command.commandId, reply });
  }

  private run(options: { input?: unknown; snapshot?: unknown }, event?: SagaEvent): SagaCommandEmitted[] {
    const actor = createActor(this.machine, { ...options, clock: this.clock } as never);
    const emitted: SagaCommandEmitted[] = [];
    let failure: unknown;
    actor.on('command', (e) => emitted.push(e as unknown as SagaCommandEmitted));
    actor.subscribe({ error: (error) => (failure = error) });
    actor.start();
    if (event) actor.send(event);
    const persisted = actor.getPersistedSnapshot();
    actor.stop();
    if (failure !== undefined) throw failure;
    this.stored = JSON.stringify(persisted);
    this.emitted.push(...emitted);
    return emitted;
  }
}

export interface PersistedSaga {
  status: string;
  value: unknown;
  context: SagaContextBase;
  output?: unknown;
}

/** An order of two lines, as the machine tests and the restore-cost measurement start it. */
export const orderInput = (maxAttempts = 3): OrderSagaInput => ({
  sagaId: 'saga-1',
  orderId: 'order-1',
  customerId: 'cust-1',
  customerEmail: 'ada@example.com',
  currency: 'EUR',
  items: [
    { sku: 'SKU-1', quantity: 2 },
    { sku: 'SKU-2', quantity: 1 },
  ],
  payment: { method: 'card', token: 'tok_visa' },
  maxAttempts,
});

export const success = (result: Record<string, unknown> = {}): ReplyPayload => ({ outcome: 'success', result });

export const failure = (code: FailureCode, message = ''): ReplyPayload => ({
  outcome: 'failure',
  reason: { code, message },
});

export const reservation: ReservationResult = {
  lines: [
    { sku: 'SKU-1', name: 'Widget', quantity: 2, unitPriceCents: 500, lineTotalCents: 1000 },
    { sku: 'SKU-2', name: 'Gadget', quantity: 1, unitPriceCents: 2500, lineTotalCents: 2500 },
  ],
  totalCents: 3500,
};

export const charge = { paymentId: 'pay-1', amountCents: 3500, currency: 'EUR' };
export const released = { released: [{ sku: 'SKU-1', quantity: 2 }] };
export const refunded = { paymentId: 'ref-1', amountCents: 3500 };
export const notified = { notificationId: 'note-1' };

/** The command types in the order they were emitted. */
export const typesOf = (emitted: SagaCommandEmitted[]): string[] => emitted.map((e) => e.command.type);
