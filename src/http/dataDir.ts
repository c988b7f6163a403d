/**
 * The data directory is the only part of the file system the server reads scenes from. A user-given
 * path is resolved against it, and its *real* path (symlinks followed) must still be inside it:
 * `..`, absolute paths elsewhere, encoded dots and symlinks pointing out are all refused.
 */
import { realpathSync, statSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { InputError, NotFoundError, WaterlineError } from '../core/errors.ts';

export const UPLOADS_SUBDIR = 'uploads';

function inside(root: string, candidate: string): boolean {
  const rel = relative(root, candidate);
  return rel !== '' && !rel.startsWith('..') && !isAbsolute(rel) && !rel.split(sep).includes('..');
}

/** Real path of the data directory itself (computed once by the caller). */
export function realDataDir(dataDir: string): string {
  return realpathSync(dataDir);
}

/**
 * Resolve `userPath` (relative to the data directory, or absolute inside it) to a real path of a regular
 * file inside `realRoot`. Throws 400 for a malformed path, 403 for one that leaves the directory, 404 when
 * nothing is there.
 */
export function resolveInsideDataDir(realRoot: string, userPath: string): { realPath: string; relativePath: string } {
  if (userPath.includes('\0')) throw new InputError('bad_path', 'the scene path contains a NUL byte');
  let decoded = userPath;
  // Clients sometimes send URL-encoded paths; decode once so `%2e%2e/` is checked as the `../` it means.
  if (/%[0-9a-f]{2}/i.test(userPath)) {
    try {
      decoded = decodeURIComponent(userPath);
    } catch {
      throw new InputError('bad_path', `the scene path "${userPath}" is not valid percent-encoding`);
    }
  }
  const forbidden = (): WaterlineError => new WaterlineError('path_outside_data_dir',
    `the scene path "${userPath}" is outside the server's data directory`, 403,
    { hint: 'give a path relative to the data directory, or upload the file' });
  const candidate = resolve(realRoot, decoded);
  if (!inside(realRoot, candidate)) throw forbidden();
  let realPath: string;
  try {
    realPath = realpathSync(candidate);
  } catch {
    throw new NotFoundError('scene_file_not_found', `no file "${userPath}" in the server's data directory`, { hint: 'check the path (relative to the data directory)' });
  }
  if (!inside(realRoot, realPath)) throw forbidden();
  if (!statSync(realPath).isFile()) throw new InputError('not_a_file', `"${userPath}" is not a regular file`);
  return { realPath, relativePath: relative(realRoot, realPath).split(sep).join('/') };
}
