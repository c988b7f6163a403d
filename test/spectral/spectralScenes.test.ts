/**
 * Water from every band on the real multispectral scenes: band roles, the spectral model, fusion, and the unimodal
 * guard — scored against OpenStreetMap water (coarse truth: coastlines good, inland water generalised).
 * Recife is held out of every choice of threshold rule and fusion weight (see docs/water-quality.md).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openScene } from '../../src/adapters/raster/openScene.ts';
import { defaultBands } from '../../src/pipeline/tileSource.ts';
import { runCli } from '../helpers/runCli.ts';
import { describeShared, scenePath, sharedData } from '../helpers/shared.ts';

const RECIFE = scenePath('landsat7-recife-6band-utm25s.tif');
const RECIFE_TRUTH = ['landsat7-recife.osm_seas10m.geojson', 'landsat7-recife.osm_waterbodies10m.geojson'].flatMap((f) => ['--truth', join(sharedData, 'osm-water', f)]);
const hasGdal = existsSync('/usr/bin/gdal_translate');
const PY = '/usr/bin/python3';

async function evalScene(scene: string, truth: string[], ...flags: string[]): Promise<{ iou: number; predictedWaterFraction: number; provenance: Record<string, unknown> }> {
  const r = await runCli(['eval', '--scene', scene, ...truth, '--json', ...flags]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout);
}

describeShared('band roles and the spectral water model on real scenes', () => {
  it('info shows each band role of the 6-band Landsat 7 scene (guessed from the count) and the 4-band NAIP', async () => {
    const r = await runCli(['info', RECIFE, '--json']);
    const bands = JSON.parse(r.stdout).bands as { role: string; roleSource: string }[];
    expect(bands.map((b) => b.role)).toEqual(['blue', 'green', 'red', 'nir', 'swir1', 'swir2']);
    expect(bands.every((b) => b.roleSource === 'band-count')).toBe(true);
    const text = await runCli(['info', scenePath('naip-dakota-2009-rgbn-cog.tif')]);
    expect(text.stdout).toMatch(/Band 4 [^\n]*\n(?:  [^\n]*\n)*?  Role: nir \(guessed from the band count/);
  });

  it('Recife, no flags: auto reaches IoU >= 0.85 against OSM, far above the learned model alone, level with the best index', async () => {
    const auto = await evalScene(RECIFE, RECIFE_TRUTH);
    const learned = await evalScene(RECIFE, RECIFE_TRUTH, '--model', 'waterline-unet', '--fusion', 'none');
    const mndwi = await evalScene(RECIFE, RECIFE_TRUTH, '--model', 'waterline-spectral');
    const ndwi = await evalScene(RECIFE, RECIFE_TRUTH, '--model', 'waterline-spectral', '--index', 'ndwi');
    expect(auto.iou).toBeGreaterThanOrEqual(0.85);
    expect(mndwi.iou).toBeGreaterThanOrEqual(0.85);
    expect(auto.iou).toBeGreaterThan(learned.iou + 0.2);
    expect(auto.iou).toBeGreaterThan(ndwi.iou);
    expect(auto.iou).toBeGreaterThan(Math.max(mndwi.iou, ndwi.iou) - 0.005);
    expect(auto.provenance.waterIndex).toMatchObject({ name: 'mndwi', bands: [2, 5], rolesGuessed: true, unimodal: false });
    expect(auto.provenance.fusion).toMatchObject({ modelWeight: 0.5 });
  }, 120_000);

  it('Pucallpa (SWIR1,NIR,Red,Green, undescribed): --band-roles gives MNDWI on bands 4 and 1; provenance and summary say so', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wl-spectral-'));
    const out = join(dir, 'w.geojson');
    const r = await runCli(['segment', scenePath('landsat8-pucallpa-2020-4326.tif'), '-o', out, '--model', 'waterline-spectral', '--band-roles', 'swir1=1,nir=2,red=3,green=4', '--min-area', '0']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/mndwi on bands 4,1 \(green=4,red=3,nir=2,swir1=1\), threshold -?\d/);
    const fc = JSON.parse(readFileSync(out, 'utf8'));
    expect(fc.waterline.waterIndex).toMatchObject({ name: 'mndwi', bands: [4, 1], roles: 'green=4,red=3,nir=2,swir1=1' });
    const area = fc.features.reduce((s: number, f: { properties: { area_m2: number } }) => s + f.properties.area_m2, 0);
    // the Ucayali and its oxbow lakes: a few percent of the ~1,700 km² scene
    expect(area / 1e6).toBeGreaterThan(20);
    expect(area / 1e6).toBeLessThan(200);
  }, 60_000);

  it('a band role pointing past the last band is one clear error with the band count', async () => {
    const r = await runCli(['segment', RECIFE, '-o', join(tmpdir(), 'never.geojson'), '--band-roles', 'green=2,nir=9']);
    expect(r.code).not.toBe(0);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/nir=9: the scene has 6 bands/);
  });

  it.skipIf(!hasGdal)('guessed roles that make water brighter than land are refused: Pucallpa reordered Green,SWIR1,Red,NIR read as R,G,B,NIR', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wl-order-'));
    const file = join(dir, 'gsrn.tif');
    execFileSync('/usr/bin/gdal_translate', ['-q', '-b', '4', '-b', '1', '-b', '3', '-b', '2', scenePath('landsat8-pucallpa-2020-4326.tif'), file]);
    const out = join(dir, 'w.geojson');
    const r = await runCli(['segment', file, '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/no water index used: .*water is brighter than the land/);
    expect(JSON.parse(readFileSync(out, 'utf8')).waterline.waterIndex).toMatchObject({ rejected: expect.stringMatching(/probably in another order/) });
    const spectral = await runCli(['segment', file, '-o', out, '--model', 'waterline-spectral']);
    expect(spectral.code).not.toBe(0);
    expect(spectral.stderr).toMatch(/--band-roles/);
    // the shared Pucallpa files themselves (SWIR1,NIR,Red,Green) read as R,G,B,NIR: refused too
    const own = await runCli(['segment', scenePath('landsat5-pucallpa-1985-4326.tif'), '-o', out]);
    expect(own.stderr).toMatch(/no water index used/);
    // stated roles are trusted: the same file with its real roles maps the river
    const stated = await runCli(['segment', file, '-o', out, '--model', 'waterline-spectral', '--band-roles', 'green=1,swir1=2,red=3,nir=4']);
    expect(stated.code, stated.stderr).toBe(0);
  }, 60_000);

  describe.skipIf(!hasGdal)('unimodal guard on crops of Recife (gdal_translate)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'wl-crops-'));
    const crop = (name: string, win: number[]): string => {
      const out = join(dir, name);
      execFileSync('/usr/bin/gdal_translate', ['-q', '-srcwin', ...win.map(String), RECIFE, out]);
      return out;
    };
    it('open sea only: the index does not split the sea in two (>= 95 % water)', async () => {
      const sea = crop('sea.tif', [262, 292, 87, 60]);
      const r = await evalScene(sea, ['--truth', join(sharedData, 'osm-water', 'landsat7-recife.osm_seas10m.geojson')], '--model', 'waterline-spectral');
      expect(r.provenance.waterIndex).toMatchObject({ unimodal: true, thresholdMethod: 'physical' });
      expect(r.predictedWaterFraction).toBeGreaterThan(0.95);
    });
    it('dry land only: no lakes invented (<= 5 % water)', async () => {
      const dry = crop('dry.tif', [0, 0, 160, 160]);
      const r = await evalScene(dry, ['--truth', join(sharedData, 'osm-water', 'landsat7-recife.osm_waterbodies10m.geojson')], '--model', 'waterline-spectral');
      expect(r.predictedWaterFraction).toBeLessThan(0.05);
    });
  });

  describe.skipIf(!existsSync(PY) || !hasGdal)('a described 13-band Sentinel-2 file', () => {
    it('descriptions as gdalinfo shows them, roles from the names, B4,B3,B2 as the picture', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'wl-s2-'));
      const file = join(dir, 's2.tif');
      const names = ['B1', 'B2', 'B3', 'B4', 'B5', 'B6', 'B7', 'B8', 'B8A', 'B9', 'B10', 'B11', 'B12'];
      execFileSync(PY, ['-c', `
from osgeo import gdal, osr
import numpy as np
ds = gdal.GetDriverByName('GTiff').Create('${file}', 64, 48, 13, gdal.GDT_UInt16)
ds.SetGeoTransform([500000, 10, 0, 4500000, 0, -10])
s = osr.SpatialReference(); s.ImportFromEPSG(32633); ds.SetProjection(s.ExportToWkt())
for i, n in enumerate(${JSON.stringify(names)}):
    b = ds.GetRasterBand(i + 1); b.SetDescription(n); b.WriteArray(np.full((48, 64), 1000 + i, dtype=np.uint16))
ds = None
`]);
      const gdal = JSON.parse(execFileSync('/usr/bin/gdalinfo', ['-json', file], { encoding: 'utf8' }));
      const ours = JSON.parse((await runCli(['info', file, '--json'])).stdout);
      expect(ours.bands.map((b: { description: string }) => b.description)).toEqual(gdal.bands.map((b: { description: string }) => b.description));
      expect(ours.bands.map((b: { role: string }) => b.role)).toEqual(['coastal', 'blue', 'green', 'red', 'rededge1', 'rededge2', 'rededge3', 'nir', 'nir08', 'watervapour', 'cirrus', 'swir1', 'swir2']);
      const scene = await openScene(file);
      expect(defaultBands(scene.info)).toEqual([4, 3, 2]);
      await scene.close();
    });
  });
});

const SAMPLE_TYPES: [string, string, string][] = [
  // [name, GDAL type, python expression turning reflectance v into stored values (and band setup)]
  ['UInt16 reflectance x 1e4 with GDAL scale 1e-4', 'gdal.GDT_UInt16', "np.clip(v * 10000, 1, 65534).astype(np.uint16); b.SetScale(0.0001)"],
  ['Float32 reflectance', 'gdal.GDT_Float32', 'v.astype(np.float32)'],
  // uncalibrated DN: a gain per band and path radiance falling with wavelength (blue most, SWIR least), as in raw Landsat DN
  ['Byte DN with per-band gain and haze offset (uncalibrated)', 'gdal.GDT_Byte', 'np.clip(v * (180 + 20 * i) + [15, 10, 6, 3, 1, 1][i], 1, 254).astype(np.uint8)'],
];

describe.skipIf(!existsSync(PY) || !hasGdal).each(SAMPLE_TYPES)('snow against water with MNDWI (synthetic Sentinel-2, %s)', (_name, gdalType, store) => {
  it('the bright-NIR veto keeps snow dry: only the water third is water', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wl-snow-'));
    const file = join(dir, 'snow.tif');
    const label = join(dir, 'label.tif');
    // columns: water | vegetation | snow; reflectance per band B2,B3,B4,B8,B11,B12 (snow: bright visible+NIR, dark SWIR)
    execFileSync(PY, ['-c', `
from osgeo import gdal, osr
import numpy as np
rng = np.random.default_rng(7)
W, H = 96, 96
cls = np.repeat(np.arange(3), 32)[None, :].repeat(H, 0)
refl = {'B2': (0.07, 0.05, 0.9), 'B3': (0.06, 0.08, 0.85), 'B4': (0.04, 0.05, 0.8), 'B8': (0.02, 0.35, 0.75), 'B11': (0.01, 0.18, 0.08), 'B12': (0.005, 0.09, 0.05)}
s = osr.SpatialReference(); s.ImportFromEPSG(32633)
ds = gdal.GetDriverByName('GTiff').Create('${file}', W, H, 6, ${gdalType})
ds.SetGeoTransform([500000, 10, 0, 4500000, 0, -10]); ds.SetProjection(s.ExportToWkt())
for i, (name, r) in enumerate(refl.items()):
    v = np.choose(cls, r) * (1 + 0.05 * rng.standard_normal((H, W)))
    b = ds.GetRasterBand(i + 1); b.SetDescription(name)
    b.WriteArray(${store.split('; ')[0]})
    ${store.split('; ')[1] ?? 'pass'}
ds = None
lab = gdal.GetDriverByName('GTiff').Create('${label}', W, H, 1, gdal.GDT_Int16)
lab.SetGeoTransform([500000, 10, 0, 4500000, 0, -10]); lab.SetProjection(s.ExportToWkt())
lab.GetRasterBand(1).WriteArray((cls == 0).astype(np.int16)); lab = None
`]);
    const r = await evalScene(file, ['--truth', label], '--model', 'waterline-spectral');
    expect(r.provenance.waterIndex).toMatchObject({ name: 'mndwi', bands: [2, 5], brightNirVeto: { band: 4 } });
    expect(r.iou).toBeGreaterThan(0.95);
    expect(r.predictedWaterFraction).toBeLessThan(0.36);
  });
});
