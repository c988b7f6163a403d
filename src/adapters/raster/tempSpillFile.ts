/**
 * A temporary file (SpilledBitMask's mask, RowSpill's rows, the GeoJSON writer's features) that no death of its
 * process or thread can leave behind: it is made in a directory of its own and, once open, its name and directory
 * are removed at once — the data lives on through the open descriptor only, and the system frees it when the
 * descriptor is closed, whoever closes it: close(), the exit of the process, or the kernel after a SIGKILL, an
 * out-of-memory kill or a Worker.terminate() of the thread that held it.
 *
 * Where a file cannot be removed while open (some Windows file systems), the name stays and the file is removed
 * by close() or, for what is still open when the thread or process exits (an uncaught exception, process.exit),
 * by a process 'exit' handler (which fires in worker threads too); a kill by signal there can leave it behind.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmdirSync, rmSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class TempSpillFile {
  /** The name the file was made with (`<tmpDir>/<prefix>XXXXXX/<fileName>`); gone from the disk already where `anonymous`. */
  readonly path: string;
  /** Whether the name was removed at open (the data is reachable through the descriptor only). */
  readonly anonymous: boolean;
  private dir: string | null;
  private descriptor: number | null;

  /** Make `<tmpDir>/<prefix>XXXXXX/<fileName>` (tmpDir: the system temp directory by default), open for reading and writing. */
  constructor(prefix: string, fileName: string, tmpDir: string = tmpdir()) {
    const dir = mkdtempSync(join(tmpDir, prefix));
    this.path = join(dir, fileName);
    try {
      this.descriptor = openSync(this.path, 'w+');
    } catch (err) {
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
    this.anonymous = removeName(this.path, dir);
    this.dir = this.anonymous ? null : dir;
    openFiles.add(this);
    if (!exitHandlerInstalled) {
      exitHandlerInstalled = true;
      process.on('exit', closeOpenTempSpillFiles);
    }
  }

  /** The open descriptor (throws once closed). */
  get fd(): number {
    if (this.descriptor === null) throw new Error(`the temporary file ${this.path} is closed`);
    return this.descriptor;
  }

  /** Write the first `length` bytes of `bytes` at `position` (all of them: a short write is continued). */
  writeAt(bytes: Uint8Array, length: number, position: number): void {
    const fd = this.fd;
    for (let at = 0; at < length; ) at += writeSync(fd, bytes, at, length - at, position + at);
  }

  /** Read `length` bytes at `position` into the start of `bytes`; how many there were (fewer only where the file ends). */
  readAt(bytes: Uint8Array, length: number, position: number): number {
    const fd = this.fd;
    let got = 0;
    while (got < length) {
      const n = readSync(fd, bytes, got, length - got, position + got);
      if (n <= 0) break;
      got += n;
    }
    return got;
  }

  /** Close and remove the file and its directory (safe to call more than once; the removal is tried even if closing fails). */
  close(): void {
    openFiles.delete(this);
    const fd = this.descriptor;
    const dir = this.dir;
    this.descriptor = null;
    this.dir = null;
    try {
      if (fd !== null) closeSync(fd);
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
    }
  }
}

/** Remove an open file's name and then its (now empty) directory; whether both went. */
function removeName(path: string, dir: string): boolean {
  try {
    unlinkSync(path);
  } catch {
    return false;
  }
  try {
    rmdirSync(dir);
  } catch {
    // the file is unnamed already; an empty directory left behind is harmless
  }
  return true;
}

const openFiles = new Set<TempSpillFile>();
let exitHandlerInstalled = false;

/** How many temporary spill files this thread holds open. */
export function openTempSpillFileCount(): number {
  return openFiles.size;
}

function closeOpenTempSpillFiles(): void {
  for (const file of [...openFiles]) {
    try {
      file.close();
    } catch {
      // exiting: remove what can be removed
    }
  }
}
