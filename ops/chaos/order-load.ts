import { randomUUID } from 'node:crypto';
import { call, callWithRetries, reasonOf, type Answer } from './chaos-http.js';

/** What the client meant an order to do, from its place in the mix. */
export type Intent = 'happy' | 'decline' | 'cancel-after-confirm';

/** The products of a run and the stock each started with. */
export interface Catalogue {
  skus: string[];
  initial: Record<string, number>;
}

/** One order the client placed, and what became of the request. */
export interface PlacedOrder {
  index: number;
  intent: Intent;
  items: { sku: string; quantity: number }[];
  /** Set when the POST was answered 202. */
  orderId?: string;
  sagaId?: string;
  /** Why it was not accepted (the last attempt's answer). */
  rejected?: string;
  /** Accepted only when sent again after the fault was healed (it had been left unanswered). */
  acceptedOnResend?: boolean;
  /** A cancellation was sent (it may or may not have been answered). */
  cancelSent?: boolean;
  /** The cancellation saga, when `POST /orders/:id/cancel` answered 202. */
  cancellationSagaId?: string;
  /** Why a cancellation was not accepted, when it was not. */
  cancelRefused?: string;
  /** A cancel-after-confirm order is settled only once this is set: cancelled, or found not to need it. */
  cancelFinished?: boolean;
}

/** How long a request is sent again while unanswered or answered 5xx before the client gives up. */
const RETRY_FOR_MS = 30_000;

/** Of ten orders, one is declined and one is cancelled once confirmed; the rest should go through. */
export function intentOf(index: number): Intent {
  if (index % 10 === 7) return 'decline';
  if (index % 10 === 8) return 'cancel-after-confirm';
  return 'happy';
}

/**
 * Five products with stock for about four fifths of what the orders ask, so that the last orders also
 * meet stock running out (and cancellations put some back).
 */
export async function seedCatalogue(inventoryUrl: string, orders: number): Promise<Catalogue> {
  const run = randomUUID().slice(0, 6).toUpperCase();
  const skus = Array.from({ length: 5 }, (_, i) => `CHAOS-${run}-${i}`);
  const initial: Record<string, number> = {};
  for (const sku of skus) {
    const available = Math.max(1, Math.floor((orders * 1.5 * 0.8) / skus.length));
    const answer = await call('PUT', `${inventoryUrl}/products/${sku}`, {
      name: `Chaos item ${sku}`,
      priceCents: 700,
      available,
    });
    if (answer.status !== 201 && answer.status !== 200) {
      throw new Error(`seeding ${sku}: ${answer.status} ${JSON.stringify(answer.body)}`);
    }
    initial[sku] = available;
  }
  return { skus, initial };
}

export interface LoadOptions {
  orchestratorUrls: () => string[];
  catalogue: Catalogue;
  orders: number;
  rate: number;
  /** Cancellations are sent until then (the run's drain deadline). */
  cancelDeadline: () => number;
}

/** Tallies of the requests themselves: what was retried and why. */
export class RequestTally {
  readonly retries = new Map<string, number>();

  count(reason: string): void {
    this.retries.set(reason, (this.retries.get(reason) ?? 0) + 1);
  }
}

/** Whether a final answer says nothing about the order: none came, or a 5xx (it may or may not have been saved). */
const unanswered = (outcome: Answer | Error): boolean => outcome instanceof Error || outcome.status >= 500;

/**
 * Places `orders` orders at a steady `rate` whatever the answers (an open loop: a slow or failing
 * system gets no breather), each under its own idempotency key and sent again while unanswered or
 * answered 5xx (for up to 30 s); round-robin over the orchestrators. `sent` resolves once every POST has its final
 * answer. An order still unanswered then may have been saved all the same (a 503 from a store that
 * committed and went away), so `resendUnanswered` (after the fault is healed) sends each once more under
 * its key: the store either replays the saved order or places it now, and the client knows every order
 * it has. `cancellations` resolves once every cancel-after-confirm order was cancelled or found not to need it.
 */
