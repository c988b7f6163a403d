/**
 * Jobs survive a crash: a real server process is SIGKILLed mid-job, restarted on the same data
 * directory, and the job resumes — tiles committed before the kill are kept and never segmented again,
 * and the result is identical, feature for feature, to a plain uninterrupted `segmentScene` run.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { area as turfArea } from '@turf/turf';
import type { FeatureCollection } from 'geojson';
import { describeShared, repoRoot, scenePath } from '../helpers/shared.ts';
import { JobStore } from '../../src/adapters/store/jobStore.ts';
import { openScene } from '../../src/adapters/raster/openScene.ts';
import { segmentScene } from '../../src/pipeline/segmentScene.ts';
import { startHarness, waitFor } from './serverHarness.ts';
import { darkWaterSegmenter } from './fixtures/darkWaterSegmenter.ts';

const SCENE = 'landsat8-ottawa-rgb16-utm18-cog.tif';
const children: ChildProcess[] = [];
const dirs: string[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function spawnServer(dataDir: string, logFile: string): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', join('test', 'http', 'fixtures', 'killableServer.ts'), dataDir, logFile], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d) => {
      out += d;
      const m = out.match(/listening (\S+)/);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code} before listening`)));
  });
  return { child, url };
}

type Job = { id: string; state: string; progress: { tilesDone: number; tilesTotal: number; tilesSkipped: number } };
const getJob = async (url: string, id: string): Promise<Job> => (await (await fetch(`${url}/jobs/${id}`)).json()) as Job;
const tileLog = (file: string): string[] => (existsSync(file) ? readFileSync(file, 'utf8').split('\n').filter(Boolean) : []);
const totalArea = (fc: FeatureCollection): number => fc.features.reduce((s, f) => s + turfArea(f), 0);

/** The uninterrupted run: the pipeline `waterline segment` calls, with the server's model, in this process. */
async function plainSegment(path: string): Promise<FeatureCollection> {
  const scene = await openScene(path);
  try {
    const { collection } = await segmentScene(scene, darkWaterSegmenter({ soft: true }), {});
    // through JSON, as the server stores it
    return JSON.parse(JSON.stringify(collection)) as FeatureCollection;
  } finally {
    await scene.close();
  }
}

describeShared('graceful shutdown', () => {
  it('lets the tile in flight finish, leaves the job queued, and resumes it on the next start', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'waterline-term-'));
    dirs.push(dataDir);
    const seen: string[] = [];
    const a = await startHarness({}, { delayMs: 200, onTile: (t) => seen.push(t) }, {}, dataDir);
    a.addFile(scenePath(SCENE));
    const s = (await (await fetch(`${a.url}/scenes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: SCENE }) })).json()) as { id: string };
    const j = (await (await fetch(`${a.url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scene: s.id }) })).json()) as Job;
    await waitFor(async () => ((await getJob(a.url, j.id)).progress.tilesDone >= 4 ? true : undefined), 'four tiles');
    await a.close();
    const store = JobStore.open(dataDir);
    expect(store.getJob(j.id)!.state).toBe('queued');
    // every tile the model finished before the shutdown was stored
    expect(store.countTiles(j.id)).toBe(seen.length);
    store.close();
    const before = seen.length;
    const b = await startHarness({}, { onTile: (t) => seen.push(t) }, {}, dataDir);
    try {
      const done = await waitFor(async () => {
        const job = await getJob(b.url, j.id);
        return job.state === 'succeeded' ? job : undefined;
      }, 'resumed job');
      expect(new Set(seen).size).toBe(seen.length);
      expect(seen.length).toBeGreaterThan(before);
      expect(seen.length + done.progress.tilesSkipped).toBe(done.progress.tilesTotal);
    } finally {
      await b.stop();
    }
  });
});

describeShared('job resume after kill -9', () => {
  it('keeps committed tiles, segments the rest exactly once, and gives the uninterrupted result', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'waterline-kill-'));
    dirs.push(dataDir);
    copyFileSync(scenePath(SCENE), join(dataDir, SCENE));
    const log1 = join(dataDir, 'tiles-run1.log');
    const log2 = join(dataDir, 'tiles-run2.log');

    // Run 1: start the job and SIGKILL the process mid-way.
    const first = await spawnServer(dataDir, log1);
    const scene = (await (await fetch(`${first.url}/scenes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: SCENE }) })).json()) as { id: string };
    const created = await fetch(`${first.url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scene: scene.id }) });
    expect(created.status).toBe(202);
    const jobId = ((await created.json()) as Job).id;
    await waitFor(async () => {
      const j = await getJob(first.url, jobId);
      return j.progress.tilesDone >= 6 ? j : undefined;
    }, 'six tiles done');
    first.child.kill('SIGKILL');
    await new Promise((r) => first.child.once('exit', r));

    // What the crashed process left in the database.
    const store = JobStore.open(dataDir);
    const committed = new Set(store.loadTiles(jobId).keys());
    const stateAfterKill = store.getJob(jobId)!.state;
    store.close();
    expect(stateAfterKill).toBe('running');
    expect(committed.size).toBeGreaterThanOrEqual(4);

    // Run 2: restart on the same data directory; the job resumes by itself.
    const second = await spawnServer(dataDir, log2);
    const done = await waitFor(async () => {
      const j = await getJob(second.url, jobId);
      return j.state === 'succeeded' || j.state === 'failed' ? j : undefined;
    }, 'resumed job to finish', 55_000);
    expect(done.state).toBe('succeeded');
    expect(done.progress.tilesDone).toBe(done.progress.tilesTotal);
    const resumedFc = (await (await fetch(`${second.url}/jobs/${jobId}/water.geojson`)).json()) as FeatureCollection;
    second.child.kill('SIGTERM');
    await new Promise((r) => second.child.once('exit', r));

    const run2 = tileLog(log2);
    // no committed tile is segmented again, and no tile twice within the second run
    expect(run2.filter((t) => committed.has(t))).toEqual([]);
    expect(new Set(run2).size).toBe(run2.length);
    // nothing lost: committed + resumed = every tile that has data
    const check = JobStore.open(dataDir);
    expect(check.countTiles(jobId)).toBe(committed.size + run2.length);
    expect(check.countTiles(jobId)).toBe(done.progress.tilesTotal - done.progress.tilesSkipped);
    check.close();

    // identical, feature for feature, to a plain uninterrupted segmentation of the scene (what `waterline segment` runs)
    const plain = await plainSegment(scenePath(SCENE));
    expect(resumedFc.features.length).toBeGreaterThan(10);
    expect(resumedFc.features).toEqual(plain.features);
    expect(totalArea(resumedFc)).toBe(totalArea(plain));
  }, 150_000);
});
