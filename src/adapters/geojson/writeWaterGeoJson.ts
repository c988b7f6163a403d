/**
 * Writes water polygons as RFC 7946 GeoJSON (one FeatureCollection with the `waterline` provenance
 * member) or as GeoJSON text sequences (RFC 8142: each feature prefixed by RS, 0x1E, and ended by a
 * newline; no collection, so no provenance — the CLI prints the summary). Features are written in chunks of
 * 64 KiB with backpressure, so a large result is never held as one string. A file is written to a
 * temporary name and renamed when complete, so a failed run never leaves a truncated file behind.
 * `-` writes to the given stdout stream.
 */
import { createWriteStream } from 'node:fs';
import { rename, unlink } from 'node:fs/promises';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import { InputError } from '../../core/errors.ts';
import type { Feature } from 'geojson';

/** What gets written: features plus the `waterline` member (a WaterCollection, a ChangeCollection...). */
export interface WaterlineCollection {
  features: readonly Feature[];
  waterline: object;
}

export type WaterFormat = 'geojson' | 'geojsonseq';

const RS = '\x1e';

export function parseWaterFormat(text: string): WaterFormat {
  if (text === 'geojson' || text === 'geojsonseq') return text;
  throw new InputError('bad_format', `--format "${text}" is not supported`, { hint: 'use geojson or geojsonseq' });
}

/** Other GIS formats, by extension: `-o water.kml` must not silently write GeoJSON into a .kml file. */
const OTHER_FORMATS: Readonly<Record<string, string>> = {
  '.kml': 'KML', '.kmz': 'KMZ', '.shp': 'a shapefile', '.gpkg': 'GeoPackage', '.gml': 'GML', '.csv': 'CSV', '.fgb': 'FlatGeobuf',
  '.parquet': 'GeoParquet', '.gpx': 'GPX', '.dxf': 'DXF', '.tif': 'a GeoTIFF', '.tiff': 'a GeoTIFF', '.png': 'a PNG image', '.html': 'HTML',
};

const RASTERS = new Set(['.tif', '.tiff', '.png']);

/**
 * Refuse an output path whose extension names another format (`-o water.kml`); GeoJSON names (.geojson, .json,
 * .geojsons, .geojsonl, none) and `-` (stdout) pass. `option`: the flag, for the message.
 */
export function checkWaterOutputPath(path: string, format: WaterFormat, option = '-o'): void {
  const dot = path.lastIndexOf('.');
  const ext = dot > path.lastIndexOf('/') ? path.slice(dot).toLowerCase() : '';
  const other = OTHER_FORMATS[ext];
  if (!other) return;
  const stem = path.slice(0, dot);
  const geojson = `${stem}.${format === 'geojsonseq' ? 'geojsons' : 'geojson'}`;
  const hint = ext === '.html'
    ? `write ${geojson}; --report ${path} adds the HTML run report`
    : RASTERS.has(ext)
      ? `write ${geojson}; a raster mask of it: gdal_rasterize -burn 1 -tr RES RES -ot Byte ${geojson} ${path}`
      : `write ${geojson} and convert it with GDAL: ogr2ogr ${path} ${geojson}`;
  throw new InputError('bad_output', `${option} ${path}: waterline writes ${format === 'geojsonseq' ? 'GeoJSON text sequences' : 'GeoJSON'}, not ${other}`, { hint });
}

/** Text is written in chunks of about this many characters: fewer writes than one per feature, and strings small enough for V8's young generation (larger ones go to large-object space, freed only by a full GC). */
const CHUNK_CHARS = 1 << 16;

/**
 * One feature's JSON text: a string, or its pieces in order (a feature too large to hold as one string, read
 * back piece by piece while it is written).
 */
export type FeatureText = string | Iterable<string>;

async function writeAll(out: Writable, waterline: object, featureTexts: Iterable<FeatureText>, format: WaterFormat): Promise<void> {
  let chunk = '';
  const put = async (text: string): Promise<void> => {
    chunk += text;
    if (chunk.length < CHUNK_CHARS) return;
    const full = chunk;
    chunk = '';
    if (!out.write(full)) await once(out, 'drain');
  };
  const putFeature = async (before: string, f: FeatureText, after: string): Promise<void> => {
    if (typeof f === 'string') return put(`${before}${f}${after}`);
    await put(before);
    for (const piece of f) await put(piece);
    await put(after);
  };
  if (format === 'geojsonseq') {
    for (const f of featureTexts) await putFeature(RS, f, '\n');
  } else {
    await put(`{"type":"FeatureCollection","waterline":${JSON.stringify(waterline)},"features":[`);
    let first = true;
    for (const f of featureTexts) {
      await putFeature(first ? '\n' : ',\n', f, '');
      first = false;
    }
    await put('\n]}\n');
  }
  if (chunk && !out.write(chunk)) await once(out, 'drain');
}

/** Write to `path` (or `stdout` when path is `-`). */
export async function writeWaterGeoJson(path: string, collection: WaterlineCollection, format: WaterFormat, stdout?: Writable): Promise<void> {
  await writeFeatureTexts(path, collection.waterline, (function* () {
    for (const f of collection.features) yield JSON.stringify(f);
  })(), format, stdout);
}

/**
 * writeWaterGeoJson for features given as their JSON texts (whole or in pieces), in output order, produced while
 * the file is written (e.g. read back from a spill file): the same bytes, without the features in memory.
 */
export async function writeFeatureTexts(path: string, waterline: object, featureTexts: Iterable<FeatureText>, format: WaterFormat, stdout?: Writable): Promise<void> {
  if (path === '-') {
    if (!stdout) throw new InputError('bad_output', 'no standard output to write to', { hint: 'pass -o <file>' });
    await writeAll(stdout, waterline, featureTexts, format);
    return;
  }
  const tmp = `${path}.partial-${process.pid}`;
  const out = createWriteStream(tmp);
  try {
    await once(out, 'open');
    await writeAll(out, waterline, featureTexts, format);
    out.end();
    await once(out, 'finish');
    await rename(tmp, path);
  } catch (err) {
    out.destroy();
    await unlink(tmp).catch(() => undefined);
    if ((err as NodeJS.ErrnoException).code === 'ENOENT' || (err as NodeJS.ErrnoException).code === 'EACCES') {
      throw new InputError('bad_output', `cannot write ${path}: ${(err as Error).message}`, { hint: 'check that the directory exists and is writable' });
    }
    throw err;
  }
}
