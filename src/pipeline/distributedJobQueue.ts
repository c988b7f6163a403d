/**
 * The distributed job queue (`waterline serve --queue redis://…`): jobs stay in the server's job store
 * (SQLite, the one place to back up); their work goes through a message broker (`WorkUnitQueues`,
 * workUnitBroker.ts: BullMQ on Redis, src/adapters/queue/) to `waterline worker` processes on any machine
 * (src/pipeline/tileWorker.ts).
 *
 * - enqueue: a **plan** unit (deterministic id) asks a worker for the job's tile grid; when its result comes
 *   back the job is cut into **tile units** of consecutive tiles, with deterministic ids (tileWork.ts).
 * - Results are collected by this server: it polls each queue's completed units, writes their tiles to the
 *   store in one transaction (INSERT OR IGNORE: a unit computed twice counts once), then removes the unit
 *   from Redis. Progress, rate and ETA are updated from what is stored.
 * - Reconcile: every few seconds (and at start) each unfinished job's unsettled units are added again; the
 *   broker ignores an id that still exists, so this only re-creates what Redis lost (a restart without the
 *   last writes). A worker killed mid-unit leaves its unit locked; BullMQ's stalled check hands it to another.
 * - When every tile of a job is settled (stored, skipped or failed), the **finisher** (this server, one
 *   process: exactly once) stitches the stored tiles and vectorizes, via a JobExecutor whose model replays
 *   the stored results (storedTileSegmenter.ts) — the same pipeline and bytes as a single-process run.
 * - cancel: the job is cancelled in the store and its waiting units removed; a unit being computed finishes
 *   and its result is dropped. A unit that fails on every attempt fails its job with the worker's error.
 */
import { statSync } from 'node:fs';
import type { Logger } from '../logger.ts';
import type { JobKind, JobRecord, JobState } from '../core/jobRecords.ts';
import { ABORT_CANCEL, ABORT_SHUTDOWN } from './jobRunner.ts';
import type { BrokerState, JobExecutor, JobQueue, JobQueueStats } from './jobQueue.ts';
import type { JobStorePort } from './jobStorePort.ts';
import { cutTileUnits, planSceneMismatch, planUnitId, tileUnitId, type TileJobSpec, type TilePlan, type TileUnit, type TileUnitResult } from './tileWork.ts';
import type { WorkUnitQueue, WorkUnitQueues } from './workUnitBroker.ts';
import { jobQueueModel, tileQueueName } from './tileQueues.ts';

export type WorkUnitData = { kind: 'plan'; spec: TileJobSpec } | { kind: 'tiles'; unit: TileUnit };
/** What a worker returns for a unit: the plan of a plan unit, the tiles of a tile unit. */
export type WorkUnitResult = TilePlan | TileUnitResult;
type UnitQueue = WorkUnitQueue<WorkUnitData, WorkUnitResult>;

/** The job a work unit belongs to. */
const unitJobId = (data: WorkUnitData): string => (data.kind === 'plan' ? data.spec.jobId : data.unit.jobId);

/** A file's size, or undefined when it cannot be read here (the workers' check is then skipped). */
const fileBytes = (path: string): number | undefined => {
  try {
    return statSync(path).size;
  } catch {
    return undefined;
  }
};

/** How long close() waits for the broker before giving up (the store is consistent either way). */
const CLOSE_WAIT_MS = 3000;

const withinMs = (p: Promise<unknown>, ms: number): Promise<unknown> => {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([p, new Promise((r) => (timer = setTimeout(r, ms)))]).finally(() => clearTimeout(timer));
};

/** Attempts of a unit that throws, 1 s apart (a unit whose worker died is handed on by the broker, see tileWorker.ts). */
const UNIT_ATTEMPTS = 3;
const UNIT_RETRY_DELAY_MS = 1000;

/** How long brokerState() waits for the broker's worker counts before it reports the broker unreachable. */
const BROKER_ANSWER_MS = 1000;

/** Queue names of the release before tileQueues.ts (see legacyQueues). */
const LEGACY_QUEUE_NAMES = ['tiles-default', 'tiles-waterline-unet'];

/** A job still unplanned this long after it was handed over is checked for a worker on its queue (logged once). */
const NO_WORKER_WARN_MS = 15_000;

