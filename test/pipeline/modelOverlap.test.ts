/**
 * A model may declare the tile overlap it was judged at (a U-Net manifest's `tiling.overlap`): the pipeline tiles
 * with it wherever the user gave none, and an overlap the user gives still wins.
 */
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ModelError } from '../../src/core/errors.ts';
import { chosenOverlap, DEFAULT_OVERLAP, planTileGrid } from '../../src/core/grid/tileGrid.ts';
import type { Segmenter } from '../../src/core/model/segmenter.ts';
import { builtinUnetDir } from '../../src/adapters/onnx/builtinUnets.ts';
import { readUnetModel } from '../../src/adapters/onnx/unetModelDir.ts';
import { loadUnetSegmenter } from '../../src/adapters/onnx/unetSegmenter.ts';
import { segmentScene } from '../../src/pipeline/segmentScene.ts';
import { darkIsWater, memoryScene } from './memoryScene.ts';

const withOverlap = (overlap: number | undefined): Segmenter => {
  const inner = darkIsWater(100, { tileSize: 128 });
  return { ...inner, info: { ...inner.info, ...(overlap === undefined ? {} : { tileOverlap: overlap }) } };
};

describe('chosenOverlap', () => {
  it('takes the user\'s overlap, else the model\'s, else the default — 0 is an answer, not a gap', () => {
    expect(chosenOverlap(16, 96)).toBe(16);
    expect(chosenOverlap(0, 96)).toBe(0);
    expect(chosenOverlap(undefined, 96)).toBe(96);
    expect(chosenOverlap(undefined, 0)).toBe(0);
    expect(chosenOverlap(undefined, undefined)).toBe(DEFAULT_OVERLAP);
  });
});

describe('segmentScene with a model that declares its overlap', () => {
  // 300 x 200 px, a dark lake on the left third: water at 128 px tiles whatever the overlap
  const scene = () => memoryScene(300, 200, (x) => (x < 100 ? 50 : 200));

  it('tiles at the model\'s overlap when none is given: more tiles, recorded in the provenance', async () => {
    const model = withOverlap(60);
    const { collection } = await segmentScene(scene(), model, { minAreaM2: 0 });
    const grid = planTileGrid({ width: 300, height: 200, tileSize: 128, overlap: 60 });
    expect(collection.waterline.overlap).toBe(60);
    expect(collection.waterline.tilesTotal).toBe(grid.tiles.length);
    expect(grid.tiles.length).toBeGreaterThan(planTileGrid({ width: 300, height: 200, tileSize: 128 }).tiles.length);
    // the lake's area does not depend on the grid: 100 x 200 px
    expect(collection.features.reduce((s, f) => s + f.properties.pixel_count, 0)).toBe(100 * 200);
  });

  it('an overlap given by the caller wins over the model\'s (0 included)', async () => {
    for (const overlap of [0, 16]) {
      const { collection } = await segmentScene(scene(), withOverlap(40), { overlap, minAreaM2: 0 });
      expect(collection.waterline.overlap).toBe(overlap);
      expect(collection.waterline.tilesTotal).toBe(planTileGrid({ width: 300, height: 200, tileSize: 128, overlap }).tiles.length);
    }
  });

  it('a model that declares nothing tiles at the default', async () => {
    const { collection } = await segmentScene(scene(), withOverlap(undefined), { minAreaM2: 0 });
    expect(collection.waterline.overlap).toBe(DEFAULT_OVERLAP);
  });
});

describe('a U-Net manifest\'s tiling.overlap', () => {
  const dirs: string[] = [];
  const copyOf = (name: 'waterline-unet-v1' | 'waterline-unet9', edit: (m: Record<string, unknown>) => void): string => {
    const dir = mkdtempSync(join(tmpdir(), 'unet-tiling-'));
    dirs.push(dir);
    if (name === 'waterline-unet9') {
      // an ensemble: members beside it, as in models/
      cpSync(builtinUnetDir('waterline-unet-v1'), join(dir, 'unet'), { recursive: true });
      cpSync(builtinUnetDir(name), join(dir, 'ens'), { recursive: true });
      const manifest = JSON.parse(readFileSync(join(dir, 'ens', 'manifest.json'), 'utf8'));
      manifest.members = ['../unet', '../unet'];
      edit(manifest);
      writeFileSync(join(dir, 'ens', 'manifest.json'), JSON.stringify(manifest));
      return join(dir, 'ens');
    }
    cpSync(builtinUnetDir(name), dir, { recursive: true });
    const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8'));
    edit(manifest);
    writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest));
    return dir;
  };
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });

  it('reaches the segmenter\'s info, for a single graph and for an ensemble (its own, not its members\')', async () => {
    const single = copyOf('waterline-unet-v1', (m) => { m.tiling = { overlap: 96 }; });
    expect(readUnetModel(single).tileOverlap).toBe(96);
    const ensemble = copyOf('waterline-unet9', (m) => { m.tiling = { overlap: 64 }; });
    expect(readUnetModel(ensemble).tileOverlap).toBe(64);
    const unet = await loadUnetSegmenter({ device: 'cpu', modelPath: single, intraOpNumThreads: 1 });
    try {
      expect(unet.info.tileOverlap).toBe(96);
    } finally {
      await unet.dispose();
    }
  });

  it('waterline-unet11 declares the overlap its figures were judged at (64)', () => {
    expect(readUnetModel(builtinUnetDir('waterline-unet11')).tileOverlap).toBe(64);
  });

  it('is absent from the built-ins that declare none (they run at the pipeline\'s default)', () => {
    expect(readUnetModel(builtinUnetDir('waterline-unet9')).tileOverlap).toBeUndefined();
    expect(readUnetModel(builtinUnetDir('waterline-unet-v1')).tileOverlap).toBeUndefined();
  });

  it('an overlap the grid cannot take is a ModelError naming the manifest and the field', () => {
    for (const bad of [-1, 12.5, 500, '96']) {
      const dir = copyOf('waterline-unet-v1', (m) => { m.tiling = { overlap: bad }; });
      expect(() => readUnetModel(dir)).toThrow(ModelError);
      expect(() => readUnetModel(dir)).toThrow(/manifest\.json: tiling\.overlap/);
    }
  });
});
