/**
 * The server's models when jobs run in the job thread (jobThread.ts): the thread holds the only copy of each
 * model, and everything else the HTTP side needs — /healthz and /readyz's model and provider, on-demand
 * `water.geojson?bbox` segmentation — asks the thread. A model is loaded once per server, not once per
 * thread (a PaliGemma on a GPU would not fit twice), and on-demand inference leaves the event loop too.
 */
import type { Segmenter, SegmenterInfo, TileSegmentation } from '../core/model/segmenter.ts';
import { UnavailableError, describeError } from '../core/errors.ts';
import type { Logger } from '../logger.ts';
import type { ThreadClient } from '../adapters/threads/threadRpc.ts';
import type { SegmenterProvider } from '../pipeline/jobRunner.ts';

export function threadSegmenterProvider(thread: () => Promise<ThreadClient>, logger: Logger): SegmenterProvider {
  let info: SegmenterInfo | undefined;
  let loadError: string | undefined;

  const load = async (model: string | null): Promise<{ client: ThreadClient; info: SegmenterInfo }> => {
    try {
      const client = await thread();
      const loaded = await client.call<SegmenterInfo>('model', { model });
      if (model === null) {
        if (!info) logger.info({ model: loaded.name, kind: loaded.kind, provider: loaded.provider }, 'model loaded (job thread)');
        info = loaded;
        loadError = undefined;
      }
      return { client, info: loaded };
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
      const { client, info: modelInfo } = await load(model);
      return {
        info: modelInfo,
        segment: (tiles, options) => client.call<TileSegmentation[]>('segment', { model, tiles, prompt: options.prompt }, options.signal),
        async dispose() {},
      };
    },
    // The models live in the thread; closing the job executor releases them.
    async dispose() {},
  };
}
