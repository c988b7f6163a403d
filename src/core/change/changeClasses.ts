/**
 * Per-pixel water change between two dates on one pixel grid (date A's).
 *
 * Inputs are the one-byte probabilities of core/masks/probabilityCodec.ts (0..254 = p·254, 255 = no
 * data), date B already resampled onto A's grid (255 where B has no data or A's pixel lies outside B).
 * Water = p ≥ threshold, with the same half-step tolerance as thresholdProbability.
 *
 * Classes: `permanent` (water at both dates), `gained` (dry at A, water at B), `lost` (water at A, dry at
 * B), `dry` (dry at both), `unknown` (exactly one date has data: nodata in one scene, or outside the
 * other), and NO_DATA where neither date has data (outside everything: not a class, never counted).
 */
import { PROBABILITY_NODATA, PROBABILITY_SCALE } from '../masks/probabilityCodec.ts';

export const CHANGE_CLASSES = ['dry', 'permanent', 'gained', 'lost', 'unknown'] as const;
export type ChangeClass = (typeof CHANGE_CLASSES)[number];
/** The classes written as polygons (dry land at both dates is the background). */
export const MAPPED_CHANGE_CLASSES: readonly ChangeClass[] = ['permanent', 'gained', 'lost', 'unknown'];

/** Class code of each class in the class raster: its index in CHANGE_CLASSES. */
export const CHANGE_CODE: Readonly<Record<ChangeClass, number>> = { dry: 0, permanent: 1, gained: 2, lost: 3, unknown: 4 };
/** Class raster value where neither date has data. */
export const CHANGE_NO_DATA = 255;

/** One colour per class wherever classes are drawn (report, map tiles, viewer, QGIS): RGB 0..255. */
export const CHANGE_CLASS_COLOURS: Readonly<Record<ChangeClass, readonly [number, number, number]>> = {
  permanent: [31, 94, 201],
  gained: [38, 166, 76],
  lost: [214, 48, 39],
  unknown: [160, 160, 160],
  dry: [255, 255, 255],
};

/** Classify every pixel; `a` and `b` are quantized probabilities on the same grid. */
export function classifyChange(a: Uint8Array, b: Uint8Array, threshold: number): Uint8Array {
  if (a.length !== b.length) throw new RangeError(`date A has ${a.length} pixels and date B ${b.length}: they must be on the same grid`);
  if (!(threshold >= 0 && threshold <= 1)) throw new RangeError(`threshold must be in [0, 1], got ${threshold}`);
  const cut = threshold * PROBABILITY_SCALE - 1e-6;
  const out = new Uint8Array(a.length);
  for (let i = 0; i < a.length; i++) {
    const pa = a[i];
    const pb = b[i];
    const noA = pa === PROBABILITY_NODATA;
    const noB = pb === PROBABILITY_NODATA;
    if (noA || noB) {
      out[i] = noA && noB ? CHANGE_NO_DATA : CHANGE_CODE.unknown;
      continue;
    }
    const wa = pa >= cut;
    const wb = pb >= cut;
    out[i] = wa ? (wb ? CHANGE_CODE.permanent : CHANGE_CODE.lost) : wb ? CHANGE_CODE.gained : CHANGE_CODE.dry;
  }
  return out;
}

/** 0/1 mask of one class. */
export function classMask(classes: Uint8Array, cls: ChangeClass): Uint8Array {
  const code = CHANGE_CODE[cls];
  const out = new Uint8Array(classes.length);
  for (let i = 0; i < classes.length; i++) if (classes[i] === code) out[i] = 1;
  return out;
}
