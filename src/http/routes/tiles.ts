/**
 * Map tiles (Web Mercator XYZ, TileJSON 3.0.0):
 * - `GET /scenes/{id}/tiles/{z}/{x}/{y}.png|.webp` — scene imagery (COG windows/overviews, scene-wide stretch);
 * - `GET /scenes/{id}/tilejson.json[?format=webp]`;
 * - `GET /jobs/{id}/tiles/{z}/{x}/{y}.png` — water overlay (semi-transparent blue) from the job's polygons;
 * - `GET /jobs/{id}/tiles/{z}/{x}/{y}.mvt` — water vector tiles, layer `water`;
 * - `GET /jobs/{id}/tilejson.json?format=png|mvt`.
 * A tile with nothing to draw (outside the scene, all nodata, no water) is `204 No Content` — MapLibre,
 * GDAL and QGIS treat it as an empty tile. Every tile response carries `Cache-Control` and a strong `ETag`;
 * `If-None-Match` → 304. Imagery tags are decided before any pixel is read (sceneTileEtag.ts: scene file
 * identity, z/x/y, format, render version), so a revalidation neither opens the scene nor renders; water
 * tile tags are the sha1 of the bytes. Bad z/x/y → 400 problem+json.
 */
import type { Request, Response, Router } from 'express';
import type { FeatureCollection } from 'geojson';
import { ConflictError, InputError } from '../../core/errors.ts';
import { clampLat, isValidTile, MAX_ZOOM } from '../../core/grid/webMercator.ts';
import { createWaterTiles, WATER_LAYER, type WaterTiles } from '../../adapters/tiles/waterTiles.ts';
import type { SceneFootprint } from '../../adapters/raster/tileRenderer.ts';
import { CHANGE_CLASS_COLOURS } from '../../core/change/changeClasses.ts';
import type { JobRecord } from '../../core/jobRecords.ts';
import type { AppContext } from '../appContext.ts';
import { baseUrl } from '../baseUrl.ts';
import { Lru } from '../lru.ts';
import { jsonResponse, problemResponses } from '../openapiDocument.ts';
import { findJob } from './jobs.ts';
import { findScene } from './scenes.ts';
import { sceneTileEtag } from './sceneTileEtag.ts';
import { sceneFileIdentity, sceneFileKey, type SceneFileIdentity } from './sceneFileIdentity.ts';
import { strongEtag, TileLru, type CachedTile } from './tilesCache.ts';
import { openScenesFor, type OpenSceneEntry } from './tilesScenes.ts';

/** Scenes and finished jobs never change under the same id: tiles may be cached for a day. */
const TILE_CACHE_CONTROL = 'public, max-age=86400';
const CONTENT_TYPES = { png: 'image/png', webp: 'image/webp', mvt: 'application/vnd.mapbox-vector-tile' } as const;
type TileFormat = keyof typeof CONTENT_TYPES;

/** Parse `{z}/{x}/{y}.{ext}` path parameters; anything malformed or out of range is a 400. */
export function parseTilePath(z: string, x: string, file: string, formats: readonly TileFormat[]): { z: number; x: number; y: number; format: TileFormat } {
  const m = /^(\d{1,9})\.([a-z]+)$/.exec(file);
  const ok = /^\d{1,2}$/.test(z) && /^\d{1,9}$/.test(x) && m && (formats as readonly string[]).includes(m[2]);
  if (!ok) {
    throw new InputError('bad_tile', `tile path ${z}/${x}/${file} is not {z}/{x}/{y}.{${formats.join('|')}} with whole numbers`, {
      hint: `e.g. 12/1170/1503.${formats[0]}`,
    });
  }
  const t = { z: Number(z), x: Number(x), y: Number(m![1]), format: m![2] as TileFormat };
  if (!isValidTile(t.z, t.x, t.y)) {
    throw new InputError('bad_tile', `tile ${t.z}/${t.x}/${t.y} does not exist: zoom must be 0..${MAX_ZOOM} and x, y in 0..2^zoom-1`, {
      hint: 'use Web Mercator XYZ tile numbers (y = 0 at the north edge)',
    });
  }
  return t;
}

/** Set the caching headers; true when the client's copy is current (the 304 has been sent). */
function answeredNotModified(req: Request, res: Response, etag: string): boolean {
  res.set('Cache-Control', TILE_CACHE_CONTROL);
  res.set('ETag', etag);
  if (!req.fresh) return false;
  res.status(304).end();
  return true;
}

function sendTile(req: Request, res: Response, tile: CachedTile, format: TileFormat): void {
  if (answeredNotModified(req, res, tile.etag)) return;
  if (!tile.body) {
    res.status(204).end();
    return;
  }
  res.type(CONTENT_TYPES[format]).send(tile.body);
}

