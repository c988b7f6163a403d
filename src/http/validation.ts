/**
 * Request validation in one place: zod schemas for every body and query the API accepts, and one
 * `parseInput` that turns a zod failure into an InputError (→ 400 problem+json) naming the field.
 */
import { z } from 'zod';
import { FLIP_VIEW_COUNTS, isFlipViewCount, type FlipViewCount } from '../core/model/flipViews.ts';
import { InputError } from '../core/errors.ts';
import { JOB_KINDS, JOB_STATES } from '../core/jobRecords.ts';

export function parseInput<T extends z.ZodType>(schema: T, value: unknown, what: string): z.infer<T> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0];
  const field = issue.path.length ? issue.path.join('.') : what;
  throw new InputError('invalid_request', `invalid ${what}: ${field}: ${issue.message}`, { hint: 'see /openapi.json for the expected shape' });
}

/** Ids are UUIDs we generate; anything else cannot exist (and never reaches the database). */
export const idSchema = z.string().regex(/^[0-9a-f-]{36}$/i);

export const registerSceneBody = z.object({
  path: z.string().min(1).max(4096),
}).strict();

export const uploadSceneQuery = z.object({
  name: z.string().min(1).max(255)
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\.(tif|tiff)$/i, 'must be a plain file name ending in .tif or .tiff (letters, digits, . _ -)'),
});

export const jobOptionsSchema = z.object({
  threshold: z.number().min(0).max(1).optional(),
  minArea: z.number().min(0).optional(),
  simplify: z.number().min(0).optional(),
  overlap: z.number().int().min(0).max(200).optional(),
  bands: z.array(z.number().int().min(1).max(1000)).min(1).max(4).optional(),
  bandRoles: z.string().min(1).max(200).regex(/^[A-Za-z0-9=,\s]+$/, 'must look like green=3,nir=8,swir1=11').optional(),
  fusion: z.enum(['auto', 'none']).optional(),
  flipViews: z.custom<FlipViewCount>((v) => typeof v === 'number' && isFlipViewCount(v), `must be one of ${FLIP_VIEW_COUNTS.join(', ')}`).optional(),
}).strict();

/**
 * `POST /jobs`: `{"scene": id}` (a segment job) or `{"kind": "change", "scenes": [A, B]}` (a job with two
 * scenes: water change from date A to date B). `kind` defaults to `segment`; its scene count is checked.
 */
export const createJobBody = z.object({
  kind: z.enum(JOB_KINDS).optional(),
  scene: z.string().min(1).optional(),
  scenes: z.array(z.string().min(1)).min(1).max(2).optional(),
  prompt: z.string().min(1).max(200).optional(),
  /** A registered model name (checked against the model registry, never used as a path). */
  model: z.string().optional(),
  options: jobOptionsSchema.optional(),
}).strict();

export const listJobsQuery = z.object({
  state: z.enum(JOB_STATES).optional(),
});

/** `bbox=minLon,minLat,maxLon,maxLat` (OGC API – Features, CRS84). */
export const bboxSchema = z.string().transform((s, ctx) => {
  const parts = s.split(',').map((p) => Number(p.trim()));
  if ((parts.length !== 4 && parts.length !== 6) || parts.some((n) => !Number.isFinite(n))) {
    ctx.addIssue({ code: 'custom', message: 'must be 4 numbers: minLon,minLat,maxLon,maxLat' });
    return z.NEVER;
  }
  const [minX, minY, maxX, maxY] = parts.length === 6 ? [parts[0], parts[1], parts[3], parts[4]] : parts;
  const problem = minX < -180 || maxX > 180 || minX > 180 || maxX < -180 ? `longitudes ${minX},${maxX} must lie within -180..180 (the whole world: -180,-90,180,90)`
    : minY < -90 || maxY > 90 ? `latitudes ${minY},${maxY} must lie within -90..90`
      : minY > maxY ? `minLat ${minY} is above maxLat ${maxY}` : null;
  if (problem) {
    ctx.addIssue({ code: 'custom', message: `must be lon/lat in degrees: ${problem}` });
    return z.NEVER;
  }
  return [minX, minY, maxX, maxY] as [number, number, number, number];
});

export const MAX_ITEMS_LIMIT = 10_000;

/**
 * OGC API – Features `datetime`: an instant (`2026-11-30T12:00:00Z`, or a date) or an interval `start/end` whose open
 * end is `..` or empty → [start ms | null, end ms | null] (a date alone spans its whole UTC day).
 */
export const datetimeSchema = z.string().transform((s, ctx) => {
  const instant = (t: string, end: boolean): number | null | undefined => {
    if (t === '' || t === '..') return null;
    const day = /^\d{4}-\d{2}-\d{2}$/.test(t);
    const ms = Date.parse(day ? `${t}T00:00:00Z` : t);
    if (!/^\d{4}-\d{2}-\d{2}/.test(t) || Number.isNaN(ms)) return undefined;
    return day && end ? ms + 86_400_000 - 1 : ms;
  };
  const parts = s.split('/');
  const [start, end] = parts.length === 1 ? [instant(parts[0], false), instant(parts[0], true)] : parts.length === 2 ? [instant(parts[0], false), instant(parts[1], true)] : [undefined, undefined];
  if (start === undefined || end === undefined || (parts.length === 1 && start === null) || (start !== null && end !== null && start > end)) {
    ctx.addIssue({ code: 'custom', message: 'must be an RFC 3339 instant or interval, e.g. 2026-11-30T00:00:00Z or 2026-11-01/.. ' });
    return z.NEVER;
  }
  return [start, end] as [number | null, number | null];
});

export const itemsQuery = z.object({
  bbox: bboxSchema.optional(),
  datetime: datetimeSchema.optional(),
  // OGC API – Features: a limit above the maximum is not an error; the maximum is used.
  limit: z.coerce.number().int().min(1).default(100).transform((n) => Math.min(n, MAX_ITEMS_LIMIT)),
  offset: z.coerce.number().int().min(0).default(0),
  f: z.enum(['json', 'geojson']).optional(),
});
