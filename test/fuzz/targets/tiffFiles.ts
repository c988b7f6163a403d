/**
 * Fuzz target `tiff`: each case's bytes as a file through `waterline info` (the scene report) and
 * `waterline tiles` (the tile source, reading up to 16 model tiles). A clean error is a WaterlineError
 * (the CLI's one-line `error:`); anything else, or a case running past the time bound, is a finding.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WaterlineError } from '../../../src/core/errors.ts';
import { readSceneReport } from '../../../src/adapters/raster/sceneReport.ts';
import { openScene } from '../../../src/adapters/raster/openScene.ts';
import { createTileSource } from '../../../src/pipeline/tileSource.ts';
import { Rng, caseSeed } from '../rng.ts';
import type { CaseOutcome, FuzzTarget } from '../target.ts';
import { tiffCase } from '../tiffCases.ts';

export function errorOutcome(err: unknown): CaseOutcome {
  if (err instanceof WaterlineError) return { outcome: err.code };
  return { outcome: 'crash', finding: `not a clean error: ${err instanceof Error ? `${err.name}: ${err.message}\n${err.stack?.split('\n').slice(1, 4).join('\n')}` : String(err)}` };
}

export function tiffFilesTarget(): FuzzTarget {
  let dir = '';
  return {
    name: 'tiff',
    async setup() {
      dir = mkdtempSync(join(tmpdir(), 'waterline-fuzz-tiff-'));
    },
    async teardown() {
      rmSync(dir, { recursive: true, force: true });
    },
    async run(seed, index) {
      const { bytes } = tiffCase(new Rng(caseSeed(seed, index)));
      const file = join(dir, `case-${index}.tif`);
      writeFileSync(file, bytes);
      try {
        await readSceneReport(file);
        const scene = await openScene(file);
        try {
          const tiles = await createTileSource(scene, {});
          for (const tile of tiles.grid.tiles.slice(0, 16)) await tiles.readTile(tile);
        } finally {
          await scene.close();
        }
        return { outcome: 'ok' };
      } catch (err) {
        return errorOutcome(err);
      } finally {
        rmSync(file, { force: true });
      }
    },
  };
}
