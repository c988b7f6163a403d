/**
 * segmentScene's temporary files (the probability rows and the water mask, spilled to disk when large) are closed —
 * and so freed: their names are gone from the disk from the start (tempSpillFile.ts) — however the run ends:
 * finished, a sink that throws, or cancelled.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openTempSpillFileCount } from '../../src/adapters/raster/tempSpillFile.ts';
import { CancelledError } from '../../src/core/errors.ts';
import { segmentScene } from '../../src/pipeline/segmentScene.ts';
import { darkIsWater, memoryScene } from './memoryScene.ts';

const root = mkdtempSync(join(tmpdir(), 'waterline-scenespills-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const lake = (x: number, y: number) => ((x + 0.5 - 130) ** 2 + (y + 0.5 - 115) ** 2 <= 60 * 60 ? 50 : 200);
/** Both spilled (no memory allowed), in a directory of the test's own. */
const spilled = (spillDir: string) => ({ overlap: 16, batch: 2, probabilityMemoryBytes: 0, maskMemoryBytes: 0, spillDir });

describe('segmentScene temporary files', () => {
  it('spills the probability and the mask while it runs (nothing named on disk) and closes both when it finishes', async () => {
    const spillDir = mkdtempSync(join(root, 'done-'));
    const before = openTempSpillFileCount();
    const open: number[] = [];
    const named: number[] = [];
    const onProgress = () => {
      open.push(openTempSpillFileCount() - before);
      named.push(readdirSync(spillDir).length);
    };
    const { collection } = await segmentScene(memoryScene(300, 260, lake), darkIsWater(100), { ...spilled(spillDir), onProgress });
    expect(collection.features).toHaveLength(1);
    expect(Math.max(...open)).toBe(2);
    expect(Math.max(...named)).toBe(0);
    expect(openTempSpillFileCount()).toBe(before);
    expect(readdirSync(spillDir)).toEqual([]);
  });

  it('closes both when the feature sink throws', async () => {
    const spillDir = mkdtempSync(join(root, 'sink-'));
    const before = openTempSpillFileCount();
    const features = {
      add: () => {
        throw new Error('the output disk is full');
      },
    };
    await expect(segmentScene(memoryScene(300, 260, lake), darkIsWater(100), { ...spilled(spillDir), features })).rejects.toThrow('the output disk is full');
    expect(openTempSpillFileCount()).toBe(before);
    expect(readdirSync(spillDir)).toEqual([]);
  });

  it('closes both when cancelled', async () => {
    const spillDir = mkdtempSync(join(root, 'cancel-'));
    const before = openTempSpillFileCount();
    const controller = new AbortController();
    const model = darkIsWater(100, { onBatch: (ids) => ids.includes('r1c0') && controller.abort() });
    await expect(segmentScene(memoryScene(300, 260, lake), model, { ...spilled(spillDir), signal: controller.signal })).rejects.toBeInstanceOf(CancelledError);
    expect(openTempSpillFileCount()).toBe(before);
    expect(readdirSync(spillDir)).toEqual([]);
  });
});
