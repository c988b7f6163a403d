import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BitMask } from '../../src/core/masks/bitMask.ts';
import type { MaskRows } from '../../src/core/masks/maskRows.ts';
import { createMaskTracer, traceBitMask, traceMask } from '../../src/core/vector/traceMask.ts';
import { traceMask as referenceTraceMask, typedRings } from './referenceTraceMask.ts';

/** A random mask with blobs, diagonal touches, holes and pinches (a noisy mask thresholded). */
function randomMask(width: number, height: number, seed: number, density: number): Uint8Array {
  let s = seed >>> 0 || 1;
  const rnd = () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
  const m = new Uint8Array(width * height);
  for (let i = 0; i < m.length; i++) m[i] = rnd() < density ? 1 : 0;
  return m;
}

/**
 * MaskRows over `mask` in blocks of `blockRows` rows that holds exactly two blocks (the least recently asked for
 * one's buffer is refilled for the next): a reader that kept a block longer than MaskRows promises reads another
 * block's bits. Rows from `written` on read as all water (a reader must not look at them).
 */
function twoBlockRows(mask: BitMask, blockRows: number): MaskRows & { written: number; asked: number } {
  const { width, height, stride } = mask;
  const held: { b: number; bits: Uint8Array }[] = [{ b: -1, bits: new Uint8Array(blockRows * stride) }, { b: -1, bits: new Uint8Array(blockRows * stride) }];
  return {
    width,
    height,
    stride,
    blockRows,
    written: 0,
    asked: 0,
    block(b) {
      this.asked++;
      if (b < 0 || b * blockRows >= height) throw new RangeError(`block ${b} outside the mask`);
      let k = held.findIndex((h) => h.b === b);
      if (k < 0) k = 0;
      // (re)filled from the rows written by now
      held[k].b = b;
      held[k].bits.fill(0xff);
      const y0 = b * blockRows;
      const rows = Math.max(0, Math.min(blockRows, height - y0, this.written - y0));
      held[k].bits.set(mask.bits.subarray(y0 * stride, (y0 + rows) * stride));
      // most recently asked for last: the other one is refilled next
      const [h] = held.splice(k, 1);
      held.push(h);
      return h.bits;
    },
  };
}

describe('traceBitMask (one pass over rows, one bit per pixel)', () => {
  it('gives exactly the whole-mask tracer\'s polygons, ids, rings, counts and value sums', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 41 }),
        fc.integer({ min: 1, max: 37 }),
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.double({ min: 0.05, max: 0.95, noNaN: true }),
        fc.constantFrom(4 as const, 8 as const),
        (width, height, seed, density, connectivity) => {
          const mask = randomMask(width, height, seed, density);
          const values = randomMask(width, height, seed ^ 0x5bd1e995, 0.5).map((v, i) => (v * 200 + i) % 255);
          const expected = typedRings(referenceTraceMask(mask, width, height, { connectivity, values }));
          const got = traceMask(mask, width, height, { connectivity, values });
          expect(got.polygons).toEqual(expected.polygons);
          expect([...got.junctions].sort((a, b) => a - b)).toEqual([...expected.junctions].sort((a, b) => a - b));
        },
      ),
      { numRuns: 400 },
    );
  });

  it('asks for each row of values once, in order, and matches on a 300 x 200 blobby mask', () => {
    const w = 300, h = 200;
    const mask = new Uint8Array(w * h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) mask[y * w + x] = Math.sin(x / 9) * Math.cos(y / 7) + Math.sin((x + y) / 23) > 0.3 ? 1 : 0;
    const values = mask.map((v, i) => (i * 7) % 255);
    const rows: number[] = [];
    const got = traceBitMask(BitMask.fromBytes(mask, w, h), { connectivity: 8, valueRow: (y) => (rows.push(y), values.subarray(y * w, (y + 1) * w)) });
    expect(rows).toEqual(Array.from({ length: h }, (_, y) => y));
    const expected = typedRings(referenceTraceMask(mask, w, h, { connectivity: 8, values }));
    expect(expected.polygons.length).toBeGreaterThanOrEqual(10);
    expect(got.polygons).toEqual(expected.polygons);
  });

  it('gives the same result when run while the mask is written, in any steps (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.constantFrom(4 as const, 8 as const),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 5 })), { minLength: 1, maxLength: 30 }),
        (width, height, seed, connectivity, steps) => {
          const bytes = randomMask(width, height, seed, 0.55);
          const values = bytes.map((v, i) => (v * 100 + i) % 255);
          const expected = traceBitMask(BitMask.fromBytes(bytes, width, height), { connectivity, valueRow: (y) => values.subarray(y * width, (y + 1) * width) });
          // the mask is filled row by row while the tracer runs; it must never read a row not yet written
          const mask = new BitMask(width, height);
          let written = 0;
          const tracer = createMaskTracer(mask, {
            connectivity,
            valueRow: (y) => {
              expect(y).toBeLessThan(written);
              return values.subarray(y * width, (y + 1) * width);
            },
          });
          for (const [rows, budget] of steps) {
            for (let r = 0; r < rows && written < height; r++, written++) mask.setRow(written, bytes, written * width);
            const progress = tracer.advance(written, budget);
            if (written < height) expect(progress).not.toBe('done');
          }
          for (; written < height; written++) mask.setRow(written, bytes, written * width);
          const got = tracer.finish();
          expect(got.polygons).toEqual(expected.polygons);
          expect([...got.junctions].sort((a, b) => a - b)).toEqual([...expected.junctions].sort((a, b) => a - b));
        },
      ),
      { numRuns: 300 },
    );
  });

  it('gives the same result from a mask read in blocks of rows, two blocks held, while it is written (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 40 }),
        fc.integer({ min: 1, max: 2 ** 31 }),
        fc.double({ min: 0.05, max: 0.95, noNaN: true }),
        fc.constantFrom(4 as const, 8 as const),
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.tuple(fc.integer({ min: 1, max: 9 }), fc.integer({ min: 1, max: 5 })), { minLength: 1, maxLength: 30 }),
        (width, height, seed, density, connectivity, blockRows, steps) => {
          const bytes = randomMask(width, height, seed, density);
          const values = bytes.map((v, i) => (v * 100 + i) % 255);
          const valueRow = (y: number) => values.subarray(y * width, (y + 1) * width);
          const whole = BitMask.fromBytes(bytes, width, height);
          const expected = traceBitMask(whole, { connectivity, valueRow });
          const rows = twoBlockRows(whole, blockRows);
          const tracer = createMaskTracer(rows, { connectivity, valueRow });
          for (const [n, budget] of steps) {
            rows.written = Math.min(height, rows.written + n);
            tracer.advance(rows.written, budget);
          }
          rows.written = height;
          const got = tracer.finish();
          expect(rows.asked).toBeGreaterThan(0);
          expect(got.polygons).toEqual(expected.polygons);
          expect([...got.junctions].sort((a, b) => a - b)).toEqual([...expected.junctions].sort((a, b) => a - b));
        },
      ),
      { numRuns: 400 },
    );
  });
});
