/**
 * Change jobs on the real server (store, queue, runner, the real pipeline) with the dark-water test model: a job
 * with two scenes (NAIP Dakota 2009 → 2015), its classes and summary, the same result as the pipeline run
 * directly, the tiles of both dates stored side by side, the OGC collection, the class-styled MVT/PNG tiles, and
 * the one-line errors of a bad body or scenes that do not overlap.
 */
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ChangeCollection } from '../../src/core/change/changeFeatures.ts';
import { lonLatToTile } from '../../src/core/grid/webMercator.ts';
import { changeScenes } from '../../src/pipeline/changeScenes.ts';
import { segmenterForScene } from '../../src/pipeline/sceneSegmenter.ts';
import { describeShared, scenePath } from '../helpers/shared.ts';
import { darkWaterSegmenter } from './fixtures/darkWaterSegmenter.ts';
import { startHarness, waitFor, type Harness } from './serverHarness.ts';

const A = 'naip-dakota-2009-rgbn-cog.tif';
const B = 'naip-dakota-2015-rgbn-cog.tif';
const FAR = 'landsat8-pucallpa-2020-4326.tif';
const json = { 'content-type': 'application/json' };

describeShared('change jobs (POST /jobs with two scenes)', () => {
  let h: Harness;
  const ids: Record<string, string> = {};
  let job: { id: string; kind: string; scene: string; scenes: string[]; state: string; progress: { tilesDone: number; tilesTotal: number } };
  let result: ChangeCollection;

  beforeAll(async () => {
    h = await startHarness();
    for (const name of [A, B, FAR]) {
      const res = await fetch(`${h.url}/scenes`, { method: 'POST', headers: json, body: JSON.stringify({ path: h.addFile(scenePath(name)) }) });
      expect(res.status).toBeLessThan(300);
      ids[name] = ((await res.json()) as { id: string }).id;
    }
    const res = await fetch(`${h.url}/jobs`, { method: 'POST', headers: json, body: JSON.stringify({ kind: 'change', scenes: [ids[A], ids[B]], options: { fusion: 'none' } }) });
    expect(res.status).toBe(202);
    const created = (await res.json()) as typeof job;
    expect(created).toMatchObject({ kind: 'change', scene: ids[A], scenes: [ids[A], ids[B]] });
    job = await waitFor(async () => {
      const j = (await (await fetch(`${h.url}/jobs/${created.id}`)).json()) as typeof job;
      return j.state === 'succeeded' || j.state === 'failed' ? j : undefined;
    }, 'the change job', 120_000);
    expect(job.state).toBe('succeeded');
    result = (await (await fetch(`${h.url}/jobs/${job.id}/water.geojson`)).json()) as ChangeCollection;
  }, 180_000);
  afterAll(async () => h?.stop());

  it('maps both dates (progress over both scenes\' tiles) and stores their tiles side by side', () => {
    expect(job.progress).toMatchObject({ tilesDone: 40, tilesTotal: 40 }); // 20 tiles per NAIP scene
    const keys = [...h.deps.store.loadTiles(job.id).keys()];
    expect(keys.filter((k) => k.startsWith('A:'))).toHaveLength(20);
    expect(keys.filter((k) => k.startsWith('B:'))).toHaveLength(20);
  });

  it('gives the classes and summary of the pipeline run directly, with scene names (not server paths) in provenance', async () => {
    expect(result.waterline).toMatchObject({ kind: 'change', scene: A, compareTo: B });
    expect(JSON.stringify(result.waterline)).not.toContain(h.dataDir);
    const segmenter = darkWaterSegmenter();
    const direct = await changeScenes({ kind: 'scene', path: scenePath(A) }, { kind: 'scene', path: scenePath(B) }, {
      model: {
        options: {},
        forScene: async (scene) => segmenterForScene(scene, { fusion: false }, async () => segmenter),
      },
    });
    expect(result.waterline.summary.classes).toEqual(direct.summary.classes);
    expect(result.features.length).toBe(direct.collection.features.length);
    const counts = (fc: ChangeCollection) => Object.fromEntries(['permanent', 'gained', 'lost', 'unknown'].map((c) => [c, fc.features.filter((f) => f.properties.class === c).length]));
    expect(counts(result)).toEqual(counts(direct.collection));
    expect(counts(result).gained).toBeGreaterThan(0);
  });

  it('is an OGC collection of its own, kept out of the all-water collection', async () => {
    const c = (await (await fetch(`${h.url}/ogc/collections/water-${job.id}`)).json()) as { title: string };
    expect(c.title).toBe(`Water change — ${A} → ${B}`);
    const items = (await (await fetch(`${h.url}/ogc/collections/water-${job.id}/items?limit=10000`)).json()) as ChangeCollection & { numberMatched: number };
    expect(items.numberMatched).toBe(result.features.length);
    expect(new Set(items.features.map((f) => f.properties.class))).toEqual(new Set(result.features.map((f) => f.properties.class)));
    const all = (await (await fetch(`${h.url}/ogc/collections/water/items?job=${job.id}`)).json()) as { features: unknown[] };
    expect(all.features).toHaveLength(0);
  });

  it('serves class-styled tiles: MVT features with `class`, PNG overlay in the class colours', async () => {
    const tj = (await (await fetch(`${h.url}/jobs/${job.id}/tilejson.json?format=mvt`)).json()) as { vector_layers: { fields: Record<string, string> }[]; center: number[]; description: string };
    expect(tj.vector_layers[0].fields.class).toBe('String');
    expect(tj.description).toMatch(/class permanent, gained, lost or unknown/);
    // the largest gained polygon's first vertex: its tile has a gained feature and green overlay pixels
    const gained = result.features.filter((f) => f.properties.class === 'gained').sort((a, b) => b.properties.area_m2 - a.properties.area_m2)[0];
    const [lon, lat] = (gained.geometry.type === 'Polygon' ? gained.geometry.coordinates[0][0] : gained.geometry.coordinates[0][0][0]) as number[];
    const z = 14;
    const t = lonLatToTile(lon, lat, z);
    const mvt = await fetch(`${h.url}/jobs/${job.id}/tiles/${z}/${t.x}/${t.y}.mvt`);
    expect(mvt.status).toBe(200);
    const layer = new VectorTile(new PbfReader(new Uint8Array(await mvt.arrayBuffer()))).layers.water;
    const classes = new Set(Array.from({ length: layer.length }, (_, i) => layer.feature(i).properties.class));
    expect(classes.has('gained')).toBe(true);
    const png = await fetch(`${h.url}/jobs/${job.id}/tiles/${z}/${t.x}/${t.y}.png`);
    expect(png.status).toBe(200);
    const { data } = await sharp(Buffer.from(await png.arrayBuffer())).raw().toBuffer({ resolveWithObject: true });
    let green = 0;
    for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0 && data[i + 1] > data[i] + 40 && data[i + 1] > data[i + 2] + 40) green++;
    expect(green).toBeGreaterThan(0);
  });

  it('refuses a bad change body or scenes that do not overlap with one problem line', async () => {
    const post = async (body: unknown) => {
      const res = await fetch(`${h.url}/jobs`, { method: 'POST', headers: json, body: JSON.stringify(body) });
      return { status: res.status, body: (await res.json()) as { code: string; detail: string } };
    };
    const far = await post({ kind: 'change', scenes: [ids[A], ids[FAR]] });
    expect(far.status).toBe(400);
    expect(far.body.code).toBe('scenes_do_not_overlap');
    expect(far.body.detail.startsWith(`${A} and ${FAR} do not overlap: there is nothing to compare`)).toBe(true);
    expect((await post({ kind: 'change', scenes: [ids[A]] })).body.detail).toMatch(/a change job takes 2 scene\(s\), got 1/);
    expect((await post({ scene: ids[A], scenes: [ids[A]] })).body.code).toBe('invalid_request');
    expect((await post({ kind: 'change', scenes: [ids[A], '00000000-0000-0000-0000-000000000000'] })).body.code).toBe('unknown_scene');
  });
});