/** Completed (or failed) units collected per queue and pass. */
const COLLECT_BATCH = 100;

export interface DistributedJobQueueOptions {
  store: JobStorePort;
  /** The broker's queues (BullMQ on Redis: src/adapters/queue/bullmqWorkUnitQueues.ts). */
  units: WorkUnitQueues;
  /** Runs a job whose tiles are all stored: stitch + vectorize + store the GeoJSON. */
  finisher: JobExecutor;
  /** The server's --model: what jobs submitted without one (or with `auto`) run; undefined = the built-in default. */
  defaultModel?: string;
  logger: Logger;
  /** Tiles per work unit (default 8). */
  unitTiles?: number;
  /** How often completed units are collected (default 250 ms). */
  pollMs?: number;
  /** How often unsettled units are re-added (default 5 s). */
  reconcileMs?: number;
}

interface Tracked {
  /** When this server first saw the job's tiles move, and how many were settled then (rate, ETA). */
  since?: number;
  settledAtStart?: number;
  finishing?: { controller: AbortController; done: Promise<void> };
  /** When this server took the job (the wait for a worker is measured from it). */
  enqueuedAt?: number;
  /** The missing worker has been logged. */
  warnedNoWorker?: boolean;
  /** When the workers of its queue were last counted for it. */
  workersCheckedAt?: number;
}

export class DistributedJobQueue implements JobQueue {
  /** Tile plans cover one scene: a change job (two scenes) runs on a server without a queue. */
  readonly jobKinds: readonly JobKind[] = ['segment'];
  private readonly queues = new Map<string, UnitQueue>();
  /** Worker counts asked of the broker and not yet answered, per queue. */
  private readonly workerCounts = new Map<string, Promise<number>>();
  private readonly tracked = new Map<string, Tracked>();
  private readonly unitTiles: number;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  private lastReconcile = 0;
  private needsReconcile = true;
  private loop: Promise<void> = Promise.resolve();

  constructor(private readonly options: DistributedJobQueueOptions) {
    this.unitTiles = Math.max(1, options.unitTiles ?? 8);
    this.schedule();
  }

  async enqueue(jobId: string): Promise<void> {
    if (this.closed || this.tracked.has(jobId)) return;
    this.tracked.set(jobId, { enqueuedAt: Date.now() });
    this.needsReconcile = true;
    this.schedule(0);
  }

  async resume(): Promise<void> {
    for (const job of this.options.store.unfinishedJobs()) await this.enqueue(job.id);
  }

  /** The job is cancelled in the store at once; its units are removed from the broker in the background (it may be down). */
  async cancel(jobId: string): Promise<JobRecord | undefined> {
    const job = this.options.store.transitionJob(jobId, ['queued', 'running'], 'cancelled');
    if (!job) return undefined;
    this.tracked.get(jobId)?.finishing?.controller.abort(ABORT_CANCEL);
    void this.removeUnits(job).catch((err: unknown) => this.options.logger.warn({ err, job: jobId }, 'could not remove the cancelled job\'s units'));
    return job;
  }

  async stats(): Promise<JobQueueStats> {
    const { store } = this.options;
    return { running: store.listJobs({ state: 'running' }).length, queued: store.listJobs({ state: 'queued' }).length };
  }

  /**
   * Whether the broker answers, the workers on the default model's queue and on every queue this server has sent
   * work to, and the queues that hold unfinished jobs but have no worker. One count per queue is in flight at a
   * time (with Redis down it waits for Redis; readiness probes must not pile them up).
   */
  async brokerState(): Promise<BrokerState> {
    this.queueFor(jobQueueModel(null, this.options.defaultModel));
    const names = [...this.queues.keys()];
    const counts = await withinMs(Promise.all(names.map((name) => this.workersOn(name))), BROKER_ANSWER_MS).catch(() => undefined) as number[] | undefined;
    if (!counts) return { reachable: false, workers: {}, idleQueues: [] };
    const workers = Object.fromEntries(names.map((name, i) => [name, counts[i]]));
    const busy = new Set([...this.tracked.keys()].flatMap((id) => {
      const job = this.options.store.getJob(id);
      return job && (job.state === 'queued' || job.state === 'running') ? [this.queueNameOf(job)] : [];
    }));
    return { reachable: true, workers, idleQueues: names.filter((name) => workers[name] === 0 && busy.has(name)) };
  }

