/** The summary's tiles/s is the rate the last progress event showed (tile phase), not diluted by vectorizing. */
import { expect, it } from 'vitest';
import { segmentScene, type SegmentProgress } from '../../src/pipeline/segmentScene.ts';
import { darkIsWater, memoryScene } from './memoryScene.ts';

it('summary.tilesPerSecond equals the last progress rate; tileSeconds ≤ seconds', async () => {
  const progress: SegmentProgress[] = [];
  const scene = memoryScene(300, 260, (x, y) => ((x - 130) ** 2 + (y - 115) ** 2 <= 3600 ? 50 : 200));
  const { summary } = await segmentScene(scene, darkIsWater(100), { overlap: 16, onProgress: (p) => progress.push(p) });
  expect(summary.tilesPerSecond).toBeGreaterThan(0);
  expect(summary.tilesPerSecond).toBe(progress.at(-1)!.tilesPerSecond);
  expect(summary.tileSeconds).toBeGreaterThan(0);
  expect(summary.tileSeconds).toBeLessThanOrEqual(summary.seconds);
});
