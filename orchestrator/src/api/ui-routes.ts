import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router } from 'express';
import { HttpError } from './http-error.js';

/** Vite names built assets by content hash: a file under `assets/` never changes. */
const ASSET_MAX_AGE = '365d';

/**
 * The timeline viewer under `/ui/`: hashed assets cached for good, and `index.html` (never cached)
 * for every other path, so that deep links such as `/ui/sagas/:sagaId` survive a reload.
 */
export function uiRoutes(uiDir: string | undefined): Router {
  const router = Router();
  const index = uiDir === undefined ? null : join(uiDir, 'index.html');
  if (index === null || !existsSync(index)) {
    router.use((_req, _res, next) =>
      next(new HttpError(404, 'ui_not_built', 'the timeline viewer is not built: run `make build` (or set UI_DIR)')),
    );
    return router;
  }
  router.use(
    '/assets',
    express.static(join(uiDir!, 'assets'), {
      immutable: true,
      maxAge: ASSET_MAX_AGE,
      index: false,
      fallthrough: false,
    }),
  );
  router.use(express.static(uiDir!, { index: false, maxAge: 0 }));
  router.get('/{*path}', (_req, res) => {
    res.setHeader('cache-control', 'no-cache');
    res.sendFile(index);
  });
  return router;
}
