/**
 * Water change on the real pairs of ../shared/data/scenes (NAIP Dakota 2009/2015, 5 m UTM, grids 2 m and one row
 * apart; Landsat Pucallpa 1985/2020, lon/lat). The model is a deterministic brightness threshold (darkIsWater on
 * the NIR or SWIR band, where water is dark) because the point here is geometry: class bookkeeping, resampling,
 * areas. The real U-Net runs once, in test/cli/change.test.ts.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bbox as turfBbox, booleanPointInPolygon, area as turfArea, featureCollection, intersect, polygon as turfPolygon } from '@turf/turf';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCrsTransform } from '../../src/adapters/raster/crs.ts';
import { openScene } from '../../src/adapters/raster/openScene.ts';
import { InputError } from '../../src/core/errors.ts';
import { applyGeoTransform } from '../../src/core/grid/affine.ts';
import type { SceneInfo } from '../../src/core/scene.ts';
import { changeScenes, type ChangeResult, type SceneModel } from '../../src/pipeline/changeScenes.ts';
import { sceneTileKey, tilesByScene } from '../../src/pipeline/jobRunner.ts';
import { segmentScene } from '../../src/pipeline/segmentScene.ts';
import { describeShared, scenePath } from '../helpers/shared.ts';
import { darkIsWater } from './memoryScene.ts';

const hasGdalwarp = existsSync('/usr/bin/gdalwarp');

interface Pair {
  name: string;
  a: string;
  b: string;
  /** The band where water is dark (grey picture for the threshold model). */
  band: number;
  cut: number;
  /** gdalwarp target for B: another CRS and resolution. */
  warp: string[];
}

const PAIRS: Pair[] = [
  { name: 'NAIP Dakota 2009 → 2015', a: 'naip-dakota-2009-rgbn-cog.tif', b: 'naip-dakota-2015-rgbn-cog.tif', band: 4, cut: 60, warp: ['-t_srs', 'EPSG:32614', '-tr', '7', '7'] },
  { name: 'Landsat Pucallpa 1985 → 2020', a: 'landsat5-pucallpa-1985-4326.tif', b: 'landsat8-pucallpa-2020-4326.tif', band: 1, cut: 60, warp: ['-t_srs', 'EPSG:32718', '-tr', '120', '120'] },
];

function thresholdModel(pair: Pair) {
  const segmenter = darkIsWater(pair.cut, { tileSize: 224 });
  const model: SceneModel = {
    options: { overlap: 32, batch: 8 },
    forScene: async () => ({ segmenter, bands: [pair.band] }),
  };
  return { segmenter, model };
}

/** A scene's footprint as a lon/lat polygon (edges densified). */
function footprint(info: SceneInfo) {
  const t = createCrsTransform(info.crs);
  const ring: [number, number][] = [];
  const n = 64;
  const edge = (c0: number, r0: number, c1: number, r1: number) => {
    for (let k = 0; k < n; k++) {
      const [x, y] = applyGeoTransform(info.geoTransform, c0 + ((c1 - c0) * k) / n, r0 + ((r1 - r0) * k) / n);
      ring.push(t.toWgs84(x, y));
    }
  };
  edge(0, 0, info.width, 0);
  edge(info.width, 0, info.width, info.height);
  edge(info.width, info.height, 0, info.height);
  edge(0, info.height, 0, 0);
  ring.push(ring[0]);
  return turfPolygon([ring]);
}

/** Area (m²) of `segment`'s water polygons of one scene inside another scene's footprint. */
async function segmentWaterInside(path: string, pair: Pair, other: SceneInfo): Promise<number> {
  const scene = await openScene(path);
  try {
    const { collection } = await segmentScene(scene, darkIsWater(pair.cut, { tileSize: 224 }), { overlap: 32, batch: 8, bands: [pair.band], minAreaM2: 0 });
    const clip = footprint(other);
    let total = 0;
    for (const f of collection.features) {
      // the footprint is (nearly) convex: a feature whose bbox corners are all inside it is inside it
      const [w, s, e, n] = turfBbox(f);
      if ([[w, s], [w, n], [e, s], [e, n]].every((p) => booleanPointInPolygon(p, clip))) {
        total += turfArea(f);
        continue;
      }
      const part = intersect(featureCollection([f, clip]));
      if (part) total += turfArea(part);
    }
    return total;
  } finally {
    await scene.close();
  }
}

const km2 = (r: ChangeResult, c: string) => r.summary.classes.find((k) => k.class === c)!.areaKm2;

