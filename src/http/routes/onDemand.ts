/**
 * On-demand segmentation for interactive maps: `GET /scenes/{id}/water.geojson?bbox=minLon,minLat,maxLon,maxLat
 * [&prompt=][&model=]` segments only the model tiles (the scene's 224 px tile grid, `planTileGrid`) under
 * the bbox and returns their water polygons (RFC 7946), unclipped, those intersecting the bbox.
 *
 * How: the pipeline's `segmentScene` with `completed` = every tile outside the bbox marked "no data" (one
 * shared NaN array) plus the tiles already in the cache; so only the missing tiles under the bbox reach the
 * model, and stitching/vectorization are the pipeline's own. Per-tile probabilities are cached (quantized
 * to bytes) in an in-memory LRU keyed by (scene, tile, prompt, model, overlap). One on-demand run at a time
 * (the model is shared with jobs); a few more wait, the rest get 429.
 */
import type { Router } from 'express';
import type { Feature } from 'geojson';
import { InputError, WaterlineError } from '../../core/errors.ts';
import { applyGeoTransform, invertGeoTransform } from '../../core/grid/affine.ts';
import { DEFAULT_OVERLAP, planTileGrid, type GridTile } from '../../core/grid/tileGrid.ts';
import type { SceneInfo } from '../../core/scene.ts';
import { createCrsTransform } from '../../adapters/raster/crs.ts';
import { dequantizeProbability, quantizeProbability } from '../../core/masks/probabilityCodec.ts';
import { segmentScene } from '../../pipeline/segmentScene.ts';
import type { AppContext } from '../appContext.ts';
import { jsonResponse, problemResponses } from '../openapiDocument.ts';
import { Lru } from '../lru.ts';
import { openScenesFor } from './tilesScenes.ts';

export type BBox = [number, number, number, number];

/** Most model tiles one on-demand request may cover (≈ 3.5k x 3.5k px at 224 px / 32 overlap). */
export const MAX_ON_DEMAND_TILES = 64;
const MAX_WAITING = 4;
const CACHE_TILES = 2048; // ≈ 100 MB of quantized 224² tiles

/** Parse and validate `bbox=minLon,minLat,maxLon,maxLat` (WGS84 degrees). */
export function parseBBox(value: unknown): BBox {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new InputError('bad_bbox', 'bbox is required: bbox=minLon,minLat,maxLon,maxLat (WGS84 degrees)', { hint: 'e.g. bbox=-75.8,45.3,-75.6,45.5' });
  }
  const parts = value.split(',');
  const nums = parts.map((s) => (/^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(s) ? Number(s) : Number.NaN));
  if (nums.length !== 4 || nums.some((n) => !Number.isFinite(n))) {
    throw new InputError('bad_bbox', `bbox "${value.slice(0, 100)}" is not 4 comma-separated numbers`, { hint: 'bbox=minLon,minLat,maxLon,maxLat' });
  }
  const [w, s, e, n] = nums as BBox;
  if (w < -180 || e > 180 || s < -90 || n > 90) {
    throw new InputError('bad_bbox', `bbox ${nums.join(',')} is outside -180..180 longitude / -90..90 latitude`, { hint: 'use WGS84 degrees, longitude first' });
  }
  if (!(w < e && s < n)) {
    throw new InputError('bad_bbox', `bbox ${nums.join(',')} is empty or inverted: need minLon < maxLon and minLat < maxLat`, { hint: 'bbox=minLon,minLat,maxLon,maxLat' });
  }
  return [w, s, e, n];
}

/** Pixel rectangle (continuous, clipped to the scene) covered by a lon/lat bbox; null when disjoint. */
export function bboxToPixelRect(bbox: BBox, info: SceneInfo): { x0: number; y0: number; x1: number; y1: number } | null {
  const t = createCrsTransform(info.crs);
  const inv = invertGeoTransform(info.geoTransform);
  let x0 = Infinity, y0 = Infinity, x1 = -Infinity, y1 = -Infinity;
  const steps = 16;
  for (let i = 0; i <= steps; i++) {
    const u = i / steps;
    for (const [lon, lat] of [
      [bbox[0] + u * (bbox[2] - bbox[0]), bbox[1]], [bbox[0] + u * (bbox[2] - bbox[0]), bbox[3]],
      [bbox[0], bbox[1] + u * (bbox[3] - bbox[1])], [bbox[2], bbox[1] + u * (bbox[3] - bbox[1])],
    ]) {
      let xy: [number, number];
      try {
        xy = t.fromWgs84(lon, lat);
      } catch {
        continue;
      }
      const [c, r] = applyGeoTransform(inv, xy[0], xy[1]);
      if (!Number.isFinite(c) || !Number.isFinite(r)) continue;
      x0 = Math.min(x0, c); x1 = Math.max(x1, c); y0 = Math.min(y0, r); y1 = Math.max(y1, r);
    }
  }
  x0 = Math.max(0, x0); y0 = Math.max(0, y0); x1 = Math.min(info.width, x1); y1 = Math.min(info.height, y1);
  return x0 < x1 && y0 < y1 ? { x0, y0, x1, y1 } : null;
}

function featureBBox(f: Feature): BBox {
  let w = Infinity, s = Infinity, e = -Infinity, n = -Infinity;
  const visit = (c: unknown): void => {
    if (Array.isArray(c) && typeof c[0] === 'number') {
      w = Math.min(w, c[0] as number); e = Math.max(e, c[0] as number); s = Math.min(s, c[1] as number); n = Math.max(n, c[1] as number);
    } else if (Array.isArray(c)) for (const x of c) visit(x);
  };
  visit((f.geometry as { coordinates?: unknown }).coordinates);
  return [w, s, e, n];
}

