/**
 * The server's models: the default one starts loading at start-up (readiness reports it), others named
 * by a job are loaded on first use and kept. Jobs submitted while the default model loads wait for it.
 * A failed load (default or named) is not kept: the next job that needs the model loads it again.
 */
import type { Segmenter, SegmenterInfo } from '../core/model/segmenter.ts';
import { UnavailableError, describeError } from '../core/errors.ts';
import type { Logger } from '../logger.ts';
import type { SegmenterProvider } from '../pipeline/jobRunner.ts';

export type SegmenterLoader = (model: string | null) => Promise<Segmenter>;

export function createSegmenterProvider(load: SegmenterLoader, logger: Logger): SegmenterProvider {
  const loaded = new Map<string, Promise<Segmenter>>();
  let info: SegmenterInfo | undefined;
  let loadError: string | undefined;
  const key = (model: string | null): string => model ?? '';

  const loadOne = (model: string | null): Promise<Segmenter> => {
    let p = loaded.get(key(model));
    if (!p) {
      p = load(model);
      loaded.set(key(model), p);
      // A failed load is not cached: the next job retries it.
      p.catch(() => loaded.delete(key(model)));
    }
    return p;
  };

  /** The default model's load in flight or done; forgotten when it fails, so the next request retries it. */
  let defaultModel: Promise<Segmenter> | undefined;
  const loadDefault = (): Promise<Segmenter> => {
    if (!defaultModel) {
      defaultModel = loadOne(null).then(
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
    async get(model) {
      try {
        if (model === null || (info && (model === info.name))) return await loadDefault();
        return await loadOne(model);
      } catch (err) {
        throw new UnavailableError('model_unavailable', `the model ${model ?? '(server default)'} could not be loaded: ${describeError(err)}`, { cause: err });
      }
    },
    async dispose() {
      const all = await Promise.allSettled([...loaded.values()]);
      for (const r of all) if (r.status === 'fulfilled') await r.value.dispose().catch(() => undefined);
    },
  };
}
