/**
 * Test tool: writes classic little-endian TIFFs entry by entry, so tests and the fuzz harness can craft the
 * malformed structures a hostile file may hold (IFD loops, counts and offsets past the end, zero or absurd
 * block sizes, huge claimed sizes) without data files. `geoTiff()` is a valid small georeferenced GeoTIFF
 * (EPSG:32618, 30 m pixels, 8-bit grey, strips of 16 rows) whose parts each case overrides.
 */
export interface TiffEntrySpec {
  tag: number;
  /** TIFF field type: 3 SHORT, 4 LONG, 12 DOUBLE, 2 ASCII, 16 LONG8 ... */
  type: number;
  /** Values, or values computed from the byte offset where the pixel data starts. */
  values: number[] | ((dataOffset: number) => number[]);
  /** Claim this count instead of values.length (the values written stay as given). */
  count?: number;
  /** Point the value at this absolute offset instead of where it is written. */
  valueOffset?: number;
}

export interface TiffIfdSpec {
  entries: TiffEntrySpec[];
  /** Absolute offset of the next IFD, or `{ ifd: k }` for the k-th IFD written (loops); default: the next one, 0 after the last. */
  next?: number | { ifd: number };
}

const SIZE: Record<number, number> = { 1: 1, 2: 1, 3: 2, 4: 4, 12: 8, 16: 8 };

export function buildTiff(ifds: TiffIfdSpec[], dataBytes: Uint8Array | number = 0): Buffer {
  const data = typeof dataBytes === 'number' ? new Uint8Array(dataBytes).map((_, i) => (i * 7) % 256) : dataBytes;
  // Layout: header, then per IFD its table and out-of-line values, then the pixel data.
  let pos = 8;
  const layout = ifds.map((ifd) => {
    const at = pos;
    pos += 2 + ifd.entries.length * 12 + 4;
    const extras = ifd.entries.map((e) => {
      const n = (typeof e.values === 'function' ? e.values(0) : e.values).length * (SIZE[e.type] ?? 1);
      if (n <= 4) return -1;
      const off = pos;
      pos += n + (n % 2);
      return off;
    });
    return { at, extras };
  });
  const dataOffset = pos;
  const buf = Buffer.alloc(dataOffset + data.length);
  buf.write('II', 0, 'latin1');
  buf.writeUInt16LE(42, 2);
  buf.writeUInt32LE(layout[0]?.at ?? 0, 4);
  const writeValue = (type: number, v: number, q: number): void => {
    if (type === 12) buf.writeDoubleLE(v, q);
    else if (type === 16) buf.writeBigUInt64LE(BigInt(v), q);
    else if (type === 4) buf.writeUInt32LE(v >>> 0, q);
    else if (type === 3) buf.writeUInt16LE(v & 0xffff, q);
    else buf.writeUInt8(v & 0xff, q);
  };
  ifds.forEach((ifd, k) => {
    const { at, extras } = layout[k];
    buf.writeUInt16LE(ifd.entries.length, at);
    ifd.entries.forEach((e, i) => {
      const p = at + 2 + i * 12;
      const values = typeof e.values === 'function' ? e.values(dataOffset) : e.values;
      buf.writeUInt16LE(e.tag, p);
      buf.writeUInt16LE(e.type, p + 2);
      buf.writeUInt32LE(e.count ?? values.length, p + 4);
      const size = SIZE[e.type] ?? 1;
      const target = extras[i] < 0 ? p + 8 : extras[i];
      values.forEach((v, j) => writeValue(e.type, v, target + j * size));
      if (extras[i] >= 0) buf.writeUInt32LE(e.valueOffset ?? extras[i], p + 8);
      else if (e.valueOffset !== undefined) buf.writeUInt32LE(e.valueOffset, p + 8);
    });
    const next = ifd.next === undefined ? (layout[k + 1]?.at ?? 0) : typeof ifd.next === 'number' ? ifd.next : layout[ifd.next.ifd].at;
    buf.writeUInt32LE(next, at + 2 + ifd.entries.length * 12);
  });
  buf.set(data, dataOffset);
  return buf;
}

