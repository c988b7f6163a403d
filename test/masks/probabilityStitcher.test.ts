import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { planTileGrid } from '../../src/core/grid/tileGrid.ts';
import { PROBABILITY_NODATA, dequantizeProbability, quantizeProbability } from '../../src/core/masks/probabilityCodec.ts';
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

  it('blends a tile reloaded from its stored bytes exactly like its float output, in any order', () => {
    const tileSize = 16;
    const grid = planTileGrid({ width: 60, height: 44, tileSize, overlap: 5 });
    let h = 7;
    const fresh = new Map(grid.tiles.map((t) => {
      const p = new Float32Array(tileSize * tileSize);
      for (let i = 0; i < p.length; i++) {
        h = (h * 1103515245 + 12345) | 0;
        p[i] = i % 37 === 0 ? Number.NaN : ((h >>> 8) & 0xffff) / 0xffff;
      }
      return [t.id, p];
    }));
    const uninterrupted = new ProbabilityStitcher({ width: 60, height: 44, tileSize, overlap: 5, tiles: grid.tiles });
    for (const t of grid.tiles) uninterrupted.addTile(t, fresh.get(t.id)!);
    // a resumed job: the first half comes back from the store (one byte per pixel) and is blended first
    const resumed = new ProbabilityStitcher({ width: 60, height: 44, tileSize, overlap: 5, tiles: grid.tiles });
    const half = Math.floor(grid.tiles.length / 2);
    for (const t of grid.tiles.slice(0, half).reverse()) resumed.addTile(t, dequantizeProbability(quantizeProbability(fresh.get(t.id)!)));
    for (const t of grid.tiles.slice(half)) resumed.addTile(t, fresh.get(t.id)!);
    const a = uninterrupted.finish();
    expect(resumed.finish()).toEqual(a);
    expect(new Set(a).size).toBeGreaterThan(100); // a real spread of blended values, not a constant
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
          // exactly the same values (integer sums do not depend on the order)
          expect(other.finish()).toEqual(inOrder.finish());
          // streamed bands (no scene-size output): every row once, in order, the same bytes; some tiles skipped
          const streamed = new Uint8Array(width * height);
          let nextRow = 0;
          const rowsOut = new ProbabilityStitcher({
            width, height, tileSize, overlap, tiles: grid.tiles,
            onRows: (y0, rows) => {
              expect(y0).toBe(nextRow);
              streamed.set(rows, y0 * width);
              nextRow += rows.length / width;
            },
          });
          const skip = (t: { row: number; col: number }) => (t.row + t.col + seed) % 5 === 0;
          const kept = new ProbabilityStitcher({ width, height, tileSize, overlap, tiles: grid.tiles });
          for (const t of shuffled) {
            if (skip(t)) {
              rowsOut.skipTile(t);
              kept.skipTile(t);
            } else {
              rowsOut.addTile(t, prob(t.id));
              kept.addTile(t, prob(t.id));
            }
          }
          expect(rowsOut.finish()).toHaveLength(0);
          expect(nextRow).toBe(height);
          expect(streamed).toEqual(kept.finish());
          expect(inOrder.output.includes(PROBABILITY_NODATA)).toBe(false);
        },
      ),
      { numRuns: 60 },
    );
  });
});
