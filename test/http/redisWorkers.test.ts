/**
 * Jobs on BullMQ workers (`serve --queue` + `waterline worker`), with a real redis-server (AOF on) and real
 * worker processes running the graded dark-water test model on a real shared scene. Whatever happens on
 * the way — two workers, a worker SIGKILLed mid-unit, the server SIGKILLed and Redis SIGKILLed and restarted —
 * the job's GeoJSON equals a plain single-process segmentation feature for feature, and every tile is
 * stored exactly once. Each test takes 7–20 s alone on 2 cores (mostly starting node processes); the
 * timeouts leave room for a machine busy with the rest of the suite.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { FeatureCollection } from 'geojson';
import { hasShared, repoRoot, scenePath } from '../helpers/shared.ts';
import { hasRedisServer, startRedisServer, type RedisServer } from '../helpers/redisServer.ts';
import { JobStore } from '../../src/adapters/store/jobStore.ts';
import { openScene } from '../../src/adapters/raster/openScene.ts';
import { segmentScene } from '../../src/pipeline/segmentScene.ts';
import { darkWaterSegmenter } from './fixtures/darkWaterSegmenter.ts';
import { waitFor } from './serverHarness.ts';

const SCENE = 'landsat8-ottawa-rgb16-utm18-cog.tif';
const children: ChildProcess[] = [];
const cleanups: (() => Promise<void> | void)[] = [];
afterAll(async () => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const f of cleanups.reverse()) await f();
});

type Job = { id: string; state: string; error?: string; progress: { tilesDone: number; tilesTotal: number; tilesSkipped: number; tilesFailed: number; tilesPerSecond: number; etaSeconds: number | null } };

function spawnLine(args: string[], pattern: RegExp): Promise<{ child: ChildProcess; match: RegExpMatchArray }> {
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = out.match(pattern);
      if (m) resolve({ child, match: m });
    });
    child.once('exit', (code) => reject(new Error(`${args[0]} exited with ${code} before printing ${pattern}`)));
  });
}

const startWorker = async (redis: RedisServer, logFile: string, delayMs = 300, dataDir = '', tileOverlap?: number) =>
  (await spawnLine([join('test', 'http', 'fixtures', 'tileWorkerProcess.ts'), redis.url, logFile, String(delayMs), dataDir, ...(tileOverlap === undefined ? [] : [String(tileOverlap)])], /ready (\S+)/)).child;

const startServerProcess = async (dataDir: string, redis: RedisServer) => {
  const { child, match } = await spawnLine([join('test', 'http', 'fixtures', 'killableServer.ts'), dataDir, join(dataDir, 'unused.log'), redis.url], /listening (\S+)/);
  return { child, url: match[1] };
};

const stopChild = async (child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> => {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill(signal);
  await exited;
};

const post = async (url: string, body: unknown) =>
  (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<{ id: string }>;
const getJob = async (url: string, id: string): Promise<Job> => (await (await fetch(`${url}/jobs/${id}`)).json()) as Job;
const tileLog = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
/** Attempts of units that failed, from a fixture worker's JSON log (`<tile log>.json`). */
const unitFailures = (file: string): number => tileLog(`${file}.json`).filter((l) => (JSON.parse(l) as { msg: string }).msg === 'work unit failed').length;

async function submit(url: string): Promise<string> {
  const scene = await post(`${url}/scenes`, { path: SCENE });
  return (await post(`${url}/jobs`, { scene: scene.id })).id;
}

async function finished(url: string, jobId: string): Promise<{ job: Job; fc: FeatureCollection }> {
  const job = await waitFor(async () => {
    const j = await getJob(url, jobId);
    return j.state === 'succeeded' || j.state === 'failed' || j.state === 'cancelled' ? j : undefined;
  }, 'the job to finish', 100_000);
  expect(job.error).toBeUndefined();
  expect(job.state).toBe('succeeded');
  return { job, fc: (await (await fetch(`${url}/jobs/${jobId}/water.geojson`)).json()) as FeatureCollection };
}

