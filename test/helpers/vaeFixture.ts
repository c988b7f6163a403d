/**
 * Generated segmentation VAE checkpoints for tests (real array names and shapes, random weights), made
 * by models/vae/make_random_vae.py with /usr/bin/python3 + numpy and cached in test/.out/vae/.
 * - `randomVaePath()`: random weights, decoded masks have real structure (mixed signs).
 * - `fillVaePath()`: the final layer outputs logit +10 everywhere, so every decoded instance mask is
 *   its whole box — end-to-end pipeline tests get exact, predictable polygons from it.
 * `vaeReference()` runs the script's independent float64 numpy implementation.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from './shared.ts';

export const PYTHON = process.env.WATERLINE_PYTHON ?? '/usr/bin/python3';
export const VAE_SCRIPT = join(repoRoot, 'models', 'vae', 'make_random_vae.py');
const cacheDir = join(repoRoot, 'test', '.out', 'vae');

function generated(name: string, args: string[]): string {
  const path = join(cacheDir, name);
  if (existsSync(path)) return path;
  mkdirSync(cacheDir, { recursive: true });
  const tmp = join(cacheDir, `${name}.${process.pid}.tmp.npz`);
  execFileSync(PYTHON, [VAE_SCRIPT, 'generate', tmp, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  renameSync(tmp, path); // atomic: parallel test files never see a half-written file
  return path;
}

export function randomVaePath(seed = 0): string {
  return generated(`random-seed${seed}.npz`, ['--seed', String(seed)]);
}

export function fillVaePath(): string {
  return generated('fill.npz', ['--fill']);
}

/** Run a subcommand of the reference script with a JSON request on stdin; returns its JSON answer. */
export function vaeReference<T>(command: 'decode' | 'encode' | 'resize', request: unknown, vaePath?: string): T {
  const args = [VAE_SCRIPT, command, ...(vaePath ? [vaePath] : [])];
  const out = execFileSync(PYTHON, args, { input: JSON.stringify(request), maxBuffer: 256 * 1024 * 1024 });
  return JSON.parse(out.toString()) as T;
}
