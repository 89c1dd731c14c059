import express, { type ErrorRequestHandler, type Express, type RequestHandler, type Response } from 'express';
import {
  FaultsRequest,
  isStoreUnavailable,
  ListRecordsQuery,
  MAX_RECORD_PAGE,
  STORE_UNAVAILABLE,
  validator,
  type Validator,
} from '@sagaflow/contracts';
import { bearerTokenMatches, serveHttp, type HttpServer, type Logger } from '@sagaflow/contracts/messaging';
import type { FaultInjector } from './faults.js';
import type { ParticipantMetrics } from './metrics.js';
import type { PageRequest, RecordPage } from './record-page.js';

export interface ServiceAppOptions {
  service: string;
  logger: Logger;
  metrics: ParticipantMetrics;
  faults: FaultInjector;
  /** The service's own routes. */
  routes: (app: Express) => void;
  bodyLimit?: string;
  /** Whether the service can take work now (`GET /readyz`): its broker connection is up and it consumes. */
  ready?: () => boolean;
  /** When set, every mutating request needs `Authorization: Bearer <apiToken>`. */
  apiToken?: string;
}

const checkFaults = validator(FaultsRequest);

/** Checks a request part against its schema; on failure answers 400 and returns undefined. */
export function validated<T>(check: Validator<T>, value: unknown, res: Response): T | undefined {
  const result = check(value);
  if (result.ok) return result.value;
  res.status(400).json({ error: 'validation_failed', details: result.issues });
  return undefined;
}

const checkListing = validator(ListRecordsQuery, 'query');

/** How a listing route reads its store: one order's records, or a page of all of them. */
export interface RecordSource<T> {
  byOrder: (orderId: string) => Promise<T[]>;
  page: (request: PageRequest) => Promise<RecordPage<T>>;
  /** What of a record the route shows (all of it by default). */
  view?: (record: T) => unknown;
}

/**
 * A listing (`GET /payments` and the like): `?orderId=` answers `{items}` for that order; without it,
 * `{items, next}` pages through every record, so that a reader of all of them never gets one unbounded
 * answer. `limit` and `cursor` page the whole listing only: with `orderId` they are refused.
 */
export function recordsRoute<T>(source: RecordSource<T>): RequestHandler {
  const view = source.view ?? ((record: T) => record);
  return async (req, res) => {
    const query = validated(checkListing, { ...req.query }, res);
    if (!query) return;
    if (query.orderId !== undefined) {
      if (query.limit !== undefined || query.cursor !== undefined) {
        res.status(400).json({
          error: 'validation_failed',
          details: [
            { path: '/orderId', message: 'limit and cursor page the whole listing: leave them out with orderId' },
          ],
        });
        return;
      }
      res.json({ items: (await source.byOrder(query.orderId)).map(view) });
      return;
    }
    const page = await source.page({ after: query.cursor ?? null, limit: query.limit ?? MAX_RECORD_PAGE });
    res.json({ items: page.items.map(view), next: page.next });
  };
}

const hasBody = (headers: Record<string, string | string[] | undefined>): boolean =>
  headers['transfer-encoding'] !== undefined ||
  (headers['content-length'] !== undefined && headers['content-length'] !== '0');

const requireJson: RequestHandler = (req, res, next) => {
  if (hasBody(req.headers) && !req.is(['application/json', '+json'])) {
    res.status(415).json({ error: 'unsupported_media_type', message: 'send the body as application/json' });
    return;
  }
  next();
};

const READ_ONLY = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Mutating requests (`PUT /faults`, `PUT /products/:sku`, …) need the bearer token, if one is set. */
function requireTokenToChange(token: string | undefined): RequestHandler {
  return (req, res, next) => {
    if (!token || READ_ONLY.has(req.method) || bearerTokenMatches(req.headers.authorization, token)) return next();
    res
      .status(401)
      .set('WWW-Authenticate', 'Bearer')
      .json({ error: 'unauthorized', message: 'this route needs Authorization: Bearer <token>' });
  };
}

const BODY_ERRORS: Record<string, { status: number; error: string }> = {
  'entity.parse.failed': { status: 400, error: 'invalid_json' },
  'entity.too.large': { status: 413, error: 'payload_too_large' },
  'encoding.unsupported': { status: 415, error: 'unsupported_media_type' },
  'charset.unsupported': { status: 415, error: 'unsupported_media_type' },
  'entity.verify.failed': { status: 400, error: 'invalid_body' },
  'request.aborted': { status: 400, error: 'request_aborted' },
};

/**
 * The HTTP surface every participant shares: JSON bodies only (415 otherwise, 413 when too large),
 * `GET /healthz`, `GET /readyz`, `GET /metrics`, `GET|PUT /faults`, JSON 404s, and 4xx with a reason for bad input.
 * With an API token, only reading is open.
 */
export function createServiceApp(options: ServiceAppOptions): Express {
  const { service, logger, metrics, faults } = options;
  const app = express();
  app.disable('x-powered-by');
  app.use(requireTokenToChange(options.apiToken));
  app.use(requireJson);
  app.use(express.json({ limit: options.bodyLimit ?? '100kb', type: ['application/json', '+json'] }));

  app.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', service });
  });
  app.get('/readyz', (_req, res) => {
    const ready = options.ready?.() ?? true;
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready', service });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.get('/faults', (_req, res) => {
    res.json(faults.current);
  });
  app.put('/faults', (req, res) => {
    const request = validated(checkFaults, req.body, res);
    if (!request) return;
    const settings = faults.configure(request);
    logger.warn('fault injection changed', { ...settings });
    res.json(settings);
  });

  options.routes(app);

  app.use((req, res) => {
    res.status(404).json({ error: 'not_found', message: `no route for ${req.method} ${req.path}` });
  });
  const onError: ErrorRequestHandler = (error, req, res, _next) => {
    const known = BODY_ERRORS[(error as { type?: string }).type ?? ''];
    const status = known?.status ?? (error as { status?: number }).status;
    if (res.headersSent) return;
    if (status !== undefined && status >= 400 && status < 500) {
      res.status(status).json({ error: known?.error ?? 'bad_request', message: (error as Error).message });
      return;
    }
    if (isStoreUnavailable(error)) {
      logger.warn('store unavailable', { method: req.method, path: req.path, error: (error as Error).message });
      res.setHeader('Retry-After', '1');
      res
        .status(503)
        .json({ error: STORE_UNAVAILABLE, message: 'the store did not answer in time; try again shortly' });
      return;
    }
    logger.error('request failed', { method: req.method, path: req.path, error: (error as Error).message });
    res.status(500).json({ error: 'internal_error', message: 'the request could not be served' });
  };
  app.use(onError);
  return app;
}

export type { HttpServer };

/** Serves the app; `close()` answers 503 to new requests while those in flight finish. */
export const listen = (app: Express, port: number, host?: string): Promise<HttpServer> =>
  serveHttp(app, { port, host });
