import { call } from './chaos-http.js';
import type { Catalogue, PlacedOrder } from './order-load.js';
import type { Settling } from './settle.js';
import { listAll } from './settle.js';

/** One invariant's verdict after a fault: the orders or things that break it, the first few in full. */
export interface Verdict {
  invariant: string;
  ok: boolean;
  /** Why it could not be checked here (then `ok` is true and nothing was asserted). */
  skipped?: string;
  violations: string[];
}

/** What the system says about one order through its public APIs. */
interface OrderRecord {
  placed?: PlacedOrder;
  order: {
    orderId: string;
    status: string;
    sagaStatus: string;
    totalCents?: number | null;
    items: { sku: string; quantity: number }[];
  };
  ledger: { kind: 'charge' | 'refund'; amountCents: number }[];
  templates: string[];
}

/** Dead letters by message id, with where and why. */
export type DeadLetterSnapshot = Map<string, string>;

/** What the invariants over the orders need: where to read the system, what the client asked and saw. */
export interface OrderInvariantInputs {
  urls: { orchestrator: string; inventory: string; payment: string; notification: string };
  catalogue: Catalogue;
  placed: PlacedOrder[];
  settling: Settling;
  drainTimeoutMs: number;
  /** Orders made up in messages of their own (by a fault): what reconciliation says of them is expected. */
  ownOrderIds?: Set<string>;
}

/** A fault run's inputs: the orders' and what the fault run watched besides. */
export interface InvariantInputs extends OrderInvariantInputs {
  /** Dead letters when the fault had ended, and now. */
  deadLettersAtHeal: DeadLetterSnapshot;
  deadLettersNow: DeadLetterSnapshot;
  unexpectedExits: string[];
  peakRssMb: number;
  rssLimitMb: number;
  /** The fault's own checks. */
  faultVerdicts: Verdict[];
}

/** The dead letters of every DLQ as the orchestrator lists them (`GET /dlq`). */
export async function deadLettersOf(orchestratorUrl: string): Promise<DeadLetterSnapshot> {
  const answer = await call('GET', `${orchestratorUrl}/dlq?limit=10000`);
  if (answer.status !== 200) throw new Error(`GET /dlq: ${answer.status} ${JSON.stringify(answer.body)}`);
  const items = (answer.body as { items: { messageId: string; queue: string; reason: string; type: string | null }[] })
    .items;
  return new Map(items.map((d) => [d.messageId, `${d.queue}: ${d.type ?? 'no type'} (${d.reason})`]));
}

