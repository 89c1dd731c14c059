import { expect } from 'chai';
import type pg from 'pg';
import type { ChargePayment, CommandType, Message, Payment, PayloadOf, Product } from '@sagaflow/contracts';
import { createMessage } from '@sagaflow/contracts/messaging';
import { eventually, type TestSchema } from '@sagaflow/contracts/testing';
import {
  startInventory,
  startNotification,
  startPayment,
  type MailSender,
  type OutgoingMail,
  type ParticipantConfig,
  type ServiceHandle,
} from '../../src/index.js';
import { INBOX_DDL, PgDatabase } from '../../src/kit/pg-database.js';
import { chargePayload, Harness, newId } from '../support/harness.js';
import { StatementCounter } from '../support/statement-counter.js';

const command = <T extends CommandType>(type: T, payload: PayloadOf<T>, commandId = newId('cmd')) =>
  createMessage(type, payload, { sagaId: newId('saga'), commandId });

const charge = (orderId: string, overrides: Partial<ChargePayment> = {}) =>
  command('payment.charge', chargePayload(orderId, overrides));

const reserve = (orderId: string, sku: string, quantity = 1) =>
  command('inventory.reserve', { orderId, items: [{ sku, quantity }] });

/** The number of commands the largest transaction committed: the rows one transaction inserts share its xmin. */
async function largestInboxTransaction(schema: TestSchema): Promise<number> {
  const db = await PgDatabase.open(schema.url);
  try {
    const { rows } = await db.pool.query<{ n: string }>(
      'SELECT count(*) AS n FROM participant_inbox GROUP BY xmin::text ORDER BY 1 DESC LIMIT 1',
    );
    return Number(rows[0]?.n ?? 0);
  } finally {
    await db.close();
  }
}

/**
 * The commands a service was handed together (queued before it started, so that the broker delivers them
 * at once) on the real broker and database: they are decided one after the other as if each ran alone,
 * with a few statements for the whole batch.
 */
