/**
 * The production model module for threads (see src/pipeline/segmenterModule.ts): the server's model
 * resolution (serverModelLoader) from plain options, with its own logger (threads cannot share one).
 */
import { createLogger } from '../logger.ts';
import type { ModuleSegmenterLoader, SegmenterModuleRef } from '../pipeline/segmenterModule.ts';
import { serverModelLoader } from './modelLoader.ts';

export interface ModelLoaderModuleOptions {
  defaultModel?: string;
  device: string;
  modelsDir: string;
  vaePath?: string;
  logLevel?: string;
}

export function createSegmenterLoader(options: ModelLoaderModuleOptions): ModuleSegmenterLoader {
  const { logLevel, ...rest } = options;
  return serverModelLoader({ ...rest, logger: createLogger(logLevel ?? 'info') });
}

/** The reference a thread needs to load the server's models with these options. */
export function modelLoaderModule(options: ModelLoaderModuleOptions): SegmenterModuleRef {
  return { module: import.meta.url, options };
}
