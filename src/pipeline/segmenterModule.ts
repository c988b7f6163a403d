/**
 * How a worker thread gets its models: functions cannot cross into a thread, so a thread is told a
 * module (file: URL) and plain options, and builds its loader from them. The module exports
 * `createSegmenterLoader(options)` returning `(model: string | null) => Promise<Segmenter>` (null = the
 * default model). Production: src/http/modelLoaderModule.ts; tests pass a fixture model module.
 */
import type { Segmenter } from '../core/model/segmenter.ts';

export interface SegmenterModuleRef {
  /** file: URL of the module. */
  module: string;
  /** Structured-clone options handed to its createSegmenterLoader. */
  options: unknown;
}

export type ModuleSegmenterLoader = (model: string | null) => Promise<Segmenter>;

export async function importSegmenterLoader(ref: SegmenterModuleRef): Promise<ModuleSegmenterLoader> {
  const mod = (await import(ref.module)) as { createSegmenterLoader?: (options: unknown) => ModuleSegmenterLoader };
  if (typeof mod.createSegmenterLoader !== 'function') throw new Error(`${ref.module} does not export createSegmenterLoader`);
  return mod.createSegmenterLoader(ref.options);
}
