import type { ErrorRequestHandler, NextFunction, Request, RequestHandler, Response } from 'express';
import { isStoreUnavailable, STORE_UNAVAILABLE, validator, type Static, type TSchema } from '@sagaflow/contracts';
import { bearerTokenMatches, type Logger } from '@sagaflow/contracts/messaging';

import { HttpError } from './http-error.js';

/** Checks `req.body` against a contract schema: 400 with every issue, or the typed body. */
export function parseBody<S extends TSchema>(schema: S): (req: Request) => Static<S> {
  const check = validator(schema);
  return (req) => {
    const result = check(req.body ?? {});
    if (!result.ok) throw HttpError.validation(result.issues);
    return result.value;
  };
}

/** Checks the query string (numbers coerced) against a contract schema. */
export function parseQuery<S extends TSchema>(schema: S): (req: Request) => Static<S> {
  const check = validator(schema, 'query');
  return (req) => {
    const query = { ...(req.query as Record<string, unknown>) };
    const result = check(query);
    if (!result.ok) throw HttpError.validation(result.issues);
    return result.value;
  };
}

/** A request with a body must say it is JSON. */
export const requireJson: RequestHandler = (req, _res, next) => {
  const hasBody = Number(req.headers['content-length'] ?? 0) > 0 || req.headers['transfer-encoding'] !== undefined;
  if (hasBody && !req.is('application/json')) {
    next(new HttpError(415, 'unsupported_media_type', 'send the body as application/json'));
  } else next();
};

/**
 * Mutating and operations routes need `Authorization: Bearer <API_TOKEN>` when a token is configured.
 * The header is the only place a token is read from: one in the query string is refused by name.
 */
export function requireToken(token: string | undefined): RequestHandler {
  if (!token) return (_req, _res, next) => next();
  return (req, res, next) => {
    if (bearerTokenMatches(req.headers.authorization, token)) return next();
    res.setHeader('WWW-Authenticate', 'Bearer');
    const inUrl = ['token', 'access_token', 'api_token'].some((name) => name in (req.query as object));
    next(
      new HttpError(
        401,
        'unauthorized',
        inUrl
          ? 'tokens are not accepted in the URL: send Authorization: Bearer <token>'
          : 'this route needs Authorization: Bearer <token>',
      ),
    );
  };
}

/** Wraps an async route so that its errors reach the error handler. */
export const route =
  (handler: (req: Request, res: Response) => Promise<unknown> | unknown): RequestHandler =>
  (req, res, next: NextFunction) => {
    Promise.resolve()
      .then(() => handler(req, res))
      .catch(next);
  };

export const notFound: RequestHandler = (req, _res, next) =>
  next(HttpError.notFound(`route ${req.method} ${req.path}`));

/** Bad input is a 4xx with a reason; only a fault of ours is a 500. */
export function errorHandler(log: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    let http: HttpError;
    if (error instanceof HttpError) http = error;
    else if (error?.type === 'entity.too.large')
      http = new HttpError(413, 'payload_too_large', 'the body is too large');
    else if (error?.type === 'entity.parse.failed')
      http = new HttpError(400, 'invalid_json', 'the body is not valid JSON');
    else if (error?.type === 'charset.unsupported' || error?.type === 'encoding.unsupported') {
      http = new HttpError(415, 'unsupported_media_type', error.message);
    } else if (typeof error?.status === 'number' && error.status >= 400 && error.status < 500) {
      http = new HttpError(error.status, 'bad_request', error.message);
    } else if (isStoreUnavailable(error)) {
      // Not a fault of ours and not for ever: the client may try again (the same Idempotency-Key is safe).
      log.warn('store unavailable', { method: req.method, path: req.path, error: error?.message });
      res.setHeader('Retry-After', '1');
      http = new HttpError(
        503,
        STORE_UNAVAILABLE,
        'the store did not answer in time; the request may or may not have been applied: retry with the same Idempotency-Key',
      );
    } else {
      log.error('request failed', { method: req.method, path: req.path, error: error?.message, stack: error?.stack });
      http = new HttpError(500, 'internal_error', 'something went wrong on our side');
    }
    if (res.headersSent) return;
    res.status(http.status).json({
      error: http.code,
      message: http.message,
      ...(http.details !== undefined && { details: http.details }),
    });
  };
}