  /** The workers taking a queue now; one request per queue in flight (a count asked while one is pending shares it). */
  private workersOn(name: string): Promise<number> {
    let pending = this.workerCounts.get(name);
    if (!pending) {
      pending = this.queues.get(name)!.workers().finally(() => this.workerCounts.delete(name));
      pending.catch(() => undefined);
      this.workerCounts.set(name, pending);
    }
    return pending;
  }

  private queueNameOf(job: JobRecord): string | undefined {
    return job.scenes.length === 1 ? tileQueueName(jobQueueModel(job.model, this.options.defaultModel)) : undefined;
  }

  /**
   * Log once when a job still waits for its plan and no worker takes its queue (none runs, or only workers of
   * another model). Asked at each reconcile, not each pass: the count is a request to the broker.
   */
  private async warnIfNoWorker(job: JobRecord, t: Tracked): Promise<void> {
    const now = Date.now();
    if (t.warnedNoWorker || t.enqueuedAt === undefined || now - t.enqueuedAt < NO_WORKER_WARN_MS) return;
    if (t.workersCheckedAt !== undefined && now - t.workersCheckedAt < (this.options.reconcileMs ?? 5000)) return;
    t.workersCheckedAt = now;
    if (job.scenes.length !== 1) return; // a change job: refused at submission, failed by specFor
    const model = jobQueueModel(job.model, this.options.defaultModel);
    const name = tileQueueName(model);
    this.queueFor(model);
    const workers = await withinMs(this.workersOn(name), BROKER_ANSWER_MS).catch(() => undefined);
    if (workers !== 0) return;
    t.warnedNoWorker = true;
    this.options.logger.warn({ job: job.id, queue: name, model }, `job waits: no worker takes queue ${name}; start one with waterline worker --model ${model} --queue <this Redis>`);
  }

  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.timer);
    // With the broker unreachable a collector pass (and closing the queues) waits for it: do not wait forever.
    await withinMs(this.loop.catch(() => undefined), CLOSE_WAIT_MS);
    const finishing = [...this.tracked.values()].flatMap((t) => (t.finishing ? [t.finishing] : []));
    for (const f of finishing) f.controller.abort(ABORT_SHUTDOWN);
    await Promise.all(finishing.map((f) => f.done));
    await this.options.finisher.close?.();
    const queues = [...this.queues.values(), ...(this.legacy ?? [])];
    await withinMs(Promise.all(queues.map((q) => q.close().catch(() => undefined))), CLOSE_WAIT_MS);
    for (const q of queues) q.disconnect();
  }

  // ---- the collector loop ----

  private schedule(delay = this.options.pollMs ?? 250): void {
    if (this.closed) return;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.loop = this.tick()
        .catch((err: unknown) => this.options.logger.error({ err }, 'job queue collector failed; retrying'))
        .finally(() => this.schedule());
    }, delay);
  }

  private async tick(): Promise<void> {
    const now = Date.now();
    const reconcile = this.needsReconcile || now - this.lastReconcile >= (this.options.reconcileMs ?? 5000);
    if (reconcile) {
      this.needsReconcile = false;
      this.lastReconcile = now;
      for (const jobId of this.tracked.keys()) await this.ensureUnits(jobId);
    }
    for (const queue of [...this.queues.values(), ...this.legacyQueues()]) {
      await this.collectCompleted(queue);
      await this.collectFailed(queue);
    }
    for (const [jobId, t] of this.tracked) {
      if (this.closed) return;
      const job = this.options.store.getJob(jobId);
      if (!job || (job.state !== 'queued' && job.state !== 'running')) {
        if (!t.finishing) this.tracked.delete(jobId);
        continue;
      }
      const plan = this.options.store.getPlan<TilePlan>(jobId);
      if (!plan) await this.warnIfNoWorker(job, t);
      if (!plan || t.finishing) continue;
      const settled = this.updateProgress(job, plan, t);
      if (settled >= plan.tileIds.length) this.finish(jobId, t);
    }
  }

  private specFor(job: JobRecord): TileJobSpec | undefined {
    if (job.scenes.length !== 1) {
      // tile plans cover one scene; a change job (two scenes) would be finished with date B missing
      this.options.store.transitionJob(job.id, ['queued', 'running'], 'failed', { error: `${job.kind} jobs (${job.scenes.length} scenes) do not run on the Redis workers yet; run them on a server that runs jobs itself (started without a queue)` });
      return undefined;
    }
    const scene = this.options.store.getScene(job.scene);
    if (!scene) {
      this.options.store.transitionJob(job.id, ['queued', 'running'], 'failed', { error: `scene ${job.scene} is no longer registered` });
      return undefined;
    }
    // auto / waterline-spectral jobs run the default learned model (fused with the index per scene), as in serverModelLoader;
    // the queue is that of the weights, whatever name the job used (tileQueues.ts).
    const learned = jobQueueModel(job.model, this.options.defaultModel);
    return { jobId: job.id, scenePath: scene.path, sceneName: scene.name, sceneBytes: fileBytes(scene.path), model: learned, jobModel: job.model, prompt: job.prompt, options: job.options };
  }

  /**
   * The queues of the release before queues were keyed by weights (`tiles-default`, `tiles-waterline-unet`): units
   * that were waiting there when the server was upgraded are still collected (their tiles are the same weights'),
   * and removed, so nothing is left in Redis. Opened with the first pass; kept for one release.
   */
  private legacy: UnitQueue[] | undefined;
  private legacyQueues(): UnitQueue[] {
    this.legacy ??= LEGACY_QUEUE_NAMES.map((name) => this.options.units.open<WorkUnitData, WorkUnitResult>(name, { attempts: UNIT_ATTEMPTS, retryDelayMs: UNIT_RETRY_DELAY_MS }));
    return this.legacy;
  }

  private queueFor(model: string): UnitQueue {
    const name = tileQueueName(model);
    let q = this.queues.get(name);
    if (!q) {
      q = this.options.units.open<WorkUnitData, WorkUnitResult>(name, { attempts: UNIT_ATTEMPTS, retryDelayMs: UNIT_RETRY_DELAY_MS });
      this.queues.set(name, q);
    }
    return q;
  }

  /** Add the job's plan unit, or every unit with an unsettled tile (ids that exist are left as they are). */
  private async ensureUnits(jobId: string): Promise<void> {
    const { store } = this.options;
    const job = store.getJob(jobId);
    if (!job || (job.state !== 'queued' && job.state !== 'running')) return;
    const spec = this.specFor(job);
    if (!spec) return;
    const queue = this.queueFor(spec.model);
    const plan = store.getPlan<TilePlan>(jobId);
    if (!plan) {
      await queue.add([{ id: planUnitId(spec), name: 'plan', data: { kind: 'plan', spec } }]);
      return;
    }
    if (job.state === 'queued') store.transitionJob(jobId, ['queued'], 'running');
    const { settled } = store.settledTiles(jobId);
    const units = cutTileUnits(spec, plan, this.unitTiles).filter((u) => u.tileIds.some((id) => !settled.has(id)));
    if (units.length === 0) return;
    await queue.add(units.map((unit) => ({ id: tileUnitId(spec, unit.from, unit.to), name: 'tiles', data: { kind: 'tiles', unit } })));
  }

  private async collectCompleted(queue: UnitQueue): Promise<void> {
    const { store, logger } = this.options;
    const done = await queue.completed(COLLECT_BATCH);
    for (const unit of done) {
      const data = unit.data;
      const jobId = unitJobId(data);
      const job = store.getJob(jobId);
      // Not one of this server's jobs (another deployment on the same broker): leave it to its owner.
      if (!job) continue;
      if (job.state === 'queued' || job.state === 'running') {
        if (data.kind === 'plan') {
          const plan = unit.result as TilePlan;
          const differs = planSceneMismatch(store.getScene(job.scene)?.info, plan);
          if (differs) {
            // the worker read another file under the scene's name: its tiles would be stitched onto this scene's grid
            const failed = store.transitionJob(jobId, ['queued', 'running'], 'failed', { error: `a worker planned scene ${data.spec.sceneName} as ${differs}: its copy is not the server's file; point the worker at the server's data directory` });
            if (failed) logger.error({ job: jobId, unit: unit.id, differs }, 'a worker read another file under the scene\'s name; job failed');
            await unit.remove();
            continue;
          }
          store.putPlan(jobId, plan);
          store.transitionJob(jobId, ['queued'], 'running');
          logger.info({ job: jobId, tiles: plan.tileIds.length, model: plan.segmenter.name, provider: plan.segmenter.provider }, 'job planned by a worker');
          this.needsReconcile = true;
        } else {
          const result = unit.result as TileUnitResult;
          store.transaction(() => {
            for (const t of result.tiles) {
              const bytes = Buffer.from(t.probability, 'base64');
              store.putTileBytes(jobId, t.tileId, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), t.defects);
            }
            for (const id of result.skipped) store.putTileOutcome(jobId, id, 'skipped');
            for (const f of result.failed) store.putTileOutcome(jobId, f.tileId, 'failed', f.error);
          });
        }
      }
      await unit.remove();
    }
  }

  private async collectFailed(queue: UnitQueue): Promise<void> {
    const { store, logger } = this.options;
    const failed = await queue.failed(COLLECT_BATCH);
    for (const unit of failed) {
      const data = unit.data;
      const jobId = unitJobId(data);
      if (!store.getJob(jobId)) continue;
      const what = data.kind === 'plan' ? 'planning' : `tiles ${data.unit.from}-${data.unit.to - 1}`;
      const job = store.transitionJob(jobId, ['queued', 'running'], 'failed', { error: `a worker failed on ${what}: ${unit.reason}` });
      if (job) {
        logger.error({ job: jobId, unit: unit.id, reason: unit.reason }, 'work unit failed; job failed');
        await this.removeUnits(job);
      }
      await unit.remove();
    }
  }

  /** Remove a job's plan and waiting units from the broker (units being computed finish; their results are dropped). */
  private async removeUnits(job: JobRecord): Promise<void> {
    const spec = this.specFor(job);
    if (!spec) return;
    const queue = this.queueFor(spec.model);
    const ids = [planUnitId(spec)];
    const plan = this.options.store.getPlan<TilePlan>(job.id);
    if (plan) for (const u of cutTileUnits(spec, plan, this.unitTiles)) ids.push(tileUnitId(spec, u.from, u.to));
    for (const id of ids) await queue.remove(id).catch(() => undefined);
  }

  /** Store the job's progress from its settled tiles; returns how many are settled. */
  private updateProgress(job: JobRecord, plan: TilePlan, t: Tracked): number {
    const { settled, skipped, failed } = this.options.store.settledTiles(job.id);
    const now = Date.now();
    if (t.since === undefined) {
      t.since = now;
      t.settledAtStart = settled.size;
    }
    const elapsed = (now - t.since) / 1000;
    const fresh = settled.size - (t.settledAtStart ?? 0);
    const rate = elapsed > 0 && fresh > 0 ? fresh / elapsed : 0;
    const total = plan.tileIds.length;
    const progress = {
      tilesDone: settled.size,
      tilesTotal: total,
      tilesSkipped: skipped,
      tilesFailed: failed,
      tilesPerSecond: Math.round(rate * 1000) / 1000,
      etaSeconds: rate > 0 ? Math.round((total - settled.size) / rate) : null,
    };
    const p = job.progress;
    if (p.tilesDone !== progress.tilesDone || p.tilesTotal !== progress.tilesTotal || p.tilesPerSecond !== progress.tilesPerSecond) {
      this.options.store.updateProgress(job.id, progress);
    }
    return settled.size;
  }

  private finish(jobId: string, t: Tracked): void {
    const controller = new AbortController();
    this.options.logger.info({ job: jobId }, 'all tiles stored; stitching and vectorizing');
    const done = this.options.finisher.run(jobId, controller.signal)
      .then((state: JobState) => this.options.logger.info({ job: jobId, state }, 'job finished'))
      .catch((err: unknown) => this.options.logger.error({ err, job: jobId }, 'finishing the job crashed'))
      .finally(() => {
        t.finishing = undefined;
        this.schedule(0);
      });
    t.finishing = { controller, done };
  }
}
