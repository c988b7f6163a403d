/**
 * The run report of a segmentation result (`segment --report run.html`, `GET /jobs/{id}/report`): the same
 * page from the same inputs — the scene and the output collection (its features and `waterline`
 * provenance). The quicklook is the scene read at ≤ `maxSize` px (an overview when there is one) with the
 * provenance's bands, stretched 2nd–98th percentile, and the water polygons rasterized onto it (lon/lat →
 * scene pixels as `prepare --water` does, then scaled) in blue; failed and skipped tiles are located on the
 * tile grid the provenance records.
 */
import type { Scene } from '../adapters/raster/openScene.ts';
import { createCrsTransform } from '../adapters/raster/crs.ts';
import { renderRunReportHtml, type QuicklookImage } from '../adapters/report/runReportHtml.ts';
import { describeError } from '../core/errors.ts';
import { applyGeoTransform } from '../core/grid/affine.ts';
import { bandStretchFromSample, stretchValue } from '../core/grid/bandStretch.ts';
import { planTileGrid, type TileGrid } from '../core/grid/tileGrid.ts';
import { rasterizePolygons, type PixelPolygon } from '../core/masks/polygonRasterizer.ts';
import { buildRunReport, placeTiles, type TilePlace } from '../core/report/runReport.ts';
import { polygonsFromGeoJson } from '../core/vector/geoJsonPolygons.ts';
import type { WaterCollection } from '../core/vector/waterCollection.ts';
import { projectPolygonsToScenePixels } from './sceneWaterMasks.ts';
import { defaultBands } from './tileSource.ts';

export interface RunReportOptions {
  /** Longest side of the quicklook in pixels (default 800). */
  maxSize?: number;
  /** Scene name shown (default: the provenance's scene). */
  sceneName?: string;
  /** Filter for text made here from errors (the server keeps its paths out of pages). */
  clientText?: (text: string) => string;
}

const WATER: [number, number, number] = [0, 110, 255];
const WATER_ALPHA = 0.6;

/**
 * The whole scene resampled to width × height, read in strips of output rows so that a big scene without
 * overviews is never decoded into memory at once (each strip reads the best overview, or full-resolution blocks).
 */
async function readResampled(scene: Scene, bands: number[], width: number, height: number): Promise<{ bands: Float64Array[]; valid: Uint8Array }> {
  const { info } = scene;
  const out = { bands: bands.map(() => new Float64Array(width * height)), valid: new Uint8Array(width * height) };
  const STRIP = 32;
  for (let r0 = 0; r0 < height; r0 += STRIP) {
    const r1 = Math.min(height, r0 + STRIP);
    const y0 = Math.floor((r0 * info.height) / height);
    const y1 = Math.max(y0 + 1, Math.floor((r1 * info.height) / height));
    const strip = await scene.readWindow({ x: 0, y: y0, width: info.width, height: y1 - y0 }, { bands, width, height: r1 - r0 });
    strip.bands.forEach((values, k) => out.bands[k].set(values, r0 * width));
    out.valid.set(strip.valid, r0 * width);
  }
  return out;
}

