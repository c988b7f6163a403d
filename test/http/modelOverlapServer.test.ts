/**
 * The server tiles with the overlap the model declares (SegmenterInfo.tileOverlap, a U-Net manifest's
 * `tiling.overlap`) wherever the request gives none: jobs and on-demand water; a job's `options.overlap` still wins.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planTileGrid } from '../../src/core/grid/tileGrid.ts';
import { repeatedTileGeoTiff } from '../raster/hostileTiff.ts';
import { startHarness, waitFor, type Harness } from './serverHarness.ts';

interface Provenance { overlap: number; tilesTotal: number; onDemand?: { tiles: string[] } }

describe('a model that declares its tile overlap, served', () => {
  let h: Harness;
  let sceneId = '';
  const [W, H] = [700, 600];
  beforeAll(async () => {
    h = await startHarness({}, { tileOverlap: 96 });
    writeFileSync(join(h.dataDir, 'small.tif'), repeatedTileGeoTiff(W, H, (b) => deflateSync(b)));
    const res = await fetch(`${h.url}/scenes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: 'small.tif' }) });
    sceneId = ((await res.json()) as { id: string }).id;
  });
  afterAll(async () => h.stop());

  const job = async (options?: { overlap: number }): Promise<Provenance> => {
    const res = await fetch(`${h.url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scene: sceneId, ...(options ? { options } : {}) }) });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    await waitFor(async () => {
      const j = (await (await fetch(`${h.url}/jobs/${id}`)).json()) as { state: string };
      if (j.state === 'failed') throw new Error('job failed');
      return j.state === 'succeeded' ? true : undefined;
    }, 'job');
    return ((await (await fetch(`${h.url}/jobs/${id}/water.geojson`)).json()) as { waterline: Provenance }).waterline;
  };
  const tiles = (overlap: number) => planTileGrid({ width: W, height: H, overlap }).tiles.length;

  it('a job without options.overlap tiles at the model\'s; one with options.overlap at that', async () => {
    expect(tiles(96)).toBeGreaterThan(tiles(32));
    const own = await job();
    expect([own.overlap, own.tilesTotal]).toEqual([96, tiles(96)]);
    const asked = await job({ overlap: 16 });
    expect([asked.overlap, asked.tilesTotal]).toEqual([16, tiles(16)]);
  });

  it('refuses at submission an overlap the job\'s model cannot tile with, naming the range', async () => {
    const post = (body: object) => fetch(`${h.url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scene: sceneId, ...body }) });
    for (const body of [{ options: { overlap: 112 } }, { model: 'waterline-unet', options: { overlap: 150 } }, { model: 'waterline-spectral', options: { overlap: 112 } }]) {
      const res = await post(body);
      expect(res.status).toBe(400);
      const problem = (await res.json()) as { code: string; detail: string };
      expect(problem.code).toBe('bad_overlap');
      expect(problem.detail).toContain(`options.overlap ${body.options.overlap} is too large: the model reads 224 px tiles`);
      expect(problem.detail).toContain('use an overlap between 0 and 111');
    }
    const edge = await job({ overlap: 111 });
    expect([edge.overlap, edge.tilesTotal]).toEqual([111, tiles(111)]);
  });

  it('on-demand water runs on the model\'s grid: a whole-globe bbox covers its tiles', async () => {
    const res = await fetch(`${h.url}/scenes/${sceneId}/water.geojson?bbox=-180,-90,180,90`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { waterline: Provenance };
    expect(body.waterline.onDemand!.tiles).toHaveLength(tiles(96));
    expect(body.waterline.overlap).toBe(96);
  });
});