/** The job once it has failed. */
const failedJob = (url: string, jobId: string): Promise<Job> => waitFor(async () => {
  const j = await getJob(url, jobId);
  return j.state === 'failed' ? j : undefined;
}, 'the job to fail', 30_000);

let plainResult: FeatureCollection | undefined;
/** The uninterrupted single-process run of the same scene, model and options (what `waterline segment` runs). */
async function plain(): Promise<FeatureCollection> {
  if (!plainResult) {
    const scene = await openScene(scenePath(SCENE));
    try {
      const { collection } = await segmentScene(scene, darkWaterSegmenter({ soft: true }), {});
      plainResult = JSON.parse(JSON.stringify(collection)) as FeatureCollection;
    } finally {
      await scene.close();
    }
  }
  return plainResult;
}

/** minPolygons: enough that an order or a coordinate can differ (the fixture model finds many; the built-in default, fewer). */
function expectIdentical(fc: FeatureCollection, reference: FeatureCollection, minPolygons = 11): void {
  expect(fc.features.length).toBeGreaterThanOrEqual(minPolygons);
  expect(fc.features.length).toBe(reference.features.length);
  expect(fc.features).toEqual(reference.features);
}

/** Every tile with data stored exactly once (the store's primary key), and all of them. */
function expectEveryTileOnce(dataDir: string, job: Job): void {
  const store = JobStore.open(dataDir);
  try {
    expect(store.countTiles(job.id)).toBe(job.progress.tilesTotal - job.progress.tilesSkipped - job.progress.tilesFailed);
  } finally {
    store.close();
  }
}

async function setup(): Promise<{ redis: RedisServer; dataDir: string; server: { child: ChildProcess; url: string } }> {
  const redis = await startRedisServer();
  cleanups.push(() => redis.stop());
  const dataDir = mkdtempSync(join(tmpdir(), 'waterline-queue-'));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  copyFileSync(scenePath(SCENE), join(dataDir, SCENE));
  const server = await startServerProcess(dataDir, redis);
  return { redis, dataDir, server };
}

const suite = !hasRedisServer
  ? describe.skip.bind(describe, '[skipped: redis-server not installed (apt-get install redis-server)]')
  : !hasShared
    ? describe.skip.bind(describe, '[skipped: ../shared/data not found beside the checkout; set WATERLINE_SHARED_DIR]')
    : describe;

