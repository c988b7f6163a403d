import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SpilledBitMask } from '../../src/adapters/raster/spilledBitMask.ts';
import { BitMask } from '../../src/core/masks/bitMask.ts';
import { traceBitMask } from '../../src/core/vector/traceMask.ts';

/** This file's own temp directory: other test files running in parallel make spills in the system one. */
const root = mkdtempSync(join(tmpdir(), 'waterline-spilledmask-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A 0/1 byte mask with blobs and holes. */
function blobs(w: number, h: number): Uint8Array {
  const m = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) m[y * w + x] = Math.sin(x / 9) * Math.cos(y / 7) + Math.sin((x + y) / 23) > 0.3 ? 1 : 0;
  return m;
}

describe('SpilledBitMask', () => {
  it('reads back every block as BitMask holds it, while written and after, from a temporary file it removes', () => {
    // 11 blocks and no cache beyond the 4 blocks it always keeps: blocks far above are read back from the file
    const w = 77, h = 700;
    const bytes = blobs(w, h);
    const whole = BitMask.fromBytes(bytes, w, h);
    const tmpDir = mkdtempSync(join(root, 'readback-'));
    const m = new SpilledBitMask(w, h, { cacheBytes: 0, tmpDir });
    // made under tmpDir, its name removed at once (nothing on disk to leave behind)
    expect(dirname(dirname(m.path))).toBe(tmpDir);
    expect(readdirSync(tmpDir)).toEqual([]);
    expect(m.stride).toBe(whole.stride);
    const rowOf = (y: number) => {
      const b = Math.floor(y / m.blockRows);
      const at = (y - b * m.blockRows) * m.stride;
      return [...m.block(b).subarray(at, at + m.stride)];
    };
    const wholeRow = (y: number) => [...whole.bits.subarray(y * whole.stride, (y + 1) * whole.stride)];
    for (let y = 0; y < h; y++) {
      m.setRow(y, bytes, y * w);
      // the row just written, and one far above it (read back from the file)
      expect(rowOf(y)).toEqual(wholeRow(y));
      expect(rowOf(y >> 2)).toEqual(wholeRow(y >> 2));
    }
    for (const y of [699, 0, 150, 64, 63, 128, 699, 400, 5]) expect(rowOf(y)).toEqual(wholeRow(y));
    expect(() => m.setRow(h, bytes, 0)).toThrow(RangeError);
    m.close();
    m.close();
    expect(existsSync(m.path)).toBe(false);
    expect(readdirSync(tmpDir)).toEqual([]);
  });

  it('refuses rows out of order and blocks not written yet', () => {
    const m = new SpilledBitMask(10, 200, { tmpDir: root });
    try {
      expect(() => m.setRow(1, new Uint8Array(10))).toThrow(RangeError);
      expect(() => m.block(0)).toThrow(RangeError);
      for (let y = 0; y < 70; y++) m.setRow(y, new Uint8Array(10).fill(1));
      expect(m.block(1)[0]).toBe(0xff);
      expect(() => m.block(2)).toThrow(RangeError);
    } finally {
      m.close();
    }
  });

  it('gives the tracer the same polygons as the mask in memory (blocks leave its small cache)', () => {
    // a cache of 4 blocks (the least it keeps) for a mask of 19
    const w = 1000, h = 1200;
    const bytes = new Uint8Array(w * h);
    // a frame of water around the whole mask (its ring spans every block) with blobs inside
    const inner = blobs(w, h);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) bytes[y * w + x] = x < 3 || y < 3 || x >= w - 3 || y >= h - 3 ? 1 : inner[y * w + x];
    const m = new SpilledBitMask(w, h, { cacheBytes: 0, tmpDir: root });
    try {
      for (let y = 0; y < h; y++) m.setRow(y, bytes, y * w);
      const got = traceBitMask(m, { connectivity: 4 });
      const expected = traceBitMask(BitMask.fromBytes(bytes, w, h), { connectivity: 4 });
      expect(got.polygons.length).toBeGreaterThan(50);
      expect(got.polygons).toEqual(expected.polygons);
    } finally {
      m.close();
    }
  });
});
