/**
 * A `waterline worker`: takes plan and tile units (tileWork.ts) of one model's broker queue
 * (`WorkUnitConsumers`, workUnitBroker.ts: BullMQ on Redis, src/adapters/queue/bullmqWorkUnitConsumers.ts)
 * and returns their results to the broker, where the server collects them (distributedJobQueue.ts).
 *
 * - The model is loaded once, in an inference thread (tileUnitThread.ts); this thread only talks to the
 *   broker, so BullMQ's lock renewal is never starved by inference, tile reads or stretching.
 * - A worker killed mid-unit (SIGKILL, lost machine) stops renewing its lock: after `lockDurationMs` the
 *   stalled check of any live worker puts the unit back to waiting and another worker computes it. Its result
 *   is deterministic and stored idempotently, so nothing counts twice.
 * - Scenes: a unit names the scene's absolute path on the server and its path inside the data directory;
 *   with `dataDir` the worker reads `<dataDir>/<name>` (the data directory mounted anywhere), else the
 *   server's path (same machine, or the same mount point).
 * - close() (SIGTERM) lets the units in flight finish and be reported.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import type { Logger } from '../logger.ts';
import type { SegmenterInfo } from '../core/model/segmenter.ts';
import { statSync } from 'node:fs';
import { InputError, describeError } from '../core/errors.ts';
import { ThreadCallError, startThread, type ThreadClient } from '../adapters/threads/threadRpc.ts';
import type { WorkUnitData, WorkUnitResult } from './distributedJobQueue.ts';
import { queueModel, tileQueueName } from './tileQueues.ts';
import type { SegmenterModuleRef } from './segmenterModule.ts';
import type { TileJobSpec, TilePlan, TileUnitResult } from './tileWork.ts';
import type { TileUnitThreadInit } from './tileUnitThread.ts';
import { PermanentUnitError, type WorkUnitConsumers } from './workUnitBroker.ts';

export interface TileWorkerOptions {
  /** The broker the units come from (BullMQ on Redis: bullmqWorkUnitConsumers). */
  units: WorkUnitConsumers;
  /** The model this worker runs (null: the built-in default); it takes the queue of its weights (tileQueues.ts). */
  model: string | null;
  /** How the inference thread loads it (null model = the module's default). */
  segmenter: SegmenterModuleRef;
  /** Read scenes as `<dataDir>/<scene name>` instead of the server's absolute path. */
  dataDir?: string;
  /** How long a stopping worker waits for a Redis that does not answer before it disconnects (default 60 s). */
  closeWaitMs?: number;
  /** Units processed at once (default 1: one model, its own CPU threads). */
  concurrency?: number;
  /** A unit's lock lives this long without renewal before another worker may take it (default 30 s). */
  lockDurationMs?: number;
  /** How often this worker looks for stalled units (default 30 s). */
  stalledIntervalMs?: number;
  /** Times a unit may stall (its worker died) before it fails (default 5). */
  maxStalledCount?: number;
  logger: Logger;
}

export interface RunningTileWorker {
  /** The loaded model, with the execution provider in use. */
  info: SegmenterInfo;
  queue: string;
  /** Stop taking units, let the ones in flight finish and be reported, unload the model. */
  close(): Promise<void>;
}

export function sceneFileFor(spec: TileJobSpec, dataDir: string | undefined): string {
  if (!dataDir) return spec.scenePath;
  const root = resolve(dataDir);
  const path = resolve(root, spec.sceneName);
  const rel = relative(root, path);
  if (rel.startsWith('..') || isAbsolute(rel)) throw new InputError('scene_outside_data_dir', `scene ${spec.sceneName} is outside the worker's data directory`, { hint: 'check --data-dir' });
  return path;
}

/**
 * The scene file this worker reads for a unit, checked against the server's: it must exist and have the size
 * the server's file has (a worker whose data directory holds another file under the name would segment the
 * wrong scene). Either failure is this worker's (a mount missing or late, a copy still being written), so the
 * unit is tried again, by any worker; when every attempt fails, the job fails with this message.
 */