suite('jobs on BullMQ workers (serve --queue, waterline worker)', () => {
  it('two workers share a job; the GeoJSON equals a plain segment, every tile once', async () => {
    const { redis, dataDir, server } = await setup();
    const logs = [join(dataDir, 'w1.log'), join(dataDir, 'w2.log')];
    const workers = await Promise.all(logs.map((l) => startWorker(redis, l, 200)));
    const jobId = await submit(server.url);
    // progress, rate and ETA come from the server, over both workers
    const midway = await waitFor(async () => {
      const j = await getJob(server.url, jobId);
      return j.state === 'running' && j.progress.tilesDone > 0 && j.progress.tilesDone < j.progress.tilesTotal && j.progress.tilesPerSecond > 0 ? j : undefined;
    }, 'a running job with a rate');
    expect(midway.progress.etaSeconds).toBeGreaterThanOrEqual(0);
    const { job, fc } = await finished(server.url, jobId);
    expectIdentical(fc, await plain());
    expectEveryTileOnce(dataDir, job);
    expect(job.progress.tilesPerSecond).toBeGreaterThan(0); // the workers' rate, kept after the finisher's replay
    expect((fc as unknown as { waterline: { timings: { tilesPerSecond: number } } }).waterline.timings.tilesPerSecond).toBe(job.progress.tilesPerSecond);
    const [a, b] = logs.map(tileLog);
    // both workers took part, and no tile was segmented twice
    expect(a.length).toBeGreaterThan(0);
    expect(b.length).toBeGreaterThan(0);
    expect(new Set([...a, ...b]).size).toBe(a.length + b.length);
    await Promise.all([...workers.map((w) => stopChild(w)), stopChild(server.child)]);
  }, 120_000);

  it('a model that declares its tile overlap: the worker plans, segments and the server stitches on that grid, as a plain segment does', async () => {
    const { redis, dataDir, server } = await setup();
    const worker = await startWorker(redis, join(dataDir, 'w.log'), 0, '', 64);
    const jobId = await submit(server.url);
    const { fc } = await finished(server.url, jobId);
    const scene = await openScene(scenePath(SCENE));
    let reference: FeatureCollection;
    try {
      reference = JSON.parse(JSON.stringify((await segmentScene(scene, darkWaterSegmenter({ soft: true, tileOverlap: 64 }), {})).collection)) as FeatureCollection;
    } finally {
      await scene.close();
    }
    const provenance = (fc as unknown as { waterline: { overlap: number; tilesTotal: number } }).waterline;
    expect(provenance.overlap).toBe(64);
    expect(provenance.tilesTotal).toBe((reference as unknown as { waterline: { tilesTotal: number } }).waterline.tilesTotal);
    expectIdentical(fc, reference);
    await Promise.all([stopChild(worker), stopChild(server.child)]);
  }, 120_000);

  it('a worker SIGKILLed mid-unit: its unit is taken by the other worker and the result is identical', async () => {
    const { redis, dataDir, server } = await setup();
    const log1 = join(dataDir, 'w1.log');
    const log2 = join(dataDir, 'w2.log');
    const w1 = await startWorker(redis, log1, 300);
    const jobId = await submit(server.url);
    await waitFor(async () => (tileLog(log1).length >= 2 ? true : undefined), 'worker 1 to segment tiles');
    // worker 1 works unit after unit: killed now, it dies inside one; only worker 2 can finish the job
    await stopChild(w1, 'SIGKILL');
    expect((await getJob(server.url, jobId)).state).toBe('running');
    const w2 = await startWorker(redis, log2, 300);
    const { job, fc } = await finished(server.url, jobId);
    expectIdentical(fc, await plain());
    expectEveryTileOnce(dataDir, job);
    expect(tileLog(log2).length).toBeGreaterThan(0);
    await Promise.all([stopChild(w2), stopChild(server.child)]);
  }, 120_000);

  it('cancel reaches the workers: waiting units are removed and no further tile of the job is segmented', async () => {
    const { redis, dataDir, server } = await setup();
    const log = join(dataDir, 'w.log');
    const worker = await startWorker(redis, log, 200);
    const jobId = await submit(server.url);
    await waitFor(async () => ((await getJob(server.url, jobId)).progress.tilesDone >= 2 ? true : undefined), 'two tiles stored');
    const res = await fetch(`${server.url}/jobs/${jobId}/cancel`, { method: 'POST' });
    expect(((await res.json()) as Job).state).toBe('cancelled');
    await new Promise((r) => setTimeout(r, 1000)); // the unit in flight (≤ 2 tiles, 300 ms) ends
    const afterCancel = tileLog(log).length;
    await new Promise((r) => setTimeout(r, 1500));
    expect(tileLog(log).length).toBe(afterCancel);
    expect(afterCancel).toBeLessThan(20);
    expect((await getJob(server.url, jobId)).state).toBe('cancelled');
    await Promise.all([stopChild(worker), stopChild(server.child)]);
  }, 120_000);

  it('a worker that cannot read the scene: the unit is tried 3 times (another worker could), then the job fails naming the scene', async () => {
    const { redis, dataDir, server } = await setup();
    // this worker looks for scenes in an empty directory
    const log = join(dataDir, 'w.log');
    const worker = await startWorker(redis, log, 0, mkdtempSync(join(tmpdir(), 'waterline-empty-')));
    const jobId = await submit(server.url);
    const job = await failedJob(server.url, jobId);
    expect(job.error).toMatch(new RegExp(`^a worker failed on planning: scene ${SCENE} is not readable in this worker's data-dir`));
    expect(unitFailures(log)).toBe(3);
    await Promise.all([stopChild(worker), stopChild(server.child)]);
  }, 120_000);

  it('a worker whose data directory holds another file under the scene\'s name never segments it; the job fails naming the scene', async () => {
    const { redis, dataDir, server } = await setup();
    const elsewhere = mkdtempSync(join(tmpdir(), 'waterline-other-'));
    cleanups.push(() => rmSync(elsewhere, { recursive: true, force: true }));
    copyFileSync(scenePath('landsat8-grenada-rgb16-utm20.tif'), join(elsewhere, SCENE));
    const log = join(dataDir, 'w.log');
    const worker = await startWorker(redis, log, 0, elsewhere);
    const jobId = await submit(server.url);
    const job = await failedJob(server.url, jobId);
    expect(job.error).toMatch(new RegExp(`^a worker failed on planning: scene ${SCENE} in this worker's data-dir is not the server's file \\(\\d+ bytes, the server's has \\d+\\)`));
    expect(tileLog(log)).toEqual([]); // not one tile of the other scene was segmented
    await Promise.all([stopChild(worker), stopChild(server.child)]);
  }, 120_000);

  it('a job its scene cannot run (the water index alone on an RGB scene) fails at once: one attempt, not three', async () => {
    const { redis, dataDir, server } = await setup();
    const log = join(dataDir, 'w.log');
    const worker = await startWorker(redis, log, 0);
    const scene = await post(`${server.url}/scenes`, { path: SCENE });
    const { id } = await post(`${server.url}/jobs`, { scene: scene.id, model: 'waterline-spectral' });
    const job = await failedJob(server.url, id);
    expect(job.error).toMatch(/^a worker failed on planning: /);
    await new Promise((r) => setTimeout(r, 2500)); // a retried unit would be tried again within 2 s
    expect(unitFailures(log)).toBe(1);
    await Promise.all([stopChild(worker), stopChild(server.child)]);
  }, 120_000);

  it('a worker stopped while Redis is down exits after its close wait instead of waiting for Redis forever', async () => {
    const { redis, dataDir, server } = await setup();
    const worker = await startWorker(redis, join(dataDir, 'w.log'), 0);
    await stopChild(server.child);
    await redis.stop();
    const started = Date.now();
    await stopChild(worker); // SIGTERM; the fixture waits 3 s for Redis
    expect(Date.now() - started).toBeLessThan(20_000);
  }, 120_000);

  it('a job naming the default model by name runs on the default workers; readiness reports Redis and the workers; change jobs are refused at once', async () => {
    const { redis, dataDir, server } = await setup();
    const worker = await startWorker(redis, join(dataDir, 'w.log'), 0);
    const ready = await waitFor(async () => {
      const r = (await (await fetch(`${server.url}/readyz`)).json()) as { jobs: { broker?: { reachable: boolean; workers: Record<string, number> }; waiting?: string[] } };
      return r.jobs.broker?.workers['tiles-waterline-unet11'] === 1 ? r : undefined;
    }, 'readiness to count the worker');
    expect(ready.jobs.broker!.reachable).toBe(true);
    expect(ready.jobs.waiting).toBeUndefined();
    const scene = await post(`${server.url}/scenes`, { path: SCENE });
    const named = await post(`${server.url}/jobs`, { scene: scene.id, model: 'waterline-unet' });
    const { fc } = await finished(server.url, named.id);
    expect(fc.features.length).toBe((await plain()).features.length);
    const change = await fetch(`${server.url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ kind: 'change', scenes: [scene.id, scene.id] }) });
    expect(change.status).toBe(501);
    const problem = (await change.json()) as { code: string; detail: string };
    expect(problem.code).toBe('job_kind_unavailable');
    expect(problem.detail).toContain('change jobs do not run on this server\'s workers yet');
    await stopChild(worker);
    // no worker now: a queue without unfinished jobs is no cause for alarm; one with a job waiting is
    expect(((await (await fetch(`${server.url}/readyz`)).json()) as { jobs: { waiting?: string[] } }).jobs.waiting).toBeUndefined();
    await post(`${server.url}/jobs`, { scene: scene.id });
    const idle = await waitFor(async () => {
      const r = (await (await fetch(`${server.url}/readyz`)).json()) as { jobs: { waiting?: string[] } };
      return r.jobs.waiting ? r : undefined;
    }, 'readiness to say no worker takes the queue', 60_000);
    expect(idle.jobs.waiting).toEqual(['no worker takes tiles-waterline-unet11: its jobs wait for one']);
    await redis.stop();
    const down = (await (await fetch(`${server.url}/readyz`)).json()) as { jobs: { broker: { reachable: boolean }; waiting: string[] } };
    expect(down.jobs.broker.reachable).toBe(false);
    expect(down.jobs.waiting[0]).toMatch(/^the Redis queue does not answer/);
    await stopChild(server.child);
  }, 150_000);

  it('the server SIGKILLed, then Redis SIGKILLed and restarted (AOF), mid-job: the job completes identically', async () => {
    const { redis, dataDir, server } = await setup();
    const log = join(dataDir, 'w.log');
    const worker = await startWorker(redis, log, 200);
    const jobId = await submit(server.url);
    await waitFor(async () => ((await getJob(server.url, jobId)).progress.tilesDone >= 4 ? true : undefined), 'four tiles stored');
    // the workers go on while the server is down; their results wait in Redis
    await stopChild(server.child, 'SIGKILL');
    await waitFor(async () => (tileLog(log).length >= 8 ? true : undefined), 'the worker to go on without the server');
    // Redis dies too (losing at most its last second of writes) and comes back from its append-only file
    await redis.restart();
    const restarted = await startServerProcess(dataDir, redis);
    const { job, fc } = await finished(restarted.url, jobId);
    expectIdentical(fc, await plain());
    expectEveryTileOnce(dataDir, job);
    await Promise.all([stopChild(worker), stopChild(restarted.child)]);
  }, 120_000);
});

suite('waterline serve --queue + waterline worker (the real commands, the built-in U-Net)', () => {
  it('two workers give exactly the GeoJSON of `waterline segment`', async () => {
    const redis = await startRedisServer();
    cleanups.push(() => redis.stop());
    const dataDir = mkdtempSync(join(tmpdir(), 'waterline-queue-cli-'));
    cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
    copyFileSync(scenePath(SCENE), join(dataDir, SCENE));
    const cli = (args: string[], pattern: RegExp) => {
      const child = spawn(process.execPath, [join('bin', 'waterline.mjs'), ...args], { cwd: repoRoot, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, WATERLINE_DEVICE: 'cpu' } });
      children.push(child);
      return new Promise<{ child: ChildProcess; match: RegExpMatchArray }>((resolve, reject) => {
        let err = '';
        child.stderr!.on('data', (d) => {
          err += d;
          const m = err.match(pattern);
          if (m) resolve({ child, match: m });
        });
        child.once('exit', (code) => reject(new Error(`waterline ${args[0]} exited with ${code}: ${err.slice(-400)}`)));
      });
    };
    const server = await cli(['serve', '--data-dir', dataDir, '--port', '0', '--queue', redis.url], /serving (\S+)/);
    const url = server.match[1];
    const workers = await Promise.all([1, 2].map(() => cli(['worker', '--queue', redis.url], /waterline worker: model (\S+) \(unet, (\w+)\)/)));
    expect(workers[0].match[2]).toBe('cpu');
    const jobId = await submit(url);
    const { fc } = await finished(url, jobId);
    const out = join(dataDir, 'plain.geojson');
    const segment = spawn(process.execPath, [join('bin', 'waterline.mjs'), 'segment', join(dataDir, SCENE), '-o', out], { cwd: repoRoot, stdio: 'ignore', env: { ...process.env, WATERLINE_DEVICE: 'cpu' } });
    expect(await new Promise((r) => segment.once('exit', r))).toBe(0);
    const plainCli = JSON.parse(readFileSync(out, 'utf8')) as FeatureCollection & { waterline: Record<string, unknown> };
    expectIdentical(fc, plainCli, 5);
    expect((fc as FeatureCollection & { waterline: Record<string, unknown> }).waterline.provider).toBe(plainCli.waterline.provider);
    await Promise.all([...workers.map((w) => stopChild(w.child)), stopChild(server.child)]);
  }, 120_000);
});
