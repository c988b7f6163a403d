/**
 * What the server persists: registered scenes, segmentation jobs and their progress. Plain data shared by
 * the store, the job queue/runner and the HTTP routes.
 */
import type { FlipViewCount } from './model/flipViews.ts';
import type { TileProgress } from './tileProgress.ts';

export const JOB_STATES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type JobState = (typeof JOB_STATES)[number];
/** The states a job never leaves (typed as JobState[] so `FINISHED_STATES.includes(state)` takes any state). */
export const FINISHED_STATES: readonly JobState[] = ['succeeded', 'failed', 'cancelled'] as const;

export interface SceneRecord {
  id: string;
  /** File name shown to users (relative path inside the data directory). */
  name: string;
  /** Absolute real path of the file, always inside the data directory. */
  path: string;
  /** `waterline info --json` for the scene. */
  info: unknown;
  createdAt: string;
}

/** Options of one segmentation job (the `options` of `POST /jobs`). */
export interface JobOptions {
  threshold?: number;
  minArea?: number;
  simplify?: number;
  overlap?: number;
  bands?: number[];
  /** What the scene's bands are, over what the file says (`green=3,nir=8`), as `--band-roles`. */
  bandRoles?: string;
  /** `auto` (fuse a learned model with the water index where the bands allow) or `none`. */
  fusion?: 'auto' | 'none';
  /** Average the learned model over 1 (default), 2 or 4 mirrored views of each tile (core/model/flipViews.ts). */
  flipViews?: FlipViewCount;
}

export type JobProgress = TileProgress;

/**
 * What a job computes from its scenes: `segment` (one scene → water polygons) or `change` (two scenes, date A
 * then date B → gained / lost / permanent / unknown polygons on A's grid).
 */
export const JOB_KINDS = ['segment', 'change'] as const;
export type JobKind = (typeof JOB_KINDS)[number];
/** How many scenes a job of each kind takes. */
export const JOB_KIND_SCENES: Readonly<Record<JobKind, number>> = { segment: 1, change: 2 };

export interface JobRecord {
  id: string;
  kind: JobKind;
  /** The first of `scenes` (date A of a change job). */
  scene: string;
  /** The job's scenes in order (one for `segment`, A then B for `change`). */
  scenes: string[];
  prompt: string;
  model: string | null;
  options: JobOptions;
  state: JobState;
  progress: JobProgress;
  error: string | null;
  /**
   * How many times in a row the thread running this job crashed under it (an exception nothing caught in the
   * thread, its heap running out) with no tile stored in between (a crash after the job stored a new tile counts 1
   * again): the first crash puts the job back in the queue to resume from its stored tiles, the second in a row
   * fails it.
   */
  crashes: number;
  createdAt: string;
  updatedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

/** A job to store (state `queued`). */
export interface NewJob {
  /** Default `segment`. */
  kind?: JobKind;
  scene: string;
  /** Every scene in order when there are several (the first equals `scene`). */
  scenes?: string[];
  prompt: string;
  model: string | null;
  options: JobOptions;
}

/** What a change of a job's state may also set: its error (kept when absent), its crash count. */
export interface JobStateFields {
  error?: string | null;
  crashes?: number;
}

/** A tile settled without a probability: no valid pixel (`skipped`), or the model failed on it twice. */
export type TileOutcome = 'skipped' | 'failed';

export const EMPTY_PROGRESS: JobProgress = {
  tilesDone: 0, tilesTotal: 0, tilesSkipped: 0, tilesFailed: 0, tilesPerSecond: 0, etaSeconds: null,
};
