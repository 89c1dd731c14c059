import {
  paymentCommandQueues,
  sagaflowTopology,
  type CommandType,
  type Message,
  type PaymentQueues,
} from '@sagaflow/contracts';
import type { InboxKey } from '../kit/inbox.js';
import type { Express } from 'express';
import { recordsRoute } from '../kit/http-app.js';
import { participantModule } from '../kit/participant-module.js';
import { startParticipantService, type ParticipantConfig, type ServiceHandle } from '../kit/participant-service.js';
import { gatewayVerdict } from './payment-gateway.js';
import type { PaymentCommand, PaymentStore } from './payment-store.js';
import { openPaymentStore } from './open-payment-store.js';

export interface PaymentConfig extends ParticipantConfig {
  /** Charges above this many cents are declined for insufficient funds. */
  limitCents: number;
  /**
   * `PAYMENT_CURRENCIES`: the currencies this worker takes, each on a queue of its own
   * (`payment.commands.eur`); empty, it takes every currency without one (`payment.commands`).
   */
  currencies?: string[];
}

/** The payment command queues a worker consumes, and its topology with them (see `sagaflowTopology`). */
export function paymentCommands(config: PaymentConfig) {
  const payment: PaymentQueues = config.currencies?.length ? { currencies: config.currencies } : 'default';
  const topology = sagaflowTopology(config.retryDelaysMs, config.queueType, config.retryJitter, { payment });
  return { topology, queues: paymentCommandQueues(payment, config).map((q) => q.name) };
}

export const DEFAULT_PAYMENT_LIMIT_CENTS = 100_000;

function paymentRoutes(store: PaymentStore) {
  return (app: Express) => {
    app.get(
      '/payments',
      recordsRoute({
        byOrder: (orderId) => store.listByOrder(orderId),
        page: (request) => store.listPayments(request),
      }),
    );
  };
}

const keyOf = (command: Message<CommandType>): InboxKey => ({
  commandId: command.commandId!,
  commandType: command.type,
});

const chargeOf = (command: Message<'payment.charge'>, limitCents: number) => ({
  kind: 'charge' as const,
  key: keyOf(command),
  command: command.payload,
  decline: gatewayVerdict(command.payload, limitCents),
});

/** A command of the payment queue as the store runs it in a batch. */
function paymentCommandOf(command: Message<CommandType>, limitCents: number): PaymentCommand {
  if (command.type === 'payment.charge') return chargeOf(command as Message<'payment.charge'>, limitCents);
  if (command.type === 'payment.refund') {
    return { kind: 'refund', key: keyOf(command), command: (command as Message<'payment.refund'>).payload };
  }
  throw new Error(`payment does not handle '${command.type}'`);
}

/** Starts the payment service (a simulated gateway and the ledger of money that moved). */
export async function startPayment(config: PaymentConfig): Promise<ServiceHandle> {
  const store = await openPaymentStore(config.storeUrl);
  return startParticipantService({
    service: 'payment',
    config,
    store,
    commands: paymentCommands(config),
    build: () => ({
      routes: paymentRoutes(store),
      handlers: {
        'payment.charge': (command) => {
          const { key, command: charge, decline } = chargeOf(command, config.limitCents);
          return store.charge(key, charge, decline);
        },
        'payment.refund': (command) => store.refund(keyOf(command), command.payload),
      },
      ...(store.runBatch && {
        runBatch: (commands) => store.runBatch!(commands.map((c) => paymentCommandOf(c, config.limitCents))),
      }),
    }),
  });
}

export const paymentModule = participantModule<PaymentConfig>({
  stores: ['postgres', 'mongodb'],
  readConfig: (read, base) => ({
    ...base,
    limitCents: read.int('PAYMENT_LIMIT_CENTS', DEFAULT_PAYMENT_LIMIT_CENTS, { max: 1_000_000_000_000 }),
    currencies: read.paymentCurrencies(),
  }),
  start: startPayment,
});
