/**
 * `waterline serve` configuration: flags over environment (src/config.ts) over defaults, validated once at
 * start-up with zod. A bad value stops the server with one line naming the setting and what is allowed.
 */
import { resolve } from 'node:path';
import { z } from 'zod';
import { InputError } from '../core/errors.ts';
import type { EnvConfig } from '../config.ts';

export interface ServerConfig {
  port: number;
  host: string;
  /** Absolute path; scenes, uploads and the job database live here. */
  dataDir: string;
  /** Model name or directory; undefined → the project's default model. */
  model?: string;
  device: string;
  /** When set, write endpoints require it (`X-API-Key` or `Authorization: Bearer`). */
  apiKey?: string;
  /** Allowed CORS origins: `[]` = CORS off, `['*']` = any origin. */
  corsOrigins: string[];
  maxUploadBytes: number;
  maxJsonBytes: number;
  maxRunningJobs: number;
  maxQueuedJobs: number;
  maxConcurrentUploads: number;
  /** Scene admission (register and upload): largest image in pixels per band, most strips/tiles per image. */
  maxScenePixels: number;
  maxSceneBlocks: number;
  /** Time a client has to send a request's headers (ms). */
  headersTimeoutMs: number;
  /** Request bodies must average at least this rate (bytes/s) once `bodyGraceMs` has passed, else 408. */
  minBodyBytesPerSecond: number;
  bodyGraceMs: number;
}

/** Raw settings as strings (from flags or env) or numbers (from code). */
export interface ServerSettings {
  port?: string | number;
  host?: string;
  dataDir?: string;
  model?: string;
  device?: string;
  apiKey?: string;
  cors?: string;
  maxUploadMb?: string | number;
  maxJsonKb?: string | number;
  maxRunningJobs?: string | number;
  maxQueuedJobs?: string | number;
  maxConcurrentUploads?: string | number;
  maxScenePixels?: string | number;
  maxSceneBlocks?: string | number;
  /** Seconds. */
  headersTimeout?: string | number;
  /** KiB/s. */
  minBodyRate?: string | number;
  /** Seconds. */
  bodyGrace?: string | number;
}

/** Default admission limits: 1 gigapixel (≈ 7 GB peak while a job vectorizes it) and 1 Mi strips/tiles per image. */
export const DEFAULT_MAX_SCENE_PIXELS = 1_000_000_000;
export const DEFAULT_MAX_SCENE_BLOCKS = 1024 * 1024;

const intIn = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const schema = z.object({
  port: intIn(0, 65535).default(8080),
  host: z.string().min(1).default('127.0.0.1'),
  dataDir: z.string().min(1).default('./waterline-data'),
  model: z.string().min(1).optional(),
  device: z.enum(['auto', 'cpu', 'cuda', 'webgpu']).default('auto'),
  apiKey: z.string().min(8, 'must be at least 8 characters').optional(),
  cors: z.string().default(''),
  maxUploadMb: z.coerce.number().positive().max(1024 * 1024).default(2048),
  maxJsonKb: z.coerce.number().positive().max(1024 * 1024).default(256),
  maxRunningJobs: intIn(1, 64).default(1),
  maxQueuedJobs: intIn(1, 100_000).default(1000),
  maxConcurrentUploads: intIn(1, 64).default(2),
  maxScenePixels: intIn(1, 4_000_000_000).default(DEFAULT_MAX_SCENE_PIXELS),
  maxSceneBlocks: intIn(1, 16 * 1024 * 1024).default(DEFAULT_MAX_SCENE_BLOCKS),
  headersTimeout: z.coerce.number().min(1).max(600).default(10),
  minBodyRate: z.coerce.number().positive().max(1024 * 1024).default(64),
  bodyGrace: z.coerce.number().min(0).max(3600).default(10),
});

