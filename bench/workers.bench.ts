/**
 * Distributed jobs (`serve --queue` + `waterline worker`): tiles/s with 1, 2 and 4 worker processes on a real
 * redis-server, with a fixture model of fixed per-tile latency (150 ms, a sleep: the figure is the queue's
 * scaling, not this machine's cores). Reference: the 1-worker run of the same bench; the ideal ratio is the
 * worker count. Three jobs of the Ottawa scene (75 tiles, units of one tile), timed from submission until
 * every tile is stored. Needs Debian's redis-server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResult } from './run.ts';
import { silentLogger } from '../src/logger.ts';
import { resolveServerConfig } from '../src/http/serverConfig.ts';
import { startServer } from '../src/http/server.ts';
import { parseRedisUrl } from '../src/adapters/queue/redisConnection.ts';
import { hasRedisServer, startRedisServer } from '../test/helpers/redisServer.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = join(process.env.WATERLINE_SHARED_DIR ?? resolve(root, '..', 'shared'), 'data');
const SCENE = join(shared, 'scenes', 'landsat8-ottawa-rgb16-utm18-cog.tif');
const TILE_MS = 150;
const JOBS = 3;

async function startWorker(url: string, log: string): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', join('test', 'http', 'fixtures', 'tileWorkerProcess.ts'), url, log, String(TILE_MS)], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((res, rej) => {
    child.stdout!.on('data', (d: Buffer) => String(d).includes('ready') && res());
    child.once('exit', (code) => rej(new Error(`worker exited with ${code}`)));
  });
  return child;
}

async function run(workers: number): Promise<number> {
  const redis = await startRedisServer();
  const dataDir = mkdtempSync(join(tmpdir(), 'waterline-bench-workers-'));
  copyFileSync(SCENE, join(dataDir, 'ottawa.tif'));
  const children: ChildProcess[] = [];
  const server = await startServer({
    config: resolveServerConfig({ port: 0, host: '127.0.0.1', dataDir }, {}),
    logger: silentLogger,
    loadSegmenter: async () => { throw new Error('jobs run on the workers'); },
    inspectScene: async () => ({}),
    jobs: { kind: 'redis', connection: parseRedisUrl(redis.url), unitTiles: 1, pollMs: 50, reconcileMs: 2000 },
  });
  try {
    for (let i = 0; i < workers; i++) children.push(await startWorker(redis.url, join(dataDir, `w${i}.log`)));
    const { store, queue } = server.deps;
    const scene = store.insertScene({ name: 'ottawa.tif', path: join(dataDir, 'ottawa.tif'), info: {} });
    const started = performance.now();
    const ids = Array.from({ length: JOBS }, () => store.createJob({ scene: scene.id, prompt: 'segment water', model: null, options: {} }).id);
    for (const id of ids) await queue.enqueue(id);
    let tiles = 0;
    for (;;) {
      await new Promise((r) => setTimeout(r, 20));
      const jobs = ids.map((id) => store.getJob(id)!);
      if (jobs.some((j) => j.state === 'failed')) throw new Error(`bench job failed: ${jobs.find((j) => j.state === 'failed')!.error}`);
      if (jobs.every((j) => j.progress.tilesTotal > 0 && j.progress.tilesDone === j.progress.tilesTotal)) {
        tiles = jobs.reduce((s, j) => s + j.progress.tilesTotal - j.progress.tilesSkipped, 0);
        break;
      }
    }
    return tiles / ((performance.now() - started) / 1000);
  } finally {
    for (const c of children) c.kill('SIGTERM');
    await Promise.all(children.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))));
    await server.close();
    await redis.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export default async function bench(): Promise<BenchResult[]> {
  if (!hasRedisServer) throw new Error('redis-server not installed (apt-get install redis-server)');
  const one = await run(1);
  const rows: BenchResult[] = [{ bench: 'workers', metric: 'tiles/s, 1 worker', ours: one, unit: 'tiles/s', higherIsBetter: true, note: `fixture model ${TILE_MS} ms/tile, ${JOBS} jobs x 25 tiles, units of 1 tile; ideal ${(1000 / TILE_MS).toFixed(2)}` }];
  for (const n of [2, 4]) {
    const rate = await run(n);
    rows.push({ bench: 'workers', metric: `tiles/s, ${n} workers`, ours: rate, reference: one, referenceName: '1 worker, same run', unit: 'tiles/s', higherIsBetter: true, note: `ideal ratio ${n}; scaling efficiency ${(rate / one / n).toFixed(2)}` });
  }
  return rows;
}
