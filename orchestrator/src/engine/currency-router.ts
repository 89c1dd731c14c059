import {
  MESSAGES,
  paymentQueueOf,
  paymentRouteFor,
  SagaflowError,
  type CommandType,
  type Message,
} from '@sagaflow/contracts';
import type { CommandRouter } from './outbox-relay.js';

export interface CurrencyRouterOptions {
  /** Whether the broker holds a queue of this name (`MessageBus.queueExists`). */
  queueExists: (queue: string) => Promise<boolean>;
  /** How long a queue seen on the broker is taken to be there. */
  presentForMs?: number;
  /**
   * How long a queue found missing is taken to be missing: a worker started for a currency takes its
   * commands within this time.
   */
  absentForMs?: number;
  now?: () => number;
}

export const CURRENCY_QUEUE_PRESENT_MS = 60_000;
export const CURRENCY_QUEUE_ABSENT_MS = 2_000;

/** The error of a payment command or an order in a currency that no payment worker takes. */
export const CURRENCY_NOT_SERVED = 'currency_not_served';

/**
 * Routes payment commands by currency (DESIGN §2): to `payment.<action>.<cur>` when the currency has a
 * queue of its own on the broker, else to `payment.<action>` when a default worker's `payment.commands`
 * exists, else nowhere (`currency_not_served`). Only payment workers declare these queues, so a queue's
 * existence means a worker for it has started on this broker (its commands wait there while it
 * restarts). What the broker holds is learnt by passive checks and kept a while: a queue seen for
 * `presentForMs`, a missing one for `absentForMs`; `unroutable` drops what was learnt of a currency when a
 * publish came back unroutable.
 */
export class CurrencyRouter implements CommandRouter {
  private readonly known = new Map<string, { exists: boolean; until: number }>();
  private readonly checking = new Map<string, Promise<boolean>>();
  private readonly presentForMs: number;
  private readonly absentForMs: number;
  private readonly now: () => number;

  constructor(private readonly options: CurrencyRouterOptions) {
    this.presentForMs = options.presentForMs ?? CURRENCY_QUEUE_PRESENT_MS;
    this.absentForMs = options.absentForMs ?? CURRENCY_QUEUE_ABSENT_MS;
    this.now = options.now ?? Date.now;
  }

  /** Whether some payment worker takes `currency`: one of its own, or a default one. */
  async serves(currency: string): Promise<boolean> {
    return (await this.routingKeyOf('payment.charge', currency)) !== null;
  }

  /** The routing key of a payment command in `currency`; null when no worker takes it. */
  async routingKeyOf(type: CommandType, currency: string): Promise<string | null> {
    const own = await this.exists(paymentQueueOf(currency));
    const fallback = own || (await this.exists(paymentQueueOf()));
    return paymentRouteFor(type, currency, { own, fallback });
  }

  /**
   * The routing key of any command: a payment command's by its currency, any other's as it is given.
   * Fails with `currency_not_served` for a payment command that no worker takes.
   */
  async routeCommand(message: Message, routingKey: string): Promise<string> {
    const currency = paymentCurrencyOf(message);
    if (currency === null) return routingKey;
    const key = await this.routingKeyOf(message.type as CommandType, currency);
    if (key === null) {
      throw new SagaflowError(CURRENCY_NOT_SERVED, `no payment worker takes ${currency}`);
    }
    return key;
  }

  /** Forgets what was learnt of the queues a command could go to: the broker could route it to none. */
  unroutable(message: Message): void {
    const currency = paymentCurrencyOf(message);
    if (currency !== null) this.known.delete(paymentQueueOf(currency));
    this.known.delete(paymentQueueOf());
  }

  private exists(queue: string): Promise<boolean> {
    const known = this.known.get(queue);
    if (known && known.until > this.now()) return Promise.resolve(known.exists);
    let check = this.checking.get(queue);
    if (!check) {
      check = this.options
        .queueExists(queue)
        .then(
          (exists) => {
            this.known.set(queue, { exists, until: this.now() + (exists ? this.presentForMs : this.absentForMs) });
            return exists;
          },
          (error: unknown) => {
            // While the broker cannot be asked (a reconnect), what it said last is the best answer there is.
            if (known) return known.exists;
            throw error;
          },
        )
        .finally(() => this.checking.delete(queue));
      this.checking.set(queue, check);
    }
    return check;
  }
}

/** The currency of a payment command (charges and refunds carry one); null for any other message. */
export function paymentCurrencyOf(message: Message): string | null {
  if (MESSAGES[message.type].kind !== 'command' || !message.type.startsWith('payment.')) return null;
  const currency = (message.payload as { currency?: unknown }).currency;
  return typeof currency === 'string' ? currency : null;
}
