/**
 * @sagaflow/participants — the inventory, payment and notification services and the kit they share:
 * consume a command, run its effect once (effect, reply and inbox entry in one transaction), reply.
 * On PostgreSQL the commands delivered together commit in one transaction (group commit, `kit/participant.ts`),
 * decided one after the other in memory between one set-based read and one set-based write (`runBatch`).
 * Each service exports `start…(config)` returning `{ port, stop() }`; `main.ts` runs one from the environment.
 */
export { startInventory, crossedBelow, type InventoryConfig } from './inventory/inventory-service.js';
export { startPayment, DEFAULT_PAYMENT_LIMIT_CENTS, type PaymentConfig } from './payment/payment-service.js';
export { startNotification, type NotificationConfig } from './notification/notification-service.js';
export { LogMailSender, SmtpMailSender, type MailSender, type OutgoingMail } from './notification/mail-sender.js';
export { renderNotification, type RenderedMail } from './notification/templates.js';
export { gatewayVerdict, DECLINED_TOKEN } from './payment/payment-gateway.js';
export { DEMO_CATALOGUE } from './inventory/demo-catalogue.js';
export { openInventoryStore } from './inventory/open-inventory-store.js';
export { openPaymentStore } from './payment/open-payment-store.js';
export { openNotificationStore } from './notification/open-notification-store.js';
export type {
  InventoryStore,
  ProductSeed,
  Reservation,
  ReservationState,
  StockChange,
} from './inventory/inventory-store.js';
export type { PaymentStore } from './payment/payment-store.js';
export type { NotificationStore, SentNotification } from './notification/notification-store.js';
export {
  startParticipantService,
  type ParticipantConfig,
  type ParticipantServiceOptions,
  type ServiceHandle,
  type ServiceParts,
} from './kit/participant-service.js';
export {
  Participant,
  type BatchHandler,
  type CommandHandler,
  type CommandHandlers,
  type ParticipantOptions,
} from './kit/participant.js';
export { FaultInjector, type FaultSettings } from './kit/faults.js';
export { ParticipantMetrics } from './kit/metrics.js';
export { createServiceApp, listen, validated, type HttpServer, type ServiceAppOptions } from './kit/http-app.js';
export { afterCommit } from './kit/after-commit.js';
export {
  RejectCommand,
  type Execution,
  type GroupCommit,
  type InboxKey,
  type InboxReader,
  type ReplyOf,
  type ReplyPayload,
  type StoredReply,
} from './kit/inbox.js';
export { configFromEnv, type ServiceConfig } from './config.js';
export { DEFAULT_LOW_STOCK_THRESHOLD, inventoryModule } from './inventory/inventory-service.js';
export { paymentModule } from './payment/payment-service.js';
export { notificationModule } from './notification/notification-service.js';
export { participantModule, type ParticipantModule } from './kit/participant-module.js';
export { PARTICIPANT_MODULES } from './participant-modules.js';

import type { ServiceConfig } from './config.js';
import type { ServiceHandle } from './kit/participant-service.js';
import { PARTICIPANT_MODULES } from './participant-modules.js';

/** Starts the participant a `configFromEnv` result names. */
export const startService = ({ service, config }: ServiceConfig): Promise<ServiceHandle> =>
  PARTICIPANT_MODULES[service].start(config);
