/**
 * A black collar without a declared nodata value (core/bands/blackCollar.ts): the corner rule, a synthetic
 * rotated footprint, and the real Atlanta scene, whose segmentation must equal that of the same file with
 * nodata 0 declared by GDAL.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { COLLAR_CORNER_PX, hasBlackCollar, isBlackCorner } from '../../src/core/bands/blackCollar.ts';
import type { RasterWindow } from '../../src/core/rasterWindow.ts';
import { openImagery, openScene } from '../../src/adapters/raster/openScene.ts';
import type { WaterCollection } from '../../src/core/vector/waterCollection.ts';
import { describeShared, scenePath } from '../helpers/shared.ts';
import { runCli } from '../helpers/runCli.ts';
import { syntheticTiff } from './syntheticTiff.ts';

const corner = (values: number[][]): RasterWindow => ({
  width: 2,
  height: 2,
  bands: values.map((v) => Uint8Array.from(v)),
  valid: new Uint8Array(4).fill(1),
});
const BLACK = corner([[0, 0, 0, 0], [0, 0, 0, 0]]);
const DARK = corner([[0, 0, 0, 0], [0, 0, 1, 0]]); // one sample of one band is not 0

describe('the corner rule', () => {
  it('needs every sample of every band of a corner to be exactly 0', () => {
    expect(isBlackCorner(BLACK)).toBe(true);
    expect(isBlackCorner(DARK)).toBe(false);
    expect(isBlackCorner({ width: 0, height: 0, bands: [new Uint8Array(0)], valid: new Uint8Array(0) })).toBe(false);
  });

  it('calls a scene collared from two black corners of four', () => {
    expect(hasBlackCollar([BLACK, BLACK, BLACK, BLACK])).toBe(true);
    expect(hasBlackCollar([BLACK, DARK, DARK, BLACK])).toBe(true);
    expect(hasBlackCollar([BLACK, DARK, DARK, DARK])).toBe(false);
    expect(hasBlackCollar([DARK, DARK, DARK, DARK])).toBe(false);
  });
});

/** A 64² one-band scene: a diamond footprint of 100 (with a dark 0 pond inside) in a collar of 0. */
function diamondScene(blackCorners = 4): Buffer {
  const size = 64;
  const buf = syntheticTiff({ width: size, height: size });
  const at = buf.length - size * size;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const inside = Math.abs(x - 31.5) + Math.abs(y - 31.5) <= 32;
      const pond = (x - 32) ** 2 + (y - 32) ** 2 < 16;
      buf[at + y * size + x] = inside && !pond ? 100 : 0;
    }
  }
  // corners made data (grey) one by one, from the bottom right
  const fill = (x0: number, y0: number) => {
    for (let y = y0; y < y0 + COLLAR_CORNER_PX; y++) for (let x = x0; x < x0 + COLLAR_CORNER_PX; x++) buf[at + y * size + x] = 90;
  };
  const corners: [number, number][] = [[56, 56], [0, 56], [56, 0], [0, 0]];
  for (const [x, y] of corners.slice(0, 4 - blackCorners)) fill(x, y);
  return buf;
}

describe('openImagery: the black collar (synthetic)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'waterline-collar-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the collar as nodata 0 for imagery, and leaves masks alone', async () => {
    const file = join(dir, 'diamond.tif');
    writeFileSync(file, diamondScene());
    const imagery = await openImagery(file);
    expect(imagery.info.blackCollar).toBe(true);
    expect(imagery.info.bands[0].noDataValue).toBe(0);
    const r = await imagery.readWindow({ x: 0, y: 0, width: 64, height: 64 });
    await imagery.close();
    for (let p = 0; p < r.valid.length; p++) expect(r.valid[p]).toBe(r.bands[0][p] === 0 ? 0 : 1);
    // a label raster's 0 is land: without the option nothing is guessed
    const mask = await openScene(file);
    expect(mask.info.blackCollar).toBeUndefined();
    expect(mask.info.bands[0].noDataValue).toBeNull();
    expect((await mask.readWindow({ x: 0, y: 0, width: 64, height: 64 })).valid.every((v) => v === 1)).toBe(true);
    await mask.close();
  });

  it('keeps 0 as data in a label raster: vectorize --value 0 traces the collar and the pond', async () => {
    const file = join(dir, 'labels.tif');
    writeFileSync(file, diamondScene());
    const out = join(dir, 'zeros.geojson');
    const r = await runCli(['vectorize', file, '-o', out, '--value', '0']);
    expect(r.code, r.stderr).toBe(0);
    const features = (JSON.parse(readFileSync(out, 'utf8')) as WaterCollection).features;
    // four corner wedges and the pond: 5 polygons of 0 (4-connectivity keeps the wedges apart at the diamond's tips)
    expect(features.length).toBe(5);
  });

  it('needs two black corners', async () => {
    for (const [black, collar] of [[2, true], [1, false], [0, false]] as const) {
      const file = join(dir, `corners-${black}.tif`);
      writeFileSync(file, diamondScene(black));
      const scene = await openImagery(file);
      expect(scene.info.blackCollar === true, `${black} black corners`).toBe(collar);
      await scene.close();
    }
  });
});

const hasGdal = existsSync('/usr/bin/gdal_translate');

describeShared('the Atlanta collar (real scene, default model)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'waterline-atlanta-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('segments exactly as the same file with nodata 0 declared by GDAL', async (t) => {
    if (!hasGdal) return t.skip('gdal-bin (gdal_translate) not installed');
    const original = scenePath('atlanta-pan-stateplane-collar.tif');
    const declared = join(dir, 'atlanta-nodata0.tif');
    execFileSync('gdal_translate', ['-q', '-a_nodata', '0', original, declared]);
    const outputs: WaterCollection[] = [];
    for (const [scene, out] of [[original, join(dir, 'a.geojson')], [declared, join(dir, 'b.geojson')]]) {
      const run = await runCli(['segment', scene, '-o', out]);
      expect(run.code, run.stderr).toBe(0);
      outputs.push(JSON.parse(readFileSync(out, 'utf8')) as WaterCollection);
      if (scene === original) expect(run.stderr).toContain('black collar read as nodata');
      else expect(run.stderr).not.toContain('black collar');
    }
    const [auto, gdal] = outputs;
    expect(auto.waterline.blackCollar).toBe(true);
    expect(gdal.waterline.blackCollar).toBeUndefined();
    expect(auto.features.map((f) => f.geometry)).toEqual(gdal.features.map((f) => f.geometry));
    expect(auto.features.map((f) => f.properties.area_m2)).toEqual(gdal.features.map((f) => f.properties.area_m2));
    // the collar holds 9.5 % of the scene; read as image it came out as 0.72 km² of border "water"
    const area = auto.features.reduce((s, f) => s + f.properties.area_m2, 0);
    expect(area).toBeLessThan(0.3e6);
  });
});
