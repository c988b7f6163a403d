import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { readEnvConfig } from '../../src/config.ts';
import { openScene, type Scene } from '../../src/adapters/raster/openScene.ts';
import { loadSegmentationVae, type SegmentationVae } from '../../src/adapters/vae/segmentationVae.ts';
import { decodeInstancesToTileMasks } from '../../src/adapters/vae/decodeInstanceMasks.ts';
import { findWaterRegions } from '../../src/core/masks/waterRegions.ts';
import { parseSegmentationText } from '../../src/core/tokens/segmentationParser.ts';
import { planTileGrid } from '../../src/core/grid/tileGrid.ts';
import { waterMasksFromGeoJson, waterMasksFromRaster } from '../../src/pipeline/sceneWaterMasks.ts';
import { describeShared, sharedData } from '../helpers/shared.ts';
import { fillVaePath } from '../helpers/vaeFixture.ts';
import { runCli } from '../helpers/runCli.ts';

const run = (args: string[]) => runCli(args, { env: readEnvConfig({}) });

const jsonl = (dir: string) => ['train.jsonl', 'val.jsonl'].flatMap((f) => {
  try {
    return readFileSync(join(dir, f), 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l));
  } catch {
    return [];
  }
});
const count = (m: ArrayLike<number>) => {
  let n = 0;
  for (let i = 0; i < m.length; i++) if (m[i]) n++;
  return n;
};

