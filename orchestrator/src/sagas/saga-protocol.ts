import type {
  CommandType,
  FailureReason,
  OrderLine,
  OrderStatus,
  PayloadOf,
  PricedLine,
  SagaStatus,
  SagaType,
} from '@sagaflow/contracts';

/**
 * The contract between a saga machine and the engine. A machine decides; the engine does the I/O.
 *
 * - The engine sends `SagaEvent`s. A `REPLY` whose `commandId` is not the awaited one changes nothing.
 * - The machine emits `SagaCommandEmitted` (xstate `emit`) for every command to send; the engine
 *   drains them after each event into the outbox.
 * - Everything else the engine needs is read from the snapshot: `context.awaiting` (the step in
 *   flight, for deadlines and reply matching), `context.stalled`, `context.order` (what the order
 *   record should show), the `compensating` tag and, once done, the output.
 */
export type SagaEvent =
  | { type: 'REPLY'; commandId: string; reply: ReplyPayload }
  /** The awaited step's deadline passed: resend within budget, else stall. */
  | { type: 'TIMEOUT' }
  /** Operator: resend the awaited step of a stalled saga with a fresh budget. */
  | { type: 'RETRY' }
  /** Operator: give up on a stalled step and compensate what was done. */
  | { type: 'COMPENSATE' };

export type ReplyPayload =
  { outcome: 'success'; result: Record<string, unknown> } | { outcome: 'failure'; reason: FailureReason };

export interface SagaCommand<T extends CommandType = CommandType> {
  /** Stable for the step: a resend carries the same id, so participants apply it once. */
  commandId: string;
  type: T;
  payload: PayloadOf<T>;
}

export interface SagaCommandEmitted {
  type: 'command';
  command: SagaCommand;
  /** True when this is the same command sent again (timeout or operator retry). */
  resend: boolean;
}

export interface AwaitedStep {
  step: string;
  command: SagaCommand;
  /** How many times the command has been sent for this step. */
  attempts: number;
  /**
   * True in a step that undoes work (the state's `compensating` tag). Kept here as well because a
   * persisted snapshot carries no tags, and the saga's status must be readable from it.
   */
  compensating: boolean;
}

/** What the order record shows, as the saga sees it. */
export interface OrderView {
  status: OrderStatus;
  totalCents: number | null;
  lines: PricedLine[] | null;
  reason: string | null;
}

/** Fields every saga machine's context has; machines may add their own. */
export interface SagaContextBase {
  sagaId: string;
  orderId: string;
  maxAttempts: number;
  awaiting: AwaitedStep | null;
  stalled: boolean;
  order: OrderView;
}

export interface OrderSagaInput {
  sagaId: string;
  orderId: string;
  customerId: string;
  customerEmail: string;
  currency: string;
  items: OrderLine[];
  payment: { method: 'card'; token: string };
  maxAttempts: number;
}

export interface CancellationSagaInput {
  sagaId: string;
  orderId: string;
  customerEmail: string;
  currency: string;
  totalCents: number;
  /** The order's priced lines, for the refund notice; optional because the total is what matters. */
  lines?: PricedLine[] | null;
  maxAttempts: number;
}

/** The final outcome a machine's `output` gives. */
export interface SagaOutput {
  status: Extract<SagaStatus, 'COMPLETED' | 'CANCELLED'>;
}

export type { SagaType };