const FLAG_NAMES: Record<string, string> = {
  port: '--port / WATERLINE_PORT',
  host: '--host / WATERLINE_HOST',
  dataDir: '--data-dir / WATERLINE_DATA_DIR',
  model: '--model / WATERLINE_MODEL',
  device: '--device / WATERLINE_DEVICE',
  apiKey: '--api-key / WATERLINE_API_KEY',
  cors: '--cors / WATERLINE_CORS',
  maxUploadMb: '--max-upload-mb / WATERLINE_MAX_UPLOAD_MB',
  maxScenePixels: '--max-scene-pixels / WATERLINE_MAX_SCENE_PIXELS',
  maxSceneBlocks: '--max-scene-blocks / WATERLINE_MAX_SCENE_BLOCKS',
  headersTimeout: '--headers-timeout / WATERLINE_HEADERS_TIMEOUT',
  minBodyRate: '--min-body-rate / WATERLINE_MIN_BODY_RATE',
  bodyGrace: '--body-grace / WATERLINE_BODY_GRACE',
};

function parseCors(value: string): string[] {
  const v = value.trim();
  if (v === '' || v === 'false' || v === 'off') return [];
  if (v === '*' || v === 'true') return ['*'];
  const origins = v.split(',').map((s) => s.trim().replace(/\/+$/, '')).filter(Boolean);
  for (const origin of origins) {
    let ok = false;
    try {
      const u = new URL(origin);
      ok = (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === origin;
    } catch { /* reported below */ }
    if (!ok) throw new InputError('bad_config', `invalid server setting --cors / WATERLINE_CORS: "${origin}" is not an origin`, { hint: 'use *, off, or a comma-separated list like https://maps.example.org' });
  }
  return origins;
}

/** Merge flags over environment and validate. Throws InputError with one line on a bad value. */
export function resolveServerConfig(flags: ServerSettings, env: Pick<EnvConfig, 'model' | 'device' | 'server'>, cwd = process.cwd()): ServerConfig {
  const pick = <T>(a: T | undefined, b: T | undefined): T | undefined => (a !== undefined && a !== '' ? a : b !== '' ? b : undefined);
  const merged: ServerSettings = {
    ...flags,
    port: pick(flags.port, env.server?.port),
    host: pick(flags.host, env.server?.host),
    dataDir: pick(flags.dataDir, env.server?.dataDir),
    model: pick(flags.model, env.model),
    device: pick(flags.device, env.device),
    apiKey: pick(flags.apiKey, env.server?.apiKey),
    cors: pick(flags.cors, env.server?.cors),
    maxUploadMb: pick(flags.maxUploadMb, env.server?.maxUploadMb),
    maxScenePixels: pick(flags.maxScenePixels, env.server?.maxScenePixels),
    maxSceneBlocks: pick(flags.maxSceneBlocks, env.server?.maxSceneBlocks),
    headersTimeout: pick(flags.headersTimeout, env.server?.headersTimeout),
    minBodyRate: pick(flags.minBodyRate, env.server?.minBodyRate),
    bodyGrace: pick(flags.bodyGrace, env.server?.bodyGrace),
  };
  const parsed = schema.safeParse(Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined)));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const key = String(issue.path[0] ?? '');
    const value = (merged as Record<string, unknown>)[key];
    throw new InputError('bad_config', `invalid server setting ${FLAG_NAMES[key] ?? key}${key === 'apiKey' ? '' : ` = ${JSON.stringify(value)}`}: ${issue.message}`, {
      hint: 'fix the flag or environment variable and start again',
    });
  }
  const c = parsed.data;
  return {
    port: c.port,
    host: c.host,
    dataDir: resolve(cwd, c.dataDir),
    model: c.model,
    device: c.device,
    apiKey: c.apiKey,
    corsOrigins: parseCors(c.cors),
    maxUploadBytes: Math.floor(c.maxUploadMb * 1024 * 1024),
    maxJsonBytes: Math.floor(c.maxJsonKb * 1024),
    maxRunningJobs: c.maxRunningJobs,
    maxQueuedJobs: c.maxQueuedJobs,
    maxConcurrentUploads: c.maxConcurrentUploads,
    maxScenePixels: c.maxScenePixels,
    maxSceneBlocks: c.maxSceneBlocks,
    headersTimeoutMs: Math.round(c.headersTimeout * 1000),
    minBodyBytesPerSecond: c.minBodyRate * 1024,
    bodyGraceMs: Math.round(c.bodyGrace * 1000),
  };
}
