import { Router, type RequestHandler } from 'express';
import { ListDeadLettersQuery, ReplayRequest, SagaflowError } from '@sagaflow/contracts';
import { type DeadLetterQueues } from '@sagaflow/contracts/messaging';
import { HttpError } from './http-error.js';
import { parseBody, parseQuery, route } from './middleware.js';

const readList = parseQuery(ListDeadLettersQuery);
const readReplay = parseBody(ReplayRequest);
const DEFAULT_LIMIT = 500;

/** Maps the dead-letter kit's refusals to 4xx answers. */
const asHttp = (error: unknown): never => {
  if (error instanceof SagaflowError && !error.retryable) throw new HttpError(400, error.type, error.message);
  throw error;
};

/**
 * Dead-letter queues over HTTP (`/dlq`), for the timeline viewer: the same `DeadLetterQueues` the
 * ops CLI uses. Everything here is guarded: dead letters hold customers' data.
 */
export function deadLetterRoutes(deadLetters: () => Promise<DeadLetterQueues>, guard: RequestHandler): Router {
  const router = Router();
  router.use(guard);

  router.get(
    '/',
    route(async (req, res) => {
      const query = readList(req);
      const items = await (await deadLetters()).list({ ...query, limit: query.limit ?? DEFAULT_LIMIT }).catch(asHttp);
      res.json({ items });
    }),
  );

  router.get(
    '/:messageId',
    route(async (req, res) => {
      const detail = await (await deadLetters()).show(String(req.params.messageId));
      if (!detail) throw HttpError.notFound('dead letter');
      res.json(detail);
    }),
  );

  router.post(
    '/replay',
    route(async (req, res) => {
      const request = readReplay(req);
      const summary = await (await deadLetters()).replay(request).catch(asHttp);
      res.json(summary);
    }),
  );

  return router;
}
