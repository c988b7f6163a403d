/**
 * `--queue redis://[user:password@]host:port[/db]` → the connection options BullMQ (ioredis) takes. Every
 * command waits through a Redis restart instead of failing (`maxRetriesPerRequest: null`, as BullMQ
 * requires for workers), so a restarted Redis only pauses jobs.
 */
import type { RedisOptions } from 'bullmq';
import { InputError } from '../../core/errors.ts';

export type RedisConnectionOptions = RedisOptions & { host: string; port: number };

export function parseRedisUrl(url: string, what = '--queue'): RedisConnectionOptions {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new InputError('bad_queue_url', `${what} ${JSON.stringify(url)} is not a URL`, { hint: 'use redis://HOST:PORT, e.g. redis://127.0.0.1:6379' });
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new InputError('bad_queue_url', `${what} ${JSON.stringify(url)}: only redis:// and rediss:// queues are supported`, { hint: 'use redis://HOST:PORT' });
  }
  const port = u.port ? Number(u.port) : 6379;
  const db = u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0;
  if (!Number.isInteger(db) || db < 0) throw new InputError('bad_queue_url', `${what} ${JSON.stringify(url)}: the path must be a database number`, { hint: 'e.g. redis://127.0.0.1:6379/0' });
  return {
    host: u.hostname || '127.0.0.1',
    port,
    db,
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    maxRetriesPerRequest: null,
  };
}

/** The same URL without its password, for logs and messages. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/** BullMQ key prefix of Waterline's queues (the server's and the workers' must agree). */
export const QUEUE_PREFIX = 'waterline';

/** How often a Redis outage is logged again per queue (ioredis reports every failed reconnect, about once a second). */
export const REDIS_ERROR_LOG_MS = 30_000;

/**
 * A Redis error handler that logs the first error, then at most one line per `everyMs` with how many errors came
 * in between: an outage is visible at once without a line a second for as long as it lasts.
 */
export function throttledRedisErrors(log: (fields: { err: string; repeated?: number }) => void, everyMs = REDIS_ERROR_LOG_MS, now: () => number = Date.now): (err: Error) => void {
  let last = -Infinity;
  let repeated = 0;
  return (err) => {
    const t = now();
    if (t - last < everyMs) {
      repeated++;
      return;
    }
    log({ err: err.message, ...(repeated ? { repeated } : {}) });
    last = t;
    repeated = 0;
  };
}
