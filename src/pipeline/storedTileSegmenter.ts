/**
 * The "model" that finishes a distributed job: every tile was segmented by a worker and stored, so
 * `segmentScene` takes them from `completed` and never asks for them. It only asks for tiles without a
 * stored probability: nodata tiles (the tile source skips them before any model call) and tiles the
 * worker's model failed on — for those it fails again with the worker's own error, so the result lists
 * them exactly as a single-process run would. Its info is the worker's model (provenance, provider).
 */
import type { Segmenter, SegmenterInfo, TileSegmentation } from '../core/model/segmenter.ts';
import type { SegmenterProvider } from './jobRunner.ts';
import type { JobStorePort } from './jobStorePort.ts';
import type { TilePlan } from './tileWork.ts';

export function storedTileSegmenter(info: SegmenterInfo, failures: ReadonlyMap<string, string>): Segmenter {
  return {
    info,
    async segment(tiles): Promise<TileSegmentation[]> {
      // segmentScene retries a failed batch tile by tile: each single call then fails with that tile's error.
      const id = tiles[0]?.id ?? '';
      throw new Error(failures.get(id) ?? `tile ${id} has no stored result (a worker never reported it)`);
    },
    async dispose() {},
  };
}

/** The finisher's SegmenterProvider: per job, the model that planned it (from the store) replaying its stored tiles. */
export function storedTileProvider(store: Pick<JobStorePort, 'getPlan' | 'loadTileOutcomes'>): SegmenterProvider {
  return {
    info: undefined,
    loadError: undefined,
    async get(_model, jobId) {
      const plan = jobId ? store.getPlan<TilePlan>(jobId) : undefined;
      if (!plan) throw new Error(`job ${jobId ?? '(none)'} has no tile plan: it was never planned by a worker`);
      const failures = new Map<string, string>();
      for (const [tileId, o] of store.loadTileOutcomes(jobId!)) if (o.outcome === 'failed') failures.set(tileId, o.error ?? 'failed on a worker');
      return storedTileSegmenter(plan.segmenter, failures);
    },
    async dispose() {},
  };
}
