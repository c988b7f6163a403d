import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { modelTileFromWindow, percentile, stretchValue } from '../../src/core/grid/bandStretch.ts';
import type { SampleArray } from '../../src/core/rasterWindow.ts';

/** The per-pixel definition: channel c of a valid pixel is stretchValue(sample, low, high). */
function reference(bands: SampleArray[], valid: Uint8Array, stretch: [number, number][], w: number, h: number, size: number, ox: number, oy: number) {
  const rgb = new Uint8Array(size * size * 3);
  const v = new Uint8Array(size * size);
  const ch = bands.length === 1 ? [0, 0, 0] : [0, 1, 2];
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const s = y * w + x;
    if (!valid[s]) continue;
    const d = (y + oy) * size + x + ox;
    v[d] = 1;
    for (let c = 0; c < 3; c++) rgb[d * 3 + c] = stretchValue(bands[ch[c]][s], stretch[ch[c]][0], stretch[ch[c]][1]);
  }
  return { rgb, valid: v };
}

const kinds = [
  { make: (n: number) => new Uint8Array(n), max: 255, min: 0 },
  { make: (n: number) => new Uint16Array(n), max: 65535, min: 0 },
  { make: (n: number) => new Int16Array(n), max: 32767, min: -32768 },
  { make: (n: number) => new Float32Array(n), max: 1e4, min: -1e4 },
];

describe('modelTileFromWindow (lookup tables and byte planes)', () => {
  it('equals the per-pixel stretchValue definition for every sample type and stretch (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: kinds.length - 1 }), fc.boolean(), fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 9 }),
        fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 }), fc.integer(), fc.array(fc.tuple(fc.double({ min: -4e4, max: 7e4, noNaN: true }), fc.double({ min: 0.001, max: 7e4, noNaN: true })), { minLength: 3, maxLength: 3 }),
        (kind, grey, w, h, ox, oy, seed, ranges) => {
          const { make, min, max } = kinds[kind];
          const n = w * h;
          const bands = (grey ? [0] : [0, 1, 2]).map((b) => {
            const a = make(n);
            for (let i = 0; i < n; i++) a[i] = min + (Math.abs(Math.imul(seed + b * 31 + i, 2654435761)) % (max - min + 1));
            return a;
          });
          const valid = Uint8Array.from({ length: n }, (_, i) => ((seed + i) % 5 ? 1 : 0));
          const stretch = ranges.slice(0, bands.length).map(([lo, span]) => [lo, lo + span] as [number, number]);
          const got = modelTileFromWindow('t', { width: w, height: h, bands, valid }, stretch, 12, ox, oy);
          const want = reference(bands, valid, stretch, w, h, 12, ox, oy);
          expect(Array.from(got.rgb)).toEqual(Array.from(want.rgb));
          expect(Array.from(got.valid)).toEqual(Array.from(want.valid));
          // The same stretch entries again (memoised tables) give the same tile.
          expect(Array.from(modelTileFromWindow('t', { width: w, height: h, bands, valid }, stretch, 12, ox, oy).rgb)).toEqual(Array.from(want.rgb));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('percentile ranks 8/16-bit samples (histogram) exactly like a sort', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.integer({ min: 1, max: 40000 }), fc.integer(), (byte, n, seed) => {
        // Long enough arrays take the histogram path (>= bins / 4 samples), short ones the sort.
        const values = Array.from({ length: n }, (_, i) => Math.abs(Math.imul(seed + i, 2654435761)) % (byte ? 256 : 65536));
        const a = byte ? Uint8Array.from(values) : Uint16Array.from(values);
        const valid = Uint8Array.from(values, (_, i) => ((seed + i) % 3 ? 1 : 0));
        const picked = values.filter((_, i) => valid[i]).sort((x, y) => x - y);
        const ps = [0, 2, 50, 98, 100];
        const want = picked.length ? ps.map((p) => picked[Math.min(picked.length - 1, Math.max(0, Math.round((p / 100) * (picked.length - 1))))]) : ps.map(() => null);
        expect(percentile(a, valid, ps)).toEqual(want);
        expect(percentile(Float64Array.from(a), valid, ps)).toEqual(want);
      }),
      { numRuns: 40 },
    );
  });
});
