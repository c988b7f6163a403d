import { describe, expect, it } from 'vitest';
import { chooseIndexThreshold, type IndexThreshold } from '../../src/core/spectral/indexThreshold.ts';
import { indexLogOdds, sigmoid } from '../../src/core/spectral/waterLogOdds.ts';
import { WATER_INDICES, chooseWaterIndex, waterIndexAt } from '../../src/core/spectral/waterIndex.ts';

/** The soft probability the spectral model gives an index value under threshold `t` (MNDWI, no veto). */
const indexProbability = (v: number, t: IndexThreshold): number => sigmoid(indexLogOdds(v, { index: WATER_INDICES.mndwi, bands: [2, 5], threshold: t, roles: {}, rolesGuessed: false }));

/** Deterministic normal samples (Box-Muller on a LCG). */
function normals(n: number, mean: number, sd: number, seed: number): number[] {
  let s = seed >>> 0;
  const u = () => ((s = (s * 1664525 + 1013904223) >>> 0) + 0.5) / 4294967296;
  return Array.from({ length: n }, () => mean + sd * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()));
}

describe('water index choice', () => {
  it('MNDWI over NDWI over NIR/SWIR darkness over NIR darkness; none for RGB', () => {
    expect(chooseWaterIndex({ green: 2, nir: 4, swir1: 5 })?.name).toBe('mndwi');
    expect(chooseWaterIndex({ red: 1, green: 2, blue: 3, nir: 4 })?.name).toBe('ndwi');
    expect(chooseWaterIndex({ rededge1: 1, nir08: 4, swir1: 5 })?.name).toBe('nir-swir-darkness');
    expect(chooseWaterIndex({ nir: 1 })?.name).toBe('nir-darkness');
    expect(chooseWaterIndex({ red: 1, green: 2, blue: 3 })).toBeNull();
    expect(chooseWaterIndex({ green: 2, nir: 4 }, 'mndwi')).toBeNull();
  });
  it('water is high in every index', () => {
    // water: green 0.06, NIR 0.02, SWIR 0.01; vegetation: green 0.08, NIR 0.35, SWIR 0.18
    expect(waterIndexAt('mndwi', 0.06, 0.01)).toBeGreaterThan(waterIndexAt('mndwi', 0.08, 0.18));
    expect(waterIndexAt('ndwi', 0.06, 0.02)).toBeGreaterThan(waterIndexAt('ndwi', 0.08, 0.35));
    expect(waterIndexAt('nir-swir-darkness', 0.02, 0.01)).toBeGreaterThan(waterIndexAt('nir-swir-darkness', 0.35, 0.18));
    expect(waterIndexAt('mndwi', 0, 0)).toBeNaN();
  });
});

describe('scene threshold (valley-emphasis Otsu with a unimodal guard)', () => {
  it('two modes: the threshold falls between them, near the valley, even when water is only 5 %', () => {
    const values = [...normals(19000, -0.35, 0.08, 1), ...normals(1000, 0.45, 0.08, 2)];
    const t = chooseIndexThreshold(values, WATER_INDICES.mndwi);
    expect(t.unimodal).toBe(false);
    expect(t.threshold).toBeGreaterThan(-0.1);
    expect(t.threshold).toBeLessThan(0.25);
    expect(t.waterFraction).toBeCloseTo(0.05, 2);
    expect(indexProbability(0.45, t)).toBeGreaterThan(0.95);
    expect(indexProbability(-0.35, t)).toBeLessThan(0.05);
  });
  it('an all-sea scene (one mode above 0) is not split in two: all water', () => {
    const t = chooseIndexThreshold(normals(20000, 0.5, 0.12, 3), WATER_INDICES.mndwi);
    expect(t.unimodal).toBe(true);
    expect(t.method).toBe('physical');
    expect(t.waterFraction).toBeGreaterThan(0.99);
  });
  it('a desert (one mode below 0) is not split in two: all dry', () => {
    const t = chooseIndexThreshold(normals(20000, -0.3, 0.1, 4), WATER_INDICES.ndwi);
    expect(t.unimodal).toBe(true);
    expect(t.waterFraction).toBeLessThan(0.01);
  });
  it('NaN and infinities are ignored; a tiny sample falls back to the physical zero', () => {
    const t = chooseIndexThreshold([Number.NaN, Infinity, 0.3, -0.2], WATER_INDICES.mndwi);
    expect(t.threshold).toBe(0);
    expect(t.sampleSize).toBe(2);
  });
});

describe('bright-NIR veto', () => {
  it('no penalty at or below the dry-land NIR; 4 log-odds at 1.2x; dry by 1.5x', async () => {
    const { brightNirPenalty } = await import('../../src/core/spectral/waterLogOdds.ts');
    expect(brightNirPenalty(0.02, 0.3)).toBe(0);
    expect(brightNirPenalty(0.3, 0.3)).toBe(0);
    expect(brightNirPenalty(0.36, 0.3)).toBeCloseTo(4, 6);
    expect(brightNirPenalty(0.45, 0.3)).toBeCloseTo(10, 6);
    expect(brightNirPenalty(Number.NaN, 0.3)).toBe(0);
  });
});

describe('plausibility of guessed band roles', () => {
  it('water darker than land passes; a class brighter in most bands and not dark in NIR fails; muddy flood water passes on NIR', async () => {
    const { checkGuessedRoles } = await import('../../src/core/spectral/roleGuessCheck.ts');
    const n = 400;
    const index = Float32Array.from({ length: n }, (_, i) => (i < 100 ? 0.5 : -0.4));
    const plane = (w: number, d: number) => Float32Array.from({ length: n }, (_, i) => (i < 100 ? w : d) * (1 + ((i * 37) % 11) / 100));
    // R, G, B, NIR of clear water vs grassland
    expect(checkGuessedRoles(index, 0, [plane(0.04, 0.06), plane(0.06, 0.08), plane(0.07, 0.05), plane(0.02, 0.35)], 3).ok).toBe(true);
    // muddy flood over forest: brighter in the visible, far darker in NIR
    expect(checkGuessedRoles(index, 0, [plane(0.12, 0.03), plane(0.12, 0.06), plane(0.1, 0.04), plane(0.08, 0.35)], 3).ok).toBe(true);
    // forest picked as "water" (SWIR1,NIR,Red,Green read as R,G,B,NIR): brighter in SWIR1 and NIR
    const wrong = checkGuessedRoles(index, 0, [plane(0.15, 0.012), plane(0.35, 0.07), plane(0.03, 0.08), plane(0.05, 0.09)], 3);
    expect(wrong.ok).toBe(false);
    expect(wrong.brightnessRatio).toBeGreaterThan(1);
  });
});
