/**
 * Access to ../shared/data (real scenes and masks). It lives beside the checkout and is never committed;
 * tests that need it use `describeShared` / `itShared`, which skip with a clear message when it is absent.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe } from 'vitest';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const sharedDir = process.env.WATERLINE_SHARED_DIR ?? resolve(repoRoot, '..', 'shared');
export const sharedData = join(sharedDir, 'data');
export const scenesDir = join(sharedData, 'scenes');
export const hasShared = existsSync(scenesDir);

export function scenePath(name: string): string {
  return join(scenesDir, name);
}

/** `describe` that skips (with the reason in its title) when ../shared/data is absent. */
export function describeShared(name: string, fn: () => void): void {
  if (hasShared) describe(name, fn);
  else describe.skip(`${name} [skipped: ../shared/data not found beside the checkout; set WATERLINE_SHARED_DIR]`, fn);
}
