/**
 * `waterline serve`'s default: jobs run in a job thread (ThreadJobExecutor + jobThread.ts, the model loaded
 * there from a module), not on the HTTP event loop. The job's GeoJSON equals a plain segmentation, cancel
 * reaches the thread, and a shutdown leaves the job queued with its tiles stored. A thread that crashes under a
 * job resumes it on a new thread from its stored tiles; a second crash with no tile stored in between fails it (a
 * job that was storing tiles is not failed for crashes, also beside another job); a job no thread can be started
 * for again fails; nothing outlives a failed start or a shutdown.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import type { FeatureCollection } from 'geojson';
import { describeShared, scenePath } from '../helpers/shared.ts';
import { openScene } from '../../src/adapters/raster/openScene.ts';
import { JobStore } from '../../src/adapters/store/jobStore.ts';
import { segmentScene } from '../../src/pipeline/segmentScene.ts';
import { darkWaterSegmenter } from './fixtures/darkWaterSegmenter.ts';
import { darkWaterModuleUrl } from './fixtures/darkWaterModule.ts';
import { JOB_THREAD_CRASHED, JOB_THREAD_NOT_STARTED } from '../../src/http/threadJobExecutor.ts';
import { startHarness, waitFor, type Harness } from './serverHarness.ts';

const SCENE = 'landsat8-ottawa-rgb16-utm18-cog.tif';
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

type Job = { id: string; scene: string; state: string; error?: string | null; progress: { tilesDone: number } };
const post = async (url: string, body: unknown) =>
  (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json() as Promise<Job>;
const getJob = async (url: string, id: string): Promise<Job> => (await (await fetch(`${url}/jobs/${id}`)).json()) as Job;

const threaded = (dataDir: string, delayMs = 0): Promise<Harness> =>
  startHarness({}, {}, { jobs: { kind: 'thread', segmenter: { module: darkWaterModuleUrl, options: { soft: true, delayMs } } } }, dataDir);

async function submit(h: Harness): Promise<string> {
  h.addFile(scenePath(SCENE));
  const scene = await post(`${h.url}/scenes`, { path: SCENE });
  return (await post(`${h.url}/jobs`, { scene: scene.id })).id;
}

it('a server that cannot listen (port taken) closes its job thread and database: the process exits', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'waterline-thread-'));
  dirs.push(dir);
  const taken = createServer();
  await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
  try {
    const port = (taken.address() as AddressInfo).port;
    const child = spawn(process.execPath, ['--import', 'tsx', join('test', 'http', 'fixtures', 'busyPortServer.ts'), dir, String(port)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const killer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    clearTimeout(killer);
    expect(out.trim()).toBe('rejected EADDRINUSE');
    expect(code).toBe(1); // null: it hung and was killed
  } finally {
    taken.close();
  }
}, 40_000);

describeShared('jobs in the job thread (serve without --queue)', () => {
  it('gives the plain segmentation, feature for feature', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'waterline-thread-'));
    dirs.push(dir);
    const h = await threaded(dir);
    try {
      const jobId = await submit(h);
      await waitFor(async () => ((await getJob(h.url, jobId)).state === 'succeeded' ? true : undefined), 'job to succeed');
      const fc = (await (await fetch(`${h.url}/jobs/${jobId}/water.geojson`)).json()) as FeatureCollection;
      const scene = await openScene(scenePath(SCENE));
      const { collection } = await segmentScene(scene, darkWaterSegmenter({ soft: true }), {});
      await scene.close();
      expect(fc.features.length).toBeGreaterThan(10);
      expect(fc.features).toEqual(JSON.parse(JSON.stringify(collection.features)));
    } finally {
      await h.close();
    }
  }, 120_000);

  it('one copy of the model, in the job thread: health, jobs and on-demand segmentation all use it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'waterline-thread-'));
    dirs.push(dir);
    const loadLog = join(dir, 'loads.log');
    const h = await startHarness({}, {}, {
      loadSegmenter: async () => { throw new Error('the HTTP thread must not load models'); },
      jobs: { kind: 'thread', segmenter: { module: darkWaterModuleUrl, options: { soft: true, loadLog } } },
    }, dir);
    try {
      const health = await waitFor(async () => {
        const body = (await (await fetch(`${h.url}/healthz`)).json()) as { provider: string | null };
        return body.provider ? body : undefined;
      }, 'the model to load');
      expect(health.provider).toBe('cpu');
      const jobId = await submit(h);
      await waitFor(async () => ((await getJob(h.url, jobId)).state === 'succeeded' ? true : undefined), 'job to succeed');
      const scene = (await getJob(h.url, jobId)).scene;
      const onDemand = await fetch(`${h.url}/scenes/${scene}/water.geojson?bbox=-75.8,45.3,-75.5,45.5`);
      expect(onDemand.status).toBe(200);
      const fc = (await onDemand.json()) as FeatureCollection;
      expect(fc.features.length).toBeGreaterThan(0);
      expect(readFileSync(loadLog, 'utf8').trim().split('\n')).toEqual(['load']);
    } finally {
      await h.close();
    }
  }, 120_000);

  it('a job whose thread crashes resumes on a new thread from its stored tiles (none computed again) and gives the plain segmentation', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'waterline-thread-'));
    dirs.push(dir);
    const tileLog = join(dir, 'tiles.log');
    const crash = { marker: join(dir, 'crashed'), afterCalls: 2, whenStoredIn: dir };
    const h = await startHarness({}, {}, { jobs: { kind: 'thread', segmenter: { module: darkWaterModuleUrl, options: { soft: true, logFile: tileLog, crash } } } }, dir);
    try {
      const jobId = await submit(h);
      const done = await waitFor(async () => {
        const job = await getJob(h.url, jobId);
        return job.state === 'succeeded' || job.state === 'failed' ? job : undefined;
      }, 'the crashed job to finish');
      expect(done.state).toBe('succeeded');
      expect(done.error).toBeUndefined();
      expect(h.deps.store.getJob(jobId)!.crashes).toBe(1);
      const fc = (await (await fetch(`${h.url}/jobs/${jobId}/water.geojson`)).json()) as FeatureCollection;
      const scene = await openScene(scenePath(SCENE));
      const { collection } = await segmentScene(scene, darkWaterSegmenter({ soft: true }), {});
      await scene.close();
      expect(fc.features).toEqual(JSON.parse(JSON.stringify(collection.features)));

      // the tiles computed (and stored) before the crash were not computed again after it; no tile twice
      const lines = readFileSync(tileLog, 'utf8').trim().split('\n');
      const at = lines.indexOf('crash');
      const before = lines.slice(0, at);
      const after = lines.slice(at + 1);
      expect(before.length).toBe(8); // two batches of 4
      expect(after.length).toBeGreaterThan(0);
      expect(after.filter((t) => before.includes(t))).toEqual([]);
      expect(new Set(after).size).toBe(after.length);
    } finally {
      await h.close();
    }
  }, 120_000);

  it('a job its thread crashes under twice with no tile stored in between fails with a safe message; the next job gets a new thread; none starts after shutdown', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'waterline-thread-'));
    dirs.push(dir);
    // the first thread stores one batch, the second crashes at once
    const crash = { marker: join(dir, 'crashed'), times: 2, afterCalls: [1, 0], whenStoredIn: dir };
    const h = await startHarness({}, {}, { jobs: { kind: 'thread', segmenter: { module: darkWaterModuleUrl, options: { soft: true, crash } } } }, dir);
    try {
      const crashed = await submit(h);
      const failed = await waitFor(async () => {
        const job = await getJob(h.url, crashed);
        return job.state === 'failed' || job.state === 'succeeded' ? job : undefined;
      }, 'the crashed job to fail');
      expect(failed.state).toBe('failed');
      expect(failed.error).toBe(JOB_THREAD_CRASHED);
      expect(failed.error).toMatch(/job thread crashed 2 times in a row/);
      expect(failed.error).not.toMatch(/secret|out of bounds/);
      expect(h.deps.store.getJob(crashed)!.crashes).toBe(2);
      expect(readFileSync(crash.marker, 'utf8').trim().split('\n')).toHaveLength(2);
      expect(h.deps.store.countTiles(crashed)).toBeGreaterThan(0); // what it computed is kept
      const next = (await post(`${h.url}/jobs`, { scene: failed.scene })).id;
      await waitFor(async () => ((await getJob(h.url, next)).state === 'succeeded' ? true : undefined), 'the next job to succeed');
    } finally {
      await h.close();
    }
    // a late on-demand request after shutdown starts no thread (one would keep the process alive)
    await expect(h.deps.segmenters.get(null)).rejects.toThrow(/shutting down/);
  }, 120_000);

  it('two jobs in one thread, both storing tiles, are not failed by two crashes of it (each resumes; both succeed)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'waterline-thread-'));
    dirs.push(dir);
    const crash = { marker: join(dir, 'crashed'), times: 2, whileJobsProgressIn: dir };
    const h = await startHarness({ maxRunningJobs: 2 }, {}, { jobs: { kind: 'thread', segmenter: { module: darkWaterModuleUrl, options: { soft: true, delayMs: 20, crash } } } }, dir);
    try {
      h.addFile(scenePath(SCENE));
      const scene = await post(`${h.url}/scenes`, { path: SCENE });
      // a large overlap: many tiles (batches) per job, so both keep storing tiles between the crashes
      const [first, second] = await Promise.all([0, 1].map(async () => (await post(`${h.url}/jobs`, { scene: scene.id, options: { overlap: 64 } })).id));
      const done = await Promise.all([first, second].map((id) => waitFor(async () => {
        const job = await getJob(h.url, id);
        return job.state === 'succeeded' || job.state === 'failed' ? job : undefined;
      }, 'both jobs to finish', 90_000)));
      expect(readFileSync(crash.marker, 'utf8').trim().split('\n')).toHaveLength(2);
      expect(done.map((j) => [j.state, j.error ?? null])).toEqual([['succeeded', null], ['succeeded', null]]);
      // each crash hit both jobs; the second came after both had stored tiles, so neither count went on
      expect([first, second].map((id) => h.deps.store.getJob(id)!.crashes)).toEqual([1, 1]);
    } finally {
      await h.close();
    }
  }, 120_000);

  it('a job whose thread cannot be started again after a crash fails with a safe message (it does not stay queued)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'waterline-thread-'));
    dirs.push(dir);
    const crash = { marker: join(dir, 'crashed'), afterCalls: 1, failStartAfterCrash: true };
    const h = await startHarness({}, {}, { jobs: { kind: 'thread', segmenter: { module: darkWaterModuleUrl, options: { soft: true, crash } } } }, dir);
    try {
      const jobId = await submit(h);
      const done = await waitFor(async () => {
        const job = await getJob(h.url, jobId);
        return job.state === 'succeeded' || job.state === 'failed' ? job : undefined;
      }, 'the job to fail');
      expect(done.state).toBe('failed');
      expect(done.error).toBe(JOB_THREAD_NOT_STARTED);
      expect(done.error).not.toMatch(/secret|cannot map/);
      expect(h.deps.store.getJob(jobId)!.crashes).toBe(1);
    } finally {
      await h.close();
    }
  }, 120_000);

  it('cancel reaches the thread; a shutdown leaves the job queued with its stored tiles', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'waterline-thread-'));
    dirs.push(dir);
    const h = await threaded(dir, 150);
    const cancelled = await submit(h);
    await waitFor(async () => ((await getJob(h.url, cancelled)).progress.tilesDone >= 2 ? true : undefined), 'tiles of the first job');
    const res = await fetch(`${h.url}/jobs/${cancelled}/cancel`, { method: 'POST' });
    expect(((await res.json()) as Job).state).toBe('cancelled');
    const second = (await post(`${h.url}/jobs`, { scene: (await getJob(h.url, cancelled)).scene })).id;
    await waitFor(async () => ((await getJob(h.url, second)).progress.tilesDone >= 2 ? true : undefined), 'tiles of the second job');
    await h.close();
    const store = JobStore.open(dir);
    try {
      expect(store.getJob(cancelled)!.state).toBe('cancelled');
      expect(store.getJob(second)!.state).toBe('queued');
      expect(store.countTiles(second)).toBeGreaterThanOrEqual(2);
    } finally {
      store.close();
    }
  }, 120_000);
});
