/** Write a whole text file under a temporary name and rename it into place, so a failed run never leaves a truncated file. */
import { rename, unlink, writeFile } from 'node:fs/promises';
import { InputError } from '../../core/errors.ts';

export async function writeTextFileAtomic(path: string, text: string, option = 'output'): Promise<void> {
  const tmp = `${path}.partial-${process.pid}`;
  try {
    await writeFile(tmp, text);
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES' || code === 'EROFS' || code === 'ENOTDIR') {
      throw new InputError('bad_output', `cannot write ${option} ${path}: ${(err as Error).message}`, { hint: 'choose a writable file in an existing directory' });
    }
    throw err;
  }
}
