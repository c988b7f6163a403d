/**
 * On-demand segmentation for interactive maps: `GET /scenes/{id}/water.geojson?bbox=minLon,minLat,maxLon,maxLat
 * [&prompt=][&model=]` segments only the model tiles (the scene's 224 px tile grid, `planTileGrid`) under
 * the bbox and returns their water polygons (RFC 7946), unclipped, those intersecting the bbox.
 *
 * Which tiles: those whose lon/lat footprint (computed forwards from the scene's pixels, once per scene,
 * `pixelWindowLonLatBox`) meets the bbox — so a bbox far larger than the scene (even the whole globe, or
 * reaching the poles) selects exactly the scene's tiles, and scenes crossing the antimeridian work. The answer
 * is complete for the intersection of the bbox with the scene, or a 400 (`bbox_too_large` past 64 tiles,
 * `bad_bbox` for a bbox crossing the antimeridian): never a silently partial result.
 *
 * How: the rectangle of those tiles, aligned to the scene's grid (so its tiles are the scene's tiles), goes
 * to the app's pipeline (`ctx.pipeline.segmentWindow`, the same object jobs run on): only
 * these tiles are read, segmented, stitched and vectorized. Per-tile probabilities are cached (quantized
 * to bytes) in an in-memory LRU keyed by (scene, tile, prompt, model, overlap). One on-demand run at a time
 * (the model is shared with jobs); a few more wait, the rest get 429; a client that goes away cancels its run.
 * The run shares the HTTP thread (the model runs off it, in the job thread): the pipeline traces its last rows
 * a slice per turn, and the answer's features are filtered and encoded a chunk per turn, so /healthz and tiles
 * keep being answered while a window with tens of thousands of polygons is vectorized.
 */
import type { Router } from 'express';
import type { Feature } from 'geojson';
import { InputError, WaterlineError } from '../../core/errors.ts';
import { chosenOverlap, planTileGrid, type GridTile, type TileGrid } from '../../core/grid/tileGrid.ts';
import { lonLatBoxesIntersect, pixelWindowLonLatBox, type LonLatBox } from '../../core/grid/lonLatFootprint.ts';
import type { SceneInfo } from '../../core/scene.ts';
import type { Segmenter } from '../../core/model/segmenter.ts';
import type { Scene } from '../../adapters/raster/openScene.ts';
import { DEFAULT_MODEL_NAME } from '../../core/model/modelNames.ts';
import { segmenterForScene } from '../../pipeline/sceneSegmenter.ts';
import { createCrsTransform } from '../../adapters/raster/crs.ts';
import { dequantizeProbability, quantizeProbability } from '../../core/masks/probabilityCodec.ts';
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
  if (w > e) {
    throw new InputError('bad_bbox', `bbox ${nums.join(',')} has minLon > maxLon: a bbox crossing the antimeridian (or an inverted one) is not supported here`, { hint: `ask for each side separately: bbox=${w},${s},180,${n} and bbox=-180,${s},${e},${n}` });
  }
  if (!(w < e && s < n)) {
    throw new InputError('bad_bbox', `bbox ${nums.join(',')} is empty or inverted: need minLon < maxLon and minLat < maxLat`, { hint: 'bbox=minLon,minLat,maxLon,maxLat' });
  }
  return [w, s, e, n];
}

/**
 * Lon/lat footprint of every tile of a grid (null: none of its outline projects), yielding to the event
 * loop every few hundred tiles so that health checks and tiles keep being answered on big scenes.
 */
export async function tileFootprints(info: SceneInfo, grid: TileGrid): Promise<(LonLatBox | null)[]> {
  const t = createCrsTransform(info.crs);
  const out: (LonLatBox | null)[] = [];
  for (const tile of grid.tiles) {
    out.push(pixelWindowLonLatBox(tile.window, info.geoTransform, (x, y) => t.toWgs84(x, y)));
    if (out.length % 500 === 0) await new Promise((r) => setImmediate(r));
  }
  return out;
}

