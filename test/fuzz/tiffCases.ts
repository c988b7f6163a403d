/**
 * TIFF cases for the fuzz harness, from a seed: the hand-crafted hostile structures, valid GeoTIFFs with a
 * few random mutations (bytes, IFD entry fields set to edge values, truncation, appended garbage, byte
 * order), randomly assembled IFDs (random tags, counts, value offsets, next pointers and loops), and random
 * bytes behind a TIFF header.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { repoRoot } from '../helpers/shared.ts';
import { buildTiff, geoTiff, geoTiffIfd, hostileTiffs, repeatedTileGeoTiff, type TiffEntrySpec } from '../raster/hostileTiff.ts';
import type { Rng } from './rng.ts';

const FIXTURES = join(repoRoot, 'test', 'fixtures', 'tiff');
let bases: Buffer[] | undefined;
let hostile: Buffer[] | undefined;

function baseTiffs(): Buffer[] {
  bases ??= [
    geoTiff(),
    geoTiff({ width: 300, height: 200, rowsPerStrip: 7 }),
    repeatedTileGeoTiff(600, 500, (b) => deflateSync(b)),
    buildTiff([geoTiffIfd({ width: 128, height: 128 }), geoTiffIfd({ width: 64, height: 64, override: { 254: { type: 4, values: [1] } } })], 128 * 128),
    // GDAL-written layouts (BigTIFF, planar LZW, JPEG COG with an overview, internal mask): test/fixtures/tiff
    ...readdirSync(FIXTURES).filter((f) => f.endsWith('.tif')).sort().map((f) => readFileSync(join(FIXTURES, f))),
  ];
  return bases;
}

const EDGE_U32 = [0, 1, 2, 7, 8, 0xff, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0xfffffffe, 0xffffffff];
const TAGS = [254, 256, 257, 258, 259, 262, 273, 277, 278, 279, 284, 317, 322, 323, 324, 325, 330, 338, 339, 33550, 33922, 34264, 34735, 34736, 34737, 42112, 42113];

function mutate(base: Buffer, rng: Rng): Buffer {
  let buf = Buffer.from(base);
  const header = Math.min(buf.length, 512); // the IFDs and their arrays live near the start
  for (let n = rng.int(1, 8); n > 0; n--) {
    switch (rng.int(0, 7)) {
      case 0:
        if (buf.length) buf[rng.int(0, Math.min(header, buf.length) - 1)] = rng.int(0, 255);
        break;
      case 1: {
        // an IFD entry's count or value/offset field (entries start at 10, 12 bytes each)
        const entry = rng.int(0, 15);
        const at = 10 + entry * 12 + rng.pick([4, 8]);
        if (at + 4 <= buf.length) buf.writeUInt32LE(rng.chance(0.2) ? rng.int(0, buf.length + 16) : rng.pick(EDGE_U32), at);
        break;
      }
      case 2: {
        if (buf.length < 2) break;
        const at = rng.int(0, Math.min(header, buf.length) - 2);
        buf.writeUInt16LE(rng.pick([0, 1, 3, 4, 12, 16, 42, 43, 0xffff]), at);
        break;
      }
      case 3:
        buf = buf.subarray(0, rng.int(0, buf.length));
        break;
      case 4:
        buf = Buffer.concat([buf, Buffer.from(rng.bytes(rng.int(1, 256)))]);
        break;
      case 5:
        if (buf.length >= 2) buf.write(rng.chance(0.5) ? 'MM' : 'II', 0, 'latin1');
        break;
      case 7: {
        // a BigTIFF-sized field (8 bytes, 8-aligned) near the start
        const at = 8 * rng.int(0, Math.floor(Math.min(header, buf.length) / 8) - 1);
        if (at >= 0 && at + 8 <= buf.length) buf.writeBigUInt64LE(BigInt(rng.pick([0, 1, 16, 0xffffffff, 2 ** 40, 2 ** 53 - 1])) + (rng.chance(0.1) ? 2n ** 63n : 0n), at);
        break;
      }
      default:
        // the next-IFD pointer of the first IFD, or the first-IFD offset
        if (buf.length >= 12) {
          const at = rng.chance(0.5) ? 4 : 10 + 12 * (buf.readUInt16LE(8) % 4096);
          if (at + 4 <= buf.length) buf.writeUInt32LE(rng.pick([0, 8, rng.int(0, buf.length), 0xffffffff]), at);
        }
    }
  }
  return buf;
}

function randomEntry(rng: Rng): TiffEntrySpec {
  const type = rng.pick([1, 2, 3, 4, 12, 16, 0, 99]);
  const count = rng.int(0, 8);
  return {
    tag: rng.pick(TAGS),
    type,
    values: Array.from({ length: count }, () => (type === 12 ? rng.next() * 1e6 - 5e5 : rng.pick(EDGE_U32) % (type === 3 ? 65536 : type === 1 ? 256 : 2 ** 32))),
    ...(rng.chance(0.3) ? { count: rng.pick(EDGE_U32) } : {}),
    ...(rng.chance(0.2) ? { valueOffset: rng.pick(EDGE_U32) } : {}),
  };
}

function assembled(rng: Rng): Buffer {
  const ifds = Array.from({ length: rng.int(1, 4) }, () => {
    const override: Record<number, Omit<TiffEntrySpec, 'tag'> | null> = {};
    for (let n = rng.int(0, 5); n > 0; n--) {
      const e = randomEntry(rng);
      override[e.tag] = rng.chance(0.15) ? null : e;
    }
    return geoTiffIfd({ width: rng.pick([1, 16, 64, 224, 1000, 65535]), height: rng.pick([1, 16, 64, 300, 70000]), rowsPerStrip: rng.pick([1, 16, 64, 0xffffffff]), override });
  });
  if (rng.chance(0.3)) ifds[ifds.length - 1].next = { ifd: rng.int(0, ifds.length - 1) };
  return buildTiff(ifds, rng.int(0, 8192));
}

/** The bytes of TIFF case `rng` (the rng is the case's own). */
export function tiffCase(rng: Rng): { kind: string; bytes: Buffer } {
  const r = rng.next();
  if (r < 0.15) {
    hostile ??= hostileTiffs().map((c) => c[1]);
    return { kind: 'hostile', bytes: rng.pick(hostile) };
  }
  if (r < 0.65) return { kind: 'mutated', bytes: mutate(rng.pick(baseTiffs()), rng) };
  if (r < 0.9) return { kind: 'assembled', bytes: assembled(rng) };
  const head = Buffer.from(rng.pick(['II*\0', 'MM\0*', 'II+\0', 'MM\0+']), 'latin1');
  return { kind: 'random', bytes: Buffer.concat([head, Buffer.from(rng.bytes(rng.int(0, 2048)))]) };
}