async function getJson<T>(url: string): Promise<T> {
  const answer = await call('GET', url);
  if (answer.status !== 200) throw new Error(`GET ${url}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body as T;
}

/** Runs `work` over `items`, `width` at a time. */
async function inParallel<T, R>(items: T[], width: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: width }, lane));
  return results;
}

/** Every order in the store (the client's and any it lost track of), with its ledger and notifications. */
async function recordsOf(inputs: OrderInvariantInputs): Promise<OrderRecord[]> {
  const { urls, placed } = inputs;
  const byId = new Map(placed.filter((p) => p.orderId !== undefined).map((p) => [p.orderId!, p]));
  const listed = await listAll(`${urls.orchestrator}/orders`);
  const ids = new Set([...byId.keys(), ...listed.map((o) => String(o.orderId))]);
  return inParallel([...ids], 12, async (orderId) => {
    const q = `orderId=${encodeURIComponent(orderId)}`;
    const [order, ledger, sent] = await Promise.all([
      getJson<OrderRecord['order']>(`${urls.orchestrator}/orders/${orderId}`),
      getJson<{ items: OrderRecord['ledger'] }>(`${urls.payment}/payments?${q}`),
      getJson<{ items: { template: string }[] }>(`${urls.notification}/notifications?${q}`),
    ]);
    return {
      placed: byId.get(orderId),
      order,
      ledger: ledger.items,
      templates: sent.items.map((n) => n.template).sort(),
    };
  });
}

const verdict = (invariant: string, violations: string[]): Verdict => ({
  invariant,
  ok: violations.length === 0,
  violations,
});

function terminal(inputs: OrderInvariantInputs, records: OrderRecord[]): Verdict {
  const violations = inputs.settling.unsettled.map(
    (p) => `order ${p.orderId} (${p.intent}) not finished ${inputs.drainTimeoutMs} ms after the fault ended`,
  );
  for (const { order, placed } of records) {
    const finished =
      ['CONFIRMED', 'CANCELLED'].includes(order.status) && ['COMPLETED', 'CANCELLED'].includes(order.sagaStatus);
    if (!finished) violations.push(`order ${order.orderId} is ${order.status}, its saga ${order.sagaStatus}`);
    if (!placed)
      violations.push(`order ${order.orderId} is in the store but the client was never told it was accepted`);
  }
  return verdict('every accepted order terminal', violations);
}

function outcomes(records: OrderRecord[]): Verdict {
  const violations: string[] = [];
  for (const { order, placed } of records) {
    if (placed?.intent === 'decline' && order.status !== 'CANCELLED')
      violations.push(`order ${order.orderId} paid with tok_decline is ${order.status}`);
    if (placed?.cancellationSagaId !== undefined && order.status !== 'CANCELLED')
      violations.push(`order ${order.orderId} whose cancellation was accepted is ${order.status}`);
  }
  return verdict('outcomes match what was asked', violations);
}

function stock(
  inputs: OrderInvariantInputs,
  records: OrderRecord[],
  products: Map<string, { available: number; reserved: number }>,
): Verdict {
  const violations: string[] = [];
  for (const sku of inputs.catalogue.skus) {
    const sold = records
      .filter((r) => r.order.status === 'CONFIRMED')
      .flatMap((r) => r.order.items)
      .filter((item) => item.sku === sku)
      .reduce((sum, item) => sum + item.quantity, 0);
    const product = products.get(sku)!;
    const initial = inputs.catalogue.initial[sku]!;
    if (product.reserved !== 0) violations.push(`${sku}: ${product.reserved} units still reserved`);
    if (product.available + sold !== initial)
      violations.push(`${sku}: initial ${initial} ≠ available ${product.available} + sold to confirmed orders ${sold}`);
  }
  return verdict('stock conserved, nothing left reserved', violations);
}

function money(records: OrderRecord[]): Verdict {
  const violations: string[] = [];
  for (const { order, placed, ledger } of records) {
    const charges = ledger.filter((e) => e.kind === 'charge');
    const refunds = ledger.filter((e) => e.kind === 'refund');
    const id = `order ${order.orderId} (${order.status})`;
    if (charges.length > 1) violations.push(`${id} charged ${charges.length} times`);
    if (refunds.length > charges.length)
      violations.push(`${id} refunded ${refunds.length}× but charged ${charges.length}×`);
    if (order.status === 'CONFIRMED' && (charges.length !== 1 || refunds.length !== 0))
      violations.push(`${id}: ${charges.length} charge(s), ${refunds.length} refund(s); wanted one charge`);
    if (order.status === 'CONFIRMED' && charges[0] && charges[0].amountCents !== order.totalCents)
      violations.push(`${id} charged ${charges[0].amountCents} for a total of ${order.totalCents}`);
    if (order.status === 'CANCELLED' && charges.length !== refunds.length)
      violations.push(`${id} keeps money: ${charges.length} charge(s), ${refunds.length} refund(s)`);
    if (refunds.length > 0 && !placed?.cancelSent) violations.push(`${id} refunded though nobody cancelled it`);
  }
  return verdict('charged at most once, refunded only if charged and cancelled', violations);
}

/** The notifications an order's outcome sends: one per outcome it went through. */
function expectedTemplates(record: OrderRecord): string[] {
  if (record.order.status === 'CONFIRMED') return ['order.confirmed'];
  if (record.ledger.some((e) => e.kind === 'charge')) return ['order.confirmed', 'order.refunded'];
  return ['order.cancelled'];
}

function notifications(records: OrderRecord[]): Verdict {
  const violations: string[] = [];
  for (const record of records) {
    const wanted = expectedTemplates(record);
    if (record.templates.join() !== wanted.join())
      violations.push(
        `order ${record.order.orderId} (${record.order.status}) notified [${record.templates.join(', ')}], wanted [${wanted.join(', ')}]`,
      );
  }
  return verdict('one notification per outcome', violations);
}

function deadLetters(inputs: InvariantInputs): Verdict {
  const violations: string[] = [];
  for (const [messageId, where] of inputs.deadLettersAtHeal) {
    if (!inputs.deadLettersNow.has(messageId)) violations.push(`dead letter ${messageId} (${where}) vanished`);
  }
  return verdict('no dead letter lost', violations);
}

/** How long every order and saga must have been at rest before reconciliation judges them all. */
const AT_REST_MS = 1_000;

/** Milliseconds since the last change to any order or saga, by the orchestrator's clock as its lists give it. */
async function msAtRest(orchestratorUrl: string): Promise<number> {
  const [orders, sagas] = await Promise.all([
    listAll(`${orchestratorUrl}/orders`),
    listAll(`${orchestratorUrl}/sagas`),
  ]);
  const latest = Math.max(0, ...[...orders, ...sagas].map((r) => Date.parse(String(r.updatedAt))));
  return Date.now() - latest;
}

/**
 * `GET /reconciliation?stalledAfter=1s` once every order and saga has been at rest for over a second, so
 * that it judges every order: the anomalies it reports are the violations, but for those about orders
 * the fault made up itself.
 */
async function reconciliation(orchestratorUrl: string, ownOrderIds = new Set<string>()): Promise<Verdict> {
  const invariant = 'reconciliation finds no anomaly';
  const rest = AT_REST_MS + 100 - (await msAtRest(orchestratorUrl));
  if (rest > 0) await new Promise((resolve) => setTimeout(resolve, rest));
  const answer = await call('GET', `${orchestratorUrl}/reconciliation?stalledAfter=1s`);
  if (answer.status !== 200)
    return verdict(invariant, [`GET /reconciliation: ${answer.status} ${JSON.stringify(answer.body)}`]);
  const anomalies = (answer.body as { anomalies: { orderId: string }[] }).anomalies;
  return verdict(
    invariant,
    anomalies.filter((a) => !ownOrderIds.has(a.orderId)).map((a) => JSON.stringify(a)),
  );
}

/**
 * Checks every invariant of a fault run through the public HTTP APIs: those of the orders
 * (`checkOrderInvariants`), and that no dead letter was lost, the fault's own checks, no crash and
 * the orchestrator's memory.
 */
export function checkInvariants(inputs: InvariantInputs, settleMs = 15_000): Promise<Verdict[]> {
  return checkOrderInvariants(inputs, settleMs, () => [
    deadLetters(inputs),
    ...inputs.faultVerdicts,
    verdict('no service crashed', inputs.unexpectedExits),
    verdict(
      'orchestrator memory bounded',
      inputs.peakRssMb > inputs.rssLimitMb ? [`peak RSS ${inputs.peakRssMb} MB above ${inputs.rssLimitMb} MB`] : [],
    ),
  ]);
}

/**
 * Checks the invariants of the orders (every accepted order terminal, outcomes as asked, stock
 * conserved, charged at most once, one notification per outcome, no reconciliation anomaly) and
 * `others`, through the public HTTP APIs. Effects may trail a saga's end by a moment (the inventory
 * hears an order's completion after its saga finished), so the checks are read again, for up to
 * `settleMs`, until they hold or time is up; the last verdicts count.
 */
export async function checkOrderInvariants(
  inputs: OrderInvariantInputs,
  settleMs = 15_000,
  others: () => Verdict[] = () => [],
): Promise<Verdict[]> {
  const deadline = performance.now() + settleMs;
  for (;;) {
    const verdicts = [...(await recordVerdicts(inputs)), ...others()];
    if (verdicts.every((v) => v.ok) || performance.now() > deadline) return verdicts;
    await new Promise((resolve) => setTimeout(resolve, 2_000));
  }
}

/** The invariants read from the orders, ledgers, notifications and stock; one failed verdict when they cannot be read. */
async function recordVerdicts(inputs: OrderInvariantInputs): Promise<Verdict[]> {
  try {
    const records = await recordsOf(inputs);
    const products = new Map(
      await Promise.all(
        inputs.catalogue.skus.map(
          async (sku) =>
            [
              sku,
              await getJson<{ available: number; reserved: number }>(`${inputs.urls.inventory}/products/${sku}`),
            ] as const,
        ),
      ),
    );
    return [
      terminal(inputs, records),
      outcomes(records),
      stock(inputs, records, products),
      money(records),
      notifications(records),
      await reconciliation(inputs.urls.orchestrator, inputs.ownOrderIds),
    ];
  } catch (error) {
    return [verdict('state readable through the APIs', [(error as Error).message])];
  }
}
