import { ByOrderQuery, validator } from '@sagaflow/contracts';
import type { Express } from 'express';
import { validated } from '../kit/http-app.js';
import { participantModule } from '../kit/participant-module.js';
import { startParticipantService, type ParticipantConfig, type ServiceHandle } from '../kit/participant-service.js';
import { gatewayVerdict } from './payment-gateway.js';
import type { PaymentStore } from './payment-store.js';
import { openPaymentStore } from './open-payment-store.js';

export interface PaymentConfig extends ParticipantConfig {
  /** Charges above this many cents are declined for insufficient funds. */
  limitCents: number;
}

export const DEFAULT_PAYMENT_LIMIT_CENTS = 100_000;

const checkQuery = validator(ByOrderQuery, 'query');

function paymentRoutes(store: PaymentStore) {
  return (app: Express) => {
    app.get('/payments', async (req, res) => {
      const query = validated(checkQuery, { ...req.query }, res);
      if (!query) return;
      res.json({ items: await store.listByOrder(query.orderId) });
    });
  };
}

/** Starts the payment service (a simulated gateway and the ledger of money that moved). */
export async function startPayment(config: PaymentConfig): Promise<ServiceHandle> {
  const store = await openPaymentStore(config.storeUrl);
  return startParticipantService({
    service: 'payment',
    config,
    store,
    build: () => ({
      routes: paymentRoutes(store),
      handlers: {
        'payment.charge': (command) =>
          store.charge(
            { commandId: command.commandId!, commandType: command.type },
            command.payload,
            gatewayVerdict(command.payload, config.limitCents),
          ),
        'payment.refund': (command) =>
          store.refund({ commandId: command.commandId!, commandType: command.type }, command.payload),
      },
    }),
  });
}

export const paymentModule = participantModule<PaymentConfig>({
  stores: ['postgres', 'mongodb'],
  readConfig: (read, base) => ({
    ...base,
    limitCents: read.int('PAYMENT_LIMIT_CENTS', DEFAULT_PAYMENT_LIMIT_CENTS, { max: 1_000_000_000_000 }),
  }),
  start: startPayment,
});
