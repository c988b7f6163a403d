import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/shared.ts';

/** CommonJS modules a fresh `waterline <args>` process loaded (test/cli/fixtures/loadedModules.ts). */
function loaded(args: string[]): string[] {
  const out = execFileSync(process.execPath, ['--import', 'tsx', join(repoRoot, 'test', 'cli', 'fixtures', 'loadedModules.ts'), ...args], { cwd: repoRoot, maxBuffer: 1 << 24 });
  return JSON.parse(out.toString().trim().split('\n').pop()!) as string[];
}

const heavy = (mods: string[]) => mods.filter((m) => /node_modules\/(onnxruntime-node|express|bullmq|ioredis)\//.test(m));

describe('CLI start', () => {
  it('a run naming a command loads only that command (no onnxruntime, express, bullmq for vectorize)', () => {
    expect(heavy(loaded(['vectorize', '--help']))).toEqual([]);
    // help for the whole CLI still loads every command, heavy ones included
    expect(heavy(loaded(['--help'])).length).toBeGreaterThan(0);
  }, 60_000);
});
