/**
 * Runs one stored segmentation job: loads the tiles already finished (from an earlier, interrupted run),
 * calls the pipeline's `segmentScene` (or `changeScenes`) with them as `completed`, persists every new tile
 * the moment it is done, keeps the job's progress current, and stores the water GeoJSON at the end. It sees
 * the store as a JobStorePort and the pipeline as a JobPipeline, both injected. Used by the job queue
 * (in the server's job thread, or in-process in tests) and as the finisher of distributed jobs.
 */
import type { FeatureCollection } from 'geojson';
import type { Segmenter, SegmentationDefect, SegmenterInfo } from '../core/model/segmenter.ts';
import { CancelledError, NotFoundError, describeError } from '../core/errors.ts';
import type { Logger } from '../logger.ts';
import type { JobOptions, JobProgress, JobState } from '../core/jobRecords.ts';
import type { TileProgress } from '../core/tileProgress.ts';
import type { JobStorePort } from './jobStorePort.ts';

/** What the job runner asks of the pipeline (`segmentScene` in src/pipeline/segmentScene.ts). */
export interface SegmentSceneRequest {
  scenePath: string;
  /** The scene's name for provenance (never a server path). */
  sceneName: string;
  segmenter: Segmenter;
  /** The job's model name (null = the server default): `auto`, `waterline-spectral` or a learned model. */
  model?: string | null;
  prompt: string;
  options: JobOptions;
  /** Tiles finished in an earlier run: tile id → water probability. The pipeline must not run them again. */
  completed: Map<string, Float32Array>;
  /** Called once per newly segmented tile, as soon as it is done (the runner persists it synchronously). */
  onTileDone: (tileId: string, probability: Float32Array, defects: SegmentationDefect[]) => void;
  /**
   * Progress as the pipeline reports it: `tilesDone` counts tiles finished so far (resumed and skipped
   * nodata tiles included); the rate and ETA are over this run's tiles.
   */
  onProgress: (progress: TileProgress) => void;
  signal: AbortSignal;
}

export type SegmentSceneFn = (request: SegmentSceneRequest) => Promise<{ geojson: FeatureCollection }>;

/** What the job runner asks of the pipeline for a `change` job (`changeScenes` in src/pipeline/changeScenes.ts). */
export interface ChangeScenesRequest extends Omit<SegmentSceneRequest, 'scenePath' | 'sceneName' | 'completed' | 'onTileDone'> {
  /** Date A, then date B: paths and names for provenance (never a server path). */
  scenes: { path: string; name: string }[];
  /** Per scene (same order), tiles finished in an earlier run. */
  completed: Map<string, Float32Array>[];
  /** A newly mapped tile of scene `sceneIndex` (the runner persists it synchronously). */
  onTileDone: (sceneIndex: number, tileId: string, probability: Float32Array, defects: SegmentationDefect[]) => void;
}

export type ChangeScenesFn = (request: ChangeScenesRequest) => Promise<{ geojson: FeatureCollection }>;

/** The pipeline entry points a job runner calls (the real ones: src/http/pipelineBinding.ts). */
export interface JobPipeline {
  segmentScene: SegmentSceneFn;
  /** Runs `change` jobs; a runner without it fails them with a clear error. */
  changeScenes?: ChangeScenesFn;
}

/**
 * Stored tile ids of a job with several scenes carry their scene's letter (`A:r0c1`, `B:r0c1`), so the tiles
 * of both dates live side by side in one job and resume independently. One-scene jobs keep the bare tile id.
 */
export function sceneTileKey(sceneIndex: number, tileId: string): string {
  return `${String.fromCharCode(65 + sceneIndex)}:${tileId}`;
}

/** Split a job's stored tiles by scene (inverse of sceneTileKey). */
export function tilesByScene(stored: Map<string, Float32Array>, sceneCount: number): Map<string, Float32Array>[] {
  const out = Array.from({ length: sceneCount }, () => new Map<string, Float32Array>());
  for (const [key, probability] of stored) {
    const m = /^([A-Z]):(.+)$/.exec(key);
    const index = m ? m[1].charCodeAt(0) - 65 : -1;
    if (index >= 0 && index < sceneCount) out[index].set(m![2], probability);
  }
  return out;
}

/** Where the server gets its models from. */
export interface SegmenterProvider {
  /**
   * The segmenter for a job (`model` null → the server's default). Throws UnavailableError while loading.
   * `jobId` lets a provider answer per job (the finisher of a distributed job replays its stored tiles).
   */
  get(model: string | null, jobId?: string): Promise<Segmenter>;
  /** The default model's info once it is loaded; undefined while loading (or after a load failure). */
  readonly info: SegmenterInfo | undefined;
  /** The load failure of the default model, if any. */
  readonly loadError: string | undefined;
  dispose(): Promise<void>;
}

/** Abort reasons the queue uses; anything else is treated as a cancel. */
export const ABORT_SHUTDOWN = 'shutdown';
export const ABORT_CANCEL = 'cancel';

export interface JobRunnerDeps {
  store: JobStorePort;
  pipeline: JobPipeline;
  segmenters: SegmenterProvider;
  logger: Logger;
  /** Minimum time between progress writes to the database (default 500 ms). */
  progressIntervalMs?: number;
}

/**
 * A run that computed no tile (a distributed job's finisher replaying what the workers stored, a resumed job's
 * last run) measured no rate: its provenance keeps the rate the tiles were computed at, as its progress does.
 */
