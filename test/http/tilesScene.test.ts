import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import sharp from 'sharp';
import { describeShared, scenePath } from '../helpers/shared.ts';
import { openScene, type Scene } from '../../src/adapters/raster/openScene.ts';
import { createSceneTileRenderer, type SceneTileRenderer } from '../../src/adapters/raster/tileRenderer.ts';
import { lonLatToTile, lonLatToTileFraction } from '../../src/core/grid/webMercator.ts';

const hasGdal = existsSync('/usr/bin/gdalinfo') && existsSync('/usr/bin/python3');

async function rgbaAt(png: Buffer, px: number, py: number): Promise<number[]> {
  const { data } = await sharp(png).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
  const i = (py * 256 + px) * 4;
  return [data[i], data[i + 1], data[i + 2], data[i + 3]];
}

/** Position (tile + pixel inside it) of a lon/lat at zoom z. */
function locate(lon: number, lat: number, z: number) {
  const t = lonLatToTile(lon, lat, z);
  const [fx, fy] = lonLatToTileFraction(lon, lat, z);
  return { t, px: Math.floor((fx - t.x) * 256), py: Math.floor((fy - t.y) * 256) };
}

describeShared('scene imagery tiles (NAIP Dakota, EPSG:26914 COG)', () => {
  const file = scenePath('naip-dakota-2015-rgbn-cog.tif');
  let scene: Scene;
  let renderer: SceneTileRenderer;
  let gdalCorners: { upperLeft: number[]; lowerRight: number[] } | undefined;

  beforeAll(async () => {
    scene = await openScene(file);
    renderer = createSceneTileRenderer(scene, { bands: [1, 2, 3], stretch: [[0, 255], [0, 255], [0, 255]] });
    if (hasGdal) {
      const info = JSON.parse(execFileSync('gdalinfo', ['-json', file], { encoding: 'utf8' }));
      const ring: number[][] = info.wgs84Extent.coordinates[0];
      gdalCorners = { upperLeft: ring[0], lowerRight: ring[2] };
    }
  });
  afterAll(async () => scene?.close());

  it('has the WGS84 footprint gdalinfo reports and a zoom range down to ~1 m/px', () => {
    const f = renderer.footprint;
    expect(f.pixelSizeM).toBeGreaterThan(0.5);
    expect(f.pixelSizeM).toBeLessThan(10);
    expect(f.zoom.maxzoom).toBeGreaterThanOrEqual(15);
    expect(f.zoom.minzoom).toBeLessThan(f.zoom.maxzoom);
    if (gdalCorners) {
      expect(f.bbox[0]).toBeLessThanOrEqual(gdalCorners.upperLeft[0] + 1e-9);
      expect(f.bbox[3]).toBeGreaterThanOrEqual(gdalCorners.upperLeft[1] - 1e-9);
      expect(f.bbox[2]).toBeGreaterThanOrEqual(gdalCorners.lowerRight[0] - 1e-9);
      expect(f.bbox[1]).toBeLessThanOrEqual(gdalCorners.lowerRight[1] + 1e-9);
    }
  });

  it('a tile over the upper-left corner has data right/below the corner and is transparent left/above', async () => {
    if (!gdalCorners) return;
    const [lon, lat] = gdalCorners.upperLeft;
    // pick a zoom where the corner is well inside its tile
    for (const z of [14, 15, 16, 13]) {
      const { t, px, py } = locate(lon, lat, z);
      if (px < 10 || py < 10 || px > 245 || py > 245) continue;
      const png = await renderer.render(z, t.x, t.y, 'png');
      expect(png).not.toBeNull();
      expect((await rgbaAt(png!, px + 6, py + 6))[3]).toBe(255);
      expect((await rgbaAt(png!, px - 6, py - 6))[3]).toBe(0);
      expect((await rgbaAt(png!, px - 6, py + 6))[3]).toBe(0);
      expect((await rgbaAt(png!, px + 6, py - 6))[3]).toBe(0);
      return;
    }
    throw new Error('no zoom put the corner inside a tile');
  });

  it('a tile over the lower-right corner has data left/above it only', async () => {
    if (!gdalCorners) return;
    const [lon, lat] = gdalCorners.lowerRight;
    for (const z of [14, 15, 16, 13]) {
      const { t, px, py } = locate(lon, lat, z);
      if (px < 10 || py < 10 || px > 245 || py > 245) continue;
      const png = await renderer.render(z, t.x, t.y, 'png');
      expect(png).not.toBeNull();
      expect((await rgbaAt(png!, px - 6, py - 6))[3]).toBe(255);
      expect((await rgbaAt(png!, px + 6, py + 6))[3]).toBe(0);
      return;
    }
    throw new Error('no zoom put the corner inside a tile');
  });

  it('pixel colours are the scene values at that place (GDAL reading the same lon/lat)', async () => {
    if (!hasGdal) return;
    const [lon, lat] = [renderer.footprint.center[0] + 0.0011, renderer.footprint.center[1] - 0.0007];
    const z = renderer.footprint.zoom.maxzoom;
    const { t, px, py } = locate(lon, lat, z);
    const png = await renderer.render(z, t.x, t.y, 'png');
    const got = await rgbaAt(png!, px, py);
    // GDAL: the 3x3 neighbourhood of the scene pixel under lon/lat; nearest sampling must land in it.
    const script = `
from osgeo import gdal, osr
import json
d = gdal.Open(${JSON.stringify(file)})
srs = osr.SpatialReference(); srs.ImportFromWkt(d.GetProjection())
wgs = osr.SpatialReference(); wgs.ImportFromEPSG(4326); wgs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
srs.SetAxisMappingStrategy(osr.OAMS_TRADITIONAL_GIS_ORDER)
x, y, _ = osr.CoordinateTransformation(wgs, srs).TransformPoint(${lon}, ${lat})
inv = gdal.InvGeoTransform(d.GetGeoTransform())
c, r = gdal.ApplyGeoTransform(inv, x, y)
out = []
for b in (1, 2, 3):
    a = d.GetRasterBand(b).ReadAsArray(int(c) - 1, int(r) - 1, 3, 3)
    out.append([int(a.min()), int(a.max())])
print(json.dumps(out))`;
    const ranges: number[][] = JSON.parse(execFileSync('/usr/bin/python3', ['-c', script], { encoding: 'utf8' }));
    expect(got[3]).toBe(255);
    for (let b = 0; b < 3; b++) {
      expect(got[b]).toBeGreaterThanOrEqual(ranges[b][0]);
      expect(got[b]).toBeLessThanOrEqual(ranges[b][1]);
    }
  });

  it('is null outside the scene and renders the whole scene small at a low zoom (overview read)', async () => {
    const away = lonLatToTile(0, 0, 10);
    expect(await renderer.render(10, away.x, away.y, 'png')).toBeNull();
    const z = renderer.footprint.zoom.minzoom;
    const t = lonLatToTile(renderer.footprint.center[0], renderer.footprint.center[1], z);
    const webp = await renderer.render(z, t.x, t.y, 'webp');
    expect(webp).not.toBeNull();
    const meta = await sharp(webp!).metadata();
    expect(meta.format).toBe('webp');
    expect(meta.width).toBe(256);
  });
});

describeShared('scene imagery tiles (St. Lawrence, EPSG:4326, 16-bit)', () => {
  it('renders the centre opaque with the stretch applied', async () => {
    const scene = await openScene(scenePath('landsat8-stlawrence-rgb16-4326-cog.tif'));
    try {
      const r = createSceneTileRenderer(scene, { bands: [1, 2, 3], stretch: [[6000, 14000], [6000, 14000], [6000, 14000]] });
      const z = r.footprint.zoom.maxzoom;
      const { t, px, py } = locate(r.footprint.center[0], r.footprint.center[1], z);
      const png = await r.render(z, t.x, t.y, 'png');
      const got = await rgbaAt(png!, px, py);
      expect(got[3]).toBe(255);
      // centre pixel ≈ 8606, 8617, 9465 → (v-6000)*255/8000 ≈ 83, 83, 110 (a neighbour may be picked)
      expect(got[0]).toBeGreaterThan(40);
      expect(got[0]).toBeLessThan(140);
    } finally {
      await scene.close();
    }
  });
});
