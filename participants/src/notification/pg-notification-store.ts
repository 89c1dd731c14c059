import type { NotificationTemplate } from '@sagaflow/contracts';
import { success, type GroupCommit, type InboxKey, type StoredReply } from '../kit/inbox.js';
import { findPgReply, INBOX_DDL, PgDatabase, recordReplies, writeOncePg } from '../kit/pg-database.js';
import { PgGroupCommit } from '../kit/pg-group-commit.js';
import { pageOf, type PageRequest } from '../kit/record-page.js';
import type { MessageKey, NotificationRecord, NotificationStore, SentNotification } from './notification-store.js';

const SERVICE = 'notification';

const DDL = [
  INBOX_DDL,
  `CREATE TABLE IF NOT EXISTS notification_messages (
    notification_id text PRIMARY KEY,
    order_id text NOT NULL,
    template text NOT NULL,
    recipient text NOT NULL,
    subject text NOT NULL,
    body text NOT NULL,
    created_at timestamptz NOT NULL,
    UNIQUE (order_id, template)
  )`,
];

interface MessageRow {
  notification_id: string;
  order_id: string;
  template: NotificationTemplate;
  recipient: string;
  subject: string;
  body: string;
  created_at: Date;
}

const toSent = (row: MessageRow): SentNotification => ({
  notificationId: row.notification_id,
  orderId: row.order_id,
  template: row.template,
  to: row.recipient,
  subject: row.subject,
  text: row.body,
  createdAt: row.created_at.toISOString(),
});

/**
 * Records the message, or finds the one the order already has for that template, and inserts the
 * inbox row with the reply naming it, in ONE statement. No row back: the order's message was committed
 * after this statement's snapshot (so `existing` missed it and nothing was written); run it again.
 */
const RECORD = `WITH inserted AS (
    INSERT INTO notification_messages (notification_id, order_id, template, recipient, subject, body, created_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (order_id, template) DO NOTHING
    RETURNING notification_id
  ), outcome AS (
    SELECT notification_id, false AS duplicate FROM inserted
    UNION ALL
    SELECT notification_id, true FROM notification_messages
    WHERE order_id = $2 AND template = $3 AND NOT EXISTS (SELECT 1 FROM inserted)
  ), inbox AS (
    INSERT INTO participant_inbox (service, command_id, command_type, reply)
    SELECT $8, $9, $10, jsonb_build_object('outcome', 'success', 'result', jsonb_build_object('notificationId', notification_id))
    FROM outcome
  )
  SELECT notification_id, duplicate FROM outcome`;

export class PgNotificationStore implements NotificationStore {
  readonly groupCommit: GroupCommit;

  private constructor(private readonly db: PgDatabase) {
    this.groupCommit = new PgGroupCommit(db, SERVICE);
  }

  static async open(url: string): Promise<PgNotificationStore> {
    return new PgNotificationStore(await PgDatabase.open(url, { migrations: DDL }));
  }

  findReply(commandId: string): Promise<StoredReply | null> {
    return findPgReply(this.db, SERVICE, commandId);
  }

  async findSent(orderId: string, template: NotificationTemplate): Promise<SentNotification | null> {
    // In a group transaction, through its connection: it sees the messages recorded earlier in the group.
    const { rows } = await this.db.queryable.query<MessageRow>(
      'SELECT * FROM notification_messages WHERE order_id = $1 AND template = $2',
      [orderId, template],
    );
    return rows[0] ? toSent(rows[0]) : null;
  }

  record(key: InboxKey, sent: SentNotification) {
    return writeOncePg(this.db, SERVICE, key, async (pool) => {
      const { rows } = await pool.query<{ notification_id: string; duplicate: boolean }>({
        name: 'notification-record',
        text: RECORD,
        values: [
          sent.notificationId,
          sent.orderId,
          sent.template,
          sent.to,
          sent.subject,
          sent.text,
          sent.createdAt,
          SERVICE,
          key.commandId,
          key.commandType,
        ],
      });
      if (!rows[0]) return null;
      return { reply: success({ notificationId: rows[0].notification_id }), duplicate: rows[0].duplicate };
    });
  }

  async findSentMany(keys: MessageKey[]): Promise<SentNotification[]> {
    // Unnamed (planned at every run): see `PgWrite.name`.
    const { rows } = await this.db.queryable.query<MessageRow>({
      text: `SELECT m.* FROM notification_messages m
        JOIN unnest($1::text[], $2::text[]) AS k(order_id, template) ON m.order_id = k.order_id AND m.template = k.template`,
      values: [keys.map((k) => k.orderId), keys.map((k) => k.template)],
    });
    return rows.map(toSent);
  }

  async recordMany(records: NotificationRecord[]) {
    const fresh = records.filter((r) => !r.duplicate).map((r) => r.sent);
    const executions = records.map(({ sent, duplicate }) => ({
      reply: success({ notificationId: sent.notificationId }),
      duplicate,
    }));
    await this.db.transaction((client) =>
      recordReplies(
        client,
        SERVICE,
        records.map((r, i) => ({ key: r.key, reply: executions[i]!.reply })),
        {
          name: 'notification-record-many',
          ctes: [
            `messages AS (INSERT INTO notification_messages
              (notification_id, order_id, template, recipient, subject, body, created_at)
              SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::timestamptz[]))`,
          ],
          values: [
            fresh.map((m) => m.notificationId),
            fresh.map((m) => m.orderId),
            fresh.map((m) => m.template),
            fresh.map((m) => m.to),
            fresh.map((m) => m.subject),
            fresh.map((m) => m.text),
            fresh.map((m) => m.createdAt),
          ],
        },
      ),
    );
    return executions;
  }

  async listByOrder(orderId: string): Promise<SentNotification[]> {
    const { rows } = await this.db.pool.query<MessageRow>(
      'SELECT * FROM notification_messages WHERE order_id = $1 ORDER BY created_at, notification_id',
      [orderId],
    );
    return rows.map(toSent);
  }

  async listNotifications({ after, limit }: PageRequest) {
    const { rows } = await this.db.pool.query<MessageRow>(
      'SELECT * FROM notification_messages WHERE $1::text IS NULL OR notification_id > $1 ORDER BY notification_id LIMIT $2',
      [after, limit + 1],
    );
    return pageOf(rows.map(toSent), limit, (m) => m.notificationId);
  }

  close(): Promise<void> {
    return this.db.close();
  }
}
