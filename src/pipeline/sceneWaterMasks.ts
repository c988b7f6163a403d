/**
 * Water truth on a scene's pixel grid, one model tile at a time — the targets of `waterline prepare --scene`.
 *
 * - **Water GeoJSON** (WGS84 polygons, e.g. OSM water): every vertex is projected lon/lat → scene CRS
 *   (proj4) → scene pixel (inverse geotransform) once; edges longer than 2 px are densified in lon/lat
 *   first, so straight lon/lat edges follow their curved path in a projected CRS. Each tile is then
 *   rasterized by pixel centre (core/masks/polygonRasterizer.ts; polygons unioned, holes cut).
 *   Polygons whose lon/lat bounds miss the scene are dropped up front.
 * - **Mask raster** (any georeferenced raster, any CRS/resolution): each tile pixel centre is mapped
 *   scene pixel → scene CRS → mask CRS → mask pixel and the mask is sampled nearest-neighbour (what
 *   gdalwarp does by default) from one windowed read covering the tile. On the same grid this is an
 *   exact pixel copy. Water = value equal to `maskValue` when given, else any non-zero value; mask
 *   nodata and pixels outside the mask are dry.
 *
 * Masks are tileSize² (row-major), the grid tile's window in the top-left corner, 0 in the padding.
 */
import { readFile } from 'node:fs/promises';
import { createCrsTransform, type CrsTransform } from '../adapters/raster/crs.ts';
import { openScene, type Scene } from '../adapters/raster/openScene.ts';
import { applyGeoTransform, invertGeoTransform } from '../core/grid/affine.ts';
import { InputError, describeError } from '../core/errors.ts';
import { rasterizePolygons, type FillRule, type PixelPolygon } from '../core/masks/polygonRasterizer.ts';
import type { PixelWindow, SceneInfo } from '../core/scene.ts';
import { lonLatBounds, polygonsFromGeoJson, type LonLat, type LonLatPolygon } from '../core/vector/geoJsonPolygons.ts';

export interface SceneWaterMasks {
  /** What the truth comes from, for messages. */
  source: string;
  /** Non-fatal problems found while loading (skipped features, no overlap...). */
  warnings: string[];
  tileMask(window: PixelWindow, tileSize: number, signal?: AbortSignal): Promise<Uint8Array>;
  close(): Promise<void>;
}

/** Densify edges whose projected length exceeds this many pixels. */
const DENSIFY_PX = 2;
/** Cap on points inserted per edge. */
const MAX_INSERTED = 512;

function sameCrs(a: SceneInfo['crs'], b: SceneInfo['crs']): boolean {
  return a.proj4 === b.proj4 || (a.epsg !== null && a.epsg === b.epsg);
}

/** Lon/lat bounds of a scene from points along its edges, padded by 5% (null if it does not project). */
function sceneLonLatBounds(info: SceneInfo, crs: CrsTransform): [number, number, number, number] | null {
  let [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity];
  const steps = 16;
  for (let k = 0; k <= steps; k++) {
    const t = k / steps;
    for (const [c, r] of [[t * info.width, 0], [t * info.width, info.height], [0, t * info.height], [info.width, t * info.height]]) {
      const [x, y] = applyGeoTransform(info.geoTransform, c, r);
      const [lon, lat] = crs.toWgs84(x, y);
      if (!Number.isFinite(lon) || !Number.isFinite(lat)) continue;
      w = Math.min(w, lon);
      e = Math.max(e, lon);
      s = Math.min(s, lat);
      n = Math.max(n, lat);
    }
  }
  if (!Number.isFinite(w)) return null;
  const pad = 0.05 * Math.max(e - w, n - s, 1e-6);
  return [w - pad, s - pad, e + pad, n + pad];
}

