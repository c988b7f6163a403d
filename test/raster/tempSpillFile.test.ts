/**
 * Temporary spill files leave nothing behind, however their process or thread ends: their name is removed as soon
 * as they are open (the data lives on through the descriptor), so a crash, process.exit, Worker.terminate() or a
 * SIGKILL cannot leave a scene-size file in the temp directory.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
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
  it('makes its file in a directory of its own under tmpDir, removes the name and directory at once, and still reads back what it wrote until closed (twice is fine)', () => {
    const tmpDir = mkdtempSync(join(root, 'close-'));
    const before = openTempSpillFileCount();
    const f = new TempSpillFile('waterline-test-', 'x.bin', tmpDir);
    expect(dirname(dirname(f.path))).toBe(tmpDir);
    expect(f.anonymous).toBe(true);
    expect(existsSync(f.path)).toBe(false);
    expect(readdirSync(tmpDir)).toEqual([]);
    const data = Uint8Array.from({ length: 300_000 }, (_, i) => (i * 7) % 256);
    f.writeAt(data, data.length, 1000);
    const back = new Uint8Array(data.length + 10);
    expect(f.readAt(back, back.length, 1000)).toBe(data.length); // short only where the file ends
    expect(Buffer.from(back.subarray(0, data.length)).equals(Buffer.from(data))).toBe(true);
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
      // both files were made under tmpDir, and nothing of them was left there even while the thread ran
      expect(files.length).toBe(2);
      for (const f of files) expect(dirname(dirname(f))).toBe(tmpDir);
      expect(entries).toBe(0);
      expect(readdirSync(tmpDir)).toEqual([]);
    }, 30_000);
  }

  it('a process killed by SIGKILL while it holds a spilled mask, rows and a feature spill (8 MB written) leaves nothing in the temp directory', async () => {
    const tmpDir = mkdtempSync(join(root, 'sigkill-'));
    const child = spawn(process.execPath, ['--import', 'tsx', join('test', 'raster', 'fixtures', 'spillAndWait.ts'), tmpDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on('data', (d: Buffer) => d.toString().includes('ready') && resolve());
      child.once('exit', () => reject(new Error('the spilling process ended before it was ready')));
    });
    expect(readdirSync(tmpDir)).toEqual([]);
    if (existsSync(`/proc/${child.pid}/fd`)) {
      // the data is alive, held by the descriptors only: three open files under tmpDir whose names are gone
      const held = readdirSync(`/proc/${child.pid}/fd`).map((fd) => { try { return readlinkSync(`/proc/${child.pid}/fd/${fd}`); } catch { return ''; } });
      expect(held.filter((l) => l.startsWith(tmpDir) && l.endsWith('(deleted)')).length).toBe(3);
    }
    child.kill('SIGKILL');
    expect(await exited).toBe('SIGKILL');
    expect(readdirSync(tmpDir)).toEqual([]);
  }, 60_000);
});
