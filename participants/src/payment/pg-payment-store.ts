import type pg from 'pg';
import type { ChargePayment, FailureReason, Payment, RefundPayment } from '@sagaflow/contracts';
import type { GroupCommit, InboxKey, ReplyOf, StoredReply } from '../kit/inbox.js';
import {
  findPgReply,
  INBOX_DDL,
  lockKeys,
  PgDatabase,
  recordReplies,
  runOncePg,
  type InboxEntry,
  type PgEffect,
  type PgWrite,
} from '../kit/pg-database.js';
import { PgGroupCommit } from '../kit/pg-group-commit.js';
import { pageOf, type PageRequest } from '../kit/record-page.js';
import type { PaymentCommand, PaymentExecution, PaymentStore } from './payment-store.js';
import {
  afterPaymentWrite,
  decideCharge,
  decideRefund,
  newPaymentId,
  type LedgerEntry,
  type OrderPayments,
  type PaymentDecision,
  type PaymentWrite,
} from './payment-rules.js';

const SERVICE = 'payment';

const DDL = [
  INBOX_DDL,
  `CREATE TABLE IF NOT EXISTS payment_ledger (
    payment_id text PRIMARY KEY,
    order_id text NOT NULL,
    kind text NOT NULL CHECK (kind IN ('charge', 'refund')),
    amount_cents bigint NOT NULL,
    currency text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    UNIQUE (order_id, kind)
  )`,
  `CREATE TABLE IF NOT EXISTS payment_voids (
    order_id text PRIMARY KEY,
    created_at timestamptz NOT NULL DEFAULT now()
  )`,
];

interface LedgerRow {
  payment_id: string;
  order_id: string;
  kind: Payment['kind'];
  amount_cents: string;
  currency: string;
  created_at: Date;
}

const toPayment = (row: LedgerRow): Payment => ({
  paymentId: row.payment_id,
  orderId: row.order_id,
  kind: row.kind,
  amountCents: Number(row.amount_cents),
  currency: row.currency,
  createdAt: row.created_at.toISOString(),
});

/** The statement parts that persist a decision's write, run with the inbox row's insert. */
function pgWriteOf(orderId: string, write: PaymentWrite): PgWrite {
  if ('void' in write) {
    return {
      name: 'payment-void',
      ctes: ['void AS (INSERT INTO payment_voids (order_id) VALUES ($1))'],
      values: [orderId],
    };
  }
  const { entry } = write;
  return {
    name: 'payment-ledger-entry',
    ctes: [
      `entry AS (INSERT INTO payment_ledger (payment_id, order_id, kind, amount_cents, currency)
      VALUES ($1, $2, $3, $4, $5))`,
    ],
    values: [entry.paymentId, entry.orderId, entry.kind, entry.amountCents, entry.currency],
  };
}

/** The ledger entries and voids of a batch, in one statement's parts (empty lists write nothing). */
const batchWriteOf = (entries: LedgerEntry[], voids: string[]): PgWrite => ({
  name: 'payment-batch',
  ctes: [
    `entries AS (INSERT INTO payment_ledger (payment_id, order_id, kind, amount_cents, currency)
      SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[]))`,
    'voids AS (INSERT INTO payment_voids (order_id) SELECT unnest($6::text[]))',
  ],
  values: [
    entries.map((e) => e.paymentId),
    entries.map((e) => e.orderId),
    entries.map((e) => e.kind),
    entries.map((e) => e.amountCents),
    entries.map((e) => e.currency),
    voids,
  ],
});

const pgEffectOf = <T extends 'payment.charge' | 'payment.refund'>(
  orderId: string,
  { write, ...execution }: PaymentDecision<T>,
): PgEffect<ReplyOf<T>> => ({ execution, ...(write && { write: pgWriteOf(orderId, write) }) });

/**
 * Payments on PostgreSQL; each command holds its order's advisory lock, so a charge and a refund never
 * interleave. A row lock cannot stand in for it: a charge and a void insert rows into different tables,
 * and neither row exists before, so only a lock on the order keeps one from missing the other.
 */
export class PgPaymentStore implements PaymentStore {
  readonly groupCommit: GroupCommit;

  private constructor(private readonly db: PgDatabase) {
    this.groupCommit = new PgGroupCommit(db, SERVICE);
  }

  static async open(url: string): Promise<PgPaymentStore> {
    return new PgPaymentStore(await PgDatabase.open(url, { migrations: DDL }));
  }

