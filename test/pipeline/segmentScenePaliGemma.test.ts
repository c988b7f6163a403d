/**
 * The pipeline with the scripted tiny PaliGemma (test tool) on a crop of a real scene: a garbled model
 * answer becomes a reported defect, never a polygon.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { loadSegmenter } from '../../src/adapters/onnx/loadSegmenter.ts';
import { openScene } from '../../src/adapters/raster/openScene.ts';
import { segmentScene } from '../../src/pipeline/segmentScene.ts';
import { describeShared, scenePath } from '../helpers/shared.ts';
import { scriptedPaliGemma } from '../helpers/tinyModels.ts';
import { fillVaePath } from '../helpers/vaeFixture.ts';

describeShared('segmentScene with a scripted PaliGemma', () => {
  const dir = mkdtempSync(join(tmpdir(), 'waterline-pg-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a garbled answer (5 seg codes after the box) is reported as a defect per tile and draws nothing', async () => {
    const crop = join(dir, 'crop.tif');
    execFileSync('gdal_translate', ['-q', '-srcwin', '40', '40', '84', '56', scenePath('landsat8-stlawrence-rgb16-4326-cog.tif'), crop]);
    const garbled = '<loc0000><loc0000><loc1023><loc1023><seg001><seg002><seg003><seg004><seg005> water';
    const segmenter = await loadSegmenter({
      model: scriptedPaliGemma(garbled),
      device: 'cpu',
      vaePath: fillVaePath(),
      modelsDir: join(dir, 'models'),
      paligemma: { grammar: false },
    });
    const scene = await openScene(crop);
    try {
      const { collection, summary } = await segmentScene(scene, segmenter, { overlap: 0, batch: 4 });
      expect(collection.features).toHaveLength(0);
      const inferred = summary.tilesTotal - summary.tilesSkipped;
      expect(inferred).toBeGreaterThan(0);
      expect(summary.tilesFailed).toBe(0);
      expect(summary.defects.filter((d) => d.kind === 'wrong_seg_count')).toHaveLength(inferred);
      expect(collection.waterline.defects).toEqual(summary.defects);
      expect(collection.waterline.defects![0].tileId).toMatch(/^r\d+c\d+$/);
    } finally {
      await scene.close();
      await segmenter.dispose();
    }
  }, 60_000);
});
