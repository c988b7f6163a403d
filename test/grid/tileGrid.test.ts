import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { planTileGrid, TileGridError } from '../../src/core/grid/tileGrid.ts';
import { bandStretchFromSample, modelTileFromWindow } from '../../src/core/grid/bandStretch.ts';

describe('planTileGrid', () => {
  it('plans the default 224/32 grid of a 779x790 scene', () => {
    const g = planTileGrid({ width: 779, height: 790 });
    expect([g.tileSize, g.overlap, g.stride, g.rows, g.cols]).toEqual([224, 32, 192, 4, 4]);
    expect(g.tiles[g.tiles.length - 1]).toEqual({ id: 'r3c3', row: 3, col: 3, window: { x: 576, y: 576, width: 203, height: 214 } });
  });

  it('refuses bad parameters with clear errors', () => {
    expect(() => planTileGrid({ width: 100, height: 100, overlap: 112 })).toThrow(TileGridError);
    expect(() => planTileGrid({ width: 100, height: 100, overlap: 112 })).toThrow(/less than half the tile size/);
    expect(() => planTileGrid({ width: 0, height: 100 })).toThrow(/positive/);
    expect(() => planTileGrid({ width: 10, height: 10, tileSize: 2 })).toThrow(/tile size/);
  });

  it('covers every pixel with unique ids and windows inside the scene (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 900 }), fc.integer({ min: 1, max: 900 }), fc.integer({ min: 8, max: 300 }), fc.nat(), (width, height, tileSize, o) => {
        const overlap = o % Math.ceil(tileSize / 2);
        const g = planTileGrid({ width, height, tileSize, overlap });
        expect(new Set(g.tiles.map((t) => t.id)).size).toBe(g.tiles.length);
        expect(g.tiles.length).toBe(g.rows * g.cols);
        for (const t of g.tiles) {
          const w = t.window;
          if (w.x !== t.col * g.stride || w.y !== t.row * g.stride || w.width <= 0 || w.height <= 0) throw new Error(`bad origin ${t.id}`);
          if (w.width > tileSize || w.x + w.width > width || w.y + w.height > height) throw new Error(`outside ${t.id}`);
        }
        // Every pixel covered: along each axis, consecutive tiles leave no gap and the last reaches the edge.
        const xs = g.tiles.filter((t) => t.row === 0).map((t) => t.window);
        const ys = g.tiles.filter((t) => t.col === 0).map((t) => t.window);
        for (let i = 1; i < xs.length; i++) expect(xs[i].x).toBeLessThanOrEqual(xs[i - 1].x + xs[i - 1].width);
        for (let i = 1; i < ys.length; i++) expect(ys[i].y).toBeLessThanOrEqual(ys[i - 1].y + ys[i - 1].height);
        expect(xs[0].x + ys[0].y).toBe(0);
        expect(xs[xs.length - 1].x + xs[xs.length - 1].width).toBe(width);
        expect(ys[ys.length - 1].y + ys[ys.length - 1].height).toBe(height);
        expect(g.stride).toBeLessThanOrEqual(tileSize);
      }),
      { numRuns: 200 },
    );
  });
});

describe('band stretch and model tiles', () => {
  it('stretches 16-bit data with scene percentiles and pads edge tiles as invalid', () => {
    const values = Uint16Array.from({ length: 100 }, (_, i) => 1000 + i * 10);
    const valid = new Uint8Array(100).fill(1);
    const [lo, hi] = bandStretchFromSample(values, valid, 'UInt16');
    expect(lo).toBe(1020);
    expect(hi).toBe(1970);
    const tile = modelTileFromWindow('r0c0', { width: 10, height: 10, bands: [values], valid }, [[lo, hi]], 16);
    expect(tile.rgb.length).toBe(16 * 16 * 3);
    expect(tile.valid.reduce((a, b) => a + b, 0)).toBe(100);
    expect(tile.valid[15]).toBe(0); // padding on the right
    expect(Array.from(tile.rgb.slice(0, 3))).toEqual([0, 0, 0]); // below low → 0, grey replicated
    expect(tile.rgb[(9 * 16 + 9) * 3]).toBe(255);
  });

  it('passes 8-bit data with a full range through', () => {
    const values = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(bandStretchFromSample(values, new Uint8Array(256).fill(1), 'Byte')).toEqual([0, 255]);
  });
});