/** Project lon/lat polygons onto a scene's pixel grid (continuous pixel coordinates), densifying long edges. */
export function projectPolygonsToScenePixels(polygons: readonly LonLatPolygon[], info: SceneInfo): PixelPolygon[] {
  const crs = createCrsTransform(info.crs);
  const inv = invertGeoTransform(info.geoTransform);
  const toPixel = (p: LonLat): [number, number] => {
    const [x, y] = crs.fromWgs84(p[0], p[1]);
    return applyGeoTransform(inv, x, y);
  };
  const bounds = sceneLonLatBounds(info, crs);
  const out: PixelPolygon[] = [];
  for (const polygon of polygons) {
    const b = lonLatBounds(polygon);
    if (!b || (bounds && (b[2] < bounds[0] || b[0] > bounds[2] || b[3] < bounds[1] || b[1] > bounds[3]))) continue;
    out.push(polygon.map((ring) => {
      const px: [number, number][] = [];
      const n = ring.length;
      let prev = toPixel(ring[0]);
      for (let i = 0; i < n; i++) {
        const a = ring[i];
        const bq = ring[(i + 1) % n];
        const next = toPixel(bq);
        px.push(prev);
        const d = Math.hypot(next[0] - prev[0], next[1] - prev[1]);
        if (Number.isFinite(d) && d > DENSIFY_PX) {
          const k = Math.min(MAX_INSERTED, Math.ceil(d / DENSIFY_PX));
          for (let j = 1; j < k; j++) px.push(toPixel([a[0] + ((bq[0] - a[0]) * j) / k, a[1] + ((bq[1] - a[1]) * j) / k]));
        }
        prev = next;
      }
      return px;
    }));
  }
  return out;
}

/** Bounding boxes [x0, y0, x1, y1] of projected polygons (outer ring), to skip polygons that miss a tile. */
function pixelBounds(polygon: PixelPolygon): [number, number, number, number] {
  let [x0, y0, x1, y1] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of polygon[0] ?? []) {
    if (!Number.isFinite(x) || !Number.isFinite(y)) continue;
    x0 = Math.min(x0, x);
    x1 = Math.max(x1, x);
    y0 = Math.min(y0, y);
    y1 = Math.max(y1, y);
  }
  return [x0, y0, x1, y1];
}

/** The window's mask (window.width × window.height) padded into tileSize². */
function padToTile(mask: Uint8Array, window: PixelWindow, tileSize: number): Uint8Array {
  if (window.width === tileSize && window.height === tileSize) return mask;
  const out = new Uint8Array(tileSize * tileSize);
  for (let r = 0; r < window.height; r++) out.set(mask.subarray(r * window.width, (r + 1) * window.width), r * tileSize);
  return out;
}

/** Water masks from polygons already on the scene's pixel grid. */
export function waterMasksFromPixelPolygons(polygons: PixelPolygon[], source: string, fillRule: FillRule = 'evenodd'): SceneWaterMasks {
  const bounds = polygons.map(pixelBounds);
  return {
    source,
    warnings: [],
    async tileMask(window, tileSize) {
      const hits = polygons.filter((_, k) => {
        const [x0, y0, x1, y1] = bounds[k];
        return x1 >= window.x && x0 <= window.x + window.width && y1 >= window.y && y0 <= window.y + window.height;
      });
      const mask = rasterizePolygons(hits, window.width, window.height, { fillRule, originX: window.x, originY: window.y });
      return padToTile(mask, window, tileSize);
    },
    async close() {},
  };
}

/** The polygons of a WGS84 water GeoJSON file projected onto a scene's pixel grid; one clear error when unreadable. */
export async function readWaterPolygons(path: string, info: SceneInfo, hint: string): Promise<{ found: ReturnType<typeof polygonsFromGeoJson>; projected: PixelPolygon[] }> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new InputError('bad_geojson', `cannot read water GeoJSON ${path}: ${describeError(err)}`, { hint });
  }
  let found;
  try {
    found = polygonsFromGeoJson(parsed);
  } catch (err) {
    throw new InputError('bad_geojson', `${path}: ${describeError(err)}`, { hint });
  }
  return { found, projected: projectPolygonsToScenePixels(found.polygons, info) };
}

/** Water masks from a WGS84 water GeoJSON file. */
export async function waterMasksFromGeoJson(path: string, info: SceneInfo, options: { fillRule?: FillRule } = {}): Promise<SceneWaterMasks> {
  const { found, projected } = await readWaterPolygons(path, info, 'pass --water with a GeoJSON FeatureCollection of WGS84 water polygons');
  const masks = waterMasksFromPixelPolygons(projected, path, options.fillRule);
  if (found.skipped.length > 0) {
    const reasons = [...new Set(found.skipped.map((s) => s.reason))].slice(0, 3).join('; ');
    masks.warnings.push(`${path}: skipped ${found.skipped.length} non-polygon or malformed feature(s) (${reasons})`);
  }
  if (found.polygons.length === 0) masks.warnings.push(`${path}: no polygons — every tile is dry`);
  else if (projected.length === 0) masks.warnings.push(`${path}: none of its ${found.polygons.length} polygon(s) overlaps ${info.source} — every tile is dry (is it WGS84 lon/lat?)`);
  return masks;
}

