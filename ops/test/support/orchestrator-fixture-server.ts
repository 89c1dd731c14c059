import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { STALLED_SAGA, COMPLETED_SAGA, summaryOf } from './recorded-orchestrator-fixtures.js';

export interface FixtureServer {
  url: string;
  /** Every request it answered: method, path with query, Authorization header. */
  requests: { method: string; url: string; authorization: string | undefined }[];
  close(): Promise<void>;
}

/**
 * Stands in for the orchestrator's saga routes with recorded responses, speaking real HTTP on port 0,
 * with the orchestrator's token check (401 `{error, message}` on a mutating route without the bearer
 * token) and its 404/409 answers. The saga commands are tested against it until they run against the
 * real orchestrator.
 */
export async function startOrchestratorFixtureServer(apiToken: string): Promise<FixtureServer> {
  const requests: FixtureServer['requests'] = [];
  const app = express();
  app.use((req, _res, next) => {
    requests.push({ method: req.method, url: req.url, authorization: req.headers.authorization });
    next();
  });
  const mutating: express.RequestHandler = (req, res, next) => {
    if (req.headers.authorization === `Bearer ${apiToken}`) next();
    else res.status(401).json({ error: 'unauthorized', message: 'a valid bearer token is required' });
  };

  app.get('/sagas', (req, res) => {
    const all = [summaryOf(STALLED_SAGA), COMPLETED_SAGA];
    const items = all.filter((s) => req.query.status === undefined || s.status === req.query.status);
    res.json({ items, next: req.query.status === undefined ? 'cursor-2' : null });
  });
  app.get('/sagas/:id', (req, res) => {
    if (req.params.id === STALLED_SAGA.sagaId) res.json(STALLED_SAGA);
    else res.status(404).json({ error: 'not_found', message: 'saga not found' });
  });
  for (const action of ['retry', 'compensate']) {
    app.post(`/sagas/:id/${action}`, mutating, (req, res) => {
      if (req.params.id === COMPLETED_SAGA.sagaId) {
        res.status(409).json({
          error: 'action_not_allowed',
          message: `cannot ${action} a COMPLETED saga in state 'completed'`,
        });
      } else if (req.params.id !== STALLED_SAGA.sagaId) {
        res.status(404).json({ error: 'not_found', message: 'saga not found' });
      } else {
        const status = action === 'retry' ? 'RUNNING' : 'COMPENSATING';
        res.status(202).json({ ...summaryOf(STALLED_SAGA), status, version: STALLED_SAGA.version + 1 });
      }
    });
  }

  const server: Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
