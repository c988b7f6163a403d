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
