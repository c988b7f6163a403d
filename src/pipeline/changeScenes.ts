/**
 * Water change between two dates: `waterline change A B`.
 *
 * 1. Both inputs' grids are checked for overlap first (before any model runs): one clear error when
 *    they do not overlap.
 * 2. Each date's water probability is obtained on its own grid (waterDates.ts: a scene through the model
 *    as `segment` does, a water GeoJSON rasterized, or a mask raster); progress counts the model tiles of
 *    both dates as one total.
 * 3. B is put on A's grid: every A pixel centre → A's geotransform → A's CRS → (proj4, through WGS84 when
 *    the CRSs differ) B's CRS → B's inverse geotransform → the B pixel containing it, sampled nearest
 *    (core/change/gridResample.ts; gdalwarp -r near). Outside B = no data.
 * 4. Per pixel: permanent / gained / lost / dry / unknown (core/change/changeClasses.ts), one threshold
 *    for both dates; per-class areas (geodesic, core/change/pixelAreas.ts) and the share of the common
 *    valid area; the mapped classes vectorized with the `segment` vectorizer.
 */
import { createCrsTransform } from '../adapters/raster/crs.ts';
import { InputError } from '../core/errors.ts';
import { applyGeoTransform, invertGeoTransform } from '../core/grid/affine.ts';
import { classifyChange } from '../core/change/changeClasses.ts';
import { vectorizeChange, type ChangeCollection } from '../core/change/changeFeatures.ts';
import { summarizeChange, type ChangeSummary } from '../core/change/changeSummary.ts';
import { resampleNearest, type PixelMapping } from '../core/change/gridResample.ts';
import { pixelAreaGrid } from '../core/change/pixelAreas.ts';
import { PROBABILITY_NODATA } from '../core/masks/probabilityCodec.ts';
import type { SegmentationDefect } from '../core/model/segmenter.ts';
import type { SceneInfo } from '../core/scene.ts';
import type { TileProgress } from '../core/tileProgress.ts';
import { defaultMinAreaM2 } from '../core/vector/minimumMappingUnit.ts';
import type { Connectivity } from '../core/vector/traceMask.ts';
import { inputName, prepareWaterDate, type PreparedWaterDate, type SceneModel, type WaterDate, type WaterInput } from './waterDates.ts';

export type { WaterInput, SceneModel, WaterDate };

export const RESAMPLING = 'nearest: each pixel centre of A mapped through A\'s geotransform and CRS to B\'s CRS and pixel grid; the B pixel containing it (gdalwarp -r near); outside B = no data';

/** Progress over the model tiles of both dates (tilesDone/tilesTotal count both; the rate is the current date's). */
export interface ChangeProgress extends TileProgress {
  /** The date being mapped now. */
  date: 'A' | 'B';
}

export interface ChangeScenesOptions {
  /** Model and options for scene inputs (required when an input is a scene). */
  model?: SceneModel;
  /** Water where p ≥ threshold, at both dates (default 0.5). */
  threshold?: number;
  connectivity?: Connectivity;
  simplify?: number;
  /** Drop class polygons smaller than this (m²; default: 4.5 pixels of A, as `segment`). The summary counts every pixel. */
  minAreaM2?: number;
  signal?: AbortSignal;
  onProgress?: (progress: ChangeProgress) => void;
  /** Scene inputs, per date (A, B): tiles finished in an earlier run, not mapped again (resume). */
  completed?: [ReadonlyMap<string, Float32Array>?, ReadonlyMap<string, Float32Array>?];
  /** Scene inputs: each newly mapped tile of date 0 (A) or 1 (B), to persist it. */
  onTileDone?: (dateIndex: 0 | 1, tileId: string, probability: Float32Array, defects: SegmentationDefect[]) => void | Promise<void>;
  now?: () => Date;
}

export interface ChangeResult {
  collection: ChangeCollection;
  summary: ChangeSummary;
  dateA: WaterDate;
  dateB: WaterDate;
  /** B's probability on A's grid (255 = no data or outside B). */
  bOnA: Uint8Array;
  /** Class codes on A's grid (CHANGE_CODE; 255 where neither date has data). */
  classes: Uint8Array;
  seconds: number;
}

function sameCrs(a: SceneInfo['crs'], b: SceneInfo['crs']): boolean {
  return a.proj4 === b.proj4 || (a.epsg !== null && a.epsg === b.epsg);
}

/** A pixel (continuous) → B pixel (continuous), through both geotransforms and CRSs. */
export function pixelMapping(a: SceneInfo, b: SceneInfo): PixelMapping {
  const inv = invertGeoTransform(b.geoTransform);
  if (sameCrs(a.crs, b.crs)) {
    return (x, y) => {
      const [sx, sy] = applyGeoTransform(a.geoTransform, x, y);
      return applyGeoTransform(inv, sx, sy);
    };
  }
  const fromA = createCrsTransform(a.crs);
  const toB = createCrsTransform(b.crs);
  return (x, y) => {
    const [sx, sy] = applyGeoTransform(a.geoTransform, x, y);
    const [lon, lat] = fromA.toWgs84(sx, sy);
    const [bx, by] = toB.fromWgs84(lon, lat);
    return applyGeoTransform(inv, bx, by);
  };
}

