import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { describeShared, scenePath, scenesDir, hasShared } from '../helpers/shared.ts';
import { runCli } from '../helpers/runCli.ts';

function gdalinfoJson(file: string): any | null {
  try {
    return JSON.parse(execFileSync('gdalinfo', ['-json', file], { stdio: ['ignore', 'pipe', 'ignore'] }).toString());
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

const hasGdal = (() => {
  try {
    execFileSync('gdalinfo', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describeShared('waterline info on every shared scene', () => {
  const scenes = hasShared ? readdirSync(scenesDir).filter((f) => f.endsWith('.tif')).sort() : [];
  for (const name of scenes) {
    it(`${name}: matches gdalinfo -json${hasGdal ? '' : ' [GDAL comparison skipped: gdalinfo not found]'}`, async () => {
      const r = await runCli(['info', scenePath(name), '--json']);
      if (name.includes('gcps-only')) {
        expect(r.code).not.toBe(0);
        expect(r.stdout).toBe('');
        expect(r.stderr.trim().split('\n')).toHaveLength(1);
        expect(r.stderr).toMatch(/^error: .*sentinel1-india-gcps-only\.tif: georeferenced only by 210 ground control points \(GCPs\).*\(warp it/);
        return;
      }
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const ours = JSON.parse(r.stdout);
      if (!hasGdal) return;
      const g = gdalinfoJson(scenePath(name));
      expect(ours.size).toEqual(g.size);
      ours.geoTransform.forEach((v: number, i: number) => expect(v).toBeCloseTo(g.geoTransform[i], 9));
      const geographic = ours.crs.units === 'degree';
      for (const key of ['upperLeft', 'lowerLeft', 'lowerRight', 'upperRight', 'center']) {
        for (let k = 0; k < 2; k++) {
          // gdalinfo prints corners rounded (3 decimals in projected units, 7 in degrees)
          expect(Math.abs(ours.cornerCoordinates[key][k] - g.cornerCoordinates[key][k])).toBeLessThan(geographic ? 1e-7 : 1e-3);
        }
      }
      const a = ours.wgs84Extent.coordinates[0];
      const b = g.wgs84Extent.coordinates[0];
      expect(a).toHaveLength(b.length);
      for (let i = 0; i < a.length; i++) for (let k = 0; k < 2; k++) expect(Math.abs(a[i][k] - b[i][k])).toBeLessThanOrEqual(1e-7 + 1e-12);
      // Only the collar scene has exact-zero corners and no declared nodata: it reads 0 as nodata, as if declared.
      expect(ours.blackCollar === true).toBe(name.includes('collar'));
      expect(ours.bands.map((x: any) => [x.band, x.type, x.colorInterpretation, x.noDataValue ?? null])).toEqual(
        g.bands.map((x: any) => [x.band, x.type, x.colorInterpretation, x.noDataValue ?? (ours.blackCollar ? 0 : null)]),
      );
      const epsg = g.stac?.['proj:epsg'] ?? null;
      expect(ours.crs.epsg).toBe(epsg);
      expect(ours.overviews.map((o: any) => o.size)).toEqual((g.bands[0].overviews ?? []).map((o: any) => o.size));
    });
  }

  it('prints gdalinfo-style text without --json', async () => {
    const r = await runCli(['info', scenePath('spot-chicago-pan-stateplane-ft.tif')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('Size is 699, 929');
    expect(r.stdout).toContain('EPSG:26771 NAD27 / Illinois East (US survey foot)');
    expect(r.stdout).toMatch(/Upper Left {2}\(681480\.000, 1913050\.000\) \(-87\.6665704, 41\.9171135\)/);
    // the centre in WGS84 too (gdaltransform -s_srs EPSG:26771 -t_srs OGC:CRS84: -87.6249154, 41.8750537)
    expect(r.stdout).toMatch(/Center {6}\(692943\.600, 1897814\.400\) \(-87\.6249154, 41\.8750537\)/);
  });
});

describe('waterline info without a scene', () => {
  it('names the missing file in one line', async () => {
    const r = await runCli(['info', '/nonexistent/scene.tif']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('error: /nonexistent/scene.tif: no such file (check the path)\n');
  });
});
