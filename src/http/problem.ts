/**
 * The one mapping from errors to HTTP responses: RFC 9457 `application/problem+json` bodies
 * `{type, title, status, detail, code}`, status from `WaterlineError.status`. Body-parser failures
 * (malformed JSON, too large) and unexpected errors are mapped here too, so nothing reaches a client as
 * an HTML stack trace.
 */
import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, Response } from 'express';
import { WaterlineError, isWaterlineError } from '../core/errors.ts';
import type { Logger } from '../logger.ts';

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** Errors thrown by express' body parsers carry `type` and `status`. */
function fromBodyParser(err: unknown): WaterlineError | undefined {
  if (typeof err !== 'object' || err === null || !('type' in err)) return undefined;
  const e = err as { type: string; status?: number; limit?: number; message: string };
  switch (e.type) {
    case 'entity.parse.failed':
      return new WaterlineError('malformed_json', `the request body is not valid JSON: ${e.message}`, 400);
    case 'entity.too.large':
      return new WaterlineError('body_too_large', `the request body is larger than the limit of ${e.limit} bytes`, 413);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new WaterlineError('unsupported_encoding', e.message, 415);
    case 'request.aborted':
      return new WaterlineError('request_aborted', 'the client aborted the request', 400);
    default:
      return e.status && e.status >= 400 && e.status < 500 ? new WaterlineError('bad_request', e.message, e.status) : undefined;
  }
}

/** `clientText` filters the detail (no server paths, no CLI flags: src/http/clientText.ts). */
export function toProblem(err: unknown, instance?: string, clientText: (text: string) => string = (t) => t): Problem {
  const known = isWaterlineError(err) ? err : fromBodyParser(err);
  if (known) {
    const status = known.status >= 400 && known.status <= 599 ? known.status : 500;
    return {
      type: `https://waterline.dev/problems/${known.code}`,
      title: STATUS_CODES[status] ?? 'Error',
      status,
      detail: clientText(known.userMessage()),
      code: known.code,
      ...(instance ? { instance } : {}),
    };
  }
  return {
    type: 'https://waterline.dev/problems/internal',
    title: STATUS_CODES[500]!,
    status: 500,
    detail: 'internal server error; the request id in X-Request-Id identifies it in the server log',
    code: 'internal',
    ...(instance ? { instance } : {}),
  };
}

export function sendProblem(res: Response, problem: Problem): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.status(problem.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

/** The last middleware of the app. */
export function problemHandler(logger: Logger, clientText?: (text: string) => string): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const problem = toProblem(err, req.originalUrl, clientText);
    // The log keeps what the client does not see (server paths, CLI hints).
    if (problem.status < 500 && isWaterlineError(err) && problem.detail !== err.userMessage()) (req.log ?? logger).info({ detail: err.userMessage() }, 'client error (full text)');
    // 501 (a job kind this server does not run) and 503 (loading, queue full) are answers, not faults.
    if (problem.status >= 500 && problem.status !== 501 && problem.status !== 503) (req.log ?? logger).error({ err }, 'request failed');
    res.locals.problem = { code: problem.code, detail: problem.detail };
    sendProblem(res, problem);
  };
}