export interface MaskRasterOptions {
  /** Water = pixels equal to this value; default: any non-zero value. */
  maskValue?: number;
  /** 1-based band of the mask raster (default 1). */
  band?: number;
}

/** Largest mask window read per tile (pixels); a finer mask is read decimated (nearest). */
const MAX_MASK_READ = 4096 * 4096;

/** Water masks from a georeferenced mask raster, warped onto the scene grid tile by tile. */
export async function waterMasksFromRaster(path: string, info: SceneInfo, options: MaskRasterOptions = {}): Promise<SceneWaterMasks> {
  const mask: Scene = await openScene(path);
  const band = options.band ?? 1;
  if (!Number.isInteger(band) || band < 1 || band > mask.info.bands.length) {
    await mask.close();
    throw new InputError('bad_band', `${path}: band ${band} does not exist (it has ${mask.info.bands.length})`, { hint: 'pass --mask-band N' });
  }
  const identity = sameCrs(info.crs, mask.info.crs);
  const sceneCrs = identity ? null : createCrsTransform(info.crs);
  const maskCrs = identity ? null : createCrsTransform(mask.info.crs);
  const inv = invertGeoTransform(mask.info.geoTransform);
  const isWater = options.maskValue === undefined ? (v: number) => v !== 0 && !Number.isNaN(v) : (v: number) => v === options.maskValue;
  const warnings: string[] = [];
  {
    // does the mask overlap the scene at all?
    const corners = [[0, 0], [info.width, 0], [0, info.height], [info.width, info.height], [info.width / 2, info.height / 2]];
    const hit = corners.some(([c, r]) => {
      let [x, y] = applyGeoTransform(info.geoTransform, c, r);
      if (!identity) [x, y] = maskCrs!.fromWgs84(...sceneCrs!.toWgs84(x, y));
      const [mc, mr] = applyGeoTransform(inv, x, y);
      return mc >= 0 && mr >= 0 && mc <= mask.info.width && mr <= mask.info.height;
    });
    if (!hit) warnings.push(`${path}: its extent may not overlap ${info.source} (no scene corner or centre falls inside it)`);
  }
  return {
    source: path,
    warnings,
    async tileMask(window, tileSize, signal) {
      const n = window.width * window.height;
      const mc = new Float64Array(n);
      const mr = new Float64Array(n);
      let [bx0, by0, bx1, by1] = [Infinity, Infinity, -Infinity, -Infinity];
      for (let r = 0, p = 0; r < window.height; r++) {
        for (let c = 0; c < window.width; c++, p++) {
          let [x, y] = applyGeoTransform(info.geoTransform, window.x + c + 0.5, window.y + r + 0.5);
          if (!identity) [x, y] = maskCrs!.fromWgs84(...sceneCrs!.toWgs84(x, y));
          const [u, v] = applyGeoTransform(inv, x, y);
          mc[p] = u;
          mr[p] = v;
          if (u >= 0 && v >= 0 && u < mask.info.width && v < mask.info.height) {
            bx0 = Math.min(bx0, u);
            bx1 = Math.max(bx1, u);
            by0 = Math.min(by0, v);
            by1 = Math.max(by1, v);
          }
        }
      }
      const out = new Uint8Array(tileSize * tileSize);
      if (!Number.isFinite(bx0)) return out;
      const x0 = Math.floor(bx0);
      const y0 = Math.floor(by0);
      const w = Math.floor(bx1) - x0 + 1;
      const h = Math.floor(by1) - y0 + 1;
      const scale = Math.min(1, Math.sqrt(MAX_MASK_READ / (w * h)));
      const rw = Math.max(1, Math.round(w * scale));
      const rh = Math.max(1, Math.round(h * scale));
      const read = await mask.readWindow({ x: x0, y: y0, width: w, height: h }, { bands: [band], width: rw, height: rh, signal });
      const values = read.bands[0];
      for (let r = 0, p = 0; r < window.height; r++) {
        for (let c = 0; c < window.width; c++, p++) {
          const u = mc[p];
          const v = mr[p];
          if (!(u >= 0 && v >= 0 && u < mask.info.width && v < mask.info.height)) continue;
          const i = Math.min(rw - 1, Math.floor(((u - x0) * rw) / w));
          const j = Math.min(rh - 1, Math.floor(((v - y0) * rh) / h));
          const q = j * rw + i;
          if (read.valid[q] && isWater(values[q])) out[r * tileSize + c] = 1;
        }
      }
      return out;
    },
    close: () => mask.close(),
  };
}
