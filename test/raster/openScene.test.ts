import { execFileSync } from 'node:child_process';
import { createReadStream, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { openScene } from '../../src/adapters/raster/openScene.ts';
import { createTileSource } from '../../src/pipeline/tileSource.ts';
import { describeShared, scenePath } from '../helpers/shared.ts';

/** Window pixels read by GDAL (python3-gdal), band by band, as flat arrays. */
function gdalWindow(file: string, x: number, y: number, w: number, h: number): number[][] | null {
  const code = `import sys,json\nfrom osgeo import gdal\nd=gdal.Open(sys.argv[1])\nprint(json.dumps([d.GetRasterBand(i+1).ReadAsArray(${x},${y},${w},${h}).flatten().tolist() for i in range(d.RasterCount)]))`;
  try {
    return JSON.parse(execFileSync('/usr/bin/python3', ['-c', code, file], { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 26 }).toString());
  } catch {
    return null;
  }
}

describeShared('openScene windowed reads', () => {
  for (const [name, win] of [
    ['landsat8-ottawa-rgb16-utm18-cog.tif', [300, 250, 100, 70]],
    ['world-rgb-4326.tif', [400, 100, 112, 156]],
    ['landsat7-recife-6band-utm25s.tif', [10, 20, 300, 5]],
    ['atlanta-pan-stateplane-collar.tif', [0, 0, 571, 40]],
  ] as const) {
    it(`${name}: window ${win.join(',')} equals GDAL's pixels`, async (t) => {
      const file = scenePath(name);
      const ref = gdalWindow(file, win[0], win[1], win[2], win[3]);
      if (!ref) return t.skip('python3-gdal not available');
      const scene = await openScene(file);
      const r = await scene.readWindow({ x: win[0], y: win[1], width: win[2], height: win[3] });
      await scene.close();
      expect(r.bands.map((b) => Array.from(b))).toEqual(ref);
    });
  }

  it('marks nodata (all bands 0) invalid and picks an overview for a downsampled read', async () => {
    const scene = await openScene(scenePath('landsat8-ottawa-rgb16-utm18-cog.tif'));
    const full = await scene.readWindow({ x: 0, y: 0, width: 779, height: 790 }, { width: 195, height: 198 });
    expect([full.width, full.height]).toEqual([195, 198]);
    const invalid = full.valid.reduce((a, v) => a + (v ? 0 : 1), 0);
    expect(invalid).toBeGreaterThan(0);
    for (let p = 0; p < full.valid.length; p++) if (!full.valid[p]) expect([full.bands[0][p], full.bands[1][p], full.bands[2][p]]).toEqual([0, 0, 0]);
    await scene.close();
  });

  it('uses the internal mask of the JPEG COG and decodes YCbCr to RGB like GDAL', async (t) => {
    const file = scenePath('aerial-korea-nowater-3857-cog.tif');
    const scene = await openScene(file);
    expect(scene.info.hasMask).toBe(true);
    expect(scene.info.compression).toBe('YCbCr JPEG');
    const r = await scene.readWindow({ x: 500, y: 500, width: 20, height: 20 });
    await scene.close();
    const ref = gdalWindow(file, 500, 500, 20, 20);
    if (!ref) return t.skip('python3-gdal not available');
    // Different JPEG decoders (IDCT, chroma upsampling) differ by a few grey levels; raw YCbCr would be far off.
    let sum = 0;
    let max = 0;
    for (let b = 0; b < 3; b++) for (let p = 0; p < 400; p++) {
      const d = Math.abs(r.bands[b][p] - ref[b][p]);
      sum += d;
      max = Math.max(max, d);
    }
    expect(sum / 1200).toBeLessThan(1.5);
    expect(max).toBeLessThanOrEqual(8);
  });

  it('builds model tiles with one scene-wide stretch', async () => {
    const scene = await openScene(scenePath('landsat8-grenada-rgb16-utm20.tif'));
    const source = await createTileSource(scene);
    expect(source.bands).toEqual([1, 2, 3]);
    const tiles = await Promise.all(source.grid.tiles.map((tile) => source.readTile(tile)));
    await scene.close();
    expect(source.grid.tiles.map((x) => x.id)).toEqual(['r0c0', 'r0c1', 'r0c2', 'r1c0', 'r1c1', 'r1c2', 'r2c0', 'r2c1', 'r2c2']);
    for (const tile of tiles) expect(tile?.rgb.length).toBe(224 * 224 * 3);
  });
});

describeShared('openScene over HTTP range requests', () => {
  let server: Server;
  let base = '';
  const ranges: string[] = [];
  beforeAll(async () => {
    server = createServer((req, res) => {
      const file = scenePath(decodeURIComponent((req.url ?? '/').slice(1)));
      const size = statSync(file).size;
      const m = /bytes=(\d+)-(\d*)/.exec(req.headers.range ?? '');
      if (!m) {
        res.writeHead(200, { 'content-length': size, 'accept-ranges': 'bytes' });
        createReadStream(file).pipe(res);
        return;
      }
      ranges.push(req.headers.range as string);
      const start = Number(m[1]);
      const end = Math.min(size - 1, m[2] ? Number(m[2]) : size - 1);
      res.writeHead(206, { 'content-range': `bytes ${start}-${end}/${size}`, 'content-length': end - start + 1, 'accept-ranges': 'bytes' });
      createReadStream(file, { start, end }).pipe(res);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('reads a COG window through ranges, identical to the local read', async () => {
    const name = 'landsat8-ottawa-rgb16-utm18-cog.tif';
    const remote = await openScene(`${base}/${name}`);
    const local = await openScene(scenePath(name));
    expect(remote.info.width).toBe(779);
    expect(remote.info.crs.epsg).toBe(32618);
    const win = { x: 256, y: 256, width: 64, height: 64 };
    const a = await remote.readWindow(win);
    const b = await local.readWindow(win);
    expect(a.bands.map((x) => Array.from(x))).toEqual(b.bands.map((x) => Array.from(x)));
    await remote.close();
    await local.close();
    expect(ranges.length).toBeGreaterThan(0);
  });
});
