import { Router, type RequestHandler } from 'express';
import { EditDeadLetterRequest, ListDeadLettersQuery, ReplayRequest, SagaflowError } from '@sagaflow/contracts';
import type { DeadLetterEdit, DeadLetterQueues, EditResult, Logger } from '@sagaflow/contracts/messaging';
import type { SagaEngine } from '../engine/saga-engine.js';
import { stepOfCommandId } from '../sagas/index.js';
import { HttpError } from './http-error.js';
import { parseBody, parseQuery, route } from './middleware.js';

const readList = parseQuery(ListDeadLettersQuery);
const readReplay = parseBody(ReplayRequest);
const readEdit = parseBody(EditDeadLetterRequest);
const DEFAULT_LIMIT = 500;

/** Maps the dead-letter kit's refusals to 4xx answers. */
const asHttp = (error: unknown): never => {
  if (error instanceof SagaflowError && !error.retryable) throw new HttpError(400, error.type, error.message);
  if (error instanceof SagaflowError && error.type === 'replay_failed')
    throw new HttpError(502, error.type, error.message);
  throw error;
};

/** Edits (or, without changes, replays) one dead letter by message id; null when no DLQ holds it. */
export type EditDeadLetter = (
  messageId: string,
  edit: DeadLetterEdit,
  options: { dryRun?: boolean },
) => Promise<EditResult | null>;

export interface DeadLetterRouteDeps {
  deadLetters: () => Promise<DeadLetterQueues>;
  editDeadLetter: EditDeadLetter;
  engine: SagaEngine;
  log: Logger;
}

/**
 * Dead-letter queues over HTTP (`/dlq`), for the timeline viewer: the same `DeadLetterQueues` the
 * ops CLI uses. Everything here is guarded: dead letters hold customers' data.
 */
export function deadLetterRoutes(deps: DeadLetterRouteDeps, guard: RequestHandler): Router {
  const { deadLetters, editDeadLetter, engine, log } = deps;
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

  router.post(
    '/:messageId/replay',
    route(async (req, res) => {
      const result = await editDeadLetter(String(req.params.messageId), { set: [] }, {}).catch(asHttp);
      if (!result) throw HttpError.notFound('dead letter');
      res.json(result);
    }),
  );

  /**
   * Edit and replay: the edited message is checked against its schema, sent again, and the change
   * (paths, old and new values) is written to its saga's timeline as an `ops.action`.
   */
  router.post(
    '/:messageId/edit',
    route(async (req, res) => {
      const { set, replace, dryRun } = readEdit(req);
      if ((set === undefined) === (replace === undefined)) {
        throw new HttpError(400, 'invalid_edit', 'give either `set` (path/value pairs) or `replace` (a whole message)');
      }
      const messageId = String(req.params.messageId);
      const edit: DeadLetterEdit = set !== undefined ? { set } : { replace };
      const result = await editDeadLetter(messageId, edit, { dryRun }).catch(asHttp);
      if (!result) throw HttpError.notFound('dead letter');
      let recorded = false;
      const { sagaId, queue, type } = result.deadLetter;
      if (result.replayed && sagaId !== null) {
        const detail = { action: 'dlq.edit', messageId, queue, type, changes: result.changes };
        // The message says which step it belongs to: the saga may have moved on by now.
        const step = stepOfCommandId(sagaId, (result.message as { commandId?: unknown }).commandId);
        recorded = (await engine.recordOperatorAction(sagaId, detail, step)).outcome === 'applied';
        log.info('dead letter edited and replayed', { sagaId, messageId, changes: result.changes.length });
      }
      res.json({ ...result, recorded });
    }),
  );

  return router;
}