describe('commands delivered together (PostgreSQL)', () => {
  let h: Harness | undefined;
  let counter: StatementCounter;

  beforeEach(() => {
    counter = new StatementCounter().install();
  });

  afterEach(async () => {
    counter.uninstall();
    await h?.stop();
    h = undefined;
  });

  /** Starts the service with `queued` waiting in its queue. */
  const startWith = async (
    start: (config: ParticipantConfig) => Promise<ServiceHandle>,
    queued: Message[],
    beforePublish?: (schema: TestSchema) => Promise<void>,
  ) => {
    h = await Harness.start(start, async ({ bus, schema }) => {
      await beforePublish?.(schema);
      for (const message of queued) await bus.publish(message);
    });
    return h;
  };

  /** Every transaction that ran commands sent at most `most` statements, and one of them ran `batch` or more. */
  const expectSetBased = async (harness: Harness, most: number, batch: number) => {
    expect(await largestInboxTransaction(harness.schema)).to.be.at.least(batch);
    const sizes = counter.commandTransactions.map((statements) => statements.length);
    expect(Math.max(...sizes), `statements of each transaction: ${sizes.join(', ')}`).to.be.at.most(most);
  };

  it('charges an order once when a batch charges it twice, in a few statements for the whole batch', async () => {
    const orderId = newId('order');
    const others = Array.from({ length: 20 }, () => charge(newId('order')));
    const first = charge(orderId);
    const second = charge(orderId, { amountCents: 9999 });
    const declined = charge(newId('order'), { token: 'tok_decline' });
    const queued = [...others.slice(0, 10), first, declined, second, ...others.slice(10)];
    const harness = await startWith((config) => startPayment({ ...config, limitCents: 100_000 }), queued);

    const a = await harness.replyTo(first);
    const b = await harness.replyTo(second);
    expect(a.outcome).to.equal('success');
    expect(b).to.deep.equal(a);
    expect(await harness.replyTo(declined)).to.have.nested.property('reason.code', 'card_declined');
    for (const other of others) expect(await harness.replyTo(other)).to.have.property('outcome', 'success');
    const ledger = (await harness.http('GET', `/payments?orderId=${orderId}`)).body.items as Payment[];
    expect(ledger.map((p) => [p.kind, p.amountCents])).to.deep.equal([['charge', 4200]]);
    // Lock the orders, read their payments, write ledger and inbox: three statements however many commands.
    await expectSetBased(harness, 3, 4);
  });

  it('refuses the later orders of a batch once stock runs out, overselling nothing', async () => {
    const sku = 'BATCH-PEN';
    const orders = Array.from({ length: 8 }, () => newId('order'));
    const reserves = orders.map((orderId) => reserve(orderId, sku));
    // Given back in the same batch: exactly what that order reserved, once.
    const release = command('inventory.release', { orderId: orders[1]! });
    const releaseAgain = command('inventory.release', { orderId: orders[1]! });
    const harness = await startWith(
      (config) =>
        startInventory({
          ...config,
          lowStockThreshold: 1,
          seed: [{ sku, name: 'Pen', priceCents: 150, available: 5 }],
        }),
      [...reserves, release, releaseAgain],
    );

    const replies = await Promise.all(reserves.map((r) => harness.replyTo(r)));
    expect(replies.map((r) => r.outcome)).to.deep.equal([...Array(5).fill('success'), ...Array(3).fill('failure')]);
    for (const refused of replies.slice(5)) expect(refused).to.have.nested.property('reason.code', 'out_of_stock');
    expect(await harness.replyTo(release)).to.deep.equal({
      outcome: 'success',
      result: { released: [{ sku, quantity: 1 }] },
    });
    expect(await harness.replyTo(releaseAgain)).to.deep.equal({ outcome: 'success', result: { released: [] } });
    const product = (await harness.http('GET', `/products/${sku}`)).body as unknown as Product;
    expect(product).to.include({ available: 1, reserved: 4 });
    // Lock the orders, read reservations and stock, write stock, reservations and inbox.
    await expectSetBased(harness, 3, 4);
  });

  it('answers a command id delivered twice in a batch once, from one effect', async () => {
    const sent: OutgoingMail[] = [];
    const recorder: MailSender = { send: async (mail) => void sent.push(mail) };
    const payload = (orderId: string) => ({
      orderId,
      template: 'order.confirmed' as const,
      to: 'ada@example.com',
      data: { currency: 'EUR', totalCents: 150 },
    });
    const orderId = newId('order');
    const once = command('notification.send', payload(orderId));
    const twin = command('notification.send', payload(orderId), once.commandId);
    // Another command id for the same message: the message already recorded, not a second one.
    const sameMessage = command('notification.send', payload(orderId));
    const others = Array.from({ length: 10 }, () => command('notification.send', payload(newId('order'))));
    const harness = await startWith(
      (config) => startNotification({ ...config, mailSender: recorder }),
      [...others.slice(0, 5), once, twin, sameMessage, ...others.slice(5)],
    );

    const [a, b] = await harness.repliesTo(once, 2);
    expect(a!.payload).to.have.property('outcome', 'success');
    expect(b!.payload).to.deep.equal(a!.payload);
    expect(await harness.replyTo(sameMessage)).to.deep.equal(a!.payload);
    for (const other of others) await harness.replyTo(other);
    expect(sent.filter((m) => m.subject.includes(orderId))).to.have.length(1);
    expect(sent).to.have.length(others.length + 1);
    const listed = (await harness.http('GET', `/notifications?orderId=${orderId}`)).body.items;
    expect(listed).to.have.length(1);
    // Read the messages sent, write messages and inbox.
    await expectSetBased(harness, 2, 4);
  });

  it('runs a batch again command by command when a twin commits one of its commands meanwhile', async () => {
    const others = Array.from({ length: 12 }, () => charge(newId('order')));
    const twinned = charge(newId('order'));
    const twinReply = { outcome: 'success', result: { paymentId: 'pay-twin', amountCents: 4200, currency: 'EUR' } };
    const twin: { db?: PgDatabase; client?: pg.PoolClient } = {};
    try {
      const harness = await startWith(
        (config) => startPayment({ ...config, limitCents: 100_000 }),
        [...others.slice(0, 6), twinned, ...others.slice(6)],
        async (schema) => {
          // Another worker handles the same command and has not committed yet: the batch's inbox read
          // misses it, and the batch's insert waits on its key.
          twin.db = await PgDatabase.open(schema.url, { migrations: [INBOX_DDL] });
          twin.client = await twin.db.pool.connect();
          await twin.client.query('BEGIN');
          await twin.client.query(
            `INSERT INTO participant_inbox (service, command_id, command_type, reply) VALUES ('payment', $1, $2, $3)`,
            [twinned.commandId, twinned.type, JSON.stringify(twinReply)],
          );
        },
      );
      const { rows } = await twin.client!.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
      const waiting = await eventually(async () => {
        const blocked = await twin.db!.pool.query<{ query: string }>(
          'SELECT query FROM pg_stat_activity WHERE $1 = ANY(pg_blocking_pids(pid))',
          [rows[0]!.pid],
        );
        expect(blocked.rows).to.have.length(1);
        return blocked.rows[0]!.query;
      });
      // What waits is the write of a whole batch.
      expect(waiting).to.contain('unnest(');
      await twin.client!.query('COMMIT');

      expect(await harness.replyTo(twinned)).to.deep.equal(twinReply);
      for (const other of others) {
        expect(await harness.replyTo(other)).to.have.property('outcome', 'success');
        const ledger = (await harness.http('GET', `/payments?orderId=${other.payload.orderId}`)).body.items;
        expect(ledger).to.have.length(1);
      }
      const ledger = (await harness.http('GET', `/payments?orderId=${twinned.payload.orderId}`)).body.items;
      expect(ledger).to.deep.equal([]);
    } finally {
      twin.client?.release();
      await twin.db?.close();
    }
  });
});
