/**
 * Per-class areas of a change raster: km² and share of the common valid area (pixels where both dates
 * have data: permanent + gained + lost + dry). `unknown` has no share (it lies outside the common valid
 * area by definition). Water of each date on the common valid area follows: A = permanent + lost,
 * B = permanent + gained.
 */
import { CHANGE_CLASSES, CHANGE_CODE, type ChangeClass } from './changeClasses.ts';
import { areaByValue, type PixelAreaGrid } from './pixelAreas.ts';

export interface ChangeClassArea {
  class: ChangeClass;
  pixels: number;
  areaKm2: number;
  /** Share of the common valid area in %, null for `unknown`. */
  percentOfCommonValid: number | null;
}

export interface ChangeSummary {
  commonValidKm2: number;
  /** Water of date A on the common valid area (permanent + lost). */
  waterAKm2: number;
  /** Water of date B on the common valid area (permanent + gained). */
  waterBKm2: number;
  /** Net change B − A on the common valid area (gained − lost). */
  netChangeKm2: number;
  classes: ChangeClassArea[];
}

const round = (v: number, digits: number): number => Math.round(v * 10 ** digits) / 10 ** digits;

export function summarizeChange(classes: Uint8Array, width: number, height: number, grid: PixelAreaGrid): ChangeSummary {
  const areas = areaByValue(classes, width, height, grid);
  const pixels = new Float64Array(256);
  for (let i = 0; i < classes.length; i++) pixels[classes[i]]++;
  const km2 = (c: ChangeClass): number => areas[CHANGE_CODE[c]] / 1e6;
  const common = km2('permanent') + km2('gained') + km2('lost') + km2('dry');
  return {
    commonValidKm2: round(common, 6),
    waterAKm2: round(km2('permanent') + km2('lost'), 6),
    waterBKm2: round(km2('permanent') + km2('gained'), 6),
    netChangeKm2: round(km2('gained') - km2('lost'), 6),
    classes: CHANGE_CLASSES.map((c) => ({
      class: c,
      pixels: pixels[CHANGE_CODE[c]],
      areaKm2: round(km2(c), 6),
      percentOfCommonValid: c === 'unknown' ? null : common > 0 ? round((100 * km2(c)) / common, 3) : 0,
    })),
  };
}
