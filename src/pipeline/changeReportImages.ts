/**
 * The pictures of a change report, all on date A's grid at a reduced size (longest side ≤ maxSize, nearest
 * sampling) so they line up pixel for pixel: each date's imagery with the bands and scene-wide stretch the
 * model saw (B's pixels taken through the same A → B mapping as the classification) and its water
 * outlined in yellow, or — for GeoJSON / mask inputs — its water in blue; and the change map in the class
 * colours (permanent blue, gained green, lost red, unknown grey, dry land white). RGBA, row-major.
 */
import { openImagery } from '../adapters/raster/openScene.ts';
import { CHANGE_CLASS_COLOURS, CHANGE_CODE, type ChangeClass } from '../core/change/changeClasses.ts';
import type { PixelMapping } from '../core/change/gridResample.ts';
import { stretchValue } from '../core/grid/bandStretch.ts';
import { PROBABILITY_NODATA, PROBABILITY_SCALE } from '../core/masks/probabilityCodec.ts';
import type { SceneInfo } from '../core/scene.ts';
import { computeSceneStretch, defaultBands } from './tileSource.ts';

export const CLASS_COLOURS = CHANGE_CLASS_COLOURS;

export interface ReportDate {
  label: string;
  source: string;
  /** The scene to draw (scene inputs), with its model bands; absent: draw the water. */
  scene?: { path: string; bands?: number[] };
  /** Water probability on A's grid (255 = no data). */
  probabilityOnA: Uint8Array;
  /** A pixel → this date's own pixel (identity for A), for drawing its imagery on A's grid. */
  mapping: PixelMapping;
}

export interface ReportImage {
  width: number;
  height: number;
  rgba: Uint8Array;
}

export interface ChangeReportImages {
  dateA: ReportImage;
  dateB: ReportImage;
  change: ReportImage;
}

type ReducedGrid = { width: number; height: number; index: Int32Array };

/** Reduced grid of A: size and, per output pixel, the A pixel it shows. */
function reducedGrid(info: SceneInfo, maxSize: number) {
  const scale = Math.min(1, maxSize / Math.max(info.width, info.height));
  const width = Math.max(1, Math.round(info.width * scale));
  const height = Math.max(1, Math.round(info.height * scale));
  const index = new Int32Array(width * height);
  for (let r = 0; r < height; r++) {
    const y = Math.min(info.height - 1, Math.floor(((r + 0.5) * info.height) / height));
    for (let c = 0; c < width; c++) index[r * width + c] = y * info.width + Math.min(info.width - 1, Math.floor(((c + 0.5) * info.width) / width));
  }
  return { width, height, index };
}

/** RGB of a scene at each output pixel's A pixel centre mapped into it (nearest), with the model's stretch. */
async function sceneImage(date: ReportDate, grid: ReducedGrid, gridA: SceneInfo, rgba: Uint8Array): Promise<void> {
  const scene = await openImagery(date.scene!.path);
  try {
    const bands = date.scene!.bands ?? defaultBands(scene.info);
    const stretch = await computeSceneStretch(scene, bands, undefined);
    // read the scene once at about the report's resolution (an overview when it has one)
    const { width: sw, height: sh } = scene.info;
    const scale = Math.min(1, (2 * Math.max(grid.width, grid.height)) / Math.max(sw, sh));
    const rw = Math.max(1, Math.round(sw * scale));
    const rh = Math.max(1, Math.round(sh * scale));
    const unique = [...new Set(bands)];
    const read = await scene.readWindow({ x: 0, y: 0, width: sw, height: sh }, { bands: unique, width: rw, height: rh });
    const channels = bands.length === 1 ? [0, 0, 0] : [0, 1, 2];
    for (let p = 0; p < grid.index.length; p++) {
      const i = grid.index[p];
      const [u, v] = date.mapping((i % gridA.width) + 0.5, Math.floor(i / gridA.width) + 0.5);
      if (!(u >= 0 && v >= 0 && u < sw && v < sh)) continue;
      const q = Math.min(rh - 1, Math.floor((v * rh) / sh)) * rw + Math.min(rw - 1, Math.floor((u * rw) / sw));
      if (!read.valid[q]) continue;
      for (let k = 0; k < 3; k++) {
        const b = bands[channels[k]];
        const [lo, hi] = stretch[channels[k]];
        rgba[p * 4 + k] = stretchValue(read.bands[unique.indexOf(b)][q], lo, hi);
      }
      rgba[p * 4 + 3] = 255;
    }
  } finally {
    await scene.close();
  }
}

/** A date's picture: imagery (or its water in blue), water outlined in yellow. */
async function dateImage(date: ReportDate, grid: ReducedGrid, gridA: SceneInfo, threshold: number): Promise<ReportImage> {
  const { width, height, index } = grid;
  const rgba = new Uint8Array(width * height * 4);
  const cut = threshold * PROBABILITY_SCALE - 1e-6;
  const water = new Uint8Array(width * height);
  for (let p = 0; p < index.length; p++) {
    const q = date.probabilityOnA[index[p]];
    water[p] = q !== PROBABILITY_NODATA && q >= cut ? 1 : 0;
    if (!date.scene && q !== PROBABILITY_NODATA) {
      const [r, g, b] = water[p] ? CLASS_COLOURS.permanent : [235, 235, 225];
      rgba.set([r, g, b, 255], p * 4);
    }
  }
  if (date.scene) {
    await sceneImage(date, grid, gridA, rgba);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const p = y * width + x;
        if (!water[p]) continue;
        const edge = (x > 0 && !water[p - 1]) || (x + 1 < width && !water[p + 1]) || (y > 0 && !water[p - width]) || (y + 1 < height && !water[p + width]);
        if (edge) rgba.set([255, 230, 0, 255], p * 4);
      }
    }
  }
  return { width, height, rgba };
}

function changeImage(classes: Uint8Array, grid: ReducedGrid): ReportImage {
  const rgba = new Uint8Array(grid.width * grid.height * 4);
  const byCode = new Map<number, readonly [number, number, number]>(Object.entries(CLASS_COLOURS).map(([c, rgb]) => [CHANGE_CODE[c as ChangeClass], rgb]));
  for (let p = 0; p < grid.index.length; p++) {
    const rgb = byCode.get(classes[grid.index[p]]);
    if (rgb) rgba.set([rgb[0], rgb[1], rgb[2], 255], p * 4);
  }
  return { width: grid.width, height: grid.height, rgba };
}

export async function changeReportImages(gridA: SceneInfo, dateA: ReportDate, dateB: ReportDate, classes: Uint8Array, threshold: number, maxSize = 640): Promise<ChangeReportImages> {
  const grid = reducedGrid(gridA, maxSize);
  return {
    dateA: await dateImage(dateA, grid, gridA, threshold),
    dateB: await dateImage(dateB, grid, gridA, threshold),
    change: changeImage(classes, grid),
  };
}
