/**
 * Truth for scoring a scene, on the scene's own pixel grid:
 *
 * - a **label raster** on the same grid (same width and height): 1 (or any positive value) = water, 0 = dry,
 *   -1 (any negative value) or the raster's nodata = not scored — the Sen1Floods11 / hand-label convention;
 * - **water polygons** (GeoJSON in WGS84, e.g. OpenStreetMap water): rasterized onto the scene grid by pixel
 *   centre (as gdal_rasterize does); every pixel outside them is dry. Several files are united (OSM seas + lakes).
 *
 * Pixels that are nodata in the scene are never scored (the caller drops them through the probability's nodata).
 */
import { openScene } from '../adapters/raster/openScene.ts';
import { InputError } from '../core/errors.ts';
import { rasterizePolygons } from '../core/masks/polygonRasterizer.ts';
import type { SceneInfo } from '../core/scene.ts';
import { readWaterPolygons } from './sceneWaterMasks.ts';

export interface SceneTruth {
  /** width·height: 1 = water. */
  water: Uint8Array;
  /** width·height: 1 = scored. */
  valid: Uint8Array;
  /** Non-fatal remarks (a file with no polygon over the scene...). */
  warnings: string[];
}

function isGeoJsonPath(path: string): boolean {
  return /\.(geo)?json$/i.test(path);
}

async function rasterizeGeoJson(path: string, info: SceneInfo, into: Uint8Array, warnings: string[]): Promise<void> {
  const { projected } = await readWaterPolygons(path, info, 'pass a GeoJSON FeatureCollection of WGS84 water polygons, or a label raster');
  if (!projected.length) warnings.push(`${path}: no water polygon over ${info.source}`);
  rasterizePolygons(projected, info.width, info.height, { into });
}

async function readLabelRaster(path: string, info: SceneInfo, truth: SceneTruth, signal?: AbortSignal): Promise<void> {
  const label = await openScene(path, { signal });
  try {
    const { width, height } = info;
    if (label.info.width !== width || label.info.height !== height) {
      throw new InputError('truth_grid_mismatch', `truth ${path} is ${label.info.width}x${label.info.height} but the scene ${info.source} is ${width}x${height}`, {
        hint: 'give the label on the scene grid (gdalwarp -ts WIDTH HEIGHT -te <scene extent>), or water polygons as GeoJSON',
      });
    }
    const rows = Math.max(1, Math.floor((8 * 1024 * 1024) / width));
    for (let y = 0; y < height; y += rows) {
      const h = Math.min(rows, height - y);
      const w = await label.readWindow({ x: 0, y, width, height: h }, { bands: [1], signal });
      const band = w.bands[0];
      const at = y * width;
      for (let i = 0; i < band.length; i++) {
        const v = band[i];
        const scored = w.valid[i] === 1 && !Number.isNaN(v) && v >= 0;
        truth.valid[at + i] &= scored ? 1 : 0;
        if (scored && v > 0) truth.water[at + i] = 1;
      }
    }
  } finally {
    await label.close();
  }
}

/** The union of `paths` (label rasters and/or GeoJSON) on the grid of `info`. */
export async function readSceneTruth(paths: string[], info: SceneInfo, signal?: AbortSignal): Promise<SceneTruth> {
  const n = info.width * info.height;
  const truth: SceneTruth = { water: new Uint8Array(n), valid: new Uint8Array(n).fill(1), warnings: [] };
  for (const path of paths) {
    if (isGeoJsonPath(path)) await rasterizeGeoJson(path, info, truth.water, truth.warnings);
    else await readLabelRaster(path, info, truth, signal);
  }
  return truth;
}
