/**
 * Imagery tile revalidation: the ETag is decided before pixels are read (src/http/routes/sceneTileEtag.ts),
 * so `If-None-Match` → 304 costs no render, even on a server that never opened the scene. autocannon (in a
 * worker thread, ~5 s per run) sends conditional requests for one imagery tile to a fresh real server
 * (`startServer`) and, as the same-run reference, to a bare `node:http` server answering 304 with the same
 * headers. A second row compares the p99 of those revalidations with one full render of that tile on a
 * fresh server (open the scene, scene stretch, read, encode).
 */
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import type { BenchResult } from './run.ts';
import { silentLogger } from '../src/logger.ts';
import { resolveServerConfig } from '../src/http/serverConfig.ts';
import { startServer, type RunningServer } from '../src/http/server.ts';
import { lonLatToTile } from '../src/core/grid/webMercator.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const SCENE = join(process.env.WATERLINE_SHARED_DIR ?? resolve(root, '..', 'shared'), 'data', 'scenes', 'landsat8-ottawa-rgb16-utm18-cog.tif');
const DURATION_S = 5;

interface AutocannonResult {
  requests: { average: number };
  latency: { p99: number };
  errors: number;
  '3xx': number;
  '2xx': number;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (opts: {
  url: string; connections: number; duration: number; pipelining: number; workers?: number; headers?: Record<string, string>; overallRate?: number;
}) => Promise<AutocannonResult>;

/** A real server on `dir` (a fresh process state: nothing opened or cached). */
async function serverOn(dir: string): Promise<RunningServer> {
  const config = resolveServerConfig({ port: 0, host: '127.0.0.1', dataDir: dir }, {});
  return startServer({
    config,
    logger: silentLogger,
    loadSegmenter: async () => { throw new Error('no model in this bench'); },
    inspectScene: async () => ({}),
  });
}

export default async function bench(): Promise<BenchResult[]> {
  if (!existsSync(SCENE)) throw new Error(`shared scene not found at ${SCENE}`);
  const dir = mkdtempSync(join(tmpdir(), 'waterline-bench-etag-'));
  const t = lonLatToTile(-74.45, 46.03, 9);
  const path = (id: string) => `/scenes/${id}/tiles/9/${t.x}/${t.y}.png`;
  const bare: Server = createServer((_req, r) => {
    r.writeHead(304, { 'Cache-Control': 'public, max-age=86400', ETag: etag });
    r.end();
  });
  let etag = '';
  let renderMs: number;
  let ours: AutocannonResult;
  let paced: AutocannonResult;
  let ref: AutocannonResult;
  try {
    // One full render (open, scene stretch, read, encode) on a fresh server gives the tag.
    const first = await serverOn(dir);
    const id = first.deps.store.insertScene({ name: 'ottawa.tif', path: SCENE, info: {} }).id;
    try {
      const t0 = performance.now();
      const res = await fetch(first.url + path(id));
      await res.arrayBuffer();
      renderMs = performance.now() - t0;
      etag = res.headers.get('etag') ?? '';
    } finally {
      await first.close();
    }
    // Revalidations on a second server on the same data directory: the scene is never opened there.
    const second = await serverOn(dir);
    try {
      ours = await autocannon({ url: second.url + path(id), connections: 10, duration: DURATION_S, pipelining: 1, workers: 1, headers: { 'if-none-match': etag } });
      // the target: p99 at 1000 req/s
      paced = await autocannon({ url: second.url + path(id), connections: 10, duration: DURATION_S, pipelining: 1, workers: 1, overallRate: 1000, headers: { 'if-none-match': etag } });
    } finally {
      await second.close();
    }
    await new Promise<void>((r) => bare.listen(0, '127.0.0.1', () => r()));
    const port = (bare.address() as AddressInfo).port;
    ref = await autocannon({ url: `http://127.0.0.1:${port}${path(id)}`, connections: 10, duration: DURATION_S, pipelining: 1, workers: 1, headers: { 'if-none-match': etag } });
  } finally {
    bare.close();
    rmSync(dir, { recursive: true, force: true });
  }
  const note = `${ours['3xx']} answers 304, ${ours['2xx']} 200, ${ours.errors} errors; the scene never opened on that server`;
  return [
    { bench: 'tiles-etag', metric: 'req/s imagery tile revalidation (If-None-Match → 304)', ours: ours.requests.average, reference: ref.requests.average, referenceName: 'bare node:http 304', unit: 'req/s', higherIsBetter: true, note },
    { bench: 'tiles-etag', metric: 'p99 imagery tile revalidation, as fast as it goes', ours: ours.latency.p99, reference: ref.latency.p99, referenceName: 'bare node:http 304', unit: 'ms', higherIsBetter: false },
    { bench: 'tiles-etag', metric: 'p99 imagery tile revalidation at 1000 req/s', ours: paced.latency.p99, unit: 'ms', higherIsBetter: false, note: `${paced.requests.average.toFixed(0)} req/s sustained; target p99 < 20 ms (idle server)` },
    { bench: 'tiles-etag', metric: 'p99 revalidation vs one full render of the same tile', ours: ours.latency.p99, reference: renderMs, referenceName: 'first render on a fresh server', unit: 'ms', higherIsBetter: false },
  ];
}
