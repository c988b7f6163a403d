import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import sharp from 'sharp';
import { syntheticTiff } from '../raster/syntheticTiff.ts';
import { describeShared, scenePath } from '../helpers/shared.ts';
import { runCli } from '../helpers/runCli.ts';

const dir = mkdtempSync(join(tmpdir(), 'waterline-tiles-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bad input gives one clear error line', () => {
  const ok = syntheticTiff({ width: 64, height: 64 });
  const cases: [string, Buffer | string, RegExp][] = [
    ['not-a-tiff.tif', 'hello, this is not a TIFF\n', /a text file, not a TIFF\/GeoTIFF \(pass the GeoTIFF itself/],
    ['random.tif', Buffer.from([0x01, 0x9c, 0xf3, 0x00, 0x42, 0x17, 0xee, 0x80, 0x00, 0x11]), /not a TIFF\/GeoTIFF file .*\(pass a GeoTIFF or COG\)/],
    ['truncated.tif', ok.subarray(0, ok.length - 2000), /truncated TIFF .*\(re-download or re-export the file\)/],
    ['huge.tif', syntheticTiff({ width: 1_000_000, height: 1_000_000, dataBytes: 16 }), /header claims 1000000x1000000 pixels.*\(check the file/],
    ['jpeg2000.tif', syntheticTiff({ compression: 34712 }), /unsupported TIFF compression 34712 \(recompress it/],
    ['unknown-crs.tif', syntheticTiff({ epsg: 59999 }), /unknown CRS code EPSG:59999 .*\(reproject it/],
  ];
  for (const [name, bytes, pattern] of cases) {
    it(`${name}`, async () => {
      const file = join(dir, name);
      writeFileSync(file, bytes);
      for (const args of [['info', file], ['tiles', file, '--out', join(dir, `out-${name}`)]]) {
        const before = process.memoryUsage().rss;
        const r = await runCli(args);
        expect(r.code).toBe(1);
        expect(r.stdout).toBe('');
        const lines = r.stderr.trim().split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0].startsWith(`error: ${file}: `)).toBe(true);
        expect(lines[0]).toMatch(pattern);
        expect(r.stderr).not.toMatch(/\n\s+at /);
        expect(process.memoryUsage().rss - before).toBeLessThan(200 * 1024 * 1024);
      }
    });
  }

  it('keeps the default overlap under half of a smaller --size', async () => {
    const file = join(dir, 'small-size.tif');
    writeFileSync(file, syntheticTiff({ width: 300, height: 300 }));
    const out = join(dir, 'small-size');
    const r = await runCli(['tiles', file, '--out', out, '--size', '96']);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(out, 'index.json'), 'utf8')).overlap).toBe(47);
  });

  it('refuses an overlap of half the tile size', async () => {
    const file = join(dir, 'ok.tif');
    writeFileSync(file, ok);
    const r = await runCli(['tiles', file, '--out', join(dir, 'o'), '--overlap', '112']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: .*ok\.tif: overlap must be .* less than half the tile size \(112\), got 112 \(use an --overlap of 0 to 111 px\)\n$/);
  });
});

describeShared('waterline tiles on real scenes', () => {
  it('writes padded 224 px PNGs and an index with bounds for the Ottawa COG', async () => {
    const out = join(dir, 'ottawa');
    const r = await runCli(['tiles', scenePath('landsat8-ottawa-rgb16-utm18-cog.tif'), '--out', out]);
    expect(r.code).toBe(0);
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
    // by default the grid `segment` cuts with the default model: its declared overlap, 64 px (stride 160)
    expect(index.overlap).toBe(64);
    expect([index.rows, index.cols, index.tilesTotal]).toEqual([5, 5, 25]);
    expect(index.tilesWritten + index.skippedNodata).toBe(25);
    expect(index.bands).toEqual([1, 2, 3]);
    // UInt16 → a real stretch, inside the data range, not [0, 65535]
    for (const [lo, hi] of index.stretch) expect(lo > 0 && hi > lo && hi < 65535).toBe(true);
    const first = index.tiles.find((t: any) => t.id === 'r0c0');
    expect(first.window).toEqual({ x: 0, y: 0, width: 224, height: 224 });
    // gdalinfo: upper left (425085, 5215515); 224 px of 300.038239 m
    expect(first.bounds.crs[0]).toBeCloseTo(425085, 6);
    expect(first.bounds.crs[3]).toBeCloseTo(5215515, 6);
    expect(first.bounds.crs[2]).toBeCloseTo(425085 + 224 * 300.038239038384, 4);
    expect(first.bounds.wgs84[0]).toBeGreaterThan(-76);
    expect(first.bounds.wgs84[2]).toBeLessThan(-74);
    const edge = index.tiles.find((t: any) => t.id === 'r4c4');
    expect(edge.window).toEqual({ x: 640, y: 640, width: 139, height: 150 });
    const meta = await sharp(join(out, 'r4c4.png')).metadata();
    expect([meta.width, meta.height]).toEqual([224, 224]);
    const { data } = await sharp(join(out, 'r4c4.png')).raw().toBuffer({ resolveWithObject: true });
    expect(data[(220 * 224 + 220) * 4 + 3]).toBe(0); // padding is transparent (invalid)
    expect(r.stderr).toMatch(/tiles: 25\/25/);
  });

  it('uses grey for single-band scenes and honours --bands', async () => {
    const out = join(dir, 'recife');
    const r = await runCli(['tiles', scenePath('landsat7-recife-6band-utm25s.tif'), '--out', out, '--bands', '4,3,2', '--size', '128', '--overlap', '16']);
    expect(r.code).toBe(0);
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'));
    expect(index.bands).toEqual([4, 3, 2]);
    expect([index.tileSize, index.stride]).toEqual([128, 112]);
  });
});
