/**
 * Access control and limits: the optional API key on write endpoints, CORS, and concurrency limits
 * (uploads in flight). Each is a small express middleware; app.ts decides where they apply.
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { RequestHandler } from 'express';
import { UnauthorizedError, WaterlineError } from '../core/errors.ts';

const WRITE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

function sameSecret(a: string, b: string): boolean {
  // Compare fixed-length digests so neither the content nor the length leaks through timing.
  return timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());
}

/** Requires the key (`X-API-Key: k` or `Authorization: Bearer k`) on POST/PUT/PATCH/DELETE when configured. */
export function requireApiKey(apiKey: string | undefined): RequestHandler {
  return (req, _res, next) => {
    if (!apiKey || !WRITE_METHODS.has(req.method)) return next();
    const header = req.get('x-api-key') ?? req.get('authorization')?.match(/^Bearer\s+(.+)$/i)?.[1];
    if (header && sameSecret(header.trim(), apiKey)) return next();
    next(new UnauthorizedError(header ? 'bad_api_key' : 'api_key_required',
      header ? 'the API key is not valid' : 'this server requires an API key for write requests',
      { hint: 'send X-API-Key: <key> or Authorization: Bearer <key>' }));
  };
}

/**
 * CORS for browser clients on other origins. `origins` = [] → no CORS headers; ['*'] → any origin.
 * (Hand-written: the rules needed here are a dozen lines, and the `cors` package is not a dependency.)
 */
export function cors(origins: string[]): RequestHandler {
  const any = origins.includes('*');
  return (req, res, next) => {
    const origin = req.get('origin');
    if (!origin || origins.length === 0) return next();
    if (!any && !origins.includes(origin)) return next();
    res.setHeader('Access-Control-Allow-Origin', any ? '*' : origin);
    if (!any) res.append('Vary', 'Origin');
    res.setHeader('Access-Control-Expose-Headers', 'Location, X-Request-Id, ETag');
    if (req.method === 'OPTIONS' && req.get('access-control-request-method')) {
      res.setHeader('Access-Control-Allow-Methods', 'GET, HEAD, POST, DELETE, OPTIONS');
      res.setHeader('Access-Control-Allow-Headers', 'Content-Type, X-API-Key, Authorization, X-Request-Id, If-None-Match');
      res.setHeader('Access-Control-Max-Age', '600');
      res.status(204).end();
      return;
    }
    next();
  };
}

/** At most `max` requests through this middleware at once; others get 429 with Retry-After. */
export function concurrencyLimit(max: number, what: string): RequestHandler {
  let active = 0;
  return (_req, res, next) => {
    if (active >= max) {
      res.setHeader('Retry-After', '5');
      return next(new WaterlineError('too_many_requests', `too many ${what} in progress (limit ${max})`, 429, { hint: 'retry in a few seconds' }));
    }
    active++;
    let released = false;
    const release = (): void => {
      if (!released) {
        released = true;
        active--;
      }
    };
    res.on('finish', release);
    res.on('close', release);
    next();
  };
}
