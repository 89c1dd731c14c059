import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { expect } from 'chai';
import {
  DEFAULT_EVENT_LOG_RETENTION,
  ConfigError,
  EVENT_LOG_STREAM,
  EXCHANGES,
  QUEUE_TYPES,
  QUEUES,
  sagaflowTopology,
  type QueueType,
} from '@sagaflow/contracts';
import {
  createMessage,
  DeadLetterQueues,
  EventLogReader,
  MessageBus,
  silentLogger,
  type EventLogEntry,
  type Subscription,
} from '@sagaflow/contracts/messaging';
import { createTestVhost, eventually, findRepoRoot, managementApi, type TestVhost } from '@sagaflow/contracts/testing';
import {
  BROKER_USERS,
  definitionsFileOf,
  deploymentTopology,
  passwordVariableOf,
  rabbitmqDefinitions,
  type RabbitDefinitions,
} from '../../src/deploy/rabbitmq-definitions.js';

const root = findRepoRoot();
const committedPathOf = (queueType: QueueType) => join(root, 'ops', 'config', 'rabbitmq', definitionsFileOf(queueType));
const committedPath = committedPathOf('classic');
const renderer = join(root, 'ops', 'config', 'rabbitmq', 'render-definitions.mjs');
const run = promisify(execFile);

