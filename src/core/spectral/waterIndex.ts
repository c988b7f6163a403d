/**
 * Spectral water indices: which one a scene's bands allow, and its value per pixel. Water is HIGH in every index
 * here, so one threshold rule (water ≥ t) serves all of them.
 *
 * | index | needs | formula | why |
 * |---|---|---|---|
 * | `mndwi` (Xu 2006) | green, swir1 | (G − SWIR1) / (G + SWIR1) | water absorbs SWIR; separates built-up and shadow better than NDWI |
 * | `ndwi` (McFeeters 1996) | green, nir | (G − NIR) / (G + NIR) | water absorbs NIR, vegetation reflects it |
 * | `nir-swir-darkness` | nir, swir1 (no green) | −(ln NIR + ln SWIR1) / 2 | water is the darkest surface in both infrared bands |
 * | `nir-darkness` | nir only | −ln NIR | as above, one band |
 *
 * MNDWI is preferred over NDWI when both are possible (SWIR is the stronger water signal: MNDWI beat NDWI on every
 * scene we scored, see docs/water-quality.md). The two normalised differences have a physical zero (water > 0 on
 * reflectance); the darkness indices are only meaningful relative to the scene, so their threshold is always
 * taken from the scene's histogram (src/core/spectral/indexThreshold.ts).
 */
import type { BandRole } from '../bands/bandRoles.ts';

export type WaterIndexName = 'mndwi' | 'ndwi' | 'nir-swir-darkness' | 'nir-darkness';

export interface WaterIndex {
  name: WaterIndexName;
  /** The roles it reads, in the order `waterIndexAt` expects its values. */
  roles: BandRole[];
  /** The index's physical water/dry boundary on reflectance, or null when it has none (darkness indices). */
  physicalThreshold: number | null;
  /**
   * Smallest gap between the mean index of the two classes for a split to be water against land: open water and
   * land differ by ≥ 0.3 in a normalised difference and by a factor ≥ 3 (≈ 1.1 in ln) in infrared brightness;
   * a split with less is two shades of one surface (calm vs rough sea, two crops) and the guard keeps it whole.
   */
  minSeparation: number;
}

export const WATER_INDICES: Record<WaterIndexName, WaterIndex> = {
  mndwi: { name: 'mndwi', roles: ['green', 'swir1'], physicalThreshold: 0, minSeparation: 0.15 },
  ndwi: { name: 'ndwi', roles: ['green', 'nir'], physicalThreshold: 0, minSeparation: 0.15 },
  'nir-swir-darkness': { name: 'nir-swir-darkness', roles: ['nir', 'swir1'], physicalThreshold: null, minSeparation: 0.5 },
  'nir-darkness': { name: 'nir-darkness', roles: ['nir'], physicalThreshold: null, minSeparation: 0.5 },
};

/** The best index the roles allow (order: MNDWI, NDWI, NIR+SWIR darkness, NIR darkness), or null (RGB/pan only). */
export function chooseWaterIndex(roles: Partial<Record<BandRole, number>>, prefer?: WaterIndexName): WaterIndex | null {
  const has = (r: BandRole) => roles[r] !== undefined;
  const usable = (i: WaterIndex) => i.roles.every(has);
  if (prefer) return usable(WATER_INDICES[prefer]) ? WATER_INDICES[prefer] : null;
  const nirOrNarrow = has('nir') || has('nir08');
  if (has('green') && has('swir1')) return WATER_INDICES.mndwi;
  if (has('green') && nirOrNarrow) return WATER_INDICES.ndwi;
  if (nirOrNarrow && has('swir1')) return WATER_INDICES['nir-swir-darkness'];
  if (nirOrNarrow) return WATER_INDICES['nir-darkness'];
  return null;
}

/** Band number per role the index reads (NIR falls back to the narrow NIR, B8A, when there is no broad one). */
export function indexBands(index: WaterIndex, roles: Partial<Record<BandRole, number>>): number[] {
  return index.roles.map((r) => (r === 'nir' ? roles.nir ?? roles.nir08 : roles[r]) as number);
}

const TINY = 1e-6;

/** The index of one pixel from its band values (already scaled); NaN when it cannot be computed. */
export function waterIndexAt(name: WaterIndexName, a: number, b = 0): number {
  switch (name) {
    case 'mndwi':
    case 'ndwi': {
      const sum = a + b;
      if (!(Math.abs(sum) > TINY)) return Number.NaN;
      const v = (a - b) / sum;
      return v < -1 ? -1 : v > 1 ? 1 : v;
    }
    case 'nir-swir-darkness':
      return -(Math.log(Math.max(a, TINY)) + Math.log(Math.max(b, TINY))) / 2;
    case 'nir-darkness':
      return -Math.log(Math.max(a, TINY));
  }
}

/**
 * The index over planes (one per role of `index`, same length; NaN = no data) into `out`; NaN where any input is
 * NaN or the index is undefined.
 */
export function computeWaterIndex(index: WaterIndex, planes: Float32Array[], out: Float32Array): Float32Array {
  const [p, q] = planes;
  for (let i = 0; i < out.length; i++) {
    const a = p[i];
    const b = q ? q[i] : 0;
    out[i] = Number.isNaN(a) || Number.isNaN(b) ? Number.NaN : waterIndexAt(index.name, a, b);
  }
  return out;
}
