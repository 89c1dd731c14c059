import cors from 'cors';
import { rateLimit } from 'express-rate-limit';
import helmet from 'helmet';
import type { RequestHandler } from 'express';
import { HttpError } from './http-error.js';

const pass: RequestHandler = (_req, _res, next) => next();

/**
 * Security headers. The policy allows what this server itself serves and nothing else: the built
 * viewer at /ui and the API page at /docs load their scripts, styles and data from this origin only.
 * Styles may be inline (React and Swagger UI set style attributes); images may be data: URLs.
 */
export const securityHeaders = (): RequestHandler =>
  helmet({
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'", "'unsafe-inline'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'", 'data:'],
        connectSrc: ["'self'"],
        objectSrc: ["'none'"],
        baseUri: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
      },
    },
    // Served over plain HTTP on a developer's machine and inside a cluster: no HSTS, no upgrades.
    strictTransportSecurity: false,
  });

/**
 * CORS for the listed origins only: the browser gets `Access-Control-Allow-Origin` for them, with
 * the headers the viewer sends (the bearer token among them); any other origin gets none.
 */
export function corsFor(origins: readonly string[]): RequestHandler {
  if (origins.length === 0) return pass;
  const allowed = new Set(origins);
  return cors({
    origin: (origin, callback) => callback(null, origin !== undefined && allowed.has(origin)),
    methods: ['GET', 'POST', 'PUT', 'DELETE'],
    allowedHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'traceparent', 'Last-Event-ID'],
    exposedHeaders: ['Location', 'Retry-After', 'Idempotent-Replayed', 'RateLimit', 'RateLimit-Policy'],
    maxAge: 600,
  });
}

/** At most `perMinute` requests a minute per client address; 0 turns it off. */
export function perClientRateLimit(perMinute: number): RequestHandler {
  if (perMinute <= 0) return pass;
  return rateLimit({
    windowMs: 60_000,
    limit: perMinute,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    handler: (_req, _res, next) =>
      next(new HttpError(429, 'rate_limited', `more than ${perMinute} requests a minute from this client`)),
  });
}
