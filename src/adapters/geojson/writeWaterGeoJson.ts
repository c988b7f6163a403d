/**
 * Writes water polygons as RFC 7946 GeoJSON (one FeatureCollection with the `waterline` provenance
 * member) or as GeoJSON text sequences (RFC 8142: each feature prefixed by RS, 0x1E, and ended by a
 * newline; no collection, so no provenance — the CLI prints the summary). Features are streamed one by
 * one with backpressure, so a large result is never held as one string. A file is written to a
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

async function writeAll(out: Writable, collection: WaterlineCollection, format: WaterFormat): Promise<void> {
  const put = async (chunk: string): Promise<void> => {
    if (!out.write(chunk)) await once(out, 'drain');
  };
  if (format === 'geojsonseq') {
    for (const f of collection.features) await put(`${RS}${JSON.stringify(f)}\n`);
    return;
  }
  await put(`{"type":"FeatureCollection","waterline":${JSON.stringify(collection.waterline)},"features":[`);
  let first = true;
  for (const f of collection.features) {
    await put(`${first ? '\n' : ',\n'}${JSON.stringify(f)}`);
    first = false;
  }
  await put('\n]}\n');
}

/** Write to `path` (or `stdout` when path is `-`). */
export async function writeWaterGeoJson(path: string, collection: WaterlineCollection, format: WaterFormat, stdout?: Writable): Promise<void> {
  if (path === '-') {
    if (!stdout) throw new InputError('bad_output', 'no standard output to write to', { hint: 'pass -o <file>' });
    await writeAll(stdout, collection, format);
    return;
  }
  const tmp = `${path}.partial-${process.pid}`;
  const out = createWriteStream(tmp);
  try {
    await once(out, 'open');
    await writeAll(out, collection, format);
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
