import { existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { RowSpill } from '../../src/adapters/raster/rowSpill.ts';

const spills = () => readdirSync(tmpdir()).filter((n) => n.startsWith('waterline-rows-'));

describe('RowSpill', () => {
  for (const memoryBytes of [1 << 20, 100]) {
    it(`reads back every row it was given (${memoryBytes > 100 ? 'in memory' : 'spilled to a temporary file'})`, () => {
      const w = 37, h = 211;
      const before = new Set(spills());
      const s = new RowSpill(w, h, { memoryBytes });
      expect(s.spilled).toBe(memoryBytes === 100);
      const made = spills().filter((n) => !before.has(n));
      expect(made.length).toBe(s.spilled ? 1 : 0);
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
      for (const n of made) expect(existsSync(`${tmpdir()}/${n}`)).toBe(false);
    });
  }
});
