/**
 * The server's embedded database (better-sqlite3, WAL): scenes, jobs, per-tile results and job outputs,
 * in `<dataDir>/waterline.db`. Every finished tile is committed the moment it is reported, so a job
 * killed with SIGKILL resumes from the tiles already stored: none lost, none done twice.
 */
import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import type { SegmentationDefect } from '../../core/model/segmenter.ts';
import { dequantizeProbability, quantizeProbability } from '../../core/masks/probabilityCodec.ts';
import {
  EMPTY_PROGRESS,
  FINISHED_STATES,
  type JobKind,
  type JobOptions,
  type JobProgress,
  type JobRecord,
  type JobState,
  type JobStateFields,
  type NewJob,
  type SceneRecord,
  type TileOutcome,
} from '../../core/jobRecords.ts';

export const DATABASE_FILE = 'waterline.db';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS scenes (
  id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  path TEXT NOT NULL UNIQUE,
  info TEXT NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS jobs (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL DEFAULT 'segment',
  scene_id TEXT NOT NULL REFERENCES scenes(id),
  scenes TEXT,
  prompt TEXT NOT NULL,
  model TEXT,
  options TEXT NOT NULL,
  state TEXT NOT NULL,
  progress TEXT NOT NULL,
  error TEXT,
  crashes INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL,
  updated_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT
);
CREATE INDEX IF NOT EXISTS jobs_state ON jobs(state, created_at);
CREATE TABLE IF NOT EXISTS job_tiles (
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  tile_id TEXT NOT NULL,
  probability BLOB NOT NULL,
  defects TEXT NOT NULL,
  done_at TEXT NOT NULL,
  PRIMARY KEY (job_id, tile_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS job_tile_outcomes (
  job_id TEXT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  tile_id TEXT NOT NULL,
  outcome TEXT NOT NULL CHECK (outcome IN ('skipped', 'failed')),
  error TEXT,
  PRIMARY KEY (job_id, tile_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS job_plans (
  job_id TEXT PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
  plan TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS job_results (
  job_id TEXT PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
  geojson TEXT NOT NULL
);
`;

interface JobRow {
  id: string;
  kind: JobKind;
  scene_id: string;
  /** JSON array of every scene id (null in rows written before jobs had several scenes: [scene_id]). */
  scenes: string | null;
  prompt: string;
  model: string | null;
  options: string;
  state: JobState;
  progress: string;
  error: string | null;
  crashes: number;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  finished_at: string | null;
}

interface SceneRow {
  id: string;
  name: string;
  path: string;
  info: string;
  created_at: string;
}

function toJob(row: JobRow): JobRecord {
  return {
    id: row.id,
    kind: row.kind,
    scene: row.scene_id,
    scenes: row.scenes ? (JSON.parse(row.scenes) as string[]) : [row.scene_id],
    prompt: row.prompt,
    model: row.model,
    options: JSON.parse(row.options) as JobOptions,
    state: row.state,
    progress: { ...EMPTY_PROGRESS, ...(JSON.parse(row.progress) as Partial<JobProgress>) },
    error: row.error,
    crashes: row.crashes,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
  };
}

function toScene(row: SceneRow): SceneRecord {
  return { id: row.id, name: row.name, path: row.path, info: JSON.parse(row.info), createdAt: row.created_at };
}

const now = (): string => new Date().toISOString();

/**
 * The SQLite job store. Its consumers (job queues, runner, routes) see it as a `JobStorePort`
 * (src/pipeline/jobStorePort.ts); only the server that opens it and tests see this class.
 */
export class JobStore {
  readonly file: string;
  private readonly connection: Database.Database;
  /** Prepared once: looked up on every scene tile request. */
  private sceneById: Database.Statement | null = null;
  private closed = false;

  /** Open (or create) `<dataDir>/waterline.db`. */
  static open(dataDir: string): JobStore {
    mkdirSync(dataDir, { recursive: true });
    return new JobStore(join(dataDir, DATABASE_FILE));
  }

  constructor(file: string) {
    this.file = file;
    this.connection = new Database(file);
    this.connection.pragma('journal_mode = WAL');
    // NORMAL is durable against process crashes (kill -9) in WAL mode; only an OS crash may lose the last commits.
    this.connection.pragma('synchronous = NORMAL');
    this.connection.pragma('foreign_keys = ON');
    this.connection.pragma('busy_timeout = 5000');
    this.connection.exec(SCHEMA);
    this.addJobColumns();
  }

  /**
   * Databases from before jobs had a kind and several scenes, or a crash count, get those columns (existing jobs:
   * segment, one scene, no crash).
   */
  private addJobColumns(): void {
    const columns = new Set((this.connection.prepare('PRAGMA table_info(jobs)').all() as { name: string }[]).map((c) => c.name));
    if (!columns.has('kind')) this.connection.exec("ALTER TABLE jobs ADD COLUMN kind TEXT NOT NULL DEFAULT 'segment'");
    if (!columns.has('scenes')) this.connection.exec('ALTER TABLE jobs ADD COLUMN scenes TEXT');
    if (!columns.has('crashes')) this.connection.exec('ALTER TABLE jobs ADD COLUMN crashes INTEGER NOT NULL DEFAULT 0');
  }

  /** The underlying connection (tests, maintenance). */
  db(): Database.Database {
    return this.connection;
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.connection.close();
  }

  // ---- scenes ----

  insertScene(input: { name: string; path: string; info: unknown }): SceneRecord {
    const existing = this.findSceneByPath(input.path);
    if (existing) return existing;
    const scene: SceneRecord = { id: randomUUID(), name: input.name, path: input.path, info: input.info, createdAt: now() };
    this.connection.prepare('INSERT INTO scenes (id, name, path, info, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(scene.id, scene.name, scene.path, JSON.stringify(scene.info), scene.createdAt);
    return scene;
  }

  getScene(id: string): SceneRecord | undefined {
    this.sceneById ??= this.connection.prepare('SELECT * FROM scenes WHERE id = ?');
    const row = this.sceneById.get(id) as SceneRow | undefined;
    return row && toScene(row);
  }

  findSceneByPath(path: string): SceneRecord | undefined {
    const row = this.connection.prepare('SELECT * FROM scenes WHERE path = ?').get(path) as SceneRow | undefined;
    return row && toScene(row);
  }

  listScenes(): SceneRecord[] {
    return (this.connection.prepare('SELECT * FROM scenes ORDER BY created_at, id').all() as SceneRow[]).map(toScene);
  }

  // ---- jobs ----

  createJob(input: NewJob): JobRecord {
    const t = now();
    const id = randomUUID();
    const scenes = input.scenes ?? [input.scene];
    if (scenes[0] !== input.scene) throw new RangeError(`job scenes [${scenes.join(', ')}] must start with its scene ${input.scene}`);
    this.connection.prepare(`INSERT INTO jobs (id, kind, scene_id, scenes, prompt, model, options, state, progress, created_at, updated_at)
      VALUES (?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)`)
      .run(id, input.kind ?? 'segment', input.scene, JSON.stringify(scenes), input.prompt, input.model, JSON.stringify(input.options), JSON.stringify(EMPTY_PROGRESS), t, t);
    return this.getJob(id)!;
  }

  getJob(id: string): JobRecord | undefined {
    const row = this.connection.prepare('SELECT * FROM jobs WHERE id = ?').get(id) as JobRow | undefined;
    return row && toJob(row);
  }

  listJobs(filter: { state?: JobState } = {}): JobRecord[] {
    const rows = filter.state
      ? this.connection.prepare('SELECT * FROM jobs WHERE state = ? ORDER BY created_at, id').all(filter.state)
      : this.connection.prepare('SELECT * FROM jobs ORDER BY created_at, id').all();
    return (rows as JobRow[]).map(toJob);
  }

  /** Jobs a restarted server must pick up again: queued, and running when the process died. */
  unfinishedJobs(): JobRecord[] {
    return (this.connection.prepare("SELECT * FROM jobs WHERE state IN ('queued', 'running') ORDER BY created_at, id").all() as JobRow[]).map(toJob);
  }

  setJobState(id: string, state: JobState, fields: JobStateFields = {}): JobRecord {
    const t = now();
    const started = state === 'running' ? t : null;
    const finished = FINISHED_STATES.includes(state) ? t : null;
    this.connection.prepare(`UPDATE jobs SET state = ?, error = COALESCE(?, error), crashes = COALESCE(?, crashes), updated_at = ?,
        started_at = COALESCE(started_at, ?), finished_at = ? WHERE id = ?`)
      .run(state, fields.error ?? null, fields.crashes ?? null, t, started, finished, id);
    return this.getJob(id)!;
  }

  /**
   * Move a job from one of `from` to `to` atomically; returns the updated job, or undefined when the
   * job was not in one of those states (e.g. cancelling a job that just finished).
   */
  transitionJob(id: string, from: readonly JobState[], to: JobState, fields: JobStateFields = {}): JobRecord | undefined {
    const tx = this.connection.transaction(() => {
      const job = this.getJob(id);
      if (!job || !from.includes(job.state)) return undefined;
      return this.setJobState(id, to, fields);
    });
    // IMMEDIATE: take the write lock before reading. With several connections (the server's job thread, the
    // HTTP thread) a deferred read-then-write fails with SQLITE_BUSY_SNAPSHOT when another one wrote between.
    return tx.immediate();
  }

  updateProgress(id: string, progress: JobProgress): void {
    this.connection.prepare('UPDATE jobs SET progress = ?, updated_at = ? WHERE id = ?').run(JSON.stringify(progress), now(), id);
  }

  // ---- per-tile results ----

  /** Persist one finished tile (committed immediately). A tile stored twice keeps its first result. */
  putTile(jobId: string, tileId: string, probability: Float32Array, defects: SegmentationDefect[]): boolean {
    return this.putTileBytes(jobId, tileId, quantizeProbability(probability), defects);
  }

  /** As putTile, with the probability already quantized (probabilityCodec), e.g. from a remote worker. */
  putTileBytes(jobId: string, tileId: string, probability: Uint8Array, defects: SegmentationDefect[]): boolean {
    const result = this.connection.prepare('INSERT OR IGNORE INTO job_tiles (job_id, tile_id, probability, defects, done_at) VALUES (?, ?, ?, ?, ?)')
      .run(jobId, tileId, Buffer.from(probability.buffer, probability.byteOffset, probability.byteLength), JSON.stringify(defects), now());
    return result.changes === 1;
  }

  /** Run `fn` in one write transaction (e.g. all tiles of a worker's unit at once; IMMEDIATE as transitionJob). */
  transaction<T>(fn: () => T): T {
    return this.connection.transaction(fn).immediate();
  }

  /**
   * Record a tile that has no probability: `skipped` (no valid pixel) or `failed` (the model failed on it
   * twice) — distributed jobs keep these so the finished job knows every tile is settled. First one wins.
   */
  putTileOutcome(jobId: string, tileId: string, outcome: TileOutcome, error: string | null = null): boolean {
    const result = this.connection.prepare('INSERT OR IGNORE INTO job_tile_outcomes (job_id, tile_id, outcome, error) VALUES (?, ?, ?, ?)')
      .run(jobId, tileId, outcome, error);
    return result.changes === 1;
  }

  loadTileOutcomes(jobId: string): Map<string, { outcome: TileOutcome; error: string | null }> {
    const rows = this.connection.prepare('SELECT tile_id, outcome, error FROM job_tile_outcomes WHERE job_id = ?').all(jobId) as { tile_id: string; outcome: TileOutcome; error: string | null }[];
    return new Map(rows.map((r) => [r.tile_id, { outcome: r.outcome, error: r.error }]));
  }

  /** Tiles of a job with a stored probability or outcome, and how many of them were skipped / failed. */
  settledTiles(jobId: string): { settled: Set<string>; skipped: number; failed: number } {
    const settled = new Set((this.connection.prepare('SELECT tile_id FROM job_tiles WHERE job_id = ?').pluck().all(jobId) as string[]));
    const outcomes = this.connection.prepare('SELECT tile_id, outcome FROM job_tile_outcomes WHERE job_id = ?').all(jobId) as { tile_id: string; outcome: TileOutcome }[];
    let skipped = 0;
    let failed = 0;
    for (const o of outcomes) {
      settled.add(o.tile_id);
      if (o.outcome === 'skipped') skipped++;
      else failed++;
    }
    return { settled, skipped, failed };
  }

  /** A distributed job's tile plan (JSON, see src/pipeline/tileWork.ts); the first one stored wins. */
  putPlan(jobId: string, plan: unknown): void {
    this.connection.prepare('INSERT OR IGNORE INTO job_plans (job_id, plan) VALUES (?, ?)').run(jobId, JSON.stringify(plan));
  }

  getPlan<T>(jobId: string): T | undefined {
    const row = this.connection.prepare('SELECT plan FROM job_plans WHERE job_id = ?').get(jobId) as { plan: string } | undefined;
    return row && (JSON.parse(row.plan) as T);
  }

  /** The finished tiles of a job, tile id → probability (dequantized), for `segmentScene`'s `completed`. */
  loadTiles(jobId: string): Map<string, Float32Array> {
    const rows = this.connection.prepare('SELECT tile_id, probability FROM job_tiles WHERE job_id = ?').all(jobId) as { tile_id: string; probability: Buffer }[];
    const tiles = new Map<string, Float32Array>();
    for (const row of rows) tiles.set(row.tile_id, dequantizeProbability(new Uint8Array(row.probability.buffer, row.probability.byteOffset, row.probability.byteLength)));
    return tiles;
  }

  loadTileDefects(jobId: string): Map<string, SegmentationDefect[]> {
    const rows = this.connection.prepare("SELECT tile_id, defects FROM job_tiles WHERE job_id = ? AND defects <> '[]'").all(jobId) as { tile_id: string; defects: string }[];
    return new Map(rows.map((r) => [r.tile_id, JSON.parse(r.defects) as SegmentationDefect[]]));
  }

  countTiles(jobId: string): number {
    return (this.connection.prepare('SELECT COUNT(*) AS n FROM job_tiles WHERE job_id = ?').get(jobId) as { n: number }).n;
  }

  // ---- results ----

  putResult(jobId: string, geojson: string): void {
    this.connection.prepare('INSERT OR REPLACE INTO job_results (job_id, geojson) VALUES (?, ?)').run(jobId, geojson);
  }

  getResult(jobId: string): string | undefined {
    const row = this.connection.prepare('SELECT geojson FROM job_results WHERE job_id = ?').get(jobId) as { geojson: string } | undefined;
    return row?.geojson;
  }
}
