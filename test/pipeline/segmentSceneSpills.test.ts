/**
 * segmentScene's temporary files (the probability rows and the water mask, spilled to disk when large) are removed
 * however the run ends: finished, a sink that throws, or cancelled.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CancelledError } from '../../src/core/errors.ts';
import { segmentScene } from '../../src/pipeline/segmentScene.ts';
import { darkIsWater, memoryScene } from './memoryScene.ts';

const root = mkdtempSync(join(tmpdir(), 'waterline-scenespills-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const lake = (x: number, y: number) => ((x + 0.5 - 130) ** 2 + (y + 0.5 - 115) ** 2 <= 60 * 60 ? 50 : 200);
/** Both spilled (no memory allowed), in a directory of the test's own. */
const spilled = (spillDir: string) => ({ overlap: 16, batch: 2, probabilityMemoryBytes: 0, maskMemoryBytes: 0, spillDir });

describe('segmentScene temporary files', () => {
  it('spills the probability and the mask while it runs and removes both when it finishes', async () => {
    const spillDir = mkdtempSync(join(root, 'done-'));
    const seen: number[] = [];
    const { collection } = await segmentScene(memoryScene(300, 260, lake), darkIsWater(100), { ...spilled(spillDir), onProgress: () => seen.push(readdirSync(spillDir).length) });
    expect(collection.features).toHaveLength(1);
    expect(Math.max(...seen)).toBe(2);
    expect(readdirSync(spillDir)).toEqual([]);
  });

  it('removes both when the feature sink throws', async () => {
    const spillDir = mkdtempSync(join(root, 'sink-'));
    const features = {
      add: () => {
        throw new Error('the output disk is full');
      },
    };
    await expect(segmentScene(memoryScene(300, 260, lake), darkIsWater(100), { ...spilled(spillDir), features })).rejects.toThrow('the output disk is full');
    expect(readdirSync(spillDir)).toEqual([]);
  });

  it('removes both when cancelled', async () => {
    const spillDir = mkdtempSync(join(root, 'cancel-'));
    const controller = new AbortController();
    const model = darkIsWater(100, { onBatch: (ids) => ids.includes('r1c0') && controller.abort() });
    await expect(segmentScene(memoryScene(300, 260, lake), model, { ...spilled(spillDir), signal: controller.signal })).rejects.toBeInstanceOf(CancelledError);
    expect(readdirSync(spillDir)).toEqual([]);
  });
});
