import amqp from 'amqplib';
import { declareTopology, sagaflowTopology } from '@sagaflow/contracts';
import { silentLogger } from '@sagaflow/contracts/messaging';
import { createTestSchema, createTestVhost, type TestSchema, type TestVhost } from '@sagaflow/contracts/testing';
import { start, type Orchestrator } from '../../src/orchestrator.js';
import type { OrchestratorConfig } from '../../src/config.js';

/** A private vhost and schema, and the config an orchestrator needs to run in them. */
export class TestStack {
  private readonly started: Orchestrator[] = [];

  private constructor(
    readonly vhost: TestVhost,
    readonly schema: TestSchema,
  ) {}

  static async create(): Promise<TestStack> {
    const [vhost, schema] = await Promise.all([createTestVhost('orch'), createTestSchema('orch')]);
    return new TestStack(vhost, schema);
  }

  config(overrides: Partial<OrchestratorConfig> = {}): OrchestratorConfig {
    return {
      amqpUrl: this.vhost.url,
      storeUrl: this.schema.url,
      port: 0,
      logLevel: 'warn',
      stepTimeoutMs: 5_000,
      stepMaxAttempts: 3,
      retryDelaysMs: [20, 50],
      rateLimitPerMinute: 0,
      prefetch: 64,
      // The flows these tests assert are version 1's; a new version brings tests of its own.
      sagaVersions: { order: 1, cancellation: 1 },
      // Nothing listens there: tests that need the catalogue or the participants' records name their own.
      inventoryUrl: 'http://127.0.0.1:9',
      paymentUrl: 'http://127.0.0.1:9',
      notificationUrl: 'http://127.0.0.1:9',
      ...overrides,
    };
  }

  /** The environment a child orchestrator process reads. */
  env(overrides: Partial<Record<string, string>> = {}): NodeJS.ProcessEnv {
    return {
      ...process.env,
      AMQP_URL: this.vhost.url,
      STORE_URL: this.schema.url,
      PORT: '0',
      LOG_LEVEL: 'warn',
      STEP_TIMEOUT_MS: '5000',
      RETRY_DELAYS_MS: '20,50',
      ...overrides,
    };
  }

  /**
   * Declares `payment.commands` as a default payment worker does when it starts, so that an
   * orchestrator without participants takes orders in any currency (see `CurrencyRouter`).
   */
  async declarePaymentQueue(): Promise<void> {
    const connection = await amqp.connect(this.vhost.url);
    try {
      const { retryDelaysMs, queueType, retryJitter } = this.config();
      await declareTopology(await connection.createChannel(), sagaflowTopology(retryDelaysMs, queueType, retryJitter));
    } finally {
      await connection.close();
    }
  }

  async orchestrator(overrides: Partial<OrchestratorConfig> = {}, logger = silentLogger()): Promise<Orchestrator> {
    const orchestrator = await start(this.config(overrides), logger);
    this.started.push(orchestrator);
    return orchestrator;
  }

  async cleanup(): Promise<void> {
    await Promise.allSettled(this.started.map((o) => o.stop()));
    await Promise.allSettled([this.vhost.delete(), this.schema.drop()]);
  }
}

export const orderRequest = (overrides: Record<string, unknown> = {}) => ({
  customerId: 'cust-1',
  customerEmail: 'ada@example.com',
  currency: 'EUR',
  items: [{ sku: 'BOOK-1', quantity: 2 }],
  payment: { method: 'card', token: 'tok_visa' },
  ...overrides,
});

export async function http(
  base: string,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: any; headers: Headers }> {
  const response = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body !== undefined && { 'content-type': 'application/json' }), ...headers },
    ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    // not JSON: keep the text
  }
  return { status: response.status, body: parsed, headers: response.headers };
}