export function placeOrdersSteadily(options: LoadOptions, tally: RequestTally) {
  const { catalogue, orders, rate } = options;
  const run = randomUUID();
  const placed: PlacedOrder[] = [];
  const unansweredOrders: PlacedOrder[] = [];
  const cancels: Promise<void>[] = [];
  const started = performance.now();
  const sends: Promise<void>[] = [];
  const urlFor = (n: number) => {
    const urls = options.orchestratorUrls();
    return urls[n % urls.length]!;
  };
  const orderOf = (index: number): PlacedOrder => {
    const intent = intentOf(index);
    const order: PlacedOrder = {
      index,
      intent,
      items: [{ sku: catalogue.skus[index % catalogue.skus.length]!, quantity: 1 + (index % 2) }],
    };
    placed.push(order);
    return order;
  };
  const post = (order: PlacedOrder, attempt: number) =>
    call(
      'POST',
      `${urlFor(order.index + attempt)}/orders`,
      {
        customerId: `chaos-${order.index}`,
        customerEmail: 'chaos@example.com',
        currency: 'EUR',
        items: order.items,
        payment: { method: 'card', token: order.intent === 'decline' ? 'tok_decline' : 'tok_visa' },
      },
      { 'idempotency-key': `${run}-${order.index}` },
    );
  const settle = (order: PlacedOrder, outcome: Answer | Error) => {
    if (outcome instanceof Error || outcome.status !== 202) {
      order.rejected = reasonOf(outcome);
      if (unanswered(outcome)) unansweredOrders.push(order);
      return;
    }
    const accepted = outcome.body as { orderId: string; sagaId: string };
    order.rejected = undefined;
    order.orderId = accepted.orderId;
    order.sagaId = accepted.sagaId;
    if (order.intent === 'cancel-after-confirm') cancels.push(cancelOnceConfirmed(order, urlFor, options, tally));
  };
  const sendOne = async (index: number) => {
    const order = orderOf(index);
    let attempt = 0;
    const outcome = await callWithRetries(() => post(order, attempt++), {
      forMs: RETRY_FOR_MS,
      onRetry: (reason) => tally.count(`POST /orders ${reason}`),
    });
    settle(order, outcome);
  };
  let extra = orders;
  const load = (async () => {
    for (let i = 0; i < orders; i++) {
      const due = started + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      sends.push(sendOne(i));
    }
    await Promise.all(sends);
  })();
  return {
    placed,
    sent: load,
    /** One more order of the mix, sent once; its outcome is settled as any other's. */
    async placeOne(): Promise<Answer | Error> {
      const order = orderOf(extra++);
      const outcome = await post(order, 0).catch((error: Error) => error);
      settle(order, outcome);
      return outcome;
    },
    /** Sends every order left unanswered once more under its key; resolves with how many were accepted so. */
    async resendUnanswered(): Promise<number> {
      const again = unansweredOrders.splice(0);
      await Promise.all(
        again.map(async (order) => {
          let attempt = 0;
          const outcome = await callWithRetries(() => post(order, attempt++), {
            forMs: RETRY_FOR_MS,
            onRetry: (reason) => tally.count(`POST /orders resent ${reason}`),
          });
          if (!(outcome instanceof Error) && outcome.status === 202) order.acceptedOnResend = true;
          settle(order, outcome);
        }),
      );
      return again.filter((order) => order.acceptedOnResend).length;
    },
    /** Resolves once every cancellation begun so far is over. */
    cancellations: () => Promise.all(cancels).then(() => undefined),
  };
}

/** Waits until the order is confirmed, then cancels it; an order that ended cancelled needs nothing. */
async function cancelOnceConfirmed(
  order: PlacedOrder,
  urlFor: (n: number) => string,
  options: LoadOptions,
  tally: RequestTally,
): Promise<void> {
  try {
    await cancelWhenConfirmed(order, urlFor, options, tally);
  } finally {
    order.cancelFinished = true;
  }
}

async function cancelWhenConfirmed(
  order: PlacedOrder,
  urlFor: (n: number) => string,
  options: LoadOptions,
  tally: RequestTally,
): Promise<void> {
  for (let poll = 0; performance.now() < options.cancelDeadline(); poll++) {
    const answer = await call('GET', `${urlFor(order.index + poll)}/orders/${order.orderId}`).catch(() => null);
    const status = (answer?.body as { status?: string } | undefined)?.status;
    if (answer?.status === 200 && status === 'CANCELLED') return;
    if (answer?.status === 200 && status === 'CONFIRMED') {
      order.cancelSent = true;
      let attempt = 0;
      const outcome: Answer | Error = await callWithRetries(
        () => call('POST', `${urlFor(order.index + attempt++)}/orders/${order.orderId}/cancel`),
        { forMs: RETRY_FOR_MS, onRetry: (reason) => tally.count(`POST /orders/:id/cancel ${reason}`) },
      );
      if (!(outcome instanceof Error) && outcome.status === 202) {
        order.cancellationSagaId = (outcome.body as { sagaId: string }).sagaId;
      } else {
        order.cancelRefused = reasonOf(outcome);
      }
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
