/**
 * Hostile TIFF structures end in one clear error, quickly, in `waterline info`, `waterline tiles` and scene
 * admission over HTTP (register and upload), and nothing is stored: IFD loops, IFDs and tag values past the
 * end of the file, strip offsets + byte counts past the end, zero block sizes, absurd pixel and block counts.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openScene } from '../../src/adapters/raster/openScene.ts';
import { checkTiffStructure, DEFAULT_TIFF_LIMITS } from '../../src/adapters/raster/tiffStructure.ts';
import { runCli } from '../helpers/runCli.ts';
import { startHarness, type Harness } from '../http/serverHarness.ts';
import { geoTiff, hostileTiffs } from './hostileTiff.ts';

const dir = mkdtempSync(join(tmpdir(), 'waterline-hostile-tiff-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HOSTILE_TIFFS = hostileTiffs();

describe('TIFF structure check', () => {
  it('accepts a valid GeoTIFF and reports its IFDs', async () => {
    const b = geoTiff();
    const s = await checkTiffStructure(async (o, n) => b.subarray(o, o + n), b.length, 'ok.tif');
    expect(s.ifds).toEqual([{ offset: 8, width: 64, height: 64, blocks: 4 }]);
  });

  for (const [name, bytes, code, pattern] of HOSTILE_TIFFS) {
    it(`${name} → ${code}`, async () => {
      const file = join(dir, `${name}.tif`);
      writeFileSync(file, bytes);
      const t = Date.now();
      const err = await openScene(file).then(async (s) => { await s.close(); return undefined; }, (e: unknown) => e as { code: string; message: string });
      expect(Date.now() - t).toBeLessThan(2000);
      expect(err?.code).toBe(code);
      expect(err?.message).toMatch(pattern);
    });
  }

  it('ends `waterline info` and `waterline tiles` on each with one error line', async () => {
    for (const [name, , , pattern] of HOSTILE_TIFFS) {
      const file = join(dir, `cli-${name}.tif`);
      writeFileSync(file, HOSTILE_TIFFS.find((c) => c[0] === name)![1]);
      for (const args of [['info', file], ['tiles', file, '--out', join(dir, `out-${name}`)]]) {
        const r = await runCli(args);
        expect(r.code).toBe(1);
        const lines = r.stderr.trim().split('\n');
        expect(lines).toHaveLength(1);
        expect(lines[0].startsWith(`error: ${file}: `)).toBe(true);
        expect(lines[0]).toMatch(pattern);
      }
    }
  });

  it('uses the limits it is given', async () => {
    const b = geoTiff({ width: 64, height: 64 });
    const read = async (o: number, n: number) => b.subarray(o, o + n);
    await expect(checkTiffStructure(read, b.length, 'x.tif', { ...DEFAULT_TIFF_LIMITS, maxPixels: 4095 })).rejects.toThrow(/header claims 64x64 pixels, more than the 4095 allowed/);
    await expect(checkTiffStructure(read, b.length, 'x.tif', { ...DEFAULT_TIFF_LIMITS, maxBlocks: 3 })).rejects.toThrow(/has 4 strips, more than the 3 allowed/);
  });
});

describe('scene admission over HTTP', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ maxScenePixels: 100_000, maxSceneBlocks: 1000 });
  });
  afterAll(async () => h.stop());

  const upload = (name: string, body: Buffer) => fetch(`${h.url}/scenes?name=${name}`, { method: 'POST', headers: { 'content-type': 'image/tiff' }, body: new Uint8Array(body) });
  const register = (path: string) => fetch(`${h.url}/scenes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path }) });

  it('refuses every hostile structure on upload and register with a 4xx naming the problem, storing nothing', async () => {
    for (const [name, bytes, code] of HOSTILE_TIFFS) {
      for (const res of [await upload(`${name}.tif`, bytes), await (async () => { writeFileSync(join(h.dataDir, `${name}.tif`), bytes); return register(`${name}.tif`); })()]) {
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
        const problem = (await res.json()) as { code: string; detail: string };
        // the server's limits (100000 px, 1000 blocks) may speak first for the huge ones
        expect([code, 'scene_too_large']).toContain(problem.code);
        expect(problem.detail).toContain(`${name}.tif: `);
        expect(problem.detail).not.toContain(h.dataDir);
        expect(problem.detail).not.toMatch(/\.part|\/tmp\//);
      }
    }
    expect(((await (await fetch(`${h.url}/scenes`)).json()) as { scenes: unknown[] }).scenes).toEqual([]);
    const uploads = join(h.dataDir, 'uploads');
    expect(existsSync(uploads) ? readdirSync(uploads) : []).toEqual([]);
  });

  it('applies the server limits (--max-scene-pixels, --max-scene-blocks)', async () => {
    const big = await upload('big.tif', geoTiff({ width: 400, height: 400 }));
    expect(big.status).toBe(413);
    expect(((await big.json()) as { detail: string }).detail).toMatch(/^big\.tif: header claims 400x400 pixels, more than the 100000 allowed/);
    const manyStrips = await upload('strips.tif', geoTiff({ width: 64, height: 1500, rowsPerStrip: 1 }));
    expect(manyStrips.status).toBe(413);
    expect(((await manyStrips.json()) as { detail: string }).detail).toMatch(/has 1500 strips, more than the 1000 allowed/);
    const ok = await upload('ok.tif', geoTiff({ width: 300, height: 300 }));
    expect(ok.status).toBe(201);
  });
});

describe('opening a URL is bounded in time', () => {
  it('ends with url_timeout when the server never answers', async () => {
    const { createServer } = await import('node:http');
    const held: import('node:http').ServerResponse[] = [];
    const server = createServer((_req, res) => { held.push(res); });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as import('node:net').AddressInfo).port;
    try {
      const t = Date.now();
      const err = await openScene(`http://127.0.0.1:${port}/scene.tif`, { openTimeoutMs: 300 }).then(() => undefined, (e: unknown) => e as { code: string; message: string });
      expect(Date.now() - t).toBeLessThan(3000);
      expect(err?.code).toBe('url_timeout');
      expect(err?.message).toMatch(/: no complete answer within 0.3 s$/);
    } finally {
      for (const res of held) res.destroy();
      server.close();
    }
  });
});