/** Whether any of a lattice of `from`'s points (edges included) falls inside `to`. */
function anyInside(from: SceneInfo, to: SceneInfo, steps = 32): boolean {
  const map = pixelMapping(from, to);
  for (let j = 0; j <= steps; j++) {
    for (let i = 0; i <= steps; i++) {
      const [u, v] = map((i / steps) * from.width, (j / steps) * from.height);
      if (u >= 0 && v >= 0 && u <= to.width && v <= to.height) return true;
    }
  }
  return false;
}

function noOverlap(a: string, b: string, why: string): InputError {
  return new InputError('scenes_do_not_overlap', `${a} and ${b} do not overlap${why}: there is nothing to compare`, {
    hint: 'pass two images of the same place (any CRS and resolution)',
  });
}

export async function changeScenes(inputA: WaterInput, inputB: WaterInput, options: ChangeScenesOptions = {}): Promise<ChangeResult> {
  const started = Date.now();
  const threshold = options.threshold ?? 0.5;
  const { signal, model } = options;
  const prepared: PreparedWaterDate[] = [];
  let dateA: WaterDate;
  let dateB: WaterDate;
  try {
    prepared.push(await prepareWaterDate(inputA, model, signal));
    prepared.push(await prepareWaterDate(inputB, model, signal));
    const [pa, pb] = prepared;
    if (!anyInside(pa.info, pb.info) && !anyInside(pb.info, pa.info)) throw noOverlap(inputName(inputA), inputName(inputB), '');
    // progress: the model tiles of both dates as one count
    const tilesTotal = pa.tilesTotal + pb.tilesTotal;
    let doneA = { tilesSkipped: 0, tilesFailed: 0 };
    const hooks = (date: 'A' | 'B') => ({
      signal,
      completed: options.completed?.[date === 'A' ? 0 : 1],
      onTileDone: options.onTileDone && ((tileId: string, probability: Float32Array, defects: SegmentationDefect[]) => options.onTileDone!(date === 'A' ? 0 : 1, tileId, probability, defects)),
      onProgress: (p: TileProgress) => {
        if (date === 'A') doneA = p;
        const before = date === 'B' ? doneA : { tilesSkipped: 0, tilesFailed: 0 };
        options.onProgress?.({
          date,
          tilesDone: (date === 'B' ? pa.tilesTotal : 0) + p.tilesDone,
          tilesTotal,
          tilesSkipped: before.tilesSkipped + p.tilesSkipped,
          tilesFailed: before.tilesFailed + p.tilesFailed,
          tilesPerSecond: p.tilesPerSecond,
          etaSeconds: p.tilesPerSecond > 0 ? (tilesTotal - (date === 'B' ? pa.tilesTotal : 0) - p.tilesDone) / p.tilesPerSecond : null,
        });
      },
    });
    dateA = await pa.load(hooks('A'));
    dateB = await pb.load(hooks('B'));
  } finally {
    for (const p of prepared) await p.close();
  }

  const a = dateA.info;
  const bOnA = resampleNearest({ data: dateB.probability, width: dateB.info.width, height: dateB.info.height }, a.width, a.height, pixelMapping(a, dateB.info), {
    fill: PROBABILITY_NODATA,
  });
  const classes = classifyChange(dateA.probability, bOnA, threshold);
  const toWgs84 = createCrsTransform(a.crs).toWgs84;
  const summary = summarizeChange(classes, a.width, a.height, pixelAreaGrid(a.width, a.height, a.geoTransform, toWgs84));
  if (summary.commonValidKm2 <= 0) throw noOverlap(inputName(inputA), inputName(inputB), ' where both have data');
  const connectivity = options.connectivity ?? 4;
  const simplify = options.simplify ?? 0;
  // as segment: polygons under 4.5 pixels dropped by default (the summary still counts every pixel)
  const minAreaM2 = options.minAreaM2 ?? defaultMinAreaM2(a.width, a.height, a.geoTransform, toWgs84);
  const features = vectorizeChange(classes, a.width, a.height, { geoTransform: a.geoTransform, toWgs84, connectivity, simplify, minAreaM2 });
  const collection: ChangeCollection = {
    type: 'FeatureCollection',
    features,
    waterline: {
      kind: 'change',
      scene: dateA.source,
      compareTo: dateB.source,
      dateA: dateA.provenance,
      dateB: dateB.provenance,
      grid: 'A',
      resampling: RESAMPLING,
      threshold,
      connectivity,
      simplify,
      minAreaM2,
      created: (options.now ?? (() => new Date()))().toISOString(),
      summary,
    },
  };
  return { collection, summary, dateA, dateB, bOnA, classes, seconds: (Date.now() - started) / 1000 };
}