/** The tiles under a bbox, as the rectangle of grid rows and columns that holds them; null when none. */
export function tilesUnderBBox(grid: TileGrid, footprints: (LonLatBox | null)[], bbox: BBox): { rows: [number, number]; cols: [number, number] } | null {
  let r0 = Infinity, r1 = -Infinity, c0 = Infinity, c1 = -Infinity;
  grid.tiles.forEach((tile, i) => {
    const box = footprints[i];
    if (!box || !lonLatBoxesIntersect(box, bbox)) return;
    r0 = Math.min(r0, tile.row); r1 = Math.max(r1, tile.row); c0 = Math.min(c0, tile.col); c1 = Math.max(c1, tile.col);
  });
  return r0 <= r1 ? { rows: [r0, r1], cols: [c0, c1] } : null;
}

/** Features handled per turn of the event loop by the steps after the pipeline (filter, encoding). */
const FEATURES_PER_TURN = 500;

/**
 * `fn` over `items` a chunk at a time, one chunk per turn of the event loop, the results concatenated: a
 * window with thousands of polygons never holds the HTTP thread (/healthz, tiles) for the whole pass.
 */
async function inTurns<T, R>(items: T[], fn: (chunk: T[]) => R[]): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += FEATURES_PER_TURN) {
    if (i > 0) await new Promise((r) => setImmediate(r));
    for (const r of fn(items.slice(i, i + FEATURES_PER_TURN))) out.push(r);
  }
  return out;
}

