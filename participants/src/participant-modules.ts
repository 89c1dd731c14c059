import type { ParticipantName } from '@sagaflow/contracts';
import { inventoryModule } from './inventory/inventory-service.js';
import type { ParticipantModule } from './kit/participant-module.js';
import { notificationModule } from './notification/notification-service.js';
import { paymentModule } from './payment/payment-service.js';

/** Every participant's module, by the name `PARTICIPANTS` gives it (a missing one does not compile). */
export const PARTICIPANT_MODULES: Readonly<Record<ParticipantName, ParticipantModule>> = {
  inventory: inventoryModule,
  payment: paymentModule,
  notification: notificationModule,
};