function keepMeasuredRate(geojson: FeatureCollection, doneThisRun: number, tilesPerSecond: number): void {
  const timings = (geojson as { waterline?: { timings?: { tilesPerSecond?: number } } }).waterline?.timings;
  if (doneThisRun === 0 && timings && !timings.tilesPerSecond && tilesPerSecond > 0) timings.tilesPerSecond = tilesPerSecond;
}

export class JobRunner {
  constructor(private readonly deps: JobRunnerDeps) {}

  /** Run (or resume) a job to its end; resolves with the state the job is left in. */
  async run(jobId: string, signal: AbortSignal): Promise<JobState> {
    const { store, logger } = this.deps;
    const job = store.getJob(jobId);
    if (!job) throw new NotFoundError('job_not_found', `job ${jobId} does not exist`);
    const scenes = job.scenes.map((id) => store.getScene(id));
    const missing = job.scenes.find((_, i) => !scenes[i]);
    if (missing) {
      // only a live job fails: a job cancelled meanwhile stays cancelled
      const failed = store.transitionJob(jobId, ['queued', 'running'], 'failed', { error: `scene ${missing} is no longer registered` });
      return failed ? 'failed' : store.getJob(jobId)!.state;
    }
    const scene = scenes[0]!;
    if (!store.transitionJob(jobId, ['queued', 'running'], 'running')) return store.getJob(jobId)!.state;

    const completed = store.loadTiles(jobId);
    const resumedTiles = completed.size;
    const log = logger.child({ job: jobId, scene: scene.id });
    log.info({ resumedTiles }, resumedTiles ? 'resuming job' : 'starting job');

    let doneThisRun = 0;
    let reported: TileProgress = { ...job.progress, tilesDone: resumedTiles };
    let lastWrite = 0;
    const interval = this.deps.progressIntervalMs ?? 500;
    const progress = (): JobProgress => {
      const eta = reported.etaSeconds;
      return {
        tilesDone: Math.max(reported.tilesDone, resumedTiles + doneThisRun),
        tilesTotal: reported.tilesTotal,
        tilesSkipped: reported.tilesSkipped,
        tilesFailed: reported.tilesFailed,
        // A run that computes no tile (a resumed job's last tiles, a distributed job's finisher replaying what the
        // workers stored) keeps the rate measured while they were computed.
        tilesPerSecond: Math.round((doneThisRun > 0 || reported.tilesPerSecond > 0 ? reported.tilesPerSecond : job.progress.tilesPerSecond) * 1000) / 1000,
        etaSeconds: eta === null ? null : Math.round(eta),
      };
    };
    const writeProgress = (force = false): void => {
      const t = Date.now();
      if (!force && t - lastWrite < interval) return;
      lastWrite = t;
      if (store.isOpen) store.updateProgress(jobId, progress());
    };

    try {
      const segmenter = await this.deps.segmenters.get(job.model, jobId);
      const persist = (key: string, probability: Float32Array, defects: SegmentationDefect[]): void => {
        if (!store.isOpen) return;
        if (store.putTile(jobId, key, probability, defects)) doneThisRun++;
        else log.warn({ tile: key }, 'tile reported twice; keeping the first result');
        writeProgress();
      };
      const common = {
        segmenter,
        model: job.model,
        prompt: job.prompt,
        options: job.options,
        onProgress: (p: TileProgress) => {
          reported = p;
          writeProgress();
        },
        signal,
      };
      let geojson: FeatureCollection;
      if (job.kind === 'change') {
        const { changeScenes } = this.deps.pipeline;
        if (!changeScenes) throw new Error('this worker cannot run change jobs');
        ({ geojson } = await changeScenes({
          ...common,
          scenes: scenes.map((s) => ({ path: s!.path, name: s!.name })),
          completed: tilesByScene(completed, scenes.length),
          onTileDone: (sceneIndex, tileId, probability, defects) => persist(sceneTileKey(sceneIndex, tileId), probability, defects),
        }));
      } else {
        ({ geojson } = await this.deps.pipeline.segmentScene({
          ...common,
          scenePath: scene.path,
          sceneName: scene.name,
          completed,
          onTileDone: (tileId, probability, defects) => persist(tileId, probability, defects),
        }));
      }
      if (signal.aborted) throw signal.reason ?? new CancelledError();
      writeProgress(true);
      keepMeasuredRate(geojson, doneThisRun, progress().tilesPerSecond);
      store.putResult(jobId, JSON.stringify(geojson));
      const final = store.transitionJob(jobId, ['running'], 'succeeded');
      log.info({ tilesDone: progress().tilesDone, features: geojson.features.length }, 'job succeeded');
      return final?.state ?? store.getJob(jobId)!.state;
    } catch (err) {
      if (!store.isOpen) return 'running';
      writeProgress(true);
      if (signal.aborted && signal.reason === ABORT_SHUTDOWN) {
        // Leave it resumable: the next server start picks it up with the tiles stored so far.
        store.transitionJob(jobId, ['running'], 'queued');
        log.info({ tilesDone: progress().tilesDone }, 'job interrupted by shutdown; will resume');
        return 'queued';
      }
      if (signal.aborted) {
        store.transitionJob(jobId, ['queued', 'running'], 'cancelled');
        log.info('job cancelled');
        return 'cancelled';
      }
      store.transitionJob(jobId, ['running'], 'failed', { error: describeError(err) });
      log.error({ err }, 'job failed');
      return 'failed';
    }
  }
}
