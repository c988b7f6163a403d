/**
 * Test tool: writes small (or deliberately broken) GeoTIFFs byte by byte, so bad-input tests need no data
 * files: one 8-bit band, one strip, ModelPixelScale + ModelTiepoint + GeoKeys (projected EPSG code).
 */
export interface SyntheticTiffOptions {
  width?: number;
  height?: number;
  /** TIFF Compression tag value (1 = none). The pixel bytes are written raw whatever this says. */
  compression?: number;
  /** ProjectedCSTypeGeoKey value. */
  epsg?: number;
  /** Write this many pixel bytes instead of width*height (to claim a huge size without allocating it). */
  dataBytes?: number;
}

export function syntheticTiff(opts: SyntheticTiffOptions = {}): Buffer {
  const width = opts.width ?? 16;
  const height = opts.height ?? 16;
  const dataBytes = opts.dataBytes ?? width * height;
  const entries: { tag: number; type: number; values: number[] }[] = [
    { tag: 256, type: 4, values: [width] },
    { tag: 257, type: 4, values: [height] },
    { tag: 258, type: 3, values: [8] },
    { tag: 259, type: 3, values: [opts.compression ?? 1] },
    { tag: 262, type: 3, values: [1] },
    { tag: 273, type: 4, values: [0] }, // StripOffsets, patched below
    { tag: 277, type: 3, values: [1] },
    { tag: 278, type: 4, values: [height] },
    { tag: 279, type: 4, values: [Math.min(width * height, 0xffffffff)] },
    { tag: 33550, type: 12, values: [30, 30, 0] },
    { tag: 33922, type: 12, values: [0, 0, 0, 500000, 5000000, 0] },
    { tag: 34735, type: 3, values: [1, 1, 0, 3, 1024, 0, 1, 1, 1025, 0, 1, 1, 3072, 0, 1, opts.epsg ?? 32618] },
  ];
  const size = (t: number) => (t === 12 ? 8 : t === 4 ? 4 : 2);
  const ifdOffset = 8;
  const ifdSize = 2 + entries.length * 12 + 4;
  let extra = ifdOffset + ifdSize;
  const extraOffsets = entries.map((e) => {
    const bytes = e.values.length * size(e.type);
    if (bytes <= 4) return -1;
    const off = extra;
    extra += bytes;
    return off;
  });
  const dataOffset = extra;
  entries[5].values = [dataOffset];
  const buf = Buffer.alloc(dataOffset + dataBytes);
  buf.write('II', 0, 'latin1');
  buf.writeUInt16LE(42, 2);
  buf.writeUInt32LE(ifdOffset, 4);
  buf.writeUInt16LE(entries.length, ifdOffset);
  entries.forEach((e, i) => {
    const p = ifdOffset + 2 + i * 12;
    buf.writeUInt16LE(e.tag, p);
    buf.writeUInt16LE(e.type, p + 2);
    buf.writeUInt32LE(e.values.length, p + 4);
    const writeAt = (pos: number) => e.values.forEach((v, k) => {
      const q = pos + k * size(e.type);
      if (e.type === 12) buf.writeDoubleLE(v, q);
      else if (e.type === 4) buf.writeUInt32LE(v, q);
      else buf.writeUInt16LE(v, q);
    });
    if (extraOffsets[i] < 0) writeAt(p + 8);
    else {
      buf.writeUInt32LE(extraOffsets[i], p + 8);
      writeAt(extraOffsets[i]);
    }
  });
  buf.writeUInt32LE(0, ifdOffset + 2 + entries.length * 12);
  for (let i = 0; i < dataBytes; i++) buf[dataOffset + i] = (i * 7) % 256;
  return buf;
}
