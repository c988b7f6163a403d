import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planTileGrid } from '../../src/core/grid/tileGrid.ts';
import { PROBABILITY_NODATA } from '../../src/core/masks/probabilityCodec.ts';
import { ProbabilityStitcher, thresholdProbability } from '../../src/core/masks/probabilityStitcher.ts';

const constant = (size: number, p: number) => new Float32Array(size * size).fill(p);

describe('ProbabilityStitcher', () => {
  it('blends overlapping tiles with a ramp instead of last-writer-wins', () => {
    // two 16 px tiles side by side with 6 px overlap: A says 1, B says 0
    const grid = planTileGrid({ width: 26, height: 16, tileSize: 16, overlap: 6 });
    expect(grid.tiles).toHaveLength(2);
    const s = new ProbabilityStitcher({ width: 26, height: 16, tileSize: 16, overlap: 6, tiles: grid.tiles });
    s.addTile(grid.tiles[0], constant(16, 1));
    s.addTile(grid.tiles[1], constant(16, 0));
    const out = s.finish();
    const row = Array.from(out.slice(8 * 26, 9 * 26));
    expect(row.slice(0, 10)).toEqual(new Array(10).fill(254)); // only A
    expect(row.slice(16)).toEqual(new Array(10).fill(0)); // only B
    const overlap = row.slice(10, 16);
    for (let i = 1; i < overlap.length; i++) expect(overlap[i]).toBeLessThan(overlap[i - 1]);
    expect(overlap[0]).toBeLessThan(254);
    expect(overlap[5]).toBeGreaterThan(0);
    // symmetric ramp: the overlap's two halves mirror each other around 127
    expect(overlap[2] + overlap[3]).toBeGreaterThanOrEqual(253);
    expect(overlap[2] + overlap[3]).toBeLessThanOrEqual(255);
  });

  it('excludes NaN (nodata/padding) pixels and marks uncovered pixels as nodata', () => {
    const grid = planTileGrid({ width: 10, height: 10, tileSize: 16, overlap: 0 });
    const s = new ProbabilityStitcher({ width: 10, height: 10, tileSize: 16, overlap: 0, tiles: grid.tiles });
    const p = constant(16, 0.8);
    p[0] = Number.NaN;
    s.addTile(grid.tiles[0], p);
    const out = s.finish();
    expect(out[0]).toBe(PROBABILITY_NODATA);
    expect(out[1]).toBe(Math.round(0.8 * 254));
    expect(Array.from(thresholdProbability(out, 0.5).slice(0, 3))).toEqual([0, 1, 1]);
  });

  it('gives the same result whatever order tiles arrive in, and frees bands as rows complete (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 20, max: 90 }),
        fc.integer({ min: 20, max: 90 }),
        fc.integer({ min: 0, max: 7 }),
        fc.integer(),
        (width, height, overlap, seed) => {
          const tileSize = 16;
          const grid = planTileGrid({ width, height, tileSize, overlap });
          const prob = (id: string) => {
            const p = new Float32Array(tileSize * tileSize);
            let h = [...id].reduce((a, c) => (a * 31 + c.charCodeAt(0)) | 0, seed);
            for (let i = 0; i < p.length; i++) {
              h = (h * 1103515245 + 12345) | 0;
              p[i] = ((h >>> 8) & 255) / 255;
            }
            return p;
          };
          const inOrder = new ProbabilityStitcher({ width, height, tileSize, overlap, tiles: grid.tiles });
          for (const t of grid.tiles) inOrder.addTile(t, prob(t.id));
          expect(inOrder.stats().liveBands).toBe(0);
          expect(inOrder.stats().peakLiveBands).toBeLessThanOrEqual(Math.ceil(tileSize / grid.stride) + 1);
          const shuffled = [...grid.tiles].sort((a, b) => (((a.row * 7919 + a.col * 104729) ^ seed) % 97) - (((b.row * 7919 + b.col * 104729) ^ seed) % 97));
          const other = new ProbabilityStitcher({ width, height, tileSize, overlap, tiles: grid.tiles });
          for (const t of shuffled) other.addTile(t, prob(t.id));
          // same values up to float summation order (at most one quantization step)
          const a = other.finish(), b = inOrder.finish();
          for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(1);
          expect(inOrder.output.includes(PROBABILITY_NODATA)).toBe(false);
        },
      ),
      { numRuns: 60 },
    );
  });
});
