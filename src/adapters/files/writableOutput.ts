/**
 * Output checks a command runs before it starts working: can this file (or directory) be written? A run
 * that takes minutes must not end with "cannot write" — so the check really creates (and removes) a file
 * next to the output, which also catches read-only file systems and permissions `access()` would miss
 * for root.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, stat, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError } from '../../core/errors.ts';

function reason(err: unknown): string {
  const code = (err as NodeJS.ErrnoException).code;
  switch (code) {
    case 'ENOENT':
      return 'its directory does not exist';
    case 'ENOTDIR':
      return 'a part of the path is a file, not a directory';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'read-only file system';
    case 'EISDIR':
      return 'it is a directory';
    default:
      return (err as Error).message;
  }
}

async function probe(file: string): Promise<void> {
  const handle = await open(file, 'wx');
  await handle.close();
  await unlink(file);
}

/**
 * Throws an InputError naming `option` (e.g. `-o`) when `path` cannot be written; `-` (standard output) is
 * always fine. An existing file is kept: only a sibling probe file is created and removed.
 */
export async function assertWritableFile(path: string, option: string): Promise<void> {
  if (path === '-') return;
  const fail = (why: string): InputError =>
    new InputError('bad_output', `cannot write ${option} ${path}: ${why}`, { hint: 'choose a writable file in an existing directory' });
  const existing = await stat(path).catch(() => null);
  if (existing?.isDirectory()) throw fail('it is a directory');
  try {
    await probe(`${path}.probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  } catch (err) {
    throw fail(reason(err));
  }
}

/** Creates `dir` (with parents) when missing and throws an InputError naming `option` when files cannot be written in it. */
export async function assertWritableDir(dir: string, option: string): Promise<void> {
  const fail = (why: string): InputError =>
    new InputError('bad_output', `cannot write into ${option} ${dir}: ${why}`, { hint: 'choose a writable directory' });
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw fail((err as NodeJS.ErrnoException).code === 'EEXIST' ? 'it is a file, not a directory' : reason(err));
  }
  try {
    await probe(join(dir, `.waterline-probe-${process.pid}-${randomBytes(4).toString('hex')}`));
  } catch (err) {
    throw fail(reason(err));
  }
}
