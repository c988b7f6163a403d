/**
 * The server's models: the default one starts loading at start-up (readiness reports it), others named
 * by a job are loaded on first use and kept. Jobs submitted while the default model loads wait for it.
 * A failed load (default or named) is not kept: the next job that needs the model loads it again.
 *
 * Named models are keyed by the weights they run: the model they resolve to (`resolve`: the server's model
 * registry, so a string that is no registered name never loads anything), and for a built-in U-Net its versioned
 * name (`waterline-unet` and the version it stands for share one copy, loaded by the versioned name; the name a
 * job asked for is only in the `info` of what `get` hands it). A name that runs the default model's weights gets
 * the default model. At most `maxLoaded` named models are kept besides the default (least recently used dropped
 * first).
 *
 * A dropped model is disposed (a U-Net's inference threads end) as soon as no call runs on it: the provider
 * counts the `segment` calls in flight per loaded model, and disposes a dropped one when its count is 0, at
 * once or when its last call returns; a dropped model asked for again while its calls still run is taken back
 * into the cache (never a second copy alongside it). What `get` hands out for a named model is the provider's handle for that
 * name, not the loaded model: each `segment` call runs on the model loaded for the name at that moment,
 * loading it again if it was dropped, so a job or an on-demand cache holding the handle never runs a
 * disposed model. The handle is the same object for the same name as long as the provider lives. After
 * `dispose()` nothing runs: `get` and every handle's `segment` reject (server_closing).
 */
import { builtinUnetVersion, usesDefaultLearnedModel } from '../core/model/modelNames.ts';
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

/** The weights a named model runs: the cache key (a built-in U-Net's versioned name, else the name). */
const weightsOf = (model: string): string => builtinUnetVersion(model) ?? model;

const closing = (): UnavailableError => new UnavailableError('server_closing', 'the server is shutting down', { hint: 'retry once it is running again' });

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

  /**
   * The entry loaded (or loading) for some weights (weightsOf), loading them when they are not (or no longer) in
   * the cache. A dropped copy whose calls still run is taken back rather than a second copy loaded beside it.
   */
  const loadedEntry = (model: string): LoadedModel => {
    if (closed) throw closing();
    let entry = loaded.get(model);
    if (!entry) {
      const busy = [...draining].find((e) => e.model === model && !e.disposed);
      if (busy) {
        draining.delete(busy);
        busy.dropped = false;
        loaded.set(model, busy);
        logger.info({ model, callsInFlight: busy.calls }, 'model taken back into the loaded-models cache');
        return busy;
      }
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

  /**
   * `info` under the name a job asked for when its weights were loaded under another one (`waterline-unet` runs the
   * copy loaded as its version, DEFAULT_UNET_VERSION); any other model's info is what its loader gave.
   */
  const named = (model: string, info: SegmenterInfo): SegmenterInfo => (weightsOf(model) === model || info.name === model ? info : { ...info, name: model });

  /** One handle per named model: its calls run on whatever is loaded for the name's weights when they start. */
  const handles = new Map<string, Segmenter>();
  const handleFor = (model: string, first: Segmenter): Segmenter => {
    let handle = handles.get(model);
    if (!handle) {
      let current = first;
      let info = named(model, first.info);
      handle = {
        get info() {
          return info;
        },
        async segment(tiles, segmentOptions) {
          if (closed) throw closing();
          const entry = loadedEntry(weightsOf(model));
          entry.calls++;
          try {
            const now = await entry.loading.catch((err: unknown) => {
              throw unavailable(model, err);
            });
            if (now !== current) info = named(model, now.info);
            current = now;
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

  /** The default model under another name for its weights (its version, e.g. `waterline-unet11`, when it is `waterline-unet`), one per name. */
  const defaultViews = new Map<string, Segmenter>();
  const defaultAs = (model: string, byDefault: Segmenter): Segmenter => {
    if (byDefault.info.name === model) return byDefault;
    let view = defaultViews.get(model);
    if (!view) {
      view = {
        info: { ...byDefault.info, name: model },
        segment: (tiles, segmentOptions) => byDefault.segment(tiles, segmentOptions),
        // the provider owns the default model
        async dispose() {},
      };
      defaultViews.set(model, view);
    }
    return view;
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
      if (closed) throw closing();
      const model = resolve(requested);
      try {
        if (usesDefaultLearnedModel(model)) return await loadDefault();
        // a built-in name may run the default's weights: wait for the default (loading since start-up) to know
        const byDefault = info || builtinUnetVersion(model) ? await loadDefault().catch(() => undefined) : undefined;
        if (byDefault && weightsOf(model) === weightsOf(byDefault.info.name)) return defaultAs(model, byDefault);
        return handleFor(model, await loadedEntry(weightsOf(model)).loading);
      } catch (err) {
        throw unavailable(model, err);
      }
    },
    async dispose() {
      closed = true;
      const entries = [...loaded.values(), ...draining];
      // nothing stays in the cache: a later call finds no model to run on (and `closed` stops a new load)
      for (const entry of entries) loaded.delete(entry.model);
      const byDefault = await defaultModel?.catch(() => undefined);
      await byDefault?.dispose().catch(() => undefined);
      for (const entry of entries) await release(entry);
    },
  };
}
