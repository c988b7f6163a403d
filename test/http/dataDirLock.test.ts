/**
 * One `waterline serve` per data directory: a second one on a directory in use stops at start-up with one clear
 * line (two would run and finish the same jobs); once the first is stopped — or killed — the directory is free.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/shared.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'waterline-lock-'));
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** `waterline serve` on the directory: resolves when it serves (or with its exit code and stderr when it stops first). */
function serve(): Promise<{ child: ChildProcess; serving: boolean; code: number | null; stderr: string }> {
  const child = spawn(process.execPath, [join('bin', 'waterline.mjs'), 'serve', '--host', '127.0.0.1', '--port', '0', '--data-dir', dataDir], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'] });
  children.push(child);
  return new Promise((resolve) => {
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => {
      stderr += d;
      if (stderr.includes('waterline serving')) resolve({ child, serving: true, code: null, stderr });
    });
    child.once('exit', (code) => resolve({ child, serving: false, code, stderr }));
  });
}

const stop = async (child: ChildProcess, signal: NodeJS.Signals): Promise<void> => {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
};

describe('the data directory lock of waterline serve', () => {
  it('refuses a second server on a directory in use; the directory is free again once the first stops or is killed', async () => {
    const first = await serve();
    expect(first.serving).toBe(true);
    const second = await serve();
    expect(second.serving).toBe(false);
    expect(second.code).toBe(1);
    expect(second.stderr.trim().split('\n')).toHaveLength(1);
    expect(second.stderr).toMatch(new RegExp(`^error: another waterline server is using the data directory ${dataDir}.*run one server per data directory`));
    await stop(first.child, 'SIGKILL'); // the lock is the process's: nothing left behind
    const third = await serve();
    expect(third.serving).toBe(true);
    await stop(third.child, 'SIGTERM');
    const fourth = await serve();
    expect(fourth.serving).toBe(true);
    await stop(fourth.child, 'SIGTERM');
  }, 90_000);
});
