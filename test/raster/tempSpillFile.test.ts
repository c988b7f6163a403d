/**
 * Temporary spill files are removed when their thread dies without closing them (a job thread's uncaught
 * exception, process.exit): the process 'exit' handler closes and unlinks what is still open.
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, describe, expect, it } from 'vitest';
import { openTempSpillFileCount, TempSpillFile } from '../../src/adapters/raster/tempSpillFile.ts';

const root = mkdtempSync(join(tmpdir(), 'waterline-spilltest-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const BOOT = new URL('../../src/adapters/threads/threadBoot.mjs', import.meta.url);
const module = new URL('./fixtures/spillThenCrash.ts', import.meta.url);

describe('TempSpillFile', () => {
  it('makes its file in a directory of its own under tmpDir and removes both on close (twice is fine)', () => {
    const tmpDir = mkdtempSync(join(root, 'close-'));
    const before = openTempSpillFileCount();
    const f = new TempSpillFile('waterline-test-', 'x.bin', tmpDir);
    expect(dirname(dirname(f.path))).toBe(tmpDir);
    expect(existsSync(f.path)).toBe(true);
    expect(openTempSpillFileCount()).toBe(before + 1);
    f.close();
    f.close();
    expect(openTempSpillFileCount()).toBe(before);
    expect(readdirSync(tmpDir)).toEqual([]);
    expect(() => f.fd).toThrow(/closed/);
  });

  for (const how of ['throw', 'exit'] as const) {
    it(`a worker thread that opened a spilled mask, rows and a feature writer and dies (${how === 'throw' ? 'uncaught exception' : 'process.exit'}) leaves no file behind`, async () => {
      const tmpDir = mkdtempSync(join(root, `${how}-`));
      const worker = new Worker(BOOT, { workerData: { module: module.href, init: { tmpDir, how } }, stdout: true, stderr: true });
      let files: string[] = [];
      let entries = 0;
      let error: unknown;
      worker.on('message', (m: { files: string[]; entries: number }) => ({ files, entries } = m));
      worker.on('error', (e) => (error = e));
      const code = await new Promise<number>((resolve) => worker.once('exit', resolve));
      expect(code).not.toBe(0);
      if (how === 'throw') expect(String(error)).toMatch(/the job thread died/);
      // both files existed under tmpDir while the thread ran, and are gone with their directories
      expect(files.length).toBe(2);
      expect(entries).toBe(3); // the two spills' directories and the feature writer's
      for (const f of files) expect(dirname(dirname(f))).toBe(tmpDir);
      expect(readdirSync(tmpDir)).toEqual([]);
    }, 30_000);
  }
});
