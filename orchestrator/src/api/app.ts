import express, { type Express } from 'express';
import { CreateOrderRequest, ListOrdersQuery, ListSagasQuery } from '@sagaflow/contracts';
import { type DeadLetterQueues, type Logger, type MessageBus } from '@sagaflow/contracts/messaging';
import type { SagaEngine } from '../engine/saga-engine.js';
import { CURRENCY_NOT_SERVED, type CurrencyRouter } from '../engine/currency-router.js';
import type { SagaMetrics } from '../metrics.js';
import type { SagaStore } from '../store/saga-store.js';
import { HttpError } from './http-error.js';
import { errorHandler, notFound, parseBody, parseQuery, requireJson, requireToken, route } from './middleware.js';
import type { SagaEventStream } from './saga-event-stream.js';
import { mountApiDocs } from './api-docs.js';
import { corsFor, perClientRateLimit, securityHeaders } from './security.js';
import { validTraceparent } from '../tracing/saga-trace.js';
import { catalogueRoute } from './catalogue-route.js';
import { reconciliationRoute } from './reconciliation-route.js';
import { deadLetterRoutes, type EditDeadLetter } from './dead-letter-routes.js';
import { uiRoutes } from './ui-routes.js';
import { definitionGraphs } from '../sagas/index.js';
import { orderView, sagaSummaryView, sagaView } from './views.js';

export interface AppDeps {
  engine: SagaEngine;
  store: SagaStore;
  bus: MessageBus;
  events: SagaEventStream;
  metrics: SagaMetrics;
  log: Logger;
  /** Opens (once) the dead-letter queues the `/dlq` routes work on. */
  deadLetters: () => Promise<DeadLetterQueues>;
  editDeadLetter: EditDeadLetter;
  /** Built timeline viewer served under /ui/. */
  uiDir?: string;
  /** The inventory service behind `GET /products`. */
  inventoryUrl: string;
  /** The payment and notification services whose records `GET /reconciliation` reads. */
  paymentUrl: string;
  notificationUrl: string;
  apiToken?: string;
  rateLimitPerMinute: number;
  /** Browser origins allowed to call the API from other sites. */
  corsOrigins?: readonly string[];
  /** Proxies whose `X-Forwarded-For` names the client (for the rate limit); 0 believes none. */
  trustProxyHops?: number;
  bodyLimit?: string;
  /** Who takes payments in which currency; an order no worker would take is refused (422). */
  currencies?: Pick<CurrencyRouter, 'serves'>;
}

const readCreateOrder = parseBody(CreateOrderRequest);
const readListOrders = parseQuery(ListOrdersQuery);
const readListSagas = parseQuery(ListSagasQuery);
const DEFAULT_PAGE = 50;

