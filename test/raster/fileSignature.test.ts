/** "Not a TIFF" names what the file is (core/fileSignature.ts), through `waterline info` too. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { openScene } from '../../src/adapters/raster/openScene.ts';
import { nonTiffKind } from '../../src/core/fileSignature.ts';
import { runCli } from '../helpers/runCli.ts';
import { syntheticTiff } from './syntheticTiff.ts';

const bytes = (...b: number[]) => Uint8Array.from([...b, ...new Array(16 - b.length).fill(0x30)]);

describe('nonTiffKind', () => {
  it('names common image, archive and scientific formats from their signatures', () => {
    expect(nonTiffKind(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a))?.name).toBe('a PNG image');
    expect(nonTiffKind(bytes(0xff, 0xd8, 0xff, 0xe0))?.name).toBe('a JPEG image');
    expect(nonTiffKind(bytes(0, 0, 0, 0x0c, 0x6a, 0x50, 0x20, 0x20))?.name).toMatch(/^a JPEG 2000 image/);
    expect(nonTiffKind(bytes(0x50, 0x4b, 0x03, 0x04))?.name).toBe('a ZIP archive');
    expect(nonTiffKind(bytes(0x89, 0x48, 0x44, 0x46))?.name).toMatch(/HDF5/);
    expect(nonTiffKind(new TextEncoder().encode('{"type":"Featur'))?.name).toBe('a text file');
    expect(nonTiffKind(new TextEncoder().encode('\n <!DOCTYPE html>'))?.name).toBe('a web page (HTML)');
  });

  it('says nothing of a TIFF, of random bytes or of an empty file', () => {
    expect(nonTiffKind(syntheticTiff().subarray(0, 16))).toBeNull();
    expect(nonTiffKind(Uint8Array.from([0x01, 0x9c, 0xf3, 0x00, 0x42, 0x17, 0xee, 0x80]))).toBeNull();
    expect(nonTiffKind(new Uint8Array(0))).toBeNull();
  });
});

describe('waterline info on a file that is not a TIFF', () => {
  const dir = mkdtempSync(join(tmpdir(), 'waterline-sig-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('says it is a PNG image and how to georeference it, in one line', async () => {
    const file = join(dir, 'map.png');
    writeFileSync(file, bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a));
    const r = await runCli(['info', file]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`error: ${file}: a PNG image, not a TIFF/GeoTIFF (georeference it into a GeoTIFF: gdal_translate -of GTiff -a_srs EPSG:4326 -a_ullr WEST NORTH EAST SOUTH in.png out.tif, or just gdal_translate -of GTiff in.png out.tif when its world file lies beside it)\n`);
  });
});

describe('a URL that answers with a web page', () => {
  it('is named as such, whether or not the server honours Range', async () => {
    const page = `<!DOCTYPE html><html><body>${'Sign in to download. '.repeat(4000)}</body></html>`;
    const server = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html', 'content-length': Buffer.byteLength(page) });
      res.end(page);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/scene.tif`;
      await expect(openScene(url)).rejects.toThrow(`${url}: a web page (HTML), not a TIFF/GeoTIFF`);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});
