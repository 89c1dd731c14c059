import type pg from 'pg';
import type { ChargePayment, FailureReason, Payment, RefundPayment } from '@sagaflow/contracts';
import type { InboxKey, StoredReply } from '../kit/inbox.js';
import { findPgReply, INBOX_DDL, PgDatabase, runOncePg } from '../kit/pg-database.js';
import type { PaymentStore } from './payment-store.js';
import { chargedReply, newPaymentId, refundedReply, voidedReply, voidReply } from './payment-rules.js';

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

/** Payments on PostgreSQL; each command holds its order's advisory lock, so a charge and a refund never interleave. */
export class PgPaymentStore implements PaymentStore {
  private constructor(private readonly db: PgDatabase) {}

  static async open(url: string): Promise<PgPaymentStore> {
    return new PgPaymentStore(await PgDatabase.open(url, { migrations: DDL }));
  }

  findReply(commandId: string): Promise<StoredReply | null> {
    return findPgReply(this.db, SERVICE, commandId);
  }

  charge(key: InboxKey, command: ChargePayment, decline: FailureReason | null) {
    return runOncePg(this.db, SERVICE, key, async (client) => {
      await lockOrder(client, command.orderId);
      if (await isVoided(client, command.orderId)) return { reply: voidedReply(command.orderId), duplicate: false };
      const existing = await ledgerEntry(client, command.orderId, 'charge');
      if (existing) return { reply: chargedReply(existing), duplicate: true };
      if (decline) return { reply: { outcome: 'failure' as const, reason: decline }, duplicate: false };
      const { rows } = await client.query<LedgerRow>(
        `INSERT INTO payment_ledger (payment_id, order_id, kind, amount_cents, currency)
         VALUES ($1, $2, 'charge', $3, $4) RETURNING *`,
        [newPaymentId(), command.orderId, command.amountCents, command.currency],
      );
      return { reply: chargedReply(toPayment(rows[0]!)), duplicate: false };
    });
  }

  refund(key: InboxKey, command: RefundPayment) {
    return runOncePg(this.db, SERVICE, key, async (client) => {
      await lockOrder(client, command.orderId);
      const refunded = await ledgerEntry(client, command.orderId, 'refund');
      if (refunded) return { reply: refundedReply(refunded), duplicate: true };
      const charge = await ledgerEntry(client, command.orderId, 'charge');
      if (!charge) {
        const voided = await client.query(
          'INSERT INTO payment_voids (order_id) VALUES ($1) ON CONFLICT (order_id) DO NOTHING',
          [command.orderId],
        );
        return { reply: voidReply(), duplicate: voided.rowCount === 0 };
      }
      const { rows } = await client.query<LedgerRow>(
        `INSERT INTO payment_ledger (payment_id, order_id, kind, amount_cents, currency)
         VALUES ($1, $2, 'refund', $3, $4) RETURNING *`,
        [newPaymentId(), command.orderId, charge.amountCents, charge.currency],
      );
      return { reply: refundedReply(toPayment(rows[0]!)), duplicate: false };
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

const lockOrder = (client: pg.PoolClient, orderId: string) =>
  client.query('SELECT pg_advisory_xact_lock(hashtext($1))', [`payment-order:${orderId}`]);

async function isVoided(client: pg.PoolClient, orderId: string): Promise<boolean> {
  const { rowCount } = await client.query('SELECT 1 FROM payment_voids WHERE order_id = $1', [orderId]);
  return (rowCount ?? 0) > 0;
}

async function ledgerEntry(client: pg.PoolClient, orderId: string, kind: Payment['kind']): Promise<Payment | null> {
  const { rows } = await client.query<LedgerRow>('SELECT * FROM payment_ledger WHERE order_id = $1 AND kind = $2', [
    orderId,
    kind,
  ]);
  return rows[0] ? toPayment(rows[0]) : null;
}
