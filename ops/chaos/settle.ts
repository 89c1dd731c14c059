import { call } from './chaos-http.js';
import type { PlacedOrder } from './order-load.js';

const NON_TERMINAL_SAGA_STATUSES = ['RUNNING', 'COMPENSATING', 'STALLED'] as const;

/** Every item a paged list route gives (`{items, next}`), following its cursor. */
export async function listAll(url: string, filter: Record<string, string> = {}): Promise<Record<string, unknown>[]> {
  const all: Record<string, unknown>[] = [];
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({ ...filter, limit: '500', ...(cursor !== undefined && { cursor }) });
    const page = await call('GET', `${url}?${query}`);
    if (page.status !== 200) throw new Error(`GET ${url}?${query}: ${page.status} ${JSON.stringify(page.body)}`);
    const { items, next } = page.body as { items: Record<string, unknown>[]; next?: string | null };
    all.push(...items);
    cursor = next ?? undefined;
  } while (cursor !== undefined);
  return all;
}

/** Orders still PENDING and sagas not finished, as the orchestrator lists them now. */
async function unfinished(orchestratorUrl: string): Promise<{ orders: Set<string>; sagas: Set<string> }> {
  const pending = await listAll(`${orchestratorUrl}/orders`, { status: 'PENDING' });
  const orders = new Set(pending.map((o) => String(o.orderId)));
  const sagas = new Set<string>();
  for (const status of NON_TERMINAL_SAGA_STATUSES) {
    for (const saga of await listAll(`${orchestratorUrl}/sagas`, { status })) sagas.add(String(saga.sagaId));
  }
  return { orders, sagas };
}

/** `cancelled`: the orders whose cancellation was over before the lists in `now` were read. */
const isSettled = (order: PlacedOrder, now: { orders: Set<string>; sagas: Set<string> }, cancelled: Set<PlacedOrder>) =>
  !now.orders.has(order.orderId!) &&
  !now.sagas.has(order.sagaId!) &&
  (order.intent !== 'cancel-after-confirm' || cancelled.has(order)) &&
  (order.cancellationSagaId === undefined || !now.sagas.has(order.cancellationSagaId));

export interface Settling {
  /** Milliseconds from the end of the fault until each accepted order was seen finished (0 if it already was). */
  msToTerminal: Map<string, number>;
  /** Accepted orders still not finished at the deadline. */
  unsettled: PlacedOrder[];
}

/**
 * Polls the orchestrator's lists until every accepted order is finished — its order not PENDING, its
 * saga and any cancellation saga terminal, its cancellation sent if it was to get one — or until
 * `deadline`. The time each took after `healedAt` is what the figures report.
 */
export async function awaitTerminal(
  orchestratorUrl: string,
  accepted: PlacedOrder[],
  healedAt: number,
  deadline: number,
): Promise<Settling> {
  const msToTerminal = new Map<string, number>();
  let waiting = accepted;
  while (waiting.length > 0 && performance.now() < deadline) {
    const cancelled = new Set(waiting.filter((order) => order.cancelFinished === true));
    const now = await unfinished(orchestratorUrl).catch(() => null);
    if (now !== null) {
      const at = Math.max(0, Math.round(performance.now() - healedAt));
      waiting = waiting.filter((order) => {
        if (!isSettled(order, now, cancelled)) return true;
        msToTerminal.set(order.orderId!, at);
        return false;
      });
    }
    if (waiting.length > 0) await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return { msToTerminal, unsettled: waiting };
}