/**
 * A TileJSON over a scene's footprint. A client opens at the footprint's centre and its own opening zoom (its minzoom
 * + 1) — also for water tiles, whose minzoom is 0 (a job's TileJSON opened at zoom 1, the whole world).
 */
function tileJson(name: string, tiles: string, footprint: SceneFootprint, minzoom: number, maxzoom: number, extra: Record<string, unknown> = {}) {
  const { bbox: bounds, center } = footprint;
  const b = [bounds[0], clampLat(bounds[1]), bounds[2], clampLat(bounds[3])];
  return {
    tilejson: '3.0.0',
    name,
    scheme: 'xyz',
    tiles: [tiles],
    bounds: b,
    center: [center[0], center[1], Math.max(minzoom, Math.min(maxzoom, footprint.zoom.minzoom + 1))],
    minzoom,
    maxzoom,
    attribution: 'Waterline',
    ...extra,
  };
}

export function registerRoutes(router: Router, ctx: AppContext): void {
  const scenes = openScenesFor(ctx);
  const rendered = new TileLru(64 * 1024 * 1024);
  /** Built tile indexes keyed by job id + result version. */
  const waterIndexes = new Lru<string, WaterTiles>(16);

  /** The cached tile under `key`, or `make()`'s, tagged with `etag` when given, else with a hash of its bytes. */
  async function cached(key: string, make: () => Promise<Buffer | Uint8Array | null>, etag?: string): Promise<CachedTile> {
    const hit = rendered.get(key);
    if (hit) return hit;
    const bytes = await make();
    const body = bytes ? Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength) : null;
    const tile = { body, etag: etag ?? (body ? strongEtag(body) : strongEtag(`empty:${key}`)) };
    rendered.set(key, tile);
    return tile;
  }

  /** The water tile index of a succeeded job (built once from its GeoJSON), with the zooms of its scene. */
  async function waterOf(id: string): Promise<{ job: JobRecord; tiles: WaterTiles; scene: OpenSceneEntry }> {
    const job = findJob(ctx, id);
    const ended = job.state === 'failed' || job.state === 'cancelled';
    const notYet = () => new ConflictError('job_not_succeeded', `job ${id} has no water result${ended ? '' : ' yet'} (state: ${job.state})`, {
      hint: ended ? `the job ${job.state}: GET /jobs/{id} says why; run it again to get water tiles` : 'water tiles exist once the job has succeeded; poll GET /jobs/{id}',
    });
    if (job.state !== 'succeeded') throw notYet();
    const scene = await scenes.get(job.scene);
    const maxZoom = Math.min(MAX_ZOOM, scene.renderer.footprint.zoom.maxzoom + 2);
    const tiles = waterIndexes.getOrSet(`${job.id}@${job.updatedAt}`, () => {
      const text = ctx.store.getResult(job.id);
      if (text === undefined) throw notYet();
      // a change job's overlay is coloured by class (permanent / gained / lost / unknown)
      const fillBy = job.kind === 'change' ? { property: 'class', colours: CHANGE_CLASS_COLOURS } : undefined;
      return createWaterTiles(JSON.parse(text) as FeatureCollection, { maxZoom, fillBy });
    });
    return { job, tiles, scene };
  }

  router.get('/scenes/:id/tiles/:z/:x/:file', async (req, res) => {
    const t = parseTilePath(req.params.z, req.params.x, req.params.file, ['png', 'webp']);
    const record = findScene(ctx, req.params.id);
    let identity: SceneFileIdentity;
    try {
      identity = await sceneFileIdentity(record.path);
    } catch (err) {
      await scenes.get(record.id); // a missing or unreadable file: the same error as opening it gives
      throw err;
    }
    const etag = sceneTileEtag(record.id, identity, t.z, t.x, t.y, t.format);
    if (answeredNotModified(req, res, etag)) return;
    let tile = rendered.get(`scene:${etag}`);
    if (!tile) {
      // The open scene as the file is now: a file replaced since it was opened is opened again (its old handle
      // closed). Its version may be newer than the stat above (replaced in between): the tile is then that
      // version's, under that version's tag — never new pixels under the old tag.
      const entry = await scenes.get(record.id, identity);
      const tag = entry.fileKey === sceneFileKey(identity) ? etag : sceneTileEtag(record.id, entry.fileIdentity, t.z, t.x, t.y, t.format);
      tile = await cached(`scene:${tag}`, () => entry.renderer.render(t.z, t.x, t.y, t.format as 'png' | 'webp'), tag);
    }
    sendTile(req, res, tile, t.format);
  });

  router.get('/scenes/:id/tilejson.json', async (req, res) => {
    const format = req.query.format === undefined ? 'png' : String(req.query.format);
    if (format !== 'png' && format !== 'webp') {
      throw new InputError('bad_format', `format=${format} is not png or webp`, { hint: 'use ?format=png or ?format=webp' });
    }
    const entry = await scenes.get(req.params.id);
    const f = entry.renderer.footprint;
    res.set('Cache-Control', 'no-cache');
    res.json(tileJson(entry.record.name, `${baseUrl(req)}/scenes/${entry.record.id}/tiles/{z}/{x}/{y}.${format}`, f, f.zoom.minzoom, f.zoom.maxzoom, {
      description: `Scene imagery (bands ${entry.bands.join(',')}, scene-wide stretch)`,
    }));
  });

  router.get('/jobs/:id/tiles/:z/:x/:file', async (req, res) => {
    const t = parseTilePath(req.params.z, req.params.x, req.params.file, ['png', 'mvt']);
    const { job, tiles } = await waterOf(req.params.id);
    const key = `job:${job.id}@${job.updatedAt}/${t.z}/${t.x}/${t.y}.${t.format}`;
    const tile = await cached(key, async () => (t.format === 'mvt' ? tiles.mvt(t.z, t.x, t.y) : tiles.png(t.z, t.x, t.y)));
    sendTile(req, res, tile, t.format);
  });

  router.get('/jobs/:id/tilejson.json', async (req, res) => {
    const format = req.query.format === undefined ? 'mvt' : String(req.query.format);
    if (format !== 'png' && format !== 'mvt') {
      throw new InputError('bad_format', `format=${format} is not png or mvt`, { hint: 'use ?format=mvt (vector) or ?format=png (raster overlay)' });
    }
    const { job, tiles, scene } = await waterOf(req.params.id);
    const f = scene.renderer.footprint;
    const description = job.kind === 'change'
      ? `Water change from job ${job.id}: features have class permanent, gained, lost or unknown`
      : `Water from job ${job.id} (prompt "${job.prompt}")`;
    const extra: Record<string, unknown> = { description, fillzoom: tiles.maxZoom };
    if (format === 'mvt') {
      extra.vector_layers = [{ id: WATER_LAYER, description: 'water polygons', minzoom: 0, maxzoom: tiles.maxZoom, fields: tiles.fields }];
      delete extra.fillzoom;
    }
    res.set('Cache-Control', 'no-cache');
    res.json(tileJson(`water-${job.id}`, `${baseUrl(req)}/jobs/${job.id}/tiles/{z}/{x}/{y}.${format}`, f, 0, tiles.maxZoom, extra));
  });
}

