/**
 * The server's models: the default one starts loading at start-up (readiness reports it), others named
 * by a job are loaded on first use and kept. Jobs submitted while the default model loads wait for it.
 * A failed load (default or named) is not kept: the next job that needs the model loads it again.
 *
 * Named models are keyed by the model they resolve to (`resolve`: the server's model registry, so two
 * spellings of one model share an entry and a string that is no registered name never loads anything),
 * and at most `maxLoaded` of them are kept besides the default (least recently used dropped first; a
 * dropped model is not disposed, since a running job may still hold it — it is freed when unused).
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

export function createSegmenterProvider(load: SegmenterLoader, logger: Logger, options: SegmenterProviderOptions = {}): SegmenterProvider {
  const resolve = options.resolve ?? ((m: string | null) => m);
  const loaded = new Lru<string, Promise<Segmenter>>(options.maxLoaded ?? DEFAULT_MAX_LOADED_MODELS, {
    onEvict: (model) => logger.info({ model }, 'model dropped from the loaded-models cache'),
  });
  let info: SegmenterInfo | undefined;
  let loadError: string | undefined;

  const loadNamed = (model: string): Promise<Segmenter> => {
    let p = loaded.get(model);
    if (!p) {
      const loading = load(model);
      p = loading;
      loaded.set(model, loading);
      // A failed load is not cached: the next job retries it.
      loading.catch(() => {
        if (loaded.get(model) === loading) loaded.delete(model);
      });
    }
    return p;
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
        return await loadNamed(model);
      } catch (err) {
        throw new UnavailableError('model_unavailable', `the model ${model ?? '(server default)'} could not be loaded: ${describeError(err)}`, { cause: err });
      }
    },
    async dispose() {
      const all = await Promise.allSettled([...(defaultModel ? [defaultModel] : []), ...loaded.values()]);
      for (const r of all) if (r.status === 'fulfilled') await r.value.dispose().catch(() => undefined);
    },
  };
}