export interface GeoTiffSpec {
  width?: number;
  height?: number;
  rowsPerStrip?: number;
  /** Replace or add entries (by tag); `null` removes one. */
  override?: Record<number, Omit<TiffEntrySpec, 'tag'> | null>;
  next?: TiffIfdSpec['next'];
}

/** The entries of a valid 8-bit georeferenced strip image, with overrides. */
export function geoTiffIfd(spec: GeoTiffSpec = {}): TiffIfdSpec {
  const width = spec.width ?? 64;
  const height = spec.height ?? 64;
  const rows = spec.rowsPerStrip ?? 16;
  const strips = Math.ceil(height / rows);
  const stripBytes = width * rows;
  const base: TiffEntrySpec[] = [
    { tag: 256, type: 4, values: [width] },
    { tag: 257, type: 4, values: [height] },
    { tag: 258, type: 3, values: [8] },
    { tag: 259, type: 3, values: [1] },
    { tag: 262, type: 3, values: [1] },
    { tag: 273, type: 4, values: (d) => Array.from({ length: strips }, (_, i) => d + i * stripBytes) },
    { tag: 277, type: 3, values: [1] },
    { tag: 278, type: 4, values: [rows] },
    { tag: 279, type: 4, values: Array.from({ length: strips }, (_, i) => Math.min(stripBytes, width * (height - i * rows))) },
    { tag: 33550, type: 12, values: [30, 30, 0] },
    { tag: 33922, type: 12, values: [0, 0, 0, 500000, 5000000, 0] },
    { tag: 34735, type: 3, values: [1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, 32618] },
  ];
  const byTag = new Map(base.map((e) => [e.tag, e]));
  for (const [tag, e] of Object.entries(spec.override ?? {})) {
    if (e === null) byTag.delete(Number(tag));
    else byTag.set(Number(tag), { tag: Number(tag), ...e });
  }
  return { entries: [...byTag.values()].sort((a, b) => a.tag - b.tag), next: spec.next };
}

/** A valid small GeoTIFF (one IFD) with the pixel data its strips point at. */
export function geoTiff(spec: GeoTiffSpec = {}): Buffer {
  return buildTiff([geoTiffIfd(spec)], (spec.width ?? 64) * (spec.height ?? 64));
}

/**
 * A valid, tiny GeoTIFF of any size: every 256 px DEFLATE tile points at the same compressed block (a
 * dark disk on a bright background), so a 30000 x 30000 px scene is a few hundred KB.
 */
export function repeatedTileGeoTiff(width: number, height: number, deflate: (raw: Uint8Array) => Uint8Array): Buffer {
  const T = 256;
  const raw = new Uint8Array(T * T);
  for (let y = 0; y < T; y++) for (let x = 0; x < T; x++) raw[y * T + x] = (x - 128) ** 2 + (y - 128) ** 2 < 70 ** 2 ? 10 : 200;
  const block = deflate(raw);
  const tiles = Math.ceil(width / T) * Math.ceil(height / T);
  const ifd = geoTiffIfd({
    width,
    height,
    override: {
      259: { type: 3, values: [8] },
      273: null,
      278: null,
      279: null,
      322: { type: 3, values: [T] },
      323: { type: 3, values: [T] },
      324: { type: 4, values: (d) => new Array<number>(tiles).fill(d) },
      325: { type: 4, values: new Array<number>(tiles).fill(block.length) },
    },
  });
  return buildTiff([ifd], block);
}

const strips = (n: number, value: (i: number, d: number) => number) => ({ type: 4, values: (d: number) => Array.from({ length: n }, (_, i) => value(i, d)) });

/**
 * Hand-crafted hostile structures: name, bytes, the error code `openScene` must end with, and its message.
 * Shared by the structure tests and the fuzz harness.
 */
