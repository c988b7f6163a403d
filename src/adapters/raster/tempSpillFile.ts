/**
 * A temporary file in a directory of its own (SpilledBitMask's mask, RowSpill's rows), registered while open: what
 * is still open when the thread or process exits (a job thread that dies of an uncaught exception, process.exit)
 * is closed and removed synchronously by a process 'exit' handler, which fires in worker threads too, so a crash
 * does not leave a scene-size file behind. Not covered: a thread stopped from outside (Worker.terminate) or for
 * exceeding its memory limits, and a process killed by a signal.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export class TempSpillFile {
  /** The file's path (in its own directory `<tmpDir>/<prefix>XXXXXX`). */
  readonly path: string;
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
    this.dir = dir;
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