const tileParams = [
  { name: 'z', in: 'path', required: true, schema: { type: 'integer', minimum: 0, maximum: MAX_ZOOM } },
  { name: 'x', in: 'path', required: true, schema: { type: 'integer', minimum: 0 } },
  { name: 'y', in: 'path', required: true, schema: { type: 'integer', minimum: 0 }, description: 'tile row (y = 0 north)' },
];
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const binary = (type: string, description: string) => ({ description, content: { [type]: { schema: { type: 'string', format: 'binary' } } } });
const tileResponses = (type: string) => ({
  '200': binary(type, 'the tile'),
  '204': { description: 'empty tile: outside the scene, nodata, or no water' },
  '304': { description: 'not modified (If-None-Match matched the strong ETag)' },
  '400': problemResponses['400'],
  '404': problemResponses['404'],
});

export const openapiPaths = {
  '/scenes/{id}/tiles/{z}/{x}/{y}.png': { get: { summary: 'Scene imagery tile (Web Mercator XYZ, PNG; .webp also served)', parameters: [idParam, ...tileParams], responses: tileResponses('image/png') } },
  '/scenes/{id}/tilejson.json': {
    get: {
      summary: 'TileJSON 3.0.0 for the scene imagery',
      parameters: [idParam, { name: 'format', in: 'query', schema: { type: 'string', enum: ['png', 'webp'] } }],
      responses: { '200': jsonResponse('TileJSON'), '404': problemResponses['404'] },
    },
  },
  '/jobs/{id}/tiles/{z}/{x}/{y}.mvt': { get: { summary: 'Water vector tile (layer `water`; .png gives the raster overlay)', parameters: [idParam, ...tileParams], responses: { ...tileResponses('application/vnd.mapbox-vector-tile'), '409': { description: 'the job has not succeeded (yet)' } } } },
  '/jobs/{id}/tilejson.json': {
    get: {
      summary: 'TileJSON 3.0.0 for the water tiles of a succeeded job',
      parameters: [idParam, { name: 'format', in: 'query', schema: { type: 'string', enum: ['mvt', 'png'] } }],
      responses: { '200': jsonResponse('TileJSON'), '404': problemResponses['404'], '409': { description: 'the job has not succeeded (yet)' } },
    },
  },
};
