import type { RequestHandler } from 'express';
import type { Logger } from '@sagaflow/contracts/messaging';
import { HttpError } from './http-error.js';
import { route } from './middleware.js';

const TIMEOUT_MS = 5_000;

/**
 * `GET /products`: the inventory's catalogue, read through the orchestrator so that the timeline
 * viewer speaks to one service only (DESIGN §1). The inventory's answer is passed on as it came.
 */
export function catalogueRoute(inventoryUrl: string, log: Logger): RequestHandler {
  const url = new URL('products', inventoryUrl.endsWith('/') ? inventoryUrl : `${inventoryUrl}/`);
  return route(async (_req, res) => {
    let response: Response;
    try {
      response = await fetch(url, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(TIMEOUT_MS) });
    } catch (error) {
      log.warn('inventory unreachable', { url: url.href, error: (error as Error).message });
      throw new HttpError(502, 'inventory_unreachable', `the inventory service at ${url.origin} does not answer`);
    }
    if (!response.ok) {
      throw new HttpError(502, 'inventory_failed', `the inventory service answered ${response.status}`);
    }
    res.json(await response.json());
  });
}