describeShared('change on the real pairs', () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'waterline-change-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  for (const pair of PAIRS) {
    it(`${pair.name}: permanent + lost = water of A and permanent + gained = water of B on the common valid area (0.5 %)`, async () => {
      const { model } = thresholdModel(pair);
      const progress: number[] = [];
      let total = 0;
      const r = await changeScenes({ kind: 'scene', path: scenePath(pair.a) }, { kind: 'scene', path: scenePath(pair.b) }, {
        model,
        minAreaM2: 0,
        onProgress: (p) => {
          progress.push(p.tilesDone);
          total = p.tilesTotal;
        },
      });
      // progress runs over both dates' tiles, monotonically, to the total
      expect(progress.at(-1)).toBe(total);
      for (let i = 1; i < progress.length; i++) expect(progress[i]).toBeGreaterThanOrEqual(progress[i - 1]);
      const infoA = r.dateA.info;
      const infoB = r.dateB.info;
      // water of each date from plain `segment` of that date alone, clipped to the other date's footprint
      const waterA = (await segmentWaterInside(scenePath(pair.a), pair, infoB)) / 1e6;
      const waterB = (await segmentWaterInside(scenePath(pair.b), pair, infoA)) / 1e6;
      expect(waterA).toBeGreaterThan(1);
      expect(waterB).toBeGreaterThan(1);
      expect(Math.abs((km2(r, 'permanent') + km2(r, 'lost')) / waterA - 1)).toBeLessThan(0.005);
      expect(Math.abs((km2(r, 'permanent') + km2(r, 'gained')) / waterB - 1)).toBeLessThan(0.005);
      // the polygons carry the same areas as the summary
      for (const c of ['permanent', 'gained', 'lost']) {
        const polygons = r.collection.features.filter((f) => f.properties.class === c).reduce((s, f) => s + f.properties.area_m2, 0) / 1e6;
        expect(Math.abs(polygons / km2(r, c) - 1)).toBeLessThan(0.001);
      }
      expect(r.collection.waterline).toMatchObject({ kind: 'change', summary: r.summary, grid: 'A' });
    }, 120_000);

    it.skipIf(!hasGdalwarp)(`${pair.name}: B warped by gdalwarp to another CRS and resolution gives the same class areas${hasGdalwarp ? '' : ' [skipped: gdalwarp not found; apt install gdal-bin]'}`, async () => {
      const warped = join(dir, `warped-${pair.b}`);
      execFileSync('gdalwarp', ['-q', '-overwrite', '-r', 'near', ...pair.warp, '-dstnodata', '0', scenePath(pair.b), warped], { stdio: 'ignore' });
      const plain = await changeScenes({ kind: 'scene', path: scenePath(pair.a) }, { kind: 'scene', path: scenePath(pair.b) }, { model: thresholdModel(pair).model });
      const moved = await changeScenes({ kind: 'scene', path: scenePath(pair.a) }, { kind: 'scene', path: warped }, { model: thresholdModel(pair).model });
      expect(moved.dateB.info.crs.epsg).not.toBe(plain.dateB.info.crs.epsg);
      // Stated tolerance: two nearest resamplings (gdalwarp, then back onto A) move class boundaries by up to half
      // a pixel of the coarser grid, so each class may change by its boundary length x that; measured: NAIP (5 m →
      // 7 m UTM 14N) ≤ 0.003 km², Pucallpa (90 m lon/lat → 120 m UTM 18S) ≤ 1.34 km² (3.8 % of permanent).
      // Asserted: every class within 0.25 % of the common valid area, and classes covering ≥ 1 % of it within 5 % of
      // their own area.
      const common = plain.summary.commonValidKm2;
      for (const c of ['permanent', 'gained', 'lost']) {
        const d = Math.abs(km2(moved, c) - km2(plain, c));
        expect(d / common).toBeLessThan(0.0025);
        if (km2(plain, c) >= 0.01 * common) expect(d / km2(plain, c)).toBeLessThan(0.05);
      }
      expect(Math.abs(moved.summary.commonValidKm2 / common - 1)).toBeLessThan(0.01);
    }, 120_000);
  }

  it('resumes from stored tiles of both dates (job keys A:/B:) without mapping them again, to the same result', async () => {
    const pair = PAIRS[1];
    const stored = new Map<string, Float32Array>();
    const full = await changeScenes({ kind: 'scene', path: scenePath(pair.a) }, { kind: 'scene', path: scenePath(pair.b) }, {
      model: thresholdModel(pair).model,
      onTileDone: (date, tileId, p) => void stored.set(sceneTileKey(date, tileId), p.slice()),
    });
    expect([...stored.keys()].filter((k) => k.startsWith('A:'))).toHaveLength(8);
    expect([...stored.keys()].filter((k) => k.startsWith('B:'))).toHaveLength(8);
    // an interrupted job: all of A and 3 tiles of B stored
    const kept = new Map([...stored].filter(([k]) => k.startsWith('A:') || ['B:r0c0', 'B:r0c1', 'B:r1c2'].includes(k)));
    const [doneA, doneB] = tilesByScene(kept, 2);
    const { segmenter, model } = thresholdModel(pair);
    const resumed = await changeScenes({ kind: 'scene', path: scenePath(pair.a) }, { kind: 'scene', path: scenePath(pair.b) }, { model, completed: [doneA, doneB] });
    expect(segmenter.calls.flat().sort()).toEqual(['r0c2', 'r0c3', 'r1c0', 'r1c1', 'r1c3']);
    expect(resumed.summary).toEqual(full.summary);
  });

  it('scenes that do not overlap: one clear error, before any model runs', async () => {
    const { segmenter, model } = thresholdModel(PAIRS[0]);
    const run = changeScenes({ kind: 'scene', path: scenePath(PAIRS[0].a) }, { kind: 'scene', path: scenePath(PAIRS[1].b) }, { model });
    await expect(run).rejects.toThrow(InputError);
    await expect(run).rejects.toMatchObject({ code: 'scenes_do_not_overlap', message: expect.stringMatching(/naip-dakota-2009-rgbn-cog\.tif and .*landsat8-pucallpa-2020-4326\.tif do not overlap/) });
    expect(segmenter.calls).toHaveLength(0);
  });
});
