/**
 * `change` on water mask rasters with a known answer, across CRSs: A is a 10 m UTM 18N mask with a 500 × 500 m
 * lake; B has the lake moved 200 m east and (with nodata over its last 400 m of rows), written in UTM and then
 * warped by GDAL to lon/lat (EPSG:4326, ~8 × 11 m pixels). Expected on A's grid: permanent 0.15 km², lost and
 * gained 0.10 km² each, unknown where B has no data. Needs python3-gdal and gdalwarp (skips otherwise).
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { area as turfArea, polygon as turfPolygon } from '@turf/turf';
import { createCrsTransform } from '../../src/adapters/raster/crs.ts';
import { changeScenes, type ChangeResult } from '../../src/pipeline/changeScenes.ts';

const PYTHON = '/usr/bin/python3';
const hasGdal = existsSync('/usr/bin/gdalwarp') && existsSync(PYTHON) && (() => {
  try {
    execFileSync(PYTHON, ['-c', 'from osgeo import gdal'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** A 200 x 200 px, 10 m, EPSG:32618 Byte mask: 1 in [x0, x0 + 50) x [20, 70) px, 0 elsewhere, 255 (nodata) from row `nodataFrom`. */
const WRITE_MASK = `
import sys
from osgeo import gdal, osr
import numpy as np
path, x0, nodata_from = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
a = np.zeros((200, 200), np.uint8)
a[20:70, x0:x0 + 50] = 1
a[nodata_from:, :] = 255
ds = gdal.GetDriverByName('GTiff').Create(path, 200, 200, 1, gdal.GDT_Byte)
ds.SetGeoTransform((500000, 10, 0, 5000000, 0, -10))
srs = osr.SpatialReference(); srs.ImportFromEPSG(32618); ds.SetProjection(srs.ExportToWkt())
b = ds.GetRasterBand(1); b.SetNoDataValue(255); b.WriteArray(a)
ds = None
`;

const describeGdal = hasGdal ? describe : describe.skip;
const km2 = (r: ChangeResult, c: string) => r.summary.classes.find((k) => k.class === c)!.areaKm2;

describeGdal(`change on mask rasters with a known answer${hasGdal ? '' : ' [skipped: needs gdal-bin and python3-gdal]'}`, () => {
  let dir = '';
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'waterline-change-masks-'));
    execFileSync(PYTHON, ['-c', WRITE_MASK, join(dir, 'a.tif'), '50', '200']);
    execFileSync(PYTHON, ['-c', WRITE_MASK, join(dir, 'b-utm.tif'), '70', '160']);
    execFileSync('gdalwarp', ['-q', '-t_srs', 'EPSG:4326', '-tr', '0.0001', '0.0001', '-r', 'near', join(dir, 'b-utm.tif'), join(dir, 'b-4326.tif')]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('same grid: the exact class areas', async () => {
    const r = await changeScenes({ kind: 'mask', path: join(dir, 'a.tif') }, { kind: 'mask', path: join(dir, 'b-utm.tif') }, { minAreaM2: 0 });
    // expected: the areas of the pixel rectangles, measured as one polygon each (the polygons' area_m2 measure)
    const utm = createCrsTransform({ epsg: 32618, proj4: '+proj=utm +zone=18 +datum=WGS84 +units=m +no_defs' });
    const rect = (c0: number, c1: number, r0: number, r1: number) => {
      const p = (c: number, r: number) => utm.toWgs84(500000 + 10 * c, 5000000 - 10 * r);
      return turfArea(turfPolygon([[p(c0, r0), p(c0, r1), p(c1, r1), p(c1, r0), p(c0, r0)]])) / 1e6;
    };
    const close = (got: number, want: number) => expect(Math.abs(got / want - 1)).toBeLessThan(2e-4);
    close(km2(r, 'permanent'), rect(70, 100, 20, 70));
    close(km2(r, 'lost'), rect(50, 70, 20, 70));
    close(km2(r, 'gained'), rect(100, 120, 20, 70));
    close(km2(r, 'unknown'), rect(0, 200, 160, 200)); // rows 160..199 of B are nodata
    close(r.summary.commonValidKm2, rect(0, 200, 0, 160));
    expect(r.collection.features.map((f) => f.properties.class)).toEqual(['permanent', 'gained', 'lost', 'unknown']);
  });

  it('B in lon/lat at another resolution: the same class areas within 3 % (nearest resampling, twice)', async () => {
    const same = await changeScenes({ kind: 'mask', path: join(dir, 'a.tif') }, { kind: 'mask', path: join(dir, 'b-utm.tif') }, { minAreaM2: 0 });
    const warped = await changeScenes({ kind: 'mask', path: join(dir, 'a.tif') }, { kind: 'mask', path: join(dir, 'b-4326.tif') }, { minAreaM2: 0 });
    expect(warped.dateB.info.crs.epsg).toBe(4326);
    for (const c of ['permanent', 'lost', 'gained']) expect(Math.abs(km2(warped, c) / km2(same, c) - 1)).toBeLessThan(0.03);
    // the warped B also has nodata outside its rotated footprint: unknown grows a little, never shrinks
    expect(km2(warped, 'unknown')).toBeGreaterThanOrEqual(km2(same, 'unknown') * 0.97);
  });
});
