/**
 * A running Waterline server: wires the store, job runner, queue and app for a config, listens, resumes
 * unfinished jobs, and shuts down gracefully (stop accepting, let the tile in flight finish and persist,
 * leave interrupted jobs resumable, close the database).
 */
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Logger } from '../logger.ts';
import { JobStore } from '../adapters/store/jobStore.ts';
import { InProcessJobQueue, type JobExecutor, type JobQueue, type JobQueueStats } from '../pipeline/jobQueue.ts';
import { DistributedJobQueue } from '../pipeline/distributedJobQueue.ts';
import type { SegmenterModuleRef } from '../pipeline/segmenterModule.ts';
import type { WorkUnitQueues } from '../pipeline/workUnitBroker.ts';
import type { RedisConnectionOptions } from '../adapters/queue/redisConnection.ts';
import { bullmqWorkUnitQueues } from '../adapters/queue/bullmqWorkUnitQueues.ts';
import { ThreadJobExecutor } from './threadJobExecutor.ts';
import { threadSegmenterProvider } from './threadSegmenterProvider.ts';
import { JobRunner, type SegmenterProvider } from '../pipeline/jobRunner.ts';
import type { JobStorePort } from '../pipeline/jobStorePort.ts';
import { scenePipeline } from './pipelineBinding.ts';
import type { ServerPipeline } from './serverPipeline.ts';
import { createApp } from './app.ts';
import type { AppDeps, SceneInspector } from './appContext.ts';
import type { ServerConfig } from './serverConfig.ts';
import { createSegmenterProvider, type SegmenterLoader } from './segmenterProvider.ts';
import { createModelRegistry } from './modelRegistry.ts';

export interface ServerServices {
  config: ServerConfig;
  logger: Logger;
  /**
   * The pipeline the app gets (on-demand segmentation) and in-process jobs run; default the real one,
   * `scenePipeline`. Jobs in the job thread (`thread`, `redis` finisher) always run `scenePipeline` there.
   */
  pipeline?: ServerPipeline;
  loadSegmenter: SegmenterLoader;
  inspectScene: SceneInspector;
  /** The models cache whose PaliGemma exports requests may name (default: none, built-in models only). */
  modelsDir?: string;
  /** Named models this thread keeps loaded besides the default (default 2; a dropped one is disposed once idle). Not the job thread's. */
  maxLoadedModels?: number;
  /** Minimum time between progress writes (default 500 ms). */
  progressIntervalMs?: number;
  /** How jobs run (default: in this thread, with `loadSegmenter`). */
  jobs?: JobBackend;
}

/**
 * Where jobs run. `in-process`: the JobRunner in this thread (tests that inject models as functions).
 * `thread`: a worker thread holding the server's models, loaded from a module (`waterline serve`), so jobs
 * never hold up the HTTP event loop; on-demand segmentation and health use the same models there.
 * `redis`: BullMQ workers on any machine (`waterline serve --queue`); this server
 * plans, collects and finishes (stitch + vectorize, in a worker thread).
 */
export type JobBackend =
  | { kind: 'in-process' }
  | { kind: 'thread'; segmenter: SegmenterModuleRef; logLevel?: string }
  | { kind: 'redis'; connection: RedisConnectionOptions; defaultModel?: string; unitTiles?: number; pollMs?: number; reconcileMs?: number; logLevel?: string };

/** The app's dependencies as the server built them: the store is its SQLite database (which it closes). */
export interface ServerDeps extends AppDeps {
  store: JobStore;
}

export interface RunningServer {
  server: Server;
  url: string;
  port: number;
  deps: ServerDeps;
  /** Graceful shutdown; safe to call more than once. */
  close(): Promise<void>;
}

