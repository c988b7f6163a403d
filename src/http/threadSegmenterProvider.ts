/**
 * The server's models when jobs run in the job thread (jobThread.ts): the thread holds the only copy of each
 * model, and everything else the HTTP side needs — /healthz and /readyz's model and provider, on-demand
 * `water.geojson?bbox` segmentation — asks the thread. A model is loaded once per server, not once per
 * thread (a PaliGemma on a GPU would not fit twice), and on-demand inference leaves the event loop too.
 *
 * `get` hands out one object per requested model, whose calls go to the job thread running at that moment (a
 * new one after a crash) and to whatever the thread has loaded for the name then (its provider may have
 * dropped and disposed a model since), so a caller that keeps the object (on-demand's per-scene cache)
 * never calls a dead thread or a disposed model.
 */
import type { Segmenter, SegmenterInfo, TileSegmentation } from '../core/model/segmenter.ts';
import { UnavailableError, describeError } from '../core/errors.ts';
import type { Logger } from '../logger.ts';
import type { ThreadClient } from '../adapters/threads/threadRpc.ts';
import type { SegmenterProvider } from '../pipeline/jobRunner.ts';

/** What `get` hands out for a model, and the info of its latest load there. */
interface ModelHandle {
  latest: SegmenterInfo;
  readonly handle: Segmenter;
}

export function threadSegmenterProvider(thread: () => Promise<ThreadClient>, logger: Logger): SegmenterProvider {
  let info: SegmenterInfo | undefined;
  let loadError: string | undefined;
  /** One handle per requested model (null: ''). */
  const handles = new Map<string, ModelHandle>();
  const modelHandle = (model: string | null, first: SegmenterInfo): ModelHandle => {
    const known: ModelHandle = {
      latest: first,
      handle: {
        get info() {
          return known.latest;
        },
        segment: async (tiles, options) => (await thread()).call<TileSegmentation[]>('segment', { model, tiles, prompt: options.prompt }, options.signal),
        async dispose() {},
      },
    };
    return known;
  };

  const load = async (model: string | null): Promise<SegmenterInfo> => {
    try {
      const loaded = await (await thread()).call<SegmenterInfo>('model', { model });
      if (model === null) {
        if (!info) logger.info({ model: loaded.name, kind: loaded.kind, provider: loaded.provider }, 'model loaded (job thread)');
        info = loaded;
        loadError = undefined;
      }
      return loaded;
    } catch (err) {
      if (model === null) loadError = describeError(err);
      // The thread's own provider already says which model failed and why.
      throw new UnavailableError('model_unavailable', describeError(err), { cause: err });
    }
  };
  // As the in-process provider: the default model starts loading at start-up (readiness reports it).
  load(null).catch((err: unknown) => logger.error({ err }, 'model failed to load'));

  return {
    get info() {
      return info;
    },
    get loadError() {
      return loadError;
    },
    async get(model): Promise<Segmenter> {
      const loaded = await load(model);
      const key = model ?? '';
      let known = handles.get(key);
      if (!known) {
        known = modelHandle(model, loaded);
        handles.set(key, known);
      }
      known.latest = loaded;
      return known.handle;
    },
    // The models live in the thread; closing the job executor releases them.
    async dispose() {},
  };
}