/** The scene at ≤ maxSize px with the water polygons of `collection` blended in blue; nodata stays transparent. */
export async function sceneQuicklook(scene: Scene, collection: WaterCollection, maxSize = 800): Promise<QuicklookImage> {
  const { info } = scene;
  const scale = Math.min(1, maxSize / Math.max(info.width, info.height));
  const width = Math.max(1, Math.round(info.width * scale));
  const height = Math.max(1, Math.round(info.height * scale));
  const recorded = collection.waterline.bands;
  const bands = Array.isArray(recorded) && recorded.every((b) => Number.isInteger(b) && b >= 1 && b <= info.bands.length) ? (recorded as number[]) : defaultBands(info);
  const read = await readResampled(scene, bands, width, height);
  const stretched = read.bands.map((values, k) => {
    const [lo, hi] = bandStretchFromSample(values, read.valid, info.bands[bands[k] - 1].type);
    const out = new Uint8Array(width * height);
    for (let i = 0; i < out.length; i++) out[i] = stretchValue(values[i], lo, hi);
    return out;
  });
  const [r, g, b] = stretched.length >= 3 ? stretched : [stretched[0], stretched[0], stretched[0]];
  const polygons = projectPolygonsToScenePixels(polygonsFromGeoJson(collection).polygons, info);
  const sx = width / info.width;
  const sy = height / info.height;
  const scaled: PixelPolygon[] = polygons.map((p) => p.map((ring) => ring.map(([x, y]) => [x * sx, y * sy] as const)));
  const water = new Uint8Array(width * height);
  for (const p of scaled) rasterizePolygons([p], width, height, { into: water });
  const rgba = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const a = water[i] ? WATER_ALPHA : 0;
    rgba[i * 4] = Math.round(r[i] * (1 - a) + WATER[0] * a);
    rgba[i * 4 + 1] = Math.round(g[i] * (1 - a) + WATER[1] * a);
    rgba[i * 4 + 2] = Math.round(b[i] * (1 - a) + WATER[2] * a);
    rgba[i * 4 + 3] = read.valid[i] || water[i] ? 255 : 0;
  }
  return { width, height, rgba, scale };
}

/** The tile grid the provenance records (tile size, overlap), to locate skipped and failed tiles. */
function recordedGrid(scene: Scene, collection: WaterCollection): TileGrid | null {
  const { tileSize, overlap } = collection.waterline;
  if (typeof tileSize !== 'number' || typeof overlap !== 'number') return null;
  try {
    return planTileGrid({ width: scene.info.width, height: scene.info.height, tileSize, overlap });
  } catch {
    return null;
  }
}

function tilePlaces(scene: Scene, collection: WaterCollection): { skipped: TilePlace[]; failed: TilePlace[] } {
  const grid = recordedGrid(scene, collection);
  const p = collection.waterline;
  const failedIds = (p.failedTiles ?? []).map((f) => f.tileId);
  const skippedIds = p.skippedTiles ?? [];
  if (!grid) {
    const nowhere = (tileId: string): TilePlace => ({ tileId, window: { x: 0, y: 0, width: 0, height: 0 }, lonLat: null });
    return { skipped: skippedIds.map(nowhere), failed: (p.failedTiles ?? []).map((f) => ({ ...nowhere(f.tileId), error: f.error })) };
  }
  const crs = createCrsTransform(scene.info.crs);
  const lonLatOf = (x: number, y: number): [number, number] | null => {
    const [cx, cy] = applyGeoTransform(scene.info.geoTransform, x, y);
    const ll = crs.toWgs84(cx, cy);
    return Number.isFinite(ll[0]) && Number.isFinite(ll[1]) ? [ll[0], ll[1]] : null;
  };
  const errors = new Map((p.failedTiles ?? []).map((f) => [f.tileId, f.error]));
  return {
    skipped: placeTiles(skippedIds, grid, lonLatOf),
    failed: placeTiles(failedIds, grid, lonLatOf).map((t) => ({ ...t, error: errors.get(t.tileId) })),
  };
}

/** The report page (HTML) of `collection`, a segmentation result of `scene`. */
export async function renderRunReport(scene: Scene, collection: WaterCollection, options: RunReportOptions = {}): Promise<string> {
  const { info } = scene;
  const report = buildRunReport(
    collection,
    {
      name: options.sceneName ?? String(collection.waterline.scene ?? info.source),
      width: info.width,
      height: info.height,
      crs: info.crs.epsg ? `EPSG:${info.crs.epsg}${info.crs.name ? ` ${info.crs.name}` : ''}` : (info.crs.name ?? 'custom CRS'),
    },
    tilePlaces(scene, collection),
  );
  let quicklook: QuicklookImage | null = null;
  let note = '';
  try {
    quicklook = await sceneQuicklook(scene, collection, options.maxSize);
  } catch (err) {
    note = (options.clientText ?? ((t: string) => t))(describeError(err));
  }
  return renderRunReportHtml(report, quicklook, note);
}
