import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { DeadLetter } from '@sagaflow/contracts/messaging';
import {
  eventually,
  startTestSystem,
  type LocalSystem,
  type LocalSystemOptions,
  type TestSystem,
} from '@sagaflow/contracts/testing';
import { runCli, type CliRun } from '../../support/run-cli.js';

/** The orchestrator of these tests requires this bearer token on mutating routes. */
export const API_TOKEN = 'e2e-operator-token';

/**
 * Timings short enough that a failing charge stalls its saga within a test: a step waits 1.5 s and is
 * sent twice; a failing command is retried after 50 and 100 ms, then dead-lettered.
 */
export const E2E_ENV = { STEP_TIMEOUT_MS: '1500', STEP_MAX_ATTEMPTS: '2', RETRY_DELAYS_MS: '50,100' };

/**
 * Mocha hooks: one system (every service a process) for the file, output of a failed test, cleanup.
 * `env` adds variables for every service (QUEUE_TYPE, say); `startTimeoutMs` is how long each
 * service may take to become healthy; `instances` and `instanceEnv` run several instances of a service.
 */
export function useOpsSystem(
  prefix: string,
  {
    env = {},
    startTimeoutMs,
    instances,
    instanceEnv,
  }: Pick<LocalSystemOptions, 'env' | 'startTimeoutMs' | 'instances' | 'instanceEnv'> = {},
): { readonly system: LocalSystem } {
  let started: TestSystem | undefined;
  before(async function () {
    this.timeout(Math.max(60_000, 2 * (startTimeoutMs ?? 0)));
    started = await startTestSystem({
      prefix,
      env: { ...E2E_ENV, ...env },
      serviceEnv: { orchestrator: { API_TOKEN } },
      ...(startTimeoutMs !== undefined && { startTimeoutMs }),
      ...(instances && { instances }),
      ...(instanceEnv && { instanceEnv }),
    });
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
  return {
    get system(): LocalSystem {
      if (!started) throw new Error('the system has not started');
      return started.system;
    },
  };
}

/** The CLI's environment for a system; `token` replaces the right API token, null leaves it out. */
export const cliEnv = (system: LocalSystem, token: string | null = API_TOKEN): Record<string, string> => ({
  AMQP_URL: system.amqpUrl,
  ORCHESTRATOR_URL: system.url('orchestrator'),
  ...(token !== null && { API_TOKEN: token }),
});

/** `sagaflow-ops` in-process, the way its tests run it. */
export const ops = (system: LocalSystem, argv: string[], token: string | null = API_TOKEN): Promise<CliRun> =>
  runCli(argv, cliEnv(system, token));

const BIN = fileURLToPath(new URL('../../../src/main.js', import.meta.url));

/** `sagaflow-ops` as a real process: `node ops/dist/src/main.js …`. */
export function opsProcess(system: LocalSystem, argv: string[]): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      [BIN, ...argv],
      { env: { PATH: process.env.PATH ?? '', ...cliEnv(system) }, timeout: 20_000 },
      (error, stdout, stderr) => {
        if (error && typeof error.code !== 'number') reject(error);
        else resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
      },
    );
  });
}

export const json = <T>(run: CliRun): T => {
  expect(run.code, `exit code; stderr: ${run.stderr}`).to.equal(0);
  return JSON.parse(run.stdout) as T;
};

/** A row of `dlq list --json`: the shared `DeadLetter` of the dead-letter kit. */
export type DeadLetterRow = DeadLetter;

export async function deadLetters(system: LocalSystem, queue?: string): Promise<DeadLetterRow[]> {
  const run = await ops(system, ['dlq', 'list', '--json', ...(queue ? ['--queue', queue] : [])]);
  return json<{ items: DeadLetterRow[] }>(run).items;
}

const authorized = { authorization: `Bearer ${API_TOKEN}` };

