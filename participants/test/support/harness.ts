import { randomUUID } from 'node:crypto';
import {
  QUEUES,
  sagaflowTopology,
  type ChargePayment,
  type CommandType,
  type Message,
  type PayloadOf,
  type ReplyType,
} from '@sagaflow/contracts';
import { createMessage, MessageBus, silentLogger } from '@sagaflow/contracts/messaging';
import {
  createTestSchema,
  createTestVhost,
  eventually,
  type TestSchema,
  type TestVhost,
} from '@sagaflow/contracts/testing';
import type { ParticipantConfig, ServiceHandle } from '../../src/index.js';

/** Retry delays short enough that a command dead-letters within a test. */
export const TEST_RETRY_DELAYS_MS = [20, 40];

/**
 * One participant started in-process on its own vhost and PostgreSQL schema, a bus to send it
 * commands, and every reply that reaches `orchestrator.replies`.
 */
export class Harness {
  readonly replies: Message[] = [];

  private constructor(
    readonly vhost: TestVhost,
    readonly schema: TestSchema,
    readonly bus: MessageBus,
    readonly service: ServiceHandle,
  ) {}

  /**
   * `beforeStart` runs once the queues exist and before the service consumes: commands it publishes
   * wait in the queue, and the broker delivers them together (one batch, or a few).
   */
  static async start(
    startService: (config: ParticipantConfig) => Promise<ServiceHandle>,
    beforeStart?: (setup: { bus: MessageBus; schema: TestSchema }) => Promise<void>,
  ): Promise<Harness> {
    const vhost = await createTestVhost('participants');
    const schema = await createTestSchema('participants');
    const topology = sagaflowTopology(TEST_RETRY_DELAYS_MS);
    const bus = await MessageBus.connect({ url: vhost.url, topology, logger: silentLogger() });
    let service: ServiceHandle;
    try {
      await beforeStart?.({ bus, schema });
      service = await startService({
        amqpUrl: vhost.url,
        storeUrl: schema.url,
        port: 0,
        host: '127.0.0.1',
        retryDelaysMs: TEST_RETRY_DELAYS_MS,
      });
    } catch (error) {
      await bus.stop();
      await vhost.delete();
      await schema.drop();
      throw error;
    }
    const harness = new Harness(vhost, schema, bus, service);
    await bus.consume(QUEUES.replies, async (m) => {
      harness.replies.push(m);
    });
    return harness;
  }

  async stop(): Promise<void> {
    await this.service.stop();
    await this.bus.stop();
    await this.vhost.delete();
    await this.schema.drop();
  }

  /** Publishes a command (confirmed) and returns it. */
  async send<T extends CommandType>(
    type: T,
    payload: PayloadOf<T>,
    options: { commandId?: string; sagaId?: string } = {},
  ): Promise<Message<T>> {
    const command = createMessage(type, payload, {
      sagaId: options.sagaId ?? `saga-${randomUUID()}`,
      commandId: options.commandId ?? `cmd-${randomUUID()}`,
    });
    await this.bus.publish(command);
    return command;
  }

  /** Waits for `count` replies to a command id and returns them. */
  async repliesTo<T extends CommandType>(
    command: Message<T>,
    count = 1,
    timeoutMs = 10_000,
  ): Promise<Message<`${T}.reply` & ReplyType>[]> {
    return eventually(
      () => {
        const found = this.replies.filter((r) => r.commandId === command.commandId);
        if (found.length < count) throw new Error(`${found.length} of ${count} replies to ${command.type}`);
        return found as Message<`${T}.reply` & ReplyType>[];
      },
      { timeoutMs },
    );
  }

  async replyTo<T extends CommandType>(command: Message<T>): Promise<PayloadOf<`${T}.reply` & ReplyType>> {
    const [reply] = await this.repliesTo(command);
    return reply!.payload as PayloadOf<`${T}.reply` & ReplyType>;
  }

  /** Sends a command and waits for its reply payload. */
  async call<T extends CommandType>(
    type: T,
    payload: PayloadOf<T>,
    options: { commandId?: string; sagaId?: string } = {},
  ): Promise<PayloadOf<`${T}.reply` & ReplyType>> {
    return this.replyTo(await this.send(type, payload, options));
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.service.port}${path}`;
  }

  async http(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
    const response = await fetch(this.url(path), {
      method,
      headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
      ...(body !== undefined && { body: typeof body === 'string' ? body : JSON.stringify(body) }),
    });
    const text = await response.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: response.status, body: json as Record<string, unknown> & { items?: unknown[] }, text };
  }
}

export const newId = (prefix: string): string => `${prefix}-${randomUUID()}`;

/** A charge of 42.00 EUR for the order, as the payment tests send it. */
export const chargePayload = (orderId: string, overrides: Partial<ChargePayment> = {}): ChargePayment => ({
  orderId,
  customerId: 'cust-1',
  amountCents: 4200,
  currency: 'EUR',
  method: 'card',
  token: 'tok_visa',
  ...overrides,
});
