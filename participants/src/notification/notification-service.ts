import { randomUUID } from 'node:crypto';
import type { Message } from '@sagaflow/contracts';
import { silentLogger } from '@sagaflow/contracts/messaging';
import type { Express } from 'express';
import { afterCommit } from '../kit/after-commit.js';
import { recordsRoute } from '../kit/http-app.js';
import { participantModule } from '../kit/participant-module.js';
import { startParticipantService, type ParticipantConfig, type ServiceHandle } from '../kit/participant-service.js';
import { LogMailSender, SmtpMailSender, type MailSender } from './mail-sender.js';
import type { MessageKey, NotificationRecord, NotificationStore, SentNotification } from './notification-store.js';
import { openNotificationStore } from './open-notification-store.js';
import { renderNotification } from './templates.js';
import { UnrecordedMails } from './unrecorded-mails.js';

export interface NotificationConfig extends ParticipantConfig {
  /** Send through SMTP; without it (and without `mailSender`) messages go to the store and the log only. */
  smtpUrl?: string;
  mailSender?: MailSender;
}

const keyOf = (command: Message<'notification.send'>) => ({
  commandId: command.commandId!,
  commandType: command.type,
});

/** Identifies the one message an order gets for a template. */
const messageKeyOf = ({ orderId, template }: MessageKey): string => `${template}\u0000${orderId}`;

function notificationRoutes(store: NotificationStore) {
  return (app: Express) => {
    app.get(
      '/notifications',
      recordsRoute({
        byOrder: (orderId) => store.listByOrder(orderId),
        page: (request) => store.listNotifications(request),
        view: ({ notificationId, orderId, template, to, createdAt }) => ({
          notificationId,
          orderId,
          template,
          to,
          createdAt,
        }),
      }),
    );
  };
}

/** Starts the notification service: renders each message, sends it once and records it. */
export async function startNotification(config: NotificationConfig): Promise<ServiceHandle> {
  const logger = config.logger ?? silentLogger();
  const sender: MailSender =
    config.mailSender ?? (config.smtpUrl ? new SmtpMailSender(config.smtpUrl) : new LogMailSender(logger));
  const store = await openNotificationStore(config.storeUrl);
  const unrecorded = new UnrecordedMails();
  /** The message a command sends: the one it sent before, if its record did not commit, else a new one, sent. */
  const sentFor = async (command: Message<'notification.send'>): Promise<SentNotification> => {
    const { orderId, template, to } = command.payload;
    let mail = unrecorded.get(command.commandId!);
    if (!mail) {
      mail = { notificationId: `ntf-${randomUUID()}`, to, ...renderNotification(command.payload) };
      // Sent before it is recorded: a crash in between sends it again rather than never.
      await sender.send(mail);
      unrecorded.add(command.commandId!, mail);
    }
    return { ...mail, orderId, template, createdAt: new Date().toISOString() };
  };
  return startParticipantService({
    service: 'notification',
    config,
    store,
    onStopped: () => sender.close?.(),
    build: () => ({
      routes: notificationRoutes(store),
      handlers: {
        'notification.send': async (command) => {
          const key = keyOf(command);
          const { orderId, template } = command.payload;
          const already = await store.findSent(orderId, template);
          if (already) return store.record(key, already);
          const execution = await store.record(key, await sentFor(command));
          await afterCommit(() => unrecorded.recorded(key.commandId));
          return execution;
        },
      },
      ...(store.findSentMany &&
        store.recordMany && {
          runBatch: async (commands) => {
            const sends = commands as Message<'notification.send'>[];
            const sent = new Map(
              (await store.findSentMany!(sends.map((c) => c.payload))).map((s) => [messageKeyOf(s), s]),
            );
            const records: NotificationRecord[] = [];
            for (const command of sends) {
              // Decided in order, as alone: a later command for a message sent earlier in the batch gets that one.
              const already = sent.get(messageKeyOf(command.payload));
              const record = already ?? (await sentFor(command));
              if (!already) sent.set(messageKeyOf(record), record);
              records.push({ key: keyOf(command), sent: record, duplicate: already !== undefined });
            }
            const executions = await store.recordMany!(records);
            await afterCommit(() => {
              for (const r of records) if (!r.duplicate) unrecorded.recorded(r.key.commandId);
            });
            return executions;
          },
        }),
    }),
  });
}

export const notificationModule = participantModule<NotificationConfig>({
  stores: ['postgres', 'mongodb'],
  readConfig: (read, base) => {
    const smtpUrl = read.url('SMTP_URL', undefined, ['smtp', 'smtps']);
    return { ...base, ...(smtpUrl && { smtpUrl }) };
  },
  start: startNotification,
});
