import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import { expect } from 'chai';
import { EXCHANGES, QUEUES, sagaflowTopology } from '@sagaflow/contracts';
import { DeadLetterQueues, MessageBus, silentLogger, type Subscription } from '@sagaflow/contracts/messaging';
import { createTestVhost, findRepoRoot, managementApi, type TestVhost } from '@sagaflow/contracts/testing';
import {
  BROKER_USERS,
  passwordVariableOf,
  rabbitmqDefinitions,
  type RabbitDefinitions,
} from '../../src/deploy/rabbitmq-definitions.js';

const root = findRepoRoot();
const committedPath = join(root, 'ops', 'config', 'rabbitmq', 'definitions.json');
const renderer = join(root, 'ops', 'config', 'rabbitmq', 'render-definitions.mjs');
const run = promisify(execFile);

/** The definitions as the Compose file renders them, with these passwords. */
async function render(passwords: Record<string, string>): Promise<RabbitDefinitions> {
  const dir = await mkdtemp(join(tmpdir(), 'sagaflow-definitions-'));
  try {
    const out = join(dir, 'definitions.json');
    const env = { PATH: process.env.PATH, ...passwords };
    await run(process.execPath, [renderer, committedPath, out], { env });
    return JSON.parse(await readFile(out, 'utf8')) as RabbitDefinitions;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('RabbitMQ definitions (ops/config/rabbitmq)', () => {
  it('the committed file is the one generated from the contracts topology (make rabbitmq-definitions)', async () => {
    const committed = JSON.parse(await readFile(committedPath, 'utf8'));
    expect(committed).to.deep.equal(rabbitmqDefinitions(sagaflowTopology()));
  });

  it('commits no password: every hash is empty until rendered from the environment', async () => {
    const committed = JSON.parse(await readFile(committedPath, 'utf8')) as RabbitDefinitions;
    expect(committed.users.map((u) => u.password_hash)).to.deep.equal(BROKER_USERS.map(() => ''));
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

  describe('loaded into a test vhost of the real broker', () => {
    let vhost: TestVhost;
    const prefix = `test-${randomUUID().slice(0, 8)}-`;
    const passwords = Object.fromEntries(BROKER_USERS.map((u) => [u, randomUUID()]));
    const loaded: string[] = [];
    const open: { stop(): Promise<unknown> }[] = [];

    const urlOf = (user: string): string => {
      const url = new URL(vhost.url);
      url.username = encodeURIComponent(prefix + user);
      url.password = encodeURIComponent(passwords[user]);
      return url.toString();
    };
    const busAs = async (user: string) => {
      const bus = await MessageBus.connect({ url: urlOf(user), topology: sagaflowTopology(), logger: silentLogger() });
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
      const rendered = await render(Object.fromEntries(BROKER_USERS.map((u) => [passwordVariableOf(u), passwords[u]])));
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

    it('lets the orchestrator consume replies and listen to saga events', async () => {
      const bus = await busAs('orchestrator');
      open.push(await bus.consume(QUEUES.replies, async () => undefined));
      open.push(await bus.listen(EXCHANGES.events, 'saga.#', () => undefined));
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