function idempotencyKeyOf(header: string | undefined): string | null {
  if (header === undefined) return null;
  if (!/^[\x21-\x7e]{1,200}$/.test(header)) {
    throw new HttpError(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1-200 visible ASCII characters');
  }
  return header;
}

/**
 * A 422 when no payment worker takes `currency`. When the broker cannot be asked (it is away, nothing
 * was learnt before), the order is taken: its commands wait in the outbox until they can be routed, as
 * every command does while the broker is away.
 */
async function refuseUnservedCurrency(currencies: AppDeps['currencies'], currency: string, log: Logger): Promise<void> {
  if (!currencies) return;
  const served = await currencies.serves(currency).catch((error: Error) => {
    log.warn('could not tell who takes a currency; taking the order', { currency, error: error.message });
    return true;
  });
  if (served) return;
  throw new HttpError(
    422,
    CURRENCY_NOT_SERVED,
    `no payment worker takes ${currency}: start one with PAYMENT_CURRENCIES=${currency}, or one without PAYMENT_CURRENCIES for every currency that has no worker of its own`,
  );
}

/** The orchestrator's HTTP API (DESIGN §5). */
export function createApp(deps: AppDeps): Express {
  const { engine, store, bus, events, metrics, log } = deps;
  const app = express();
  app.disable('x-powered-by');
  app.set('query parser', 'simple');
  if (deps.trustProxyHops) app.set('trust proxy', deps.trustProxyHops);
  app.use(securityHeaders(), corsFor(deps.corsOrigins ?? []));
  app.use(requireJson, express.json({ limit: deps.bodyLimit ?? '64kb' }));
  // Guards every mutating and operations route: see `guarded` in openapi.ts.
  const guarded = requireToken(deps.apiToken);

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });

  app.get(
    '/readyz',
    route(async (_req, res) => {
      const store_ = await store.ping().then(
        () => 'ok',
        (error: Error) => error.message,
      );
      const broker = bus.connected ? 'ok' : 'disconnected';
      const ready = store_ === 'ok' && broker === 'ok';
      res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', broker, store: store_ });
    }),
  );

  app.get(
    '/metrics',
    route(async (_req, res) => {
      res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
    }),
  );

  app.post(
    '/orders',
    perClientRateLimit(deps.rateLimitPerMinute),
    guarded,
    route(async (req, res) => {
      const key = idempotencyKeyOf(req.get('idempotency-key'));
      const request = readCreateOrder(req);
      await refuseUnservedCurrency(deps.currencies, request.currency, log);
      const result = await engine.placeOrder(request, key, validTraceparent(req.get('traceparent')));
      if (result.outcome === 'key_reused') {
        throw new HttpError(409, 'idempotency_key_reused', 'this Idempotency-Key was used for a different request');
      }
      const { order } = result;
      if (result.outcome === 'replayed') res.setHeader('Idempotent-Replayed', 'true');
      res
        .status(202)
        .location(`/orders/${order.orderId}`)
        .json({ orderId: order.orderId, sagaId: order.sagaId, status: order.status });
    }),
  );

  app.get(
    '/orders',
    route(async (req, res) => {
      const query = readListOrders(req);
      const page = await store.listOrders({ ...query, limit: query.limit ?? DEFAULT_PAGE });
      res.json({ items: page.items.map(orderView), next: page.next });
    }),
  );

  app.get(
    '/orders/:id',
    route(async (req, res) => {
      const order = await store.getOrder(String(req.params.id));
      if (!order) throw HttpError.notFound('order');
      res.json(orderView(order));
    }),
  );

  app.post(
    '/orders/:id/cancel',
    guarded,
    route(async (req, res) => {
      const toCancel = await store.getOrder(String(req.params.id));
      // The refund goes to the worker of the order's currency: refuse now rather than stall the saga.
      if (toCancel?.status === 'CONFIRMED') await refuseUnservedCurrency(deps.currencies, toCancel.currency, log);
      const result = await engine.cancelOrder(String(req.params.id), validTraceparent(req.get('traceparent')));
      if (result.outcome === 'not_found') throw HttpError.notFound('order');
      if (result.outcome === 'not_confirmed') {
        throw new HttpError(
          409,
          'order_not_confirmed',
          `only a CONFIRMED order can be cancelled; this one is ${result.order.status}`,
        );
      }
      const { order } = result;
      res
        .status(202)
        .location(`/sagas/${order.cancellationSagaId}`)
        .json({ orderId: order.orderId, sagaId: order.cancellationSagaId, status: order.status });
    }),
  );

  app.get(
    '/sagas',
    route(async (req, res) => {
      const query = readListSagas(req);
      const page = await store.listSagas({ ...query, limit: query.limit ?? DEFAULT_PAGE });
      res.json({ items: page.items.map(sagaSummaryView), next: page.next });
    }),
  );

  app.get(
    '/sagas/:id',
    route(async (req, res) => {
      const saga = await store.getSaga(String(req.params.id));
      if (!saga) throw HttpError.notFound('saga');
      res.json(sagaView(saga));
    }),
  );

  for (const action of ['retry', 'compensate'] as const) {
    app.post(
      `/sagas/:id/${action}`,
      guarded,
      route(async (req, res) => {
        const result = await engine.operatorAction(String(req.params.id), action === 'retry' ? 'RETRY' : 'COMPENSATE');
        if (result.outcome === 'not_found') throw HttpError.notFound('saga');
        if (result.outcome === 'unchanged') {
          const { status, state } = result.saga;
          throw new HttpError(409, 'action_not_allowed', `cannot ${action} a ${status} saga in state '${state}'`);
        }
        log.info('operator action', { sagaId: result.saga.sagaId, orderId: result.saga.orderId, action });
        res.status(202).json(sagaSummaryView(result.saga));
      }),
    );
  }

  app.get(
    '/saga-counts',
    route(async (_req, res) => {
      res.json({ counts: await store.countSagasByStatus() });
    }),
  );

  const graphs = definitionGraphs();
  app.get('/saga-definitions', (_req, res) => {
    res.json({ items: graphs });
  });

  app.get('/products', catalogueRoute(deps.inventoryUrl, log));

  app.get(
    '/events',
    guarded,
    route(async (req, res) => {
      const sagaId = typeof req.query.sagaId === 'string' ? req.query.sagaId : undefined;
      const orderId = typeof req.query.orderId === 'string' ? req.query.orderId : undefined;
      await events.attach(res, { sagaId, orderId });
    }),
  );

  app.use('/dlq', deadLetterRoutes(deps, guarded));
  app.get(
    '/reconciliation',
    guarded,
    reconciliationRoute(
      store,
      { inventory: deps.inventoryUrl, payment: deps.paymentUrl, notification: deps.notificationUrl },
      log,
    ),
  );
  mountApiDocs(app);

  app.get('/', (_req, res) => res.redirect(302, '/ui/'));
  app.use('/ui', uiRoutes(deps.uiDir));

  app.use(notFound);
  app.use(errorHandler(log));
  return app;
}
