/**
 * Slow request bodies cannot hold the server: after a grace period, a body must keep arriving at a minimum
 * average rate (bytes since the request started ≥ rate × (elapsed − grace)), else the request ends with 408
 * `request_timeout` and its connection is closed — so two uploads trickling at 100 B/s release their upload
 * slots within seconds instead of holding them forever. Headers are bounded separately by the server's
 * headers timeout (src/http/server.ts).
 *
 * The rate is measured on the socket (`bytesRead`), so nothing here reads or pauses the body stream.
 */
import type { RequestHandler, Response } from 'express';
import { WaterlineError } from '../core/errors.ts';
import { sendProblem, toProblem } from './problem.ts';

export interface BodyRateOptions {
  /** Minimum average body rate in bytes per second once the grace period is over. */
  minBytesPerSecond: number;
  /** Time a body may take before the rate applies (covers slow starts and small bodies), in ms. */
  graceMs: number;
  /** How often the rate is checked (default 1000 ms). */
  checkEveryMs?: number;
}

const CLAIMS = new WeakMap<Response, AbortController>();

/**
 * For a route that streams the body itself (an upload): a signal aborted (with the 408 error as its reason)
 * when the body falls below the minimum rate. Pass it to `pipeline(..., { signal })`, clean up, and let the
 * error reach the problem handler; unclaimed requests get the 408 from the limiter itself.
 */
export function claimBodyTimeout(res: Response): AbortSignal | undefined {
  const controller = CLAIMS.get(res);
  if (controller) (controller as AbortController & { claimed?: boolean }).claimed = true;
  return controller?.signal;
}

export function bodyRateLimit(options: BodyRateOptions): RequestHandler {
  return (req, res, next) => {
    const hasBody = req.headers['transfer-encoding'] !== undefined || Number(req.headers['content-length'] ?? 0) > 0;
    if (!hasBody || req.complete) {
      next();
      return;
    }
    const socket = req.socket;
    const started = Date.now();
    const startBytes = socket.bytesRead;
    const controller: AbortController & { claimed?: boolean } = new AbortController();
    CLAIMS.set(res, controller);
    const timer = setInterval(() => {
      if (req.complete || socket.destroyed) {
        stop();
        return;
      }
      const elapsed = Date.now() - started;
      const received = socket.bytesRead - startBytes;
      if (elapsed <= options.graceMs + (received / options.minBytesPerSecond) * 1000) return;
      stop();
      const rate = options.minBytesPerSecond >= 1024 ? `${Math.round(options.minBytesPerSecond / 1024)} KiB/s` : `${options.minBytesPerSecond} B/s`;
      const err = new WaterlineError('request_timeout', `the request body arrived too slowly (${received} bytes in ${Math.round(elapsed / 1000)} s; at least ${rate} on average is needed after the first ${Math.round(options.graceMs / 1000)} s)`, 408, {
        hint: 'send the body at full speed; put very large scenes in the data directory and register them instead',
      });
      req.log?.warn({ received, elapsedMs: elapsed }, 'request body too slow; closing the connection');
      if (!res.headersSent) res.setHeader('Connection', 'close');
      // Once the answer has left (or after 2 s at most), cut the connection and the body still trickling in.
      const cut = (): void => void setTimeout(() => socket.destroy(), 200).unref();
      res.once('finish', cut);
      setTimeout(() => socket.destroy(), 2000).unref();
      if (controller.claimed) controller.abort(err);
      else sendProblem(res, toProblem(err, req.originalUrl));
    }, options.checkEveryMs ?? 1000);
    timer.unref();
    const stop = (): void => clearInterval(timer);
    req.once('end', stop);
    res.once('close', stop);
    next();
  };
}
