/**
 * The job thread of `waterline serve` (started by ThreadJobExecutor): runs stored jobs with the JobRunner
 * and the real pipeline off the HTTP event loop, so tiles, API calls and /healthz stay fast while a job
 * reads, infers, stitches and vectorizes. It opens its own connection to the job database (SQLite WAL) and
 * loads the server's models (the HTTP side uses them through threadSegmenterProvider.ts: one copy); with no
 * model module it is the finisher of distributed jobs (their tiles are all stored; storedTileSegmenter.ts
 * replays them).
 */
import { createLogger } from '../logger.ts';
import type { ModelTile } from '../core/model/segmenter.ts';
import { JobStore } from '../adapters/store/jobStore.ts';
import type { JobStorePort } from '../pipeline/jobStorePort.ts';
import { serveThread, threadInit } from '../adapters/threads/threadRpc.ts';
import { JobRunner, type SegmenterProvider } from '../pipeline/jobRunner.ts';
import { importSegmenterLoader, type SegmenterModuleRef } from '../pipeline/segmenterModule.ts';
import { storedTileProvider } from '../pipeline/storedTileSegmenter.ts';
import { createModelRegistry } from './modelRegistry.ts';
import { scenePipeline } from './pipelineBinding.ts';
import { createSegmenterProvider } from './segmenterProvider.ts';

export interface JobThreadInit {
  dataDir: string;
  /** Where the models come from; absent: the distributed-job finisher (stored tiles only). */
  segmenter?: SegmenterModuleRef;
  modelsDir?: string;
  progressIntervalMs?: number;
  logLevel?: string;
}

serveThread(async () => {
  const init = threadInit<JobThreadInit>();
  const logger = createLogger(init.logLevel ?? 'warn');
  const store = JobStore.open(init.dataDir) satisfies JobStorePort;
  let segmenters: SegmenterProvider;
  if (init.segmenter) {
    const load = await importSegmenterLoader(init.segmenter);
    const models = createModelRegistry({ modelsDir: init.modelsDir ?? '' });
    segmenters = createSegmenterProvider(load, logger, { resolve: (m) => models.resolve(m) });
  } else {
    segmenters = storedTileProvider(store);
  }
  const runner = new JobRunner({ store, pipeline: scenePipeline, segmenters, logger, progressIntervalMs: init.progressIntervalMs });
  return {
    run: ({ jobId }: { jobId: string }, signal) => runner.run(jobId, signal),
    // The HTTP side's view of the same models (threadSegmenterProvider.ts): one copy per server.
    model: async ({ model }: { model: string | null }) => (await segmenters.get(model)).info,
    segment: async ({ model, tiles, prompt }: { model: string | null; tiles: ModelTile[]; prompt: string }, signal) =>
      (await segmenters.get(model)).segment(tiles, { prompt, signal }),
    close: async () => {
      await segmenters.dispose();
      store.close();
    },
  };
});