export async function createProduct(system: LocalSystem, available: number, priceCents = 1_000): Promise<string> {
  const sku = `OPS-${randomUUID().slice(0, 8).toUpperCase()}`;
  const put = await system.request('inventory', 'PUT', `/products/${sku}`, { name: sku, priceCents, available });
  expect(put.status, put.text).to.equal(201);
  return sku;
}

export async function productOf(system: LocalSystem, sku: string): Promise<{ available: number; reserved: number }> {
  const response = await system.request('inventory', 'GET', `/products/${sku}`);
  expect(response.status, response.text).to.equal(200);
  return response.body as { available: number; reserved: number };
}

export async function placeOrder(system: LocalSystem, sku: string): Promise<{ orderId: string; sagaId: string }> {
  const response = await system.request(
    'orchestrator',
    'POST',
    '/orders',
    {
      customerId: 'cust-ops',
      customerEmail: 'ops@example.com',
      currency: 'EUR',
      items: [{ sku, quantity: 1 }],
      payment: { method: 'card', token: 'tok_visa' },
    },
    authorized,
  );
  expect(response.status, response.text).to.equal(202);
  return response.body as { orderId: string; sagaId: string };
}

export async function setPaymentFaults(system: LocalSystem, mode: 'error' | 'none'): Promise<void> {
  const response = await system.request('payment', 'PUT', '/faults', { mode, rate: 1 });
  expect(response.status, response.text).to.equal(200);
}

/** Waits until every saga is listed by `GET /sagas?status=STALLED`. */
export async function stalled(system: LocalSystem, sagaIds: string[]): Promise<void> {
  await eventually(
    async () => {
      const response = await system.request('orchestrator', 'GET', '/sagas?status=STALLED&limit=500');
      const listed = new Set((response.body as { items: { sagaId: string }[] }).items.map((s) => s.sagaId));
      const missing = sagaIds.filter((id) => !listed.has(id));
      if (missing.length) throw new Error(`not STALLED yet: ${missing.join(', ')}`);
    },
    { timeoutMs: 15_000, intervalMs: 100 },
  );
}

export async function orderOf(system: LocalSystem, orderId: string): Promise<{ status: string; sagaStatus: string }> {
  const response = await system.request('orchestrator', 'GET', `/orders/${orderId}`);
  expect(response.status, response.text).to.equal(200);
  return response.body as { status: string; sagaStatus: string };
}

export async function sagaStatusOf(system: LocalSystem, sagaId: string): Promise<string> {
  const response = await system.request('orchestrator', 'GET', `/sagas/${sagaId}`);
  expect(response.status, response.text).to.equal(200);
  return (response.body as { status: string }).status;
}

/** Waits until the order's saga has finished and returns the order's status. */
export function settledStatus(system: LocalSystem, orderId: string): Promise<string> {
  return eventually(
    async () => {
      const order = await orderOf(system, orderId);
      if (!['COMPLETED', 'CANCELLED'].includes(order.sagaStatus)) {
        throw new Error(`order ${orderId}: ${order.status}, saga ${order.sagaStatus}`);
      }
      return order.status;
    },
    { timeoutMs: 15_000, intervalMs: 50 },
  );
}

export async function chargesOf(system: LocalSystem, orderId: string): Promise<string[]> {
  const response = await system.request('payment', 'GET', `/payments?orderId=${encodeURIComponent(orderId)}`);
  expect(response.status, response.text).to.equal(200);
  return (response.body as { items: { kind: string }[] }).items.map((p) => p.kind).sort();
}

/** Charge commands the payment service has answered so far (its Prometheus counter, every outcome). */
export async function answeredCharges(system: LocalSystem): Promise<number> {
  const response = await system.request('payment', 'GET', '/metrics');
  expect(response.status).to.equal(200);
  let total = 0;
  for (const line of response.text.split('\n')) {
    if (line.startsWith('sagaflow_participant_commands_total{') && line.includes('type="payment.charge"')) {
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}