/** LRU of quantized tile probabilities. */
class TileProbabilityCache {
  private readonly lru: Lru<string, Uint8Array>;
  constructor(capacity: number) {
    this.lru = new Lru(capacity);
  }
  get(key: string): Float32Array | undefined {
    const hit = this.lru.get(key);
    return hit ? dequantizeProbability(hit) : undefined;
  }
  set(key: string, probability: Float32Array): void {
    this.lru.set(key, quantizeProbability(probability));
  }
}

export function registerRoutes(router: Router, ctx: AppContext): void {
  const scenes = openScenesFor(ctx);
  const cache = new TileProbabilityCache(CACHE_TILES);
  let chain: Promise<unknown> = Promise.resolve();
  let waiting = 0;

  /** Run one on-demand segmentation at a time; refuse when too many wait. */
  function serialized<T>(fn: () => Promise<T>): Promise<T> {
    if (waiting >= MAX_WAITING) {
      throw new WaterlineError('too_many_requests', `${waiting} on-demand segmentations are already waiting`, 429, { hint: 'retry in a few seconds, or start a job for the whole scene (POST /jobs)' });
    }
    waiting++;
    const run = chain.then(fn, fn);
    chain = run.catch(() => undefined).finally(() => waiting--);
    return run;
  }

  router.get('/scenes/:id/water.geojson', async (req, res) => {
    const bbox = parseBBox(req.query.bbox);
    const prompt = req.query.prompt === undefined || req.query.prompt === '' ? 'segment water' : String(req.query.prompt);
    if (prompt.length > 200) throw new InputError('bad_prompt', 'prompt is longer than 200 characters', { hint: 'use a short prompt such as "segment water"' });
    const model = ctx.models.resolve(req.query.model === undefined ? null : String(req.query.model));
    const entry = await scenes.get(req.params.id);
    const info = entry.scene.info;
    const segmenter = await ctx.segmenters.get(model);
    const tileSize = segmenter.info.inputSize;
    const grid = planTileGrid({ width: info.width, height: info.height, tileSize, overlap: DEFAULT_OVERLAP });
    const rect = bboxToPixelRect(bbox, info);
    const under = rect
      ? grid.tiles.filter((t: GridTile) => t.window.x < rect.x1 && t.window.x + t.window.width > rect.x0 && t.window.y < rect.y1 && t.window.y + t.window.height > rect.y0)
      : [];
    if (under.length > MAX_ON_DEMAND_TILES) {
      throw new InputError('bbox_too_large', `bbox covers ${under.length} model tiles of scene ${entry.record.name}; at most ${MAX_ON_DEMAND_TILES} per request`, {
        hint: 'zoom in (a smaller bbox) or run a job for the whole scene with POST /jobs',
      });
    }
    const keyOf = (tileId: string) => `${entry.record.id}|${tileId}|${tileSize}/${DEFAULT_OVERLAP}|${segmenter.info.name}|${segmenter.info.usesPrompt ? prompt : ''}`;
    const underIds = new Set(under.map((t) => t.id));
    const noData = new Float32Array(tileSize * tileSize).fill(Number.NaN);
    const completed = new Map<string, Float32Array>();
    let cached = 0;
    for (const t of grid.tiles) {
      if (!underIds.has(t.id)) completed.set(t.id, noData);
      else {
        const hit = cache.get(keyOf(t.id));
        if (hit) {
          completed.set(t.id, hit);
          cached++;
        }
      }
    }
    let features: Feature[] = [];
    let provenance: Record<string, unknown> = {};
    if (under.length > 0) {
      const result = await serialized(() => segmentScene(entry.scene, segmenter, {
        prompt,
        overlap: DEFAULT_OVERLAP,
        bands: entry.bands,
        stretch: entry.stretch,
        completed,
        onTileDone: (tileId, probability) => cache.set(keyOf(tileId), probability),
        sceneName: entry.record.name,
      }));
      features = result.collection.features.filter((f) => {
        const b = featureBBox(f as Feature);
        return b[0] <= bbox[2] && bbox[0] <= b[2] && b[1] <= bbox[3] && bbox[1] <= b[3];
      }) as Feature[];
      provenance = (result.collection as unknown as { waterline?: Record<string, unknown> }).waterline ?? {};
    }
    res.set('Cache-Control', 'no-cache');
    res.type('application/geo+json').send(JSON.stringify({
      type: 'FeatureCollection',
      features,
      waterline: {
        ...provenance,
        onDemand: { scene: entry.record.id, bbox, prompt, model: segmenter.info.name, tiles: under.map((t) => t.id), tilesFromCache: cached },
      },
    }));
  });
}

export const openapiPaths = {
  '/scenes/{id}/water.geojson': {
    get: {
      summary: 'On-demand segmentation of the model tiles under a bbox (cached per tile, prompt and model)',
      parameters: [
        { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
        { name: 'bbox', in: 'query', required: true, schema: { type: 'string' }, description: 'minLon,minLat,maxLon,maxLat (WGS84)' },
        { name: 'prompt', in: 'query', schema: { type: 'string', default: 'segment water' } },
        { name: 'model', in: 'query', schema: { type: 'string' } },
      ],
      responses: {
        '200': jsonResponse('water polygons of the tiles under the bbox', { type: 'object' }, 'application/geo+json'),
        '400': problemResponses['400'],
        '404': problemResponses['404'],
        '429': problemResponses['429'],
        '503': problemResponses['503'],
      },
    },
  },
};