describeShared('waterline prepare --scene (Landsat 8 Grenada + OSM sea polygons)', () => {
  const sceneTif = join(sharedData, 'scenes', 'landsat8-grenada-rgb16-utm20.tif');
  const seas = join(sharedData, 'osm-water', 'landsat8-grenada.osm_seas10m.geojson');
  const tmp = mkdtempSync(join(tmpdir(), 'prepare-scene-'));
  let scene: Scene;
  let vae: SegmentationVae;
  /** GDAL's rasterization of the same polygons on the scene grid (pixel centres, reprojected on the fly). */
  const gdalSameGrid = join(tmp, 'gdal-same-grid.tif');
  /** The same polygons rasterized by GDAL on a different grid: EPSG:4326, ~44 m cells. */
  const gdal4326 = join(tmp, 'gdal-4326.tif');

  beforeAll(async () => {
    scene = await openScene(sceneTif);
    vae = await loadSegmentationVae(fillVaePath(), { onWarning: () => {} });
    execFileSync('gdal_create', ['-q', '-if', sceneTif, '-bands', '1', '-ot', 'Byte', '-burn', '0', gdalSameGrid]);
    execFileSync('gdal_rasterize', ['-q', '-b', '1', '-burn', '1', seas, gdalSameGrid]);
    execFileSync('gdal_rasterize', ['-q', '-burn', '1', '-ot', 'Byte', '-tr', '0.0004', '0.0004', '-te', '-61.84', '11.96', '-61.56', '12.27', seas, gdal4326]);
  }, 60_000);
  afterAll(async () => {
    await scene?.close();
    await vae?.dispose();
  });

  it('rasterizes the OSM sea onto the scene grid: ~60% water, pixel-for-pixel with gdal_rasterize', async () => {
    const { width, height } = scene.info;
    const ours = await (await waterMasksFromGeoJson(seas, scene.info)).tileMask({ x: 0, y: 0, width, height }, Math.max(width, height));
    const gdal = (await (await openScene(gdalSameGrid)).readWindow({ x: 0, y: 0, width, height })).bands[0];
    let water = 0;
    let differ = 0;
    for (let r = 0; r < height; r++) {
      for (let c = 0; c < width; c++) {
        const v = ours[r * Math.max(width, height) + c];
        water += v;
        if (v !== (gdal[r * width + c] ? 1 : 0)) differ++;
      }
    }
    expect(water / (width * height)).toBeGreaterThan(0.57);
    expect(water / (width * height)).toBeLessThan(0.63);
    expect(differ).toBeLessThanOrEqual(10); // of 219,000 (0 with GDAL 3.6)
  });

  it('mask rasters: the same grid is copied exactly (--mask-value); an EPSG:4326 mask is warped onto the scene', async () => {
    const { width, height } = scene.info;
    const geo = await waterMasksFromGeoJson(seas, scene.info);
    const same = await waterMasksFromRaster(gdalSameGrid, scene.info, { maskValue: 1 });
    const warped = await waterMasksFromRaster(gdal4326, scene.info);
    const gdal = (await (await openScene(gdalSameGrid)).readWindow({ x: 0, y: 0, width, height })).bands[0];
    let inter = 0;
    let union = 0;
    for (const tile of planTileGrid({ width, height, tileSize: 224, overlap: 0 }).tiles) {
      const a = await same.tileMask(tile.window, 224);
      const g = await geo.tileMask(tile.window, 224);
      const w = await warped.tileMask(tile.window, 224);
      for (let r = 0; r < 224; r++) {
        for (let c = 0; c < 224; c++) {
          const inside = r < tile.window.height && c < tile.window.width;
          const expected = inside ? (gdal[(tile.window.y + r) * width + tile.window.x + c] ? 1 : 0) : 0;
          if (a[r * 224 + c] !== expected) throw new Error(`same-grid mask differs at ${tile.id} (${c},${r})`);
          if (g[r * 224 + c] || w[r * 224 + c]) union++;
          if (g[r * 224 + c] && w[r * 224 + c]) inter++;
        }
      }
    }
    expect(inter / union).toBeGreaterThan(0.97); // 44 m vs 60 m cells: only the coastline differs
    await same.close();
    await warped.close();
  });

  it('writes 224 px tiles + JSONL whose suffixes decode (fill VAE) to the union of the tile mask region boxes; resumes', async () => {
    const out = join(tmp, 'ds');
    const args = ['prepare', '--scene', sceneTif, '--water', seas, '--out', out, '--vae', fillVaePath(), '--val', '0.3', '--empty-ratio', '1'];
    const first = await run(args);
    expect(first.stderr).not.toMatch(/^error/m);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/wrote \d+ train \+ \d+ val examples \(\d+ water instances\) from 6 tiles .*water 59\.\d% of the valid pixels read; 0 already there, 0 nodata, 0 water-free skipped, 0 failed/);
    const lines = jsonl(out);
    expect(lines).toHaveLength(6);
    const geo = await waterMasksFromGeoJson(seas, scene.info);
    const grid = planTileGrid({ width: scene.info.width, height: scene.info.height, tileSize: 224, overlap: 0 });
    for (const line of lines) {
      expect(Object.keys(line)).toEqual(['image', 'prefix', 'suffix', 'scene', 'tile', 'window']);
      expect(line.prefix).toBe('segment water');
      const tile = grid.tiles.find((t) => t.id === line.tile)!;
      expect(line.window).toEqual([tile.window.x, tile.window.y, tile.window.width, tile.window.height]);
      expect(line.image).toBe(`images/landsat8-grenada-rgb16-utm20_${tile.id}.png`);
      const meta = await sharp(join(out, line.image)).metadata();
      expect([meta.width, meta.height, meta.format]).toEqual([224, 224, 'png']);

      const parsed = parseSegmentationText(line.suffix, { size: 224 });
      expect(parsed.defects).toEqual([]);
      const mask = await geo.tileMask(tile.window, 224);
      const { regions } = findWaterRegions(mask, 224, 224);
      expect(parsed.instances).toHaveLength(Math.min(10, regions.length));
      // expected: union of the kept (largest) regions' boxes
      const boxes = new Uint8Array(224 * 224);
      for (const { box } of regions.slice(0, 10)) for (let r = box.y0; r < box.y1; r++) boxes.fill(1, r * 224 + box.x0, r * 224 + box.x1);
      const decoded = await decodeInstancesToTileMasks(parsed.instances, 224, vae);
      expect(count(decoded.mask)).toBe(count(boxes));
      expect(decoded.mask.every((v, i) => v === boxes[i])).toBe(true);
      if (count(mask) > 0) expect(parsed.instances.length).toBeGreaterThan(0);
    }
    // the all-sea corner tile is one full-tile box; the partial edge tile r0c1 stops at the scene edge (214 px)
    expect(lines.find((l) => l.tile === 'r0c0').suffix).toMatch(/^<loc0000><loc0000><loc1023><loc1023>(<seg\d{3}>){16} water$/);
    expect(lines.find((l) => l.tile === 'r0c1').suffix).toMatch(/^<loc0000><loc0000><loc1023><loc0977>/);

    const again = await run(args);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/wrote 0 train \+ 0 val examples \(0 water instances\) from 6 tiles .* 6 already there/);
  }, 60_000);

  it('--mask-raster in another CRS gives the same dataset shape; bad inputs are reported, not fatal', async () => {
    const out = join(tmp, 'ds-raster');
    const r = await run(['prepare', '--scene', sceneTif, '--mask-raster', gdal4326, '--mask-value', '1', '--out', out, '--vae', fillVaePath(), '--empty-ratio', '1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/water (59|60|61)\.\d% of the valid pixels read/);
    const lines = jsonl(out);
    expect(lines).toHaveLength(6);
    for (const l of lines) expect(parseSegmentationText(l.suffix, { size: 224 }).defects).toEqual([]);

    // a GeoJSON with a point and a malformed ring next to the real polygons: warned, the rest used
    const doc = JSON.parse(readFileSync(seas, 'utf8'));
    doc.features.push({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: [-61.7, 12.1] } });
    doc.features.push({ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[[-61.7, 12.1], [-61.6]]] } });
    const messy = join(tmp, 'messy.geojson');
    writeFileSync(messy, JSON.stringify(doc));
    const m = await run(['prepare', '--scene', sceneTif, '--water', messy, '--out', join(tmp, 'ds-messy'), '--vae', fillVaePath(), '--empty-ratio', '1']);
    expect(m.code).toBe(0);
    expect(m.stderr).toMatch(/warning: .*messy\.geojson: skipped 2 non-polygon or malformed feature\(s\)/);
    expect(m.stdout).toMatch(/water 59\.\d%/);

    const missing = await run(['prepare', '--scene', sceneTif, '--water', join(tmp, 'nope.geojson'), '--out', join(tmp, 'x'), '--vae', fillVaePath()]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/cannot read water GeoJSON .*nope\.geojson/);
    const both = await run(['prepare', '--scene', sceneTif, '--water', seas, '--mask-raster', gdal4326, '--out', join(tmp, 'x'), '--vae', fillVaePath()]);
    expect(both.code).not.toBe(0);
    expect(both.stderr).toMatch(/exactly one water truth/);
    const mixed = await run(['prepare', '--scene', sceneTif, '--images', tmp, '--water', seas, '--out', join(tmp, 'x')]);
    expect(mixed.stderr).toMatch(/either --images DIR --masks DIR .* or --scene/);
  }, 60_000);

  it('a scene with a nodata collar (Landsat 7 Bahamas): all-nodata tiles skipped, water counted on valid pixels only (~85%)', async () => {
    const bahamas = join(sharedData, 'scenes', 'landsat7-bahamas-rgb-utm18.tif');
    const out = join(tmp, 'ds-bahamas');
    const r = await run(['prepare', '--scene', bahamas, '--water', join(sharedData, 'osm-water', 'landsat7-bahamas.osm_seas10m.geojson'), '--out', out, '--vae', fillVaePath(), '--empty-ratio', '1']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/from 16 tiles .* water 8[2-8]\.\d% of the valid pixels read; 0 already there, 2 nodata, 0 water-free skipped, 0 failed/);
    expect(jsonl(out)).toHaveLength(14);
  }, 60_000);
});
