/**
 * The HTTP layer gets the pipeline in one place (AppDeps.pipeline): jobs run its `segmentScene` and
 * on-demand segmentation its `segmentWindow`. An injected pipeline must be the one both of them use.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { FeatureCollection } from 'geojson';
import request from 'supertest';
import type { ModelTile, Segmenter } from '../../src/core/model/segmenter.ts';
import { scenePipeline } from '../../src/http/pipelineBinding.ts';
import type { SegmentWindowRequest, ServerPipeline } from '../../src/http/serverPipeline.ts';
import type { SegmentSceneRequest } from '../../src/pipeline/jobRunner.ts';
import { describeShared, scenePath } from '../helpers/shared.ts';
import { waitFor } from './serverHarness.ts';
import { addScene, startTestServer, type TestServer } from './tilesTestServer.ts';

/** Test double: every valid pixel is water. */
const allWater: Segmenter = {
  info: { name: 'test-all-water', kind: 'test', inputSize: 224, provider: 'cpu', usesPrompt: false },
  async segment(tiles: ModelTile[]) {
    return tiles.map((t) => ({ tileId: t.id, probability: new Float32Array(t.size * t.size).fill(1), defects: [] }));
  },
  async dispose() {},
};

/** What the injected job pipeline returns: one square no real run would produce. */
const MARKER: FeatureCollection = {
  type: 'FeatureCollection',
  features: [{ type: 'Feature', properties: { marker: 'injected segmentScene' }, geometry: { type: 'Polygon', coordinates: [[[-75, 45], [-74.9, 45], [-74.9, 45.1], [-75, 45]]] } }],
};

describeShared('the server pipeline seam (Ottawa COG)', () => {
  let server: TestServer;
  let sceneId: string;
  const jobCalls: SegmentSceneRequest[] = [];
  const windowCalls: SegmentWindowRequest[] = [];
  const pipeline: ServerPipeline = {
    ...scenePipeline,
    segmentScene: async (req) => {
      jobCalls.push(req);
      return { geojson: MARKER };
    },
    segmentWindow: async (req) => {
      windowCalls.push(req);
      const { geojson } = await scenePipeline.segmentWindow(req);
      for (const f of geojson.features) f.properties = { ...f.properties, via: 'injected segmentWindow' };
      return { geojson };
    },
  };

  beforeAll(async () => {
    server = await startTestServer({ pipeline, loadSegmenter: async () => allWater });
    sceneId = addScene(server, scenePath('landsat8-ottawa-rgb16-utm18-cog.tif'), 'ottawa.tif');
  });
  afterAll(async () => server?.stop());

  it('runs on-demand segmentation through the injected segmentWindow', async () => {
    const res = (await request(server.url).get(`/scenes/${sceneId}/water.geojson?bbox=-74.6,45.9,-74.4,46.05`).expect(200)).body;
    expect(windowCalls).toHaveLength(1);
    expect(windowCalls[0].sceneName).toBe('ottawa.tif');
    expect(windowCalls[0].window.width).toBeGreaterThan(0);
    expect(res.features.length).toBeGreaterThan(0);
    expect(res.features.every((f: { properties: { via?: string } }) => f.properties.via === 'injected segmentWindow')).toBe(true);
    expect(jobCalls).toHaveLength(0);
  });

  it('runs jobs through the injected segmentScene of the same object', async () => {
    const created = (await request(server.url).post('/jobs').send({ scene: sceneId }).expect(202)).body;
    const job = await waitFor(async () => {
      const j = (await request(server.url).get(`/jobs/${created.id}`)).body;
      return j.state === 'queued' || j.state === 'running' ? undefined : j;
    }, 'the job to end', 20_000);
    expect(job.state).toBe('succeeded');
    expect(jobCalls).toHaveLength(1);
    expect(jobCalls[0].sceneName).toBe('ottawa.tif');
    const water = (await request(server.url).get(`/jobs/${created.id}/water.geojson`).expect(200)).body;
    expect(water).toEqual(MARKER);
    expect(windowCalls).toHaveLength(1);
  });
});