/** Build the app's dependencies for a configuration: opens the job database in the data directory. */
export function createServerDeps(services: ServerServices): ServerDeps {
  const { config, logger } = services;
  mkdirSync(config.dataDir, { recursive: true });
  const store = JobStore.open(config.dataDir) satisfies JobStorePort;
  const pipeline = services.pipeline ?? scenePipeline;
  const models = createModelRegistry({ modelsDir: services.modelsDir ?? '' });
  const backend = services.jobs ?? { kind: 'in-process' };
  if (backend.kind === 'thread') {
    // The job thread holds the models; the HTTP side (health, on-demand segmentation) uses them there.
    const executor = new ThreadJobExecutor({ dataDir: config.dataDir, segmenter: backend.segmenter, modelsDir: services.modelsDir, progressIntervalMs: services.progressIntervalMs, logLevel: backend.logLevel }, store, logger);
    const segmenters = threadSegmenterProvider(() => executor.start(), logger);
    const queue = new InProcessJobQueue({ store, runner: executor, logger, maxRunning: config.maxRunningJobs });
    return { config, store, queue, pipeline, segmenters, models, inspectScene: services.inspectScene, logger };
  }
  const segmenters: SegmenterProvider = createSegmenterProvider(services.loadSegmenter, logger, { resolve: (m) => models.resolve(m), maxLoaded: services.maxLoadedModels });
  const queue = createJobQueue(services, backend, store, pipeline, segmenters);
  return { config, store, queue, pipeline, segmenters, models, inspectScene: services.inspectScene, logger };
}

function createJobQueue(services: ServerServices, backend: Exclude<JobBackend, { kind: 'thread' }>, store: JobStorePort, pipeline: ServerPipeline, segmenters: SegmenterProvider): JobQueue {
  const { config, logger } = services;
  const progressIntervalMs = services.progressIntervalMs;
  if (backend.kind === 'redis') {
    const finisher = new ThreadJobExecutor({ dataDir: config.dataDir, progressIntervalMs, logLevel: backend.logLevel }, store, logger);
    return new DistributedJobQueue({
      store,
      units: bullmqWorkUnitQueues({ connection: backend.connection, logger }) satisfies WorkUnitQueues,
      finisher,
      defaultModel: backend.defaultModel,
      logger,
      unitTiles: backend.unitTiles,
      pollMs: backend.pollMs,
      reconcileMs: backend.reconcileMs,
    });
  }
  const runner: JobExecutor = new JobRunner({ store, pipeline, segmenters, logger, progressIntervalMs });
  return new InProcessJobQueue({ store, runner, logger, maxRunning: config.maxRunningJobs });
}

export async function startServer(services: ServerServices): Promise<RunningServer> {
  const deps = createServerDeps(services);
  try {
    return await listen(services, deps);
  } catch (err) {
    // Nothing may outlive a failed start (a busy port, a bad app): the job thread with its model, the
    // queue's timers and the database would keep the process running after the error is printed.
    await deps.queue.close().catch(() => undefined);
    await deps.segmenters.dispose().catch(() => undefined);
    deps.store.close();
    throw err;
  }
}

async function listen(services: ServerServices, deps: ServerDeps): Promise<RunningServer> {
  const app = await createApp(deps);
  // Headers must arrive within headersTimeoutMs (checked every second, not Node's default 30 s); bodies are
  // bounded by their minimum rate (bodyRate.ts) rather than a total time, so a large upload at a decent
  // speed is never cut while a trickling one is.
  // Idle keep-alive connections stay open 30 s (Node's 5 s default lost a race with clients reusing a pooled
  // socket whenever the event loop stalled: the client's request met the server's close — ECONNRESET).
  const server = createServer({ headersTimeout: services.config.headersTimeoutMs, requestTimeout: 0, connectionsCheckingInterval: 1000, keepAliveTimeout: 30_000 }, app);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(services.config.port, services.config.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = services.config.host.includes(':') ? `[${services.config.host}]` : services.config.host;
  const url = `http://${host === '0.0.0.0' || host === '[::]' ? '127.0.0.1' : host}:${port}`;
  let resumed: JobQueueStats;
  try {
    await deps.queue.resume();
    resumed = await deps.queue.stats();
  } catch (err) {
    server.close();
    throw err;
  }
  services.logger.info({ url, dataDir: services.config.dataDir, resumedJobs: resumed.running + resumed.queued }, 'waterline server listening');

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      services.logger.info('shutting down: no new requests; letting the running tile finish');
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await deps.queue.close();
      await deps.segmenters.dispose();
      // Requests still in flight get a few seconds, then their connections are cut.
      const timer = setTimeout(() => server.closeAllConnections(), 5000);
      await stopped;
      clearTimeout(timer);
      deps.store.close();
      services.logger.info('server stopped');
    })();
    return closing;
  };
  return { server, url, port, deps, close };
}