  findReply(commandId: string): Promise<StoredReply | null> {
    return findPgReply(this.db, SERVICE, commandId);
  }

  charge(key: InboxKey, command: ChargePayment, decline: FailureReason | null) {
    return runOncePg(this.db, SERVICE, key, async (client) => {
      const state = await lockedState(client, command.orderId);
      return pgEffectOf(command.orderId, decideCharge(state, command, decline, newPaymentId()));
    });
  }

  refund(key: InboxKey, command: RefundPayment) {
    return runOncePg(this.db, SERVICE, key, async (client) => {
      const state = await lockedState(client, command.orderId);
      return pgEffectOf(command.orderId, decideRefund(state, command.orderId, newPaymentId()));
    });
  }

  /**
   * Locks every order of the batch, reads all their payment state in one statement, decides each
   * command in order on the state the ones before it left, and writes every ledger entry, void and
   * inbox row in one statement.
   */
  runBatch(commands: PaymentCommand[]): Promise<PaymentExecution[]> {
    return this.db.transaction(async (client) => {
      const orderIds = [...new Set(commands.map((c) => c.command.orderId))];
      await lockKeys(client, orderIds.map(orderLockKey));
      const states = await statesOf(client, orderIds);
      const at = new Date().toISOString();
      const entries: LedgerEntry[] = [];
      const voids: string[] = [];
      const replies: InboxEntry[] = [];
      const executions = commands.map((c) => {
        const { orderId } = c.command;
        const state = states.get(orderId)!;
        const { write, ...execution } =
          c.kind === 'charge'
            ? decideCharge(state, c.command, c.decline, newPaymentId())
            : decideRefund(state, orderId, newPaymentId());
        states.set(orderId, afterPaymentWrite(state, write, at));
        if (write && 'void' in write) voids.push(orderId);
        else if (write) entries.push(write.entry);
        replies.push({ key: c.key, reply: execution.reply });
        return execution;
      });
      await recordReplies(client, SERVICE, replies, batchWriteOf(entries, voids));
      return executions;
    });
  }

  async listByOrder(orderId: string): Promise<Payment[]> {
    const { rows } = await this.db.pool.query<LedgerRow>(
      'SELECT * FROM payment_ledger WHERE order_id = $1 ORDER BY created_at, kind',
      [orderId],
    );
    return rows.map(toPayment);
  }

  async listPayments({ after, limit }: PageRequest) {
    const { rows } = await this.db.pool.query<LedgerRow>(
      'SELECT * FROM payment_ledger WHERE $1::text IS NULL OR payment_id > $1 ORDER BY payment_id LIMIT $2',
      [after, limit + 1],
    );
    return pageOf(rows.map(toPayment), limit, (p) => p.paymentId);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

/** The advisory lock that serialises the commands of one order. */
const orderLockKey = (orderId: string) => `payment-order:${orderId}`;

const ledgerEntryOf = (l: LedgerRow | null) => (l ? toPayment({ ...l, created_at: new Date(l.created_at) }) : null);

/**
 * The payment state of many orders (locked by the caller) in one statement. Unnamed, so planned at
 * every run: see `PgWrite.name`.
 */
async function statesOf(client: pg.PoolClient, orderIds: string[]): Promise<Map<string, OrderPayments>> {
  const { rows } = await client.query<{
    order_id: string;
    voided: boolean;
    charge: LedgerRow | null;
    refund: LedgerRow | null;
  }>({
    text: `SELECT o.order_id, EXISTS (SELECT 1 FROM payment_voids v WHERE v.order_id = o.order_id) AS voided,
      (SELECT to_jsonb(l) FROM payment_ledger l WHERE l.order_id = o.order_id AND l.kind = 'charge') AS charge,
      (SELECT to_jsonb(l) FROM payment_ledger l WHERE l.order_id = o.order_id AND l.kind = 'refund') AS refund
      FROM unnest($1::text[]) AS o(order_id)`,
    values: [orderIds],
  });
  return new Map(
    rows.map((row) => [
      row.order_id,
      { voided: row.voided, charge: ledgerEntryOf(row.charge), refund: ledgerEntryOf(row.refund) },
    ]),
  );
}

/**
 * Takes the order's lock, then reads all the order's payment state in one statement; that statement's
 * snapshot is taken after the lock was granted, so it sees whatever the previous holder committed.
 */
async function lockedState(client: pg.PoolClient, orderId: string): Promise<OrderPayments> {
  await lockKeys(client, [orderLockKey(orderId)]);
  return (await statesOf(client, [orderId])).get(orderId)!;
}
