/**
 * Test tool for the tile/on-demand/viewer tests: the real server (`startServer`) on port 0 with a temp data
 * directory. Models and the pipeline are injected by the caller (a real U-Net or the scripted test model);
 * tests that never run a job pass the defaults, which refuse to segment (on-demand runs the real pipeline).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../src/logger.ts';
import { resolveServerConfig, type ServerSettings } from '../../src/http/serverConfig.ts';
import { startServer, type RunningServer, type ServerServices } from '../../src/http/server.ts';
import { scenePipeline } from '../../src/http/pipelineBinding.ts';
import type { FeatureCollection } from 'geojson';

export interface TestServer extends RunningServer {
  dataDir: string;
  stop(): Promise<void>;
}

export async function startTestServer(
  services: Partial<Omit<ServerServices, 'config'>> = {},
  settings: ServerSettings = {},
): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'waterline-tiles-'));
  const config = resolveServerConfig({ port: 0, host: '127.0.0.1', dataDir, ...settings }, {});
  const running = await startServer({
    config,
    logger: silentLogger,
    pipeline: {
      ...scenePipeline,
      segmentScene: async () => {
        throw new Error('this test server runs no jobs');
      },
    },
    loadSegmenter: async () => {
      throw new Error('this test server has no model');
    },
    inspectScene: async () => ({}),
    progressIntervalMs: 50,
    ...services,
  });
  return {
    ...running,
    dataDir,
    async stop() {
      await running.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Register a scene file directly in the store (the scenes route needs it inside the data dir). */
export function addScene(server: TestServer, path: string, name = path.split('/').pop()!): string {
  return server.deps.store.insertScene({ name, path, info: {} }).id;
}

/** A succeeded job with the given result, as the job runner would leave it. */
export function addFinishedJob(server: TestServer, sceneId: string, geojson: FeatureCollection): string {
  const { store } = server.deps;
  const job = store.createJob({ scene: sceneId, prompt: 'segment water', model: null, options: {} });
  store.putResult(job.id, JSON.stringify(geojson));
  store.setJobState(job.id, 'succeeded');
  return job.id;
}
