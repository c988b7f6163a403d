/**
 * Server jobs with band roles: `model: waterline-spectral` and `options.bandRoles` reach the per-scene water index
 * (provenance in the job's GeoJSON), and a band role past the last band is a 400 at job creation or a failed job
 * whose error names the band count — never a server path.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FeatureCollection } from 'geojson';
import { openScene } from '../../src/adapters/raster/openScene.ts';
import { segmenterForScene } from '../../src/pipeline/sceneSegmenter.ts';
import { describeShared, scenePath } from '../helpers/shared.ts';
import { startHarness, waitFor, type Harness } from './serverHarness.ts';

describeShared('server jobs with band roles and the spectral model', () => {
  let h: Harness;
  let sceneId = '';
  beforeAll(async () => {
    h = await startHarness();
    const name = h.addFile(scenePath('landsat5-pucallpa-1985-4326.tif'));
    const res = await fetch(`${h.url}/scenes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: name }) });
    sceneId = ((await res.json()) as { id: string }).id;
  });
  afterAll(async () => h.stop());

  const runJob = async (body: Record<string, unknown>) => {
    const res = await fetch(`${h.url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scene: sceneId, ...body }) });
    if (res.status !== 202) return { status: res.status, body: await res.json() as Record<string, unknown> };
    const job = (await res.json()) as { id: string };
    const done = await waitFor(async () => {
      const j = (await (await fetch(`${h.url}/jobs/${job.id}`)).json()) as { state: string; error?: string };
      return ['succeeded', 'failed', 'cancelled'].includes(j.state) ? j : undefined;
    }, 'job end');
    return { status: 202, id: job.id, done };
  };

  it('waterline-spectral with bandRoles: MNDWI on green=4, swir1=1, recorded in the GeoJSON', async () => {
    const r = await runJob({ model: 'waterline-spectral', options: { bandRoles: 'swir1=1,nir=2,red=3,green=4', minArea: 0 } });
    expect(r.status).toBe(202);
    expect(r.done?.state, r.done?.error).toBe('succeeded');
    const fc = (await (await fetch(`${h.url}/jobs/${r.id}/water.geojson`)).json()) as FeatureCollection & { waterline: Record<string, unknown> };
    expect(fc.waterline.waterIndex).toMatchObject({ name: 'mndwi', bands: [4, 1] });
    expect(fc.features.length).toBeGreaterThan(0);
  }, 60_000);

  it('on-demand bbox on a multispectral scene: the index threshold is the whole scene\'s, not the bbox\'s', async () => {
    const name = h.addFile(scenePath('landsat7-recife-6band-utm25s.tif'));
    const reg = await fetch(`${h.url}/scenes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: name }) });
    const id = ((await reg.json()) as { id: string }).id;
    const scene = await openScene(scenePath('landsat7-recife-6band-utm25s.tif'));
    const whole = await segmenterForScene(scene, { model: 'waterline-spectral' }, async () => { throw new Error('no learned model needed'); });
    await scene.close();
    const res = await fetch(`${h.url}/scenes/${id}/water.geojson?bbox=-34.915,-7.96,-34.905,-7.951&model=waterline-spectral`);
    expect(res.status).toBe(200);
    const fc = (await res.json()) as { waterline: { waterIndex: { threshold: number; name: string }; onDemand: { tiles: string[] } } };
    expect(fc.waterline.onDemand.tiles.length).toBeGreaterThan(0);
    expect(fc.waterline.onDemand.tiles.length).toBeLessThan(4);
    expect(fc.waterline.waterIndex.name).toBe('mndwi');
    expect(fc.waterline.waterIndex.threshold).toBeCloseTo(whole.calibration?.threshold.threshold as number, 5);
  }, 60_000);

  it('a malformed bandRoles is a 400; a role past the last band fails the job with the band count and no path', async () => {
    const bad = await runJob({ options: { bandRoles: '../../etc/passwd' } });
    expect(bad.status).toBe(400);
    const r = await runJob({ model: 'waterline-spectral', options: { bandRoles: 'green=9' } });
    if (r.status === 400) {
      expect(JSON.stringify(r.body)).toMatch(/4 bands/);
    } else {
      expect(r.done?.state).toBe('failed');
      expect(r.done?.error).toMatch(/green=9: the scene has 4 bands/);
      expect(r.done?.error).not.toMatch(/\/tmp|waterline-server-/);
    }
  }, 60_000);
});
