/**
 * The server's models: the default one starts loading at start-up (readiness reports it), others named
 * by a job are loaded on first use and kept. Jobs submitted while the default model loads wait for it.
 * A failed load (default or named) is not kept: the next job that needs the model loads it again.
 *
 * Named models are keyed by the model they resolve to (`resolve`: the server's model registry, so two
 * spellings of one model share an entry and a string that is no registered name never loads anything),
 * and at most `maxLoaded` of them are kept besides the default (least recently used dropped first).
 *
 * A dropped model is disposed (a U-Net's inference threads end) as soon as no call runs on it: the provider
 * counts the `segment` calls in flight per loaded model, and disposes a dropped one when its count is 0, at
 * once or when its last call returns. What `get` hands out for a named model is the provider's handle for that
 * name, not the loaded model: each `segment` call runs on the model loaded for the name at that moment,
 * loading it again if it was dropped, so a job or an on-demand cache holding the handle never runs a
 * disposed model. The handle is the same object for the same name as long as the provider lives.
 */
import { usesDefaultLearnedModel } from '../core/model/modelNames.ts';
import type { Segmenter, SegmenterInfo } from '../core/model/segmenter.ts';
import { UnavailableError, describeError } from '../core/errors.ts';
import type { Logger } from '../logger.ts';
import type { SegmenterProvider } from '../pipeline/jobRunner.ts';
import { Lru } from './lru.ts';

export type SegmenterLoader = (model: string | null) => Promise<Segmenter>;

export interface SegmenterProviderOptions {
  /** A request's model → the model it means (null = the default); throws for names that are not registered. */
  resolve?: (model: string | null) => string | null;
  /** Named (non-default) models kept loaded at once (default 2). */
  maxLoaded?: number;
}

export const DEFAULT_MAX_LOADED_MODELS = 2;

/** A named model the provider loaded: its load, the `segment` calls running on it, and whether the cache dropped it. */
interface LoadedModel {
  readonly model: string;
  readonly loading: Promise<Segmenter>;
  calls: number;
  dropped: boolean;
  /** Set once its disposal has started (never twice). */
  disposed?: Promise<void>;
}

export function createSegmenterProvider(load: SegmenterLoader, logger: Logger, options: SegmenterProviderOptions = {}): SegmenterProvider {
  const resolve = options.resolve ?? ((m: string | null) => m);
  let info: SegmenterInfo | undefined;
  let loadError: string | undefined;
  /** Dropped models with calls still running: disposed when their last call returns (or by dispose()). */
  const draining = new Set<LoadedModel>();
  /** After dispose(): no named model is loaded again (a late call would leak it). */
  let closed = false;

  const release = (entry: LoadedModel): Promise<void> => {
    const { model } = entry;
    draining.delete(entry);
    entry.disposed ??= entry.loading.then(
      async (s) => {
        await s.dispose();
        logger.info({ model }, 'model released');
      },
      () => undefined, // a failed load holds nothing
    ).catch((err: unknown) => logger.warn({ err, model }, 'model failed to release'));
    return entry.disposed;
  };
  const releaseWhenIdle = (entry: LoadedModel): void => {
    if (!entry.dropped) return;
    if (entry.calls === 0) void release(entry);
    else draining.add(entry);
  };

  const loaded = new Lru<string, LoadedModel>(options.maxLoaded ?? DEFAULT_MAX_LOADED_MODELS, {
    onEvict: (model, entry) => {
      logger.info({ model, callsInFlight: entry.calls }, 'model dropped from the loaded-models cache');
      entry.dropped = true;
      releaseWhenIdle(entry);
    },
  });

  /** The entry loaded (or loading) for a named model, loading it when it is not (or no longer) in the cache. */
  const loadedEntry = (model: string): LoadedModel => {
    let entry = loaded.get(model);
    if (!entry) {
      if (closed) throw new UnavailableError('server_closing', 'the server is shutting down', { hint: 'retry once it is running again' });
      const loading = load(model);
      const created: LoadedModel = { model, loading, calls: 0, dropped: false };
      entry = created;
      loaded.set(model, created);
      // A failed load is not cached: the next job retries it.
      loading.catch(() => {
        if (loaded.get(model) === created) loaded.delete(model);
      });
    }
    return entry;
  };

  const unavailable = (model: string | null, err: unknown): UnavailableError =>
    new UnavailableError('model_unavailable', `the model ${model ?? '(server default)'} could not be loaded: ${describeError(err)}`, { cause: err });

  /** One handle per named model: its calls run on whatever is loaded for the name when they start. */
  const handles = new Map<string, Segmenter>();
  const handleFor = (model: string, first: Segmenter): Segmenter => {
    let handle = handles.get(model);
    if (!handle) {
      let current = first;
      handle = {
        get info() {
          return current.info;
        },
        async segment(tiles, segmentOptions) {
          const entry = loadedEntry(model);
          entry.calls++;
          try {
            current = await entry.loading.catch((err: unknown) => {
              throw unavailable(model, err);
            });
            return await current.segment(tiles, segmentOptions);
          } finally {
            entry.calls--;
            releaseWhenIdle(entry);
          }
        },
        // the provider owns the models: it disposes them when they are dropped and in its own dispose()
        async dispose() {},
      };
      handles.set(model, handle);
    }
    return handle;
  };

  /** The default model's load in flight or done; forgotten when it fails, so the next request retries it. */
  let defaultModel: Promise<Segmenter> | undefined;
  const loadDefault = (): Promise<Segmenter> => {
    if (!defaultModel) {
      defaultModel = load(null).then(
        (s) => {
          info = s.info;
          loadError = undefined;
          logger.info({ model: s.info.name, kind: s.info.kind, provider: s.info.provider }, 'model loaded');
          return s;
        },
        (err: unknown) => {
          loadError = describeError(err);
          defaultModel = undefined;
          logger.error({ err }, 'model failed to load');
          throw err;
        },
      );
      defaultModel.catch(() => undefined);
    }
    return defaultModel;
  };
  void loadDefault();

  return {
    get info() {
      return info;
    },
    get loadError() {
      return loadError;
    },
    async get(requested) {
      const model = resolve(requested);
      try {
        if (usesDefaultLearnedModel(model) || (info && (model === info.name))) return await loadDefault();
        return handleFor(model, await loadedEntry(model).loading);
      } catch (err) {
        throw unavailable(model, err);
      }
    },
    async dispose() {
      closed = true;
      const named = [...loaded.values(), ...draining];
      const byDefault = await defaultModel?.catch(() => undefined);
      await byDefault?.dispose().catch(() => undefined);
      for (const entry of named) await release(entry);
    },
  };
}
