/**
 * A reader that goes away (bin/waterline.mjs): progress piped into `grep -m1` must not stop the work, and a cut-off
 * standard output must not look like a finished run.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { describeShared, repoRoot, scenePath } from '../helpers/shared.ts';

const dir = mkdtempSync(join(tmpdir(), 'waterline-pipes-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bin = join(repoRoot, 'bin', 'waterline.mjs');

/** Run the CLI; close the reader of `stream` at its first bytes. Resolves with the exit code. */
function runClosing(args: string[], stream: 'stdout' | 'stderr'): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', stream === 'stdout' ? 'pipe' : 'ignore', stream === 'stderr' ? 'pipe' : 'ignore'] });
    const reader = child[stream]!;
    reader.once('data', () => reader.destroy());
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
  });
}

describeShared('closed pipes', () => {
  it('segment whose progress reader went away still writes its GeoJSON and exits 0', async () => {
    const out = join(dir, 'w.geojson');
    const code = await runClosing(['segment', scenePath('spot-chicago-pan-stateplane-ft.tif'), '-o', out], 'stderr');
    expect(code).toBe(0);
    expect(existsSync(out)).toBe(true);
    expect(JSON.parse(readFileSync(out, 'utf8')).features.length).toBeGreaterThan(0);
  }, 60_000);

  it('segment -o - cut off mid-output exits 141, as cat does on SIGPIPE', async () => {
    // about 290 kB of GeoJSON: more than a pipe holds, so the reader leaves while the run still writes
    const code = await runClosing(['segment', scenePath('naip-dakota-2015-rgbn-cog.tif'), '-o', '-', '--min-area', '0'], 'stdout');
    expect(code).toBe(141);
  }, 60_000);
});
