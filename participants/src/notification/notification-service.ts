import { randomUUID } from 'node:crypto';
import { ByOrderQuery, validator } from '@sagaflow/contracts';
import { silentLogger } from '@sagaflow/contracts/messaging';
import type { Express } from 'express';
import { afterCommit } from '../kit/after-commit.js';
import { validated } from '../kit/http-app.js';
import { participantModule } from '../kit/participant-module.js';
import { startParticipantService, type ParticipantConfig, type ServiceHandle } from '../kit/participant-service.js';
import { LogMailSender, SmtpMailSender, type MailSender } from './mail-sender.js';
import type { NotificationStore } from './notification-store.js';
import { openNotificationStore } from './open-notification-store.js';
import { renderNotification } from './templates.js';
import { UnrecordedMails } from './unrecorded-mails.js';

export interface NotificationConfig extends ParticipantConfig {
  /** Send through SMTP; without it (and without `mailSender`) messages go to the store and the log only. */
  smtpUrl?: string;
  mailSender?: MailSender;
}

const checkQuery = validator(ByOrderQuery, 'query');

function notificationRoutes(store: NotificationStore) {
  return (app: Express) => {
    app.get('/notifications', async (req, res) => {
      const query = validated(checkQuery, { ...req.query }, res);
      if (!query) return;
      const sent = await store.listByOrder(query.orderId);
      res.json({
        items: sent.map(({ notificationId, orderId, template, to, createdAt }) => ({
          notificationId,
          orderId,
          template,
          to,
          createdAt,
        })),
      });
    });
  };
}

/** Starts the notification service: renders each message, sends it once and records it. */
export async function startNotification(config: NotificationConfig): Promise<ServiceHandle> {
  const logger = config.logger ?? silentLogger();
  const sender: MailSender =
    config.mailSender ?? (config.smtpUrl ? new SmtpMailSender(config.smtpUrl) : new LogMailSender(logger));
  const store = await openNotificationStore(config.storeUrl);
  const unrecorded = new UnrecordedMails();
  return startParticipantService({
    service: 'notification',
    config,
    store,
    onStopped: () => sender.close?.(),
    build: () => ({
      routes: notificationRoutes(store),
      handlers: {
        'notification.send': async (command) => {
          const key = { commandId: command.commandId!, commandType: command.type };
          const { orderId, template, to } = command.payload;
          const already = await store.findSent(orderId, template);
          if (already) return store.record(key, already);
          let mail = unrecorded.get(key.commandId);
          if (!mail) {
            mail = { notificationId: `ntf-${randomUUID()}`, to, ...renderNotification(command.payload) };
            // Sent before it is recorded: a crash in between sends it again rather than never.
            await sender.send(mail);
            unrecorded.add(key.commandId, mail);
          }
          const execution = await store.record(key, {
            ...mail,
            orderId,
            template,
            createdAt: new Date().toISOString(),
          });
          await afterCommit(() => unrecorded.recorded(key.commandId));
          return execution;
        },
      },
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
