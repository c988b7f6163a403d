/**
 * What the job queues, the job runner, the distributed-job finisher and the HTTP routes ask of the job
 * store: exactly the methods they call, declared here with them so none of them depends on a database.
 * The implementation is the SQLite `JobStore` (src/adapters/store/jobStore.ts, checked against this
 * interface where the server and the job thread open it): every job's state, tiles, plan and result in
 * `<dataDir>/waterline.db`, one file a user can back up. Redis (RedisJobQueue) only holds work in flight.
 *
 * Calls are synchronous and durable on return: the runner persists each tile the moment the pipeline
 * reports it, so a process killed right after loses nothing (a remote store would sit behind a local one).
 */
import type { SegmentationDefect } from '../core/model/segmenter.ts';
import type { JobProgress, JobRecord, JobState, JobStateFields, NewJob, SceneRecord, TileOutcome } from '../core/jobRecords.ts';

export interface JobStorePort {
  /** False once the store is closed (a server shutting down): a runner stops writing. */
  readonly isOpen: boolean;

  // ---- scenes (routes; the runner and queues read a job's scenes) ----
  insertScene(input: { name: string; path: string; info: unknown }): SceneRecord;
  getScene(id: string): SceneRecord | undefined;
  findSceneByPath(path: string): SceneRecord | undefined;
  listScenes(): SceneRecord[];

  // ---- jobs ----
  createJob(input: NewJob): JobRecord;
  getJob(id: string): JobRecord | undefined;
  listJobs(filter?: { state?: JobState }): JobRecord[];
  /** Jobs to pick up again after a restart: `queued`, and `running` when the process died. */
  unfinishedJobs(): JobRecord[];
  setJobState(id: string, state: JobState, fields?: JobStateFields): JobRecord;
  /** Move a job from one of `from` to `to` atomically; undefined when it was in none of them. */
  transitionJob(id: string, from: readonly JobState[], to: JobState, fields?: JobStateFields): JobRecord | undefined;
  updateProgress(id: string, progress: JobProgress): void;

  // ---- per-tile results (a tile stored twice keeps its first result: the methods return false) ----
  putTile(jobId: string, tileId: string, probability: Float32Array, defects: SegmentationDefect[]): boolean;
  /** As putTile, the probability already quantized by the one-byte codec (a remote worker's result). */
  putTileBytes(jobId: string, tileId: string, probability: Uint8Array, defects: SegmentationDefect[]): boolean;
  putTileOutcome(jobId: string, tileId: string, outcome: TileOutcome, error?: string | null): boolean;
  /** Run `fn` as one write transaction (all tiles of a worker's unit at once). */
  transaction<T>(fn: () => T): T;
  /** The finished tiles of a job, tile id → probability, for the pipeline's `completed`. */
  loadTiles(jobId: string): Map<string, Float32Array>;
  loadTileOutcomes(jobId: string): Map<string, { outcome: TileOutcome; error: string | null }>;
  /** Tiles with a stored probability or outcome, and how many of them were skipped / failed. */
  settledTiles(jobId: string): { settled: Set<string>; skipped: number; failed: number };
  /** A distributed job's tile plan (src/pipeline/tileWork.ts); the first one stored wins. */
  putPlan(jobId: string, plan: unknown): void;
  getPlan<T>(jobId: string): T | undefined;

  // ---- results ----
  putResult(jobId: string, geojson: string): void;
  getResult(jobId: string): string | undefined;
}