export function hostileTiffs(): [string, Buffer, string, RegExp][] {
  return [
    ['ifd-self-loop', buildTiff([geoTiffIfd({ next: { ifd: 0 } })], 4096), 'malformed_tiff', /the IFD chain loops back to byte 8/],
    ['ifd-two-loop', buildTiff([geoTiffIfd(), geoTiffIfd({ next: { ifd: 0 } })], 4096), 'malformed_tiff', /the IFD chain loops back/],
    ['ifd-next-past-end', buildTiff([geoTiffIfd({ next: 0x7fff_fff0 })], 4096), 'malformed_tiff', /IFD 1 at byte 2147483632 is outside the \d+-byte file/],
    ['first-ifd-past-end', (() => { const b = geoTiff(); b.writeUInt32LE(0xfffffff0, 4); return b; })(), 'malformed_tiff', /IFD 0 at byte 4294967280 is outside/],
    ['ifd-zero-entries', (() => { const b = geoTiff(); b.writeUInt16LE(0, 8); return b; })(), 'malformed_tiff', /IFD 0 has 0 entries/],
    ['strip-counts-past-end-50000px', buildTiff([geoTiffIfd({ width: 50000, height: 50000, rowsPerStrip: 16, override: { 273: strips(3125, (i, d) => d + i), 279: strips(3125, () => 800000) } })], 20000), 'truncated_tiff', /strip 0 at byte \d+ \+ 800000 bytes runs past the end of the \d+-byte file/],
    ['strip-offsets-count-4e9', buildTiff([geoTiffIfd({ override: { 273: { type: 4, values: [0, 0], count: 0xffffffff } } })], 4096), 'malformed_tiff', /tag 273 \(4294967295 values\).*outside/],
    ['rows-per-strip-7-values', buildTiff([geoTiffIfd({ override: { 278: { type: 4, values: [16, 16, 16, 16, 16, 16, 16] } } })], 4096), 'malformed_tiff', /has 7 values for tag 278, which takes one/],
    ['rows-per-strip-0', buildTiff([geoTiffIfd({ override: { 278: { type: 4, values: [0] } } })], 4096), 'malformed_tiff', /RowsPerStrip 0/],
    ['tile-width-0', buildTiff([geoTiffIfd({ override: { 273: null, 279: null, 322: { type: 3, values: [0] }, 323: { type: 3, values: [16] }, 324: { type: 4, values: [8] }, 325: { type: 4, values: [1] } } })], 4096), 'malformed_tiff', /tiled with a 0x16 tile size/],
    ['one-pixel-tiles-1e8', buildTiff([geoTiffIfd({ width: 10000, height: 10000, override: { 273: null, 279: null, 322: { type: 3, values: [1] }, 323: { type: 3, values: [1] }, 324: { type: 4, values: [8] }, 325: { type: 4, values: [1] } } })], 4096), 'scene_too_large', /has 100000000 tiles, more than the 4194304 allowed/],
    ['one-strip-2.5e9-bytes', buildTiff([geoTiffIfd({ width: 50000, height: 50000, rowsPerStrip: 50000, override: { 273: { type: 4, values: [8] }, 279: { type: 4, values: [100] } } })], 4096), 'scene_too_large', /50000x50000-pixel strips \(2500000000 bytes decoded each\)/],
    ['too-few-strip-offsets', buildTiff([geoTiffIfd({ override: { 273: { type: 4, values: [8] }, 279: { type: 4, values: [8] } } })], 4096), 'malformed_tiff', /lists 1 strip offsets\/byte counts for 4 strips/],
    ['width-0', buildTiff([geoTiffIfd({ override: { 256: { type: 4, values: [0] } } })], 4096), 'malformed_tiff', /no image size/],
    ['bits-200', buildTiff([geoTiffIfd({ override: { 258: { type: 3, values: [200] } } })], 4096), 'malformed_tiff', /BitsPerSample 200/],
    ['samples-60000', buildTiff([geoTiffIfd({ override: { 277: { type: 3, values: [60000] } } })], 4096), 'malformed_tiff', /60000 samples per pixel/],
    ['million-by-million', buildTiff([geoTiffIfd({ width: 1_000_000, height: 1_000_000, override: { 273: { type: 4, values: [8] }, 279: { type: 4, values: [8] } } })], 16), 'scene_too_large', /header claims 1000000x1000000 pixels, more than the 4000000000 allowed/],
    ['300-ifds', buildTiff(Array.from({ length: 300 }, () => geoTiffIfd()), 4096), 'malformed_tiff', /more than 256 IFDs/],
  ];
}
