/**
 * Request logs (pino-http) with request ids: a client's `X-Request-Id` is kept when it is sane,
 * otherwise a UUID is generated; either way it is echoed in the response's `X-Request-Id`.
 * Errors log at error/warn, ordinary requests at info; successful tile / TileJSON / readiness requests at
 * debug (a map view fetches dozens of tiles per pan; with synchronous log writes every line costs the
 * event loop), and `/healthz` not at all. A line for a request answered with a problem carries its `code` and `detail`.
 */
import { randomUUID } from 'node:crypto';
import { pinoHttp } from 'pino-http';
import type { RequestHandler } from 'express';
import type { Logger } from '../logger.ts';

const SANE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Map tiles, TileJSON and readiness polls: a map client asks for dozens a second; successes log at debug. */
const CHATTY = /^\/(?:readyz|healthz)(?:\?|$)|\/tiles\/|\/tilejson\.json(?:\?|$)/;

export function requestLog(logger: Logger): RequestHandler {
  return pinoHttp({
    logger,
    genReqId: (req, res) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && SANE_ID.test(given) ? given : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    // 503 (model loading, queue full) and 501 (a job kind this server does not run) are expected answers, not faults.
    customLogLevel: (req, res, err) => {
      if (res.statusCode >= 500 && res.statusCode !== 503 && res.statusCode !== 501) return 'error';
      if (err || res.statusCode >= 400) return 'warn';
      return CHATTY.test(req.url ?? '') ? 'debug' : 'info';
    },
    // A request answered with a problem says which (set by the problem handler, src/http/problem.ts).
    customProps: (_req, res) => {
      const problem = (res as { locals?: { problem?: { code: string; detail: string } } }).locals?.problem;
      return problem ? { problem } : {};
    },
    autoLogging: { ignore: (req) => req.url === '/healthz' || req.url?.startsWith('/healthz?') === true },
    serializers: {
      req: (req: { id: unknown; method: string; url: string }) => ({ id: req.id, method: req.method, url: req.url }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  }) as unknown as RequestHandler;
}