/** The definitions as the Compose file renders them, with these passwords (and `QUEUE_TYPE`). */
async function render(passwords: Record<string, string>, queueType?: QueueType): Promise<RabbitDefinitions> {
  const dir = await mkdtemp(join(tmpdir(), 'sagaflow-definitions-'));
  try {
    const out = join(dir, 'definitions.json');
    const env = { PATH: process.env.PATH, ...passwords, ...(queueType && { QUEUE_TYPE: queueType }) };
    await run(process.execPath, [renderer, committedPath, out], { env });
    return JSON.parse(await readFile(out, 'utf8')) as RabbitDefinitions;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('RabbitMQ definitions (ops/config/rabbitmq)', () => {
  for (const queueType of QUEUE_TYPES) {
    it(`the committed ${definitionsFileOf(queueType)} is generated from the contracts topology with ${queueType} queues (make rabbitmq-definitions)`, async () => {
      const committed = JSON.parse(await readFile(committedPathOf(queueType), 'utf8'));
      expect(committed).to.deep.equal(rabbitmqDefinitions(deploymentTopology(queueType)));
    });

    it(`commits no password in ${definitionsFileOf(queueType)}: every hash is empty until rendered from the environment`, async () => {
      const committed = JSON.parse(await readFile(committedPathOf(queueType), 'utf8')) as RabbitDefinitions;
      expect(committed.users.map((u) => u.password_hash)).to.deep.equal(BROKER_USERS.map(() => ''));
    });
  }

  it('renders the quorum definitions when QUEUE_TYPE=quorum', async () => {
    const passwords = Object.fromEntries(BROKER_USERS.map((u) => [passwordVariableOf(u), `pw-${u}`]));
    const types = (d: RabbitDefinitions) =>
      new Set(d.queues.filter((q) => q.name !== EVENT_LOG_STREAM).map((q) => q.arguments['x-queue-type'] ?? 'classic'));
    const streamOf = (d: RabbitDefinitions) => d.queues.find((q) => q.name === EVENT_LOG_STREAM)?.arguments;
    const quorum = await render(passwords, 'quorum');
    const classic = await render(passwords);
    expect(types(quorum)).to.deep.equal(new Set(['quorum']));
    expect(types(classic)).to.deep.equal(new Set(['classic']));
    // The event log is a stream with either.
    expect(streamOf(quorum)).to.include({ 'x-queue-type': 'stream' });
    expect(streamOf(classic)).to.deep.equal(streamOf(quorum));
  });

  it('refuses to render while a password is missing, naming it', async () => {
    const passwords = Object.fromEntries(BROKER_USERS.map((u) => [passwordVariableOf(u), `pw-${u}`]));
    delete passwords[passwordVariableOf('payment')];
    const failed = await render(passwords).then(
      () => null,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).to.equal(1);
    expect(failed?.stderr).to.contain('RABBITMQ_PAYMENT_PASSWORD');
  });

  for (const queueType of QUEUE_TYPES)
    describe(`loaded into a test vhost of the real broker (${queueType} queues)`, () => {
      let vhost: TestVhost;
      const prefix = `test-${randomUUID().slice(0, 8)}-`;
      const passwords = Object.fromEntries(BROKER_USERS.map((u) => [u, randomUUID()]));
      const loaded: string[] = [];
      const open: { stop(): Promise<unknown> }[] = [];
      let rendered: RabbitDefinitions;

      const urlOf = (user: string): string => {
        const url = new URL(vhost.url);
        url.username = encodeURIComponent(prefix + user);
        url.password = encodeURIComponent(passwords[user]);
        return url.toString();
      };
      /**
       * A bus as `user`, declaring what that service declares: the orchestrator alone the event log,
       * payment workers alone their queues.
       */
      const busAs = async (user: string) => {
        const bus = await MessageBus.connect({
          url: urlOf(user),
          topology: sagaflowTopology(undefined, queueType, undefined, {
            payment: user === 'payment' ? 'default' : 'none',
            ...(user === 'orchestrator' && { eventLog: DEFAULT_EVENT_LOG_RETENTION }),
          }),
          logger: silentLogger(),
        });
        open.push(bus);
        return bus;
      };
      /** Consumes `queue` as `user` on a plain channel; resolves to the broker's refusal, or null. */
      const refusalToConsume = async (user: string, queue: string): Promise<string | null> => {
        const connection = await amqp.connect(urlOf(user));
        try {
          const channel = await connection.createChannel();
          channel.on('error', () => undefined);
          return await channel
            .consume(queue, () => undefined)
            .then(
              () => null,
              (error: Error) => error.message,
            );
        } finally {
          await connection.close().catch(() => undefined);
        }
      };

      before(async () => {
        vhost = await createTestVhost('deploy-definitions');
        rendered = await render(
          Object.fromEntries(BROKER_USERS.map((u) => [passwordVariableOf(u), passwords[u]])),
          queueType,
        );
        // Users are broker-wide: load the services' users under a private prefix, and no administrator.
        const users = rendered.users.filter((u) => u.name !== 'admin');
        const definitions = {
          ...rendered,
          users: users.map((u) => ({ ...u, name: prefix + u.name })),
          vhosts: [{ name: vhost.name }],
          permissions: rendered.permissions
            .filter((p) => p.user !== 'admin')
            .map((p) => ({ ...p, user: prefix + p.user, vhost: vhost.name })),
          policies: rendered.policies.map((p) => ({ ...p, vhost: vhost.name })),
          exchanges: rendered.exchanges.map((e) => ({ ...e, vhost: vhost.name })),
          queues: rendered.queues.map((q) => ({ ...q, vhost: vhost.name })),
          bindings: rendered.bindings.map((b) => ({ ...b, vhost: vhost.name })),
        };
        loaded.push(...definitions.users.map((u) => u.name));
        await managementApi('POST', '/definitions', definitions);
      });

      after(async () => {
        await Promise.allSettled(open.map((o) => o.stop()));
        await Promise.allSettled(loaded.map((u) => managementApi('DELETE', `/users/${encodeURIComponent(u)}`)));
        await vhost?.delete();
      });

      it('lets each participant declare the topology and consume its own queues', async () => {
        for (const [user, queue] of [
          ['inventory', QUEUES.inventory],
          ['inventory', QUEUES.inventoryEvents],
          ['payment', QUEUES.payment],
          ['notification', QUEUES.notification],
        ] as const) {
          const bus = await busAs(user);
          const subscription: Subscription = await bus.consume(queue, async () => undefined);
          open.push(subscription);
        }
      });

      it('lets a payment worker with PAYMENT_CURRENCIES declare and consume its currency queues, and ops read their DLQs', async () => {
        const bus = await MessageBus.connect({
          url: urlOf('payment'),
          topology: sagaflowTopology(undefined, queueType, undefined, { payment: { currencies: ['EUR'] } }),
          logger: silentLogger(),
        });
        open.push(bus);
        open.push(await bus.consume('payment.commands.eur', async () => undefined));
        expect(await refusalToConsume('notification', 'payment.commands.eur')).to.match(/ACCESS_REFUSED/);
        const orchestrator = await busAs('orchestrator');
        expect(await orchestrator.queueExists('payment.commands.eur')).to.equal(true);
        expect(await orchestrator.queueExists('payment.commands.chf')).to.equal(false);
        const deadLetters = await DeadLetterQueues.connect(urlOf('ops'));
        open.push({ stop: () => deadLetters.close() });
        expect(await deadLetters.list({ queue: 'payment.commands.eur.dlq' })).to.deep.equal([]);
      });

      it('declares no payment command queue ahead: the payment workers do', () => {
        expect(rendered.queues.map((q) => q.name).filter((name) => name.startsWith('payment.'))).to.deep.equal([]);
      });

      it('lets the orchestrator consume replies and listen to saga events', async () => {
        const bus = await busAs('orchestrator');
        open.push(await bus.consume(QUEUES.replies, async () => undefined));
        open.push(await bus.listen(EXCHANGES.events, 'saga.#', () => undefined));
      });

      it('lets the orchestrator declare the event log it publishes to and the ops user read it', async () => {
        const bus = await busAs('orchestrator');
        const event = createMessage(
          'saga.changed',
          {
            sagaId: 'saga-definitions',
            type: 'order',
            status: 'COMPLETED',
            state: 'completed',
            orderId: 'order-definitions',
            version: 1,
            updatedAt: new Date().toISOString(),
            entries: [],
          },
          { sagaId: 'saga-definitions' },
        );
        await bus.publish(event, { exchange: EXCHANGES.events, routingKey: 'saga.order.completed' });
        const read: EventLogEntry[] = [];
        const reader = await EventLogReader.open(urlOf('ops'), {
          start: { from: 'start' },
          onEntry: (entry) => read.push(entry),
          onInvalid: () => expect.fail('an invalid entry'),
        });
        open.push(reader);
        await eventually(() => expect(read.map((e) => e.message.messageId)).to.include(event.messageId));
        expect(await refusalToConsume('payment', EVENT_LOG_STREAM)).to.match(/ACCESS_REFUSED/);
      });

      it('lets the ops user read the dead-letter queues', async () => {
        const deadLetters = await DeadLetterQueues.connect(urlOf('ops'));
        open.push({ stop: () => deadLetters.close() });
        expect(await deadLetters.list()).to.deep.equal([]);
      });

      it("refuses a service's user on another service's queue", async () => {
        expect(await refusalToConsume('notification', QUEUES.payment)).to.match(/ACCESS_REFUSED/);
        expect(await refusalToConsume('payment', QUEUES.replies)).to.match(/ACCESS_REFUSED/);
        expect(await refusalToConsume('ops', QUEUES.inventory)).to.match(/ACCESS_REFUSED/);
        expect(await refusalToConsume('notification', QUEUES.notification)).to.equal(null);
      });

      it('stops a service started with the other QUEUE_TYPE with one line saying what to do', async () => {
        const other: QueueType = queueType === 'classic' ? 'quorum' : 'classic';
        const url = urlOf('payment');
        const refused = await MessageBus.connect(
          { url, topology: sagaflowTopology(undefined, other), logger: silentLogger() },
          5_000,
        ).then(
          async (bus) => (await bus.stop(), null),
          (error: Error) => error,
        );
        expect(refused).to.be.instanceOf(ConfigError);
        expect(refused!.message).to.not.contain('\n');
        expect(refused!.message).to.contain(`as a ${queueType} queue but QUEUE_TYPE=${other}`);
        expect(refused!.message).to.contain(`start with QUEUE_TYPE=${queueType}`);
      });

      it('refuses a wrong password', async () => {
        const url = new URL(urlOf('payment'));
        url.password = 'not-the-password';
        const error = await amqp.connect(url.toString()).then(
          (c) => (void c.close(), null),
          (e: Error) => e.message,
        );
        expect(error).to.match(/ACCESS_REFUSED|403/);
      });
    });
});
