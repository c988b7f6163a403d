/**
 * One temporary directory per test run: every test's mkdtemp (os.tmpdir() follows TMPDIR), the CLIs,
 * servers, Python and QGIS processes the tests start, and onnxruntime's per-process debug files land in it,
 * and it is removed when the run ends, so a run leaves nothing in the system's temporary directory.
 * Set WATERLINE_KEEP_TEST_TMP=1 to keep it (its path is printed) when a failure needs its files.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'waterline-test-run-'));
  const before = process.env.TMPDIR;
  process.env.TMPDIR = dir;
  return () => {
    if (before === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = before;
    if (process.env.WATERLINE_KEEP_TEST_TMP) console.log(`test run files kept in ${dir}`);
    else rmSync(dir, { recursive: true, force: true });
  };
}
