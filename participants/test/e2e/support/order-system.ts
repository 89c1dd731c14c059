import { randomUUID } from 'node:crypto';
import { expect } from 'chai';
import {
  eventually,
  startTestSystem,
  type LocalSystem,
  type LocalSystemOptions,
  type TestSystem,
  type TestVhost,
} from '@sagaflow/contracts/testing';

/** A total above this is declined for insufficient funds. */
export const PAYMENT_LIMIT_CENTS = 100_000;

/**
 * Timings short enough that a lost reply or a failing command shows within a test: a step waits
 * 1.5 s, is sent twice, and a failing command is retried after 50 and 100 ms before it dead-letters.
 */
export const E2E_ENV = {
  STEP_TIMEOUT_MS: '1500',
  STEP_MAX_ATTEMPTS: '2',
  RETRY_DELAYS_MS: '50,100',
  PAYMENT_LIMIT_CENTS: String(PAYMENT_LIMIT_CENTS),
};

/** What a test file changes of the system: variables beside `E2E_ENV` (theirs win), per service too. */
export type OrderSystemOptions = Pick<LocalSystemOptions, 'env' | 'serviceEnv' | 'startTimeoutMs'>;

/** Every service as a real process, in its own vhost and schema, for one test file. */
export function startOrderSystem(prefix: string, options: OrderSystemOptions = {}): Promise<TestSystem> {
  return startTestSystem({ prefix, ...options, env: { ...E2E_ENV, ...options.env } });
}

/**
 * Mocha hooks for a test file: one system for all its tests, its services' last output printed under a
 * failed test, and everything removed at the end.
 */
export function useOrderSystem(
  prefix: string,
  options: OrderSystemOptions = {},
): { readonly system: LocalSystem; readonly vhost: TestVhost } {
  let started: TestSystem | undefined;
  const running = (): TestSystem => {
    if (!started) throw new Error('the system has not started');
    return started;
  };
  const handle = {
    get system(): LocalSystem {
      return running().system;
    },
    get vhost(): TestVhost {
      return running().vhost;
    },
  };
  before(async function () {
    this.timeout(60_000);
    started = await startOrderSystem(prefix, options);
  });
  afterEach(function () {
    if (started && this.currentTest?.state === 'failed') {
      process.stderr.write(`\nlast output of the services:\n${started.system.output(undefined, 30)}\n`);
    }
  });
  after(async function () {
    this.timeout(30_000);
    await started?.cleanup();
  });
  return handle;
}

export interface Product {
  sku: string;
  name: string;
  priceCents: number;
  available: number;
  reserved: number;
}

export interface LedgerEntry {
  paymentId: string;
  orderId: string;
  kind: 'charge' | 'refund';
  amountCents: number;
  currency: string;
}

export interface SentNotification {
  notificationId: string;
  orderId: string;
  template: string;
  to: string;
}

export interface Order {
  orderId: string;
  sagaId: string;
  status: 'PENDING' | 'CONFIRMED' | 'CANCELLED';
  sagaStatus: string;
  totalCents?: number | null;
  priority: 'standard' | 'express';
  reason?: string;
}

/** A product of this test alone, so that tests sharing a system never share stock. */
export async function createProduct(
  system: LocalSystem,
  { available, priceCents = 1_000 }: { available: number; priceCents?: number },
): Promise<Product> {
  const sku = `E2E-${randomUUID().slice(0, 8).toUpperCase()}`;
  const put = await system.request('inventory', 'PUT', `/products/${sku}`, {
    name: `Test product ${sku}`,
    priceCents,
    available,
  });
  expect(put.status, put.text).to.equal(201);
  return put.body as Product;
}

export async function productOf(system: LocalSystem, sku: string): Promise<Product> {
  const response = await system.request('inventory', 'GET', `/products/${sku}`);
  expect(response.status, response.text).to.equal(200);
  return response.body as Product;
}

export async function placeOrder(
  system: LocalSystem,
  items: { sku: string; quantity: number }[],
  {
    token = 'tok_visa',
    headers = {},
    priority,
  }: { token?: string; headers?: Record<string, string>; priority?: 'standard' | 'express' } = {},
): Promise<{ orderId: string; sagaId: string }> {
  const response = await system.request(
    'orchestrator',
    'POST',
    '/orders',
    {
      customerId: `cust-${randomUUID().slice(0, 8)}`,
      customerEmail: 'ada@example.com',
      currency: 'EUR',
      items,
      payment: { method: 'card', token },
      ...(priority && { priority }),
    },
    headers,
  );
  expect(response.status, response.text).to.equal(202);
  return response.body as { orderId: string; sagaId: string };
}

export async function orderOf(system: LocalSystem, orderId: string): Promise<Order> {
  const response = await system.request('orchestrator', 'GET', `/orders/${orderId}`);
  expect(response.status, response.text).to.equal(200);
  return response.body as Order;
}

/** Waits until the order's saga has finished (COMPLETED or CANCELLED) and returns the order. */
export function settledOrder(system: LocalSystem, orderId: string, timeoutMs = 15_000): Promise<Order> {
  return eventually(
    async () => {
      const order = await orderOf(system, orderId);
      if (order.status === 'PENDING' || !['COMPLETED', 'CANCELLED'].includes(order.sagaStatus)) {
        throw new Error(`order ${orderId} is ${order.status}, its saga ${order.sagaStatus}`);
      }
      return order;
    },
    { timeoutMs, intervalMs: 50 },
  );
}

export async function sagaOf(system: LocalSystem, sagaId: string): Promise<{ status: string; state: string }> {
  const response = await system.request('orchestrator', 'GET', `/sagas/${sagaId}`);
  expect(response.status, response.text).to.equal(200);
  return response.body as { status: string; state: string };
}

export async function ledgerOf(system: LocalSystem, orderId: string): Promise<LedgerEntry[]> {
  const response = await system.request('payment', 'GET', `/payments?orderId=${encodeURIComponent(orderId)}`);
  expect(response.status, response.text).to.equal(200);
  return (response.body as { items: LedgerEntry[] }).items;
}

export async function notificationsOf(system: LocalSystem, orderId: string): Promise<SentNotification[]> {
  const response = await system.request('notification', 'GET', `/notifications?orderId=${encodeURIComponent(orderId)}`);
  expect(response.status, response.text).to.equal(200);
  return (response.body as { items: SentNotification[] }).items;
}

export const kinds = (ledger: LedgerEntry[]): string[] => ledger.map((e) => e.kind).sort();
export const templates = (sent: SentNotification[]): string[] => sent.map((n) => n.template).sort();

/**
 * Waits until the order's saga has run all its effects: the notification its outcome sends is recorded
 * and the inventory holds no reservation for the product any more.
 */
export async function effectsSettled(
  system: LocalSystem,
  orderId: string,
  template: string,
  sku: string,
): Promise<void> {
  await eventually(
    async () => {
      expect(templates(await notificationsOf(system, orderId))).to.include(template);
      expect((await productOf(system, sku)).reserved, `reserved units of ${sku}`).to.equal(0);
    },
    { timeoutMs: 10_000, intervalMs: 50 },
  );
}
