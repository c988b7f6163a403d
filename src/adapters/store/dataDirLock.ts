/**
 * One server per data directory: `waterline serve` holds an exclusive SQLite lock on `<data dir>/waterline.lock`
 * for as long as it runs. A second server on the same directory would run and finish the same jobs; it stops at
 * start-up instead, saying so. The lock is the operating system's file lock, so it goes with its process — a
 * killed server leaves nothing to clean up (on a network file system it is as good as that system's locks).
 */
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { InputError } from '../../core/errors.ts';

export const DATA_DIR_LOCK_FILE = 'waterline.lock';

export interface DataDirLock {
  release(): void;
}

export function lockDataDir(dataDir: string): DataDirLock {
  const db = new Database(join(dataDir, DATA_DIR_LOCK_FILE), { timeout: 0 });
  try {
    db.pragma('locking_mode = EXCLUSIVE');
    // in exclusive locking mode the lock taken by this transaction is kept until the connection closes
    db.exec('BEGIN EXCLUSIVE; COMMIT;');
  } catch (err) {
    db.close();
    if ((err as { code?: string }).code === 'SQLITE_BUSY') {
      throw new InputError('data_dir_in_use', `another waterline server is using the data directory ${dataDir}`, {
        hint: 'run one server per data directory: stop the other one, or give this one its own --data-dir (more capacity: --queue and workers)',
      });
    }
    throw err;
  }
  let released = false;
  return {
    release() {
      if (released) return;
      released = true;
      db.close();
    },
  };
}