function featureBBox(f: Feature): LonLatBox {
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
  /** Tile footprints per (scene, tile size): computed once, a few hundred thousand projected points at most. */
  const footprints = new Lru<string, Promise<{ grid: TileGrid; boxes: (LonLatBox | null)[] }>>(16);
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

  /**
   * Each scene's segmenter (band roles, threshold, fusion) per learned model object and requested model: keyed by
   * the object the provider handed out, never by its name, so a model the provider replaced (dropped and loaded
   * again) is never run from here after it was disposed. The server's providers hand out one object per model.
   */
  const perScene = new WeakMap<object, WeakMap<Segmenter, Map<string, Promise<Segmenter>>>>();
  const sceneSegmenter = (entry: { scene: Scene }, model: string | null, learned: Segmenter): Promise<Segmenter> => {
    let byLearned = perScene.get(entry);
    if (!byLearned) {
      byLearned = new WeakMap();
      perScene.set(entry, byLearned);
    }
    let byModel = byLearned.get(learned);
    if (!byModel) {
      byModel = new Map();
      byLearned.set(learned, byModel);
    }
    const key = model ?? '';
    let chosen = byModel.get(key);
    if (!chosen) {
      const made = segmenterForScene(entry.scene, { model: model ?? DEFAULT_MODEL_NAME }, async () => learned).then((s) => s.segmenter);
      const models = byModel;
      made.catch(() => models.delete(key));
      models.set(key, made);
      chosen = made;
    }
    return chosen;
  };

  router.get('/scenes/:id/water.geojson', async (req, res) => {
    const bbox = parseBBox(req.query.bbox);
    const prompt = req.query.prompt === undefined || req.query.prompt === '' ? 'segment water' : String(req.query.prompt);
    if (prompt.length > 200) throw new InputError('bad_prompt', 'prompt is longer than 200 characters', { hint: 'use a short prompt such as "segment water"' });
    const model = ctx.models.resolve(req.query.model === undefined ? null : String(req.query.model));
    const entry = await scenes.get(req.params.id);
    const info = entry.scene.info;
    // Band roles, the water index threshold (from the WHOLE scene, not the bbox) and fusion, once per scene and model.
    const segmenter = await sceneSegmenter(entry, model, await ctx.segmenters.get(model));
    const tileSize = segmenter.info.inputSize;
    const overlap = chosenOverlap(undefined, segmenter.info.tileOverlap);
    // Keys carry the file's version: a scene file replaced in place is a new scene for these caches.
    const fpKey = `${entry.record.id}@${entry.fileKey}|${tileSize}/${overlap}`;
    const fp = await footprints.getOrSet(fpKey, () => {
      const grid = planTileGrid({ width: info.width, height: info.height, tileSize, overlap });
      const made = tileFootprints(info, grid).then((boxes) => ({ grid, boxes }));
      made.catch(() => footprints.delete(fpKey));
      return made;
    });
    const { grid } = fp;
    const span = tilesUnderBBox(grid, fp.boxes, bbox);
    const under: GridTile[] = span ? grid.tiles.filter((t) => t.row >= span.rows[0] && t.row <= span.rows[1] && t.col >= span.cols[0] && t.col <= span.cols[1]) : [];
    if (under.length > MAX_ON_DEMAND_TILES) {
      throw new InputError('bbox_too_large', `bbox covers ${under.length} model tiles of scene ${entry.record.name}; at most ${MAX_ON_DEMAND_TILES} per request`, {
        hint: 'zoom in (a smaller bbox) or run a job for the whole scene with POST /jobs',
      });
    }
    const keyOf = (tileId: string) => `${entry.record.id}@${entry.fileKey}|${tileId}|${tileSize}/${overlap}|${segmenter.info.name}|${segmenter.info.usesPrompt ? prompt : ''}`;
    let features: Feature[] = [];
    let provenance: Record<string, unknown> = {};
    let cached = 0;
    if (span) {
      // The rectangle of these tiles as a scene of its own, aligned to the grid: its tile r{i}c{j} is the
      // scene's r{rows[0]+i}c{cols[0]+j}.
      const x = span.cols[0] * grid.stride;
      const y = span.rows[0] * grid.stride;
      const window = { x, y, width: Math.min(info.width, span.cols[1] * grid.stride + tileSize) - x, height: Math.min(info.height, span.rows[1] * grid.stride + tileSize) - y };
      const sceneTileId = (subId: string): string => {
        const m = /^r(\d+)c(\d+)$/.exec(subId);
        return m ? `r${Number(m[1]) + span.rows[0]}c${Number(m[2]) + span.cols[0]}` : subId;
      };
      const completed = new Map<string, Float32Array>();
      for (const t of under) {
        const hit = cache.get(keyOf(t.id));
        if (hit) {
          completed.set(`r${t.row - span.rows[0]}c${t.col - span.cols[0]}`, hit);
          cached++;
        }
      }
      // A client that goes away stops its run (the tiles finished so far stay cached).
      const controller = new AbortController();
      const abort = (): void => controller.abort();
      res.on('close', abort);
      try {
        const result = await serialized(() => {
          controller.signal.throwIfAborted();
          // The model sees (and reports) the scene's tile ids, as in a job.
          const sceneIds: Segmenter = {
            info: segmenter.info,
            segment: async (tiles, options) => {
              const results = await segmenter.segment(tiles.map((t) => ({ ...t, id: sceneTileId(t.id) })), options);
              return results.map((r, i) => ({ ...r, tileId: tiles[i].id }));
            },
            // the server's models are shared and disposed by the server, never by one request
            dispose: async () => {},
          };
          return ctx.pipeline.segmentWindow({
            scene: entry.scene,
            window,
            segmenter: sceneIds,
            prompt,
            overlap,
            bands: entry.bands,
            stretch: entry.stretch,
            completed,
            signal: controller.signal,
            onTileDone: (tileId, probability) => cache.set(keyOf(sceneTileId(tileId)), probability),
            sceneName: entry.record.name,
          });
        });
        features = await inTurns(result.geojson.features as Feature[], (chunk) => chunk.filter((f) => lonLatBoxesIntersect(featureBBox(f), bbox)));
        const w = (result.geojson as unknown as { waterline?: Record<string, unknown> }).waterline ?? {};
        // Tile ids in the scene's grid, as everywhere else in the API.
        provenance = {
          ...w,
          ...(Array.isArray(w.skippedTiles) ? { skippedTiles: (w.skippedTiles as string[]).map(sceneTileId) } : {}),
          ...(Array.isArray(w.failedTiles) ? { failedTiles: (w.failedTiles as { tileId: string }[]).map((f) => ({ ...f, tileId: sceneTileId(f.tileId) })) } : {}),
          ...(Array.isArray(w.defects) ? { defects: (w.defects as { tileId: string }[]).map((d) => ({ ...d, tileId: sceneTileId(d.tileId) })) } : {}),
        };
      } finally {
        res.off('close', abort);
      }
    }
    const waterline = {
      ...provenance,
      onDemand: { scene: entry.record.id, bbox, prompt, model: segmenter.info.name, tiles: under.map((t) => t.id), tilesFromCache: cached },
    };
    // The bytes of JSON.stringify({ type, features, waterline }), the features encoded a chunk per turn.
    const encoded = await inTurns(features, (chunk) => [chunk.map((f) => JSON.stringify(f)).join(',')]);
    res.set('Cache-Control', 'no-cache');
    res.type('application/geo+json').send(`{"type":"FeatureCollection","features":[${encoded.join(',')}],"waterline":${JSON.stringify(waterline)}}`);
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
