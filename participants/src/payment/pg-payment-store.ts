import type pg from 'pg';
import type { ChargePayment, FailureReason, Payment, RefundPayment } from '@sagaflow/contracts';
import type { GroupCommit, InboxKey, ReplyOf, StoredReply } from '../kit/inbox.js';
import { findPgReply, INBOX_DDL, PgDatabase, runOncePg, type PgEffect, type PgWrite } from '../kit/pg-database.js';
import { PgGroupCommit } from '../kit/pg-group-commit.js';
import type { PaymentStore } from './payment-store.js';
import {
  decideCharge,
  decideRefund,
  newPaymentId,
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

  async listByOrder(orderId: string): Promise<Payment[]> {
    const { rows } = await this.db.pool.query<LedgerRow>(
      'SELECT * FROM payment_ledger WHERE order_id = $1 ORDER BY created_at, kind',
      [orderId],
    );
    return rows.map(toPayment);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}

/**
 * Takes the order's lock, then reads all the order's payment state in one statement; that statement's
 * snapshot is taken after the lock was granted, so it sees whatever the previous holder committed.
 */
async function lockedState(client: pg.PoolClient, orderId: string): Promise<OrderPayments> {
  await client.query({
    name: 'payment-lock-order',
    text: 'SELECT pg_advisory_xact_lock(hashtext($1))',
    values: [`payment-order:${orderId}`],
  });
  const { rows } = await client.query<{ voided: boolean; charge: LedgerRow | null; refund: LedgerRow | null }>({
    name: 'payment-order-state',
    text: `SELECT EXISTS (SELECT 1 FROM payment_voids WHERE order_id = $1) AS voided,
      (SELECT to_jsonb(l) FROM payment_ledger l WHERE order_id = $1 AND kind = 'charge') AS charge,
      (SELECT to_jsonb(l) FROM payment_ledger l WHERE order_id = $1 AND kind = 'refund') AS refund`,
    values: [orderId],
  });
  const row = rows[0]!;
  const entry = (l: LedgerRow | null) => (l ? toPayment({ ...l, created_at: new Date(l.created_at) }) : null);
  return { voided: row.voided, charge: entry(row.charge), refund: entry(row.refund) };
}
