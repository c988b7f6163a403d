import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RowSpill } from '../../src/adapters/raster/rowSpill.ts';

/** This file's own temp directory: other test files running in parallel make spills in the system one. */
const root = mkdtempSync(join(tmpdir(), 'waterline-rowspill-test-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('RowSpill', () => {
  for (const memoryBytes of [1 << 20, 100]) {
    it(`reads back every row it was given (${memoryBytes > 100 ? 'in memory' : 'spilled to a temporary file'})`, () => {
      const w = 37, h = 211;
      const tmpDir = mkdtempSync(join(root, 'rows-'));
      const s = new RowSpill(w, h, { memoryBytes, tmpDir });
      expect(s.spilled).toBe(memoryBytes === 100);
      expect(readdirSync(tmpDir)).toEqual([]); // a spill's name is removed at once
      if (s.spilled) expect(dirname(dirname(s.path!))).toBe(tmpDir);
      else expect(s.path).toBeUndefined();
      const value = (x: number, y: number) => (x * 31 + y * 7) % 251;
      for (let y0 = 0; y0 < h; ) {
        const n = Math.min(h - y0, 1 + (y0 % 13));
        const rows = new Uint8Array(n * w);
        for (let r = 0; r < n; r++) for (let x = 0; x < w; x++) rows[r * w + x] = value(x, y0 + r);
        s.append(rows);
        y0 += n;
      }
      for (const y of [0, 5, 210, 3, 100]) expect([...s.row(y)]).toEqual(Array.from({ length: w }, (_, x) => value(x, y)));
      for (let y = 0; y < h; y++) expect(s.row(y)[w - 1]).toBe(value(w - 1, y));
      expect(() => s.append(new Uint8Array(w))).toThrow(RangeError);
      s.close();
      s.close();
      expect(readdirSync(tmpDir)).toEqual([]);
    });
  }
});
