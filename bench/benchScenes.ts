/**
 * Where benches find their inputs: the shared scenes (`../shared/data/scenes` beside the checkout, or
 * WATERLINE_SHARED_DIR), and the larger scenes and masks they derive from them, made once and cached in
 * $TMPDIR/waterline-bench-scenes between runs.
 */
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const sharedScenesDir = join(process.env.WATERLINE_SHARED_DIR ?? resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared'), 'data', 'scenes');

/**
 * The cached bench file `name` (e.g. `chicago-5000.tif`), made by `make(part)` when missing: `make` writes `part`
 * (the same name with `.part` before its extension, so GDAL still knows the format), renamed into place only once
 * complete, so an interrupted bench never leaves a truncated scene to be reused.
 */
export function cachedBenchFile(name: string, make: (part: string) => void): string {
  const dir = join(tmpdir(), 'waterline-bench-scenes');
  mkdirSync(dir, { recursive: true });
  const path = join(dir, name);
  if (!existsSync(path)) {
    const dot = name.lastIndexOf('.');
    const part = join(dir, dot > 0 ? `${name.slice(0, dot)}.part${name.slice(dot)}` : `${name}.part`);
    make(part);
    renameSync(part, path);
  }
  return path;
}
