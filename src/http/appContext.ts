/**
 * What `createApp` needs (its dependencies, injected so tests start the app in-process with their own
 * store, queue, pipeline and models) and what every route module receives.
 */
import type { Router } from 'express';
import type { TiffLimits } from '../adapters/raster/tiffStructure.ts';
import type { Logger } from '../logger.ts';
import type { JobQueue } from '../pipeline/jobQueue.ts';
import type { JobStorePort } from '../pipeline/jobStorePort.ts';
import type { SegmenterProvider } from '../pipeline/jobRunner.ts';
import type { ServerConfig } from './serverConfig.ts';
import type { ServerPipeline } from './serverPipeline.ts';
import type { ModelRegistry } from './modelRegistry.ts';
import type { ClientText } from './clientText.ts';

/**
 * Opens a scene file and returns its `waterline info --json` object; throws a WaterlineError (400/413/422)
 * when the file is not a readable, georeferenced GeoTIFF or its structure breaks `limits` (IFD chain,
 * offsets inside the file, pixel and block counts). The server uses the raster adapter's `openScene`
 * (src/adapters/raster/openScene.ts, structure checked by src/adapters/raster/tiffStructure.ts).
 */
export type SceneInspector = (path: string, limits: Partial<TiffLimits>) => Promise<unknown>;

export interface AppDeps {
  config: ServerConfig;
  /** Scenes, jobs, tiles and results: the one place job state lives (the server's SQLite database). */
  store: JobStorePort;
  queue: JobQueue;
  /** The pipeline on-demand segmentation runs (and in-process jobs: the same object is the job runner's). */
  pipeline: ServerPipeline;
  segmenters: SegmenterProvider;
  /** The model names requests may use (never a path). */
  models: ModelRegistry;
  inspectScene: SceneInspector;
  logger: Logger;
}

export interface AppContext extends AppDeps {
  /** Real path (symlinks resolved) of `config.dataDir`. */
  dataRoot: string;
  /** The OpenAPI document served at /openapi.json (built from every route module's `openapi` paths). */
  openapi: Record<string, unknown>;
  /** Error text as a client may read it: no server paths, no CLI flags (src/http/clientText.ts). */
  clientText: ClientText;
}

/** A route module: one resource's routes, plus its part of the OpenAPI document. */
export interface RouteModule {
  registerRoutes(router: Router, ctx: AppContext): void;
  /** OpenAPI 3 path items this module serves, keyed by path. */
  openapiPaths?: Record<string, unknown>;
}