export function checkedSceneFile(spec: TileJobSpec, dataDir: string | undefined): string {
  const path = sceneFileFor(spec, dataDir);
  const where = dataDir ? 'this worker\'s --data-dir' : 'the server\'s path on this worker\'s machine';
  let bytes: number;
  try {
    bytes = statSync(path).size;
  } catch {
    throw new Error(`scene ${spec.sceneName} is not readable in ${where}; point the worker at the server's data directory (--data-dir, a copy or mount of it)`);
  }
  if (spec.sceneBytes !== undefined && bytes !== spec.sceneBytes) {
    throw new Error(`scene ${spec.sceneName} in ${where} is not the server's file (${bytes} bytes, the server's has ${spec.sceneBytes}); point the worker at the server's data directory`);
  }
  return path;
}

/** A unit error that every attempt on every worker would repeat (the job's input: bands, roles, a model it cannot run): failed at once, not retried. */
const PERMANENT_ERRORS = new Set(['InputError', 'UnsupportedError', 'NotFoundError', 'TooLargeError']);
const permanent = (err: unknown): unknown =>
  err instanceof Error && !(err instanceof PermanentUnitError) && PERMANENT_ERRORS.has(err instanceof ThreadCallError ? err.remoteName : err.name) ? new PermanentUnitError(err.message) : err;

export async function startTileWorker(options: TileWorkerOptions): Promise<RunningTileWorker> {
  const init: TileUnitThreadInit = { segmenter: options.segmenter, model: options.model };
  const thread = await startThread(new URL('./tileUnitThread.ts', import.meta.url), init, 'waterline-inference');
  try {
    return await serveUnits(options, thread);
  } catch (err) {
    // The inference thread holds the model: a worker that fails to start must not keep it (and the process) alive.
    await thread.close();
    throw err;
  }
}

async function serveUnits(options: TileWorkerOptions, thread: ThreadClient): Promise<RunningTileWorker> {
  const { logger } = options;
  const info = await thread.call<SegmenterInfo>('info', null);
  const queue = tileQueueName(queueModel(options.model));
  logger.info({ model: info.name, kind: info.kind, provider: info.provider, queue }, 'worker model loaded');

  const processor = async (unit: { id: string; data: WorkUnitData }): Promise<WorkUnitResult> => {
    const data = unit.data;
    const spec = data.kind === 'plan' ? data.spec : data.unit;
    try {
      const scenePath = checkedSceneFile(spec, options.dataDir);
      if (data.kind === 'plan') return await thread.call<TilePlan>('plan', { spec, scenePath });
      const started = Date.now();
      const result = await thread.call<TileUnitResult>('tiles', { unit: data.unit, scenePath });
      logger.info({ job: spec.jobId, unit: unit.id, tiles: result.tiles.length, failed: result.failed.length, ms: Date.now() - started }, 'unit done');
      return result;
    } catch (err) {
      logger.warn({ job: spec.jobId, unit: unit.id, err: describeError(err) }, 'work unit failed');
      throw permanent(err);
    }
  };
  const worker = await options.units.consume<WorkUnitData, WorkUnitResult>(queue, processor, {
    concurrency: Math.max(1, options.concurrency ?? 1),
    lockDurationMs: options.lockDurationMs ?? 30_000,
    stalledIntervalMs: options.stalledIntervalMs ?? 30_000,
    maxStalledCount: options.maxStalledCount ?? 5,
    closeWaitMs: options.closeWaitMs,
  });

  let closing: Promise<void> | undefined;
  return {
    info,
    queue,
    close() {
      closing ??= (async () => {
        await worker.close();
        await thread.call('close', null).catch(() => undefined);
        await thread.close();
      })();
      return closing;
    },
  };
}
