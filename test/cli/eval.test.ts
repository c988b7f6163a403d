import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { beforeAll, expect, it } from 'vitest';
import { main } from '../../src/cli/main.ts';
import { readEnvConfig } from '../../src/config.ts';
import { silentLogger } from '../../src/logger.ts';
import type { ModelTile, Segmenter } from '../../src/core/model/segmenter.ts';
import { builtinUnetDir } from '../../src/adapters/onnx/builtinUnets.ts';
import { evaluatePairs } from '../../src/pipeline/evaluate.ts';
import { readStretchedMaskGrey } from '../../src/adapters/images/stretchedImageFiles.ts';
import { describeShared, sharedData } from '../helpers/shared.ts';

function sink(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  return {
    stream: new Writable({ write(chunk, _enc, cb) { chunks.push(String(chunk)); cb(); } }),
    text: () => chunks.join(''),
  };
}

async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = sink();
  const err = sink();
  const env = { ...readEnvConfig({}), model: undefined, device: 'cpu' };
  const code = await main(argv, { env, logger: silentLogger, stdout: out.stream, stderr: err.stream, isTTY: false });
  return { code, stdout: out.text(), stderr: err.text() };
}

describeShared('waterline eval on shared water-bodies pairs', () => {
  const dir = join(sharedData, 'water-bodies');
  // Six fixed images from the validation split, linked (not copied) into a temp directory; one extra image has no mask.
  const names = readFileSync(join(builtinUnetDir('waterline-unet-v1'), 'val_split.txt'), 'utf8').split('\n').filter(Boolean).slice(0, 6);
  const tmp = mkdtempSync(join(tmpdir(), 'waterline-eval-'));
  const images = join(tmp, 'images');
  const masks = join(tmp, 'masks');
  beforeAll(() => {
    mkdirSync(images);
    mkdirSync(masks);
    for (const n of names) {
      symlinkSync(join(dir, 'images', n), join(images, n));
      symlinkSync(join(dir, 'masks', n), join(masks, n.replace(/\.jpg$/, '.jpeg')));
    }
    const orphan = readFileSync(join(builtinUnetDir('waterline-unet-v1'), 'val_split.txt'), 'utf8').split('\n')[10];
    symlinkSync(join(dir, 'images', orphan), join(images, orphan));
  });

  it('--json prints iou, f1, precision, recall and count for the built-in U-Net', async () => {
    const r = await run(['eval', '--images', images, '--masks', masks, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const result = JSON.parse(r.stdout) as Record<string, number | string>;
    for (const k of ['iou', 'f1', 'precision', 'recall']) {
      expect(typeof result[k]).toBe('number');
      expect(result[k] as number).toBeGreaterThan(0.3);
      expect(result[k] as number).toBeLessThanOrEqual(1);
    }
    expect(result.count).toBe(6);
    expect(result.unmatched).toBe(1);
    expect(result.model).toBe('waterline-unet');
    expect(result.f1).toBeCloseTo((2 * (result.iou as number)) / (1 + (result.iou as number)), 10);
    expect(r.stderr).toMatch(/eval: 6\/6 pairs \(100%\)/);
  });

  it('prints a readable report without --json', async () => {
    const r = await run(['eval', '--images', images, '--masks', masks, '--model', 'waterline-unet']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/IoU\s+0\.\d{4}/);
    expect(r.stdout).toMatch(/micro-averaged/);
  });

  it('scores 1 when the model returns the masks themselves (pairing and resizing are consistent)', async () => {
    const oracle: Segmenter = {
      info: { name: 'oracle', kind: 'test', inputSize: 224, provider: 'cpu', usesPrompt: false },
      async segment(tiles: ModelTile[]) {
        return Promise.all(tiles.map(async (t) => {
          const m = await readStretchedMaskGrey(join(dir, 'masks', `${t.id}.jpg`), t.size);
          return { tileId: t.id, probability: Float32Array.from(m, (v) => v / 255), defects: [] };
        }));
      },
      async dispose() {},
    };
    const result = await evaluatePairs(images, masks, { segmenter: oracle, batchSize: 4 });
    expect(result).toMatchObject({ iou: 1, f1: 1, precision: 1, recall: 1, count: 6, fp: 0, fn: 0 });
    expect(result.pixels).toBe(6 * 224 * 224);
  });

  it('a model that cannot load, or directories without pairs, give a one-line error', async () => {
    const bad = await run(['eval', '--images', images, '--masks', masks, '--model', '/nonexistent/model']);
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/^error: model "\/nonexistent\/model" is not a directory/);
    const none = await run(['eval', '--images', images, '--masks', join(tmp, 'nothing-here')]);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/masks directory not found/);
  });
});

describeShared('waterline eval --scene --mask', () => {
  const scene = join(sharedData, 'scenes', 'aerial-guadeloupe-allwater-3857.tif');
  const tmp = mkdtempSync(join(tmpdir(), 'waterline-eval-scene-'));
  const mask = join(tmp, 'allwater.tif');
  beforeAll(() => {
    // The scene is 100 % sea (OSM agrees): a constant-1 raster on its grid is the truth.
    execFileSync('gdal_translate', ['-q', '-b', '1', '-ot', 'Byte', '-scale', '0', '255', '1', '1', scene, mask]);
  });

  it('scores the full pipeline on a scene: all-water truth gives precision 1 and recall = IoU', async () => {
    const r = await run(['eval', '--scene', scene, '--mask', mask, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const m = JSON.parse(r.stdout) as Record<string, number>;
    expect(m.count).toBe(1);
    expect(m.pixels).toBe(512 * 512);
    expect(m.fp).toBe(0);
    expect(m.precision).toBe(1);
    expect(m.recall).toBeCloseTo(m.iou, 12);
    expect(m.iou).toBeGreaterThan(0);
    expect(m.iou).toBeLessThanOrEqual(1);
  });

  it('refuses a mask on another grid, and half-given inputs', async () => {
    const other = join(sharedData, 'scenes', 'world-rgb-4326.tif');
    const r = await run(['eval', '--scene', scene, '--mask', other]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/is 512x256 but the scene .* is 512x512/);
    const half = await run(['eval', '--scene', scene]);
    expect(half.code).toBe(1);
    expect(half.stderr).toMatch(/--scene FILE --truth FILE/);
  });
});
