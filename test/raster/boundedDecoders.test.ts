/**
 * The bounded LZW and JPEG decoders: the same pixels as geotiff.js's own decoders on GDAL-written files, the
 * same output on random streams, and a clean error (not a process abort) when a block would decode past its
 * tile size.
 */
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// geotiff.js's own LZW decoder, for reference
import GeotiffLzw from '../../node_modules/geotiff/dist-module/compression/lzw.js';
import { decodeLzw } from '../../src/adapters/raster/lzwDecoder.ts';
import { jpegFramePixels } from '../../src/adapters/raster/jpegDecoder.ts';
import { openScene } from '../../src/adapters/raster/openScene.ts';
import { repoRoot } from '../helpers/shared.ts';
import { Rng } from '../fuzz/rng.ts';

const fixture = (name: string) => join(repoRoot, 'test', 'fixtures', 'tiff', name);

/** A valid TIFF LZW stream of `data` (plain encoder: 9-12 bit codes, early change, clear when full). */
function encodeLzw(data: Uint8Array): Uint8Array {
  const out: number[] = [];
  let acc = 0, nbits = 0, bits = 9;
  const put = (code: number) => {
    acc = (acc << bits) | code;
    nbits += bits;
    while (nbits >= 8) { out.push((acc >>> (nbits - 8)) & 0xff); nbits -= 8; }
    acc &= (1 << nbits) - 1;
  };
  let dict = new Map<string, number>();
  let next = 258;
  const reset = () => { dict = new Map(); next = 258; bits = 9; };
  put(256);
  let w = '';
  for (const b of data) {
    const wc = w + String.fromCharCode(b);
    if (wc.length === 1 || dict.has(wc)) { w = wc; continue; }
    put(w.length === 1 ? w.charCodeAt(0) : dict.get(w)!);
    dict.set(wc, next++);
    if (next >= 1 << bits) {
      if (bits === 12) { put(256); reset(); } else bits++;
    }
    w = String.fromCharCode(b);
  }
  if (w) put(w.length === 1 ? w.charCodeAt(0) : dict.get(w)!);
  put(257);
  if (nbits > 0) out.push((acc << (8 - nbits)) & 0xff);
  return Uint8Array.from(out);
}

describe('bounded LZW', () => {
  const reference = (bytes: Uint8Array): Uint8Array => new Uint8Array(new GeotiffLzw({} as never).decodeBlock(bytes.slice().buffer) as ArrayBuffer);

  it('decodes valid streams as geotiff.js does, and garbage within its bound', () => {
    const rng = new Rng(7);
    for (let k = 0; k < 300; k++) {
      const data = k % 3 === 0 ? new Uint8Array(rng.int(0, 20000)).fill(rng.int(0, 255)) : rng.bytes(rng.int(0, 5000)).map((b) => (k % 2 ? b & 0x0f : b));
      const stream = encodeLzw(data);
      expect(decodeLzw(stream, 1 << 20)).toEqual(data);
      expect(decodeLzw(stream, 1 << 20)).toEqual(reference(stream));
      // corrupt streams: a result within the bound or an Error (geotiff.js's output on garbage is its own)
      const noise = rng.bytes(rng.int(0, 300));
      try {
        expect(decodeLzw(noise, 4096).length).toBeLessThanOrEqual(4096);
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
      }
    }
  });

  it('stops at the block size instead of growing without bound', () => {
    const stream = encodeLzw(new Uint8Array(1_000_000)); // a run: ~2 KB that decodes to 1 MB
    expect(stream.length).toBeLessThan(4000);
    expect(() => decodeLzw(stream, 64 * 64 + 65536)).toThrow(/LZW block decodes to more than the 69632 bytes its tile size allows/);
  });

  it('reads the GDAL LZW fixture (planar, predictor 2) as before', async () => {
    const scene = await openScene(fixture('planar-lzw.tif'));
    const w = await scene.readWindow({ x: 0, y: 0, width: 96, height: 80 });
    await scene.close();
    expect(w.bands).toHaveLength(3);
    expect(new Set(w.bands[0]).size).toBeGreaterThan(10);
  });
});

describe('bounded JPEG', () => {
  it('finds the frame size of the JPEG COG tiles and refuses a tile claiming a huge frame', async () => {
    const bytes = readFileSync(fixture('cog-jpeg.tif'));
    const sof = bytes.indexOf(Buffer.from([0xff, 0xc0]));
    expect(sof).toBeGreaterThan(0);
    const tileFrame = jpegFramePixels(bytes.subarray(sof - 2));
    expect(tileFrame).toBeGreaterThan(0);
    const scene = await openScene(fixture('cog-jpeg.tif'));
    const ok = await scene.readWindow({ x: 0, y: 0, width: 128, height: 128 });
    await scene.close();
    expect(new Set(ok.bands[0]).size).toBeGreaterThan(10);
    // the same file with every tile's frame (SOF0, length 17: 3 components) claiming 65535 x 65535
    const hostile = Buffer.from(bytes);
    let frames = 0;
    for (let at = hostile.indexOf(Buffer.from([0xff, 0xc0, 0x00, 0x11])); at >= 0; at = hostile.indexOf(Buffer.from([0xff, 0xc0, 0x00, 0x11]), at + 4)) {
      hostile.writeUInt16BE(65535, at + 5);
      hostile.writeUInt16BE(65535, at + 7);
      frames++;
    }
    expect(frames).toBeGreaterThan(1);
    const file = join(tmpdir(), `waterline-jpeg-bomb-${process.pid}.tif`);
    const { writeFileSync, rmSync } = await import('node:fs');
    writeFileSync(file, hostile);
    try {
      const s = await openScene(file);
      const err = await s.readWindow({ x: 0, y: 0, width: 128, height: 128 }).then(() => undefined, (e: unknown) => e as { code: string; message: string });
      await s.close();
      expect(err?.code).toBe('corrupt_tiff');
      expect(err?.message).toMatch(/JPEG block decodes to more than/);
    } finally {
      rmSync(file, { force: true });
    }
  });
});
