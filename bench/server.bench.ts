/**
 * HTTP load (autocannon, in-process, loopback, ~5 s per run): req/s and p99 latency of the real server
 * (`startServer`) for a cached scene imagery tile, a water MVT tile and an OGC API – Features items page —
 * first idle, then while segmentation jobs run in the same process.
 *
 * References measured in the same run: idle rows are compared with a bare `node:http` server answering
 * the same bytes from memory (the transport's ceiling on this machine: ratio = share of it Waterline keeps);
 * "during job" rows are compared with the idle figure of the same endpoint.
 *
 * Model for the concurrent jobs: the project's U-Net when its ONNX model is present, otherwise a stand-in
 * that does comparable off-main-thread work per tile (a libvips blur via sharp) — named in the note.
 *
 * On-demand stall: the longest turn of the server's event loop (perf_hooks delay histogram) during an on-demand
 * water.geojson of a 64-tile window that vectorizes into ~35 000 polygons (test/helpers/dottedScene.ts), as a
 * share of that request, and how often a /healthz loop was answered meanwhile.
 */
import { createServer, type Server } from 'node:http';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import sharp from 'sharp';
import type { BenchResult } from './run.ts';
import { silentLogger } from '../src/logger.ts';
import { resolveServerConfig } from '../src/http/serverConfig.ts';
import { startServer, type RunningServer } from '../src/http/server.ts';
import { modelLoaderModule } from '../src/http/modelLoaderModule.ts';
import { serverInferenceThreads } from '../src/http/modelLoader.ts';
import type { Segmenter } from '../src/core/model/segmenter.ts';
import { lonLatToTile } from '../src/core/grid/webMercator.ts';
import { darkIsWater, dottedScene } from '../test/helpers/dottedScene.ts';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const shared = join(process.env.WATERLINE_SHARED_DIR ?? resolve(root, '..', 'shared'), 'data');
const SCENE = join(shared, 'scenes', 'landsat8-ottawa-rgb16-utm18-cog.tif');
const WATER = join(shared, 'osm-water', 'landsat8-ottawa.osm_waterbodies10m.geojson');
const DURATION_S = 5;

/** The part of autocannon's (untyped) API used here. */
interface AutocannonResult {
  requests: { average: number };
  latency: { p99: number };
  non2xx: number;
  errors: number;
}
const autocannon = createRequire(import.meta.url)('autocannon') as (opts: { url: string; connections: number; duration: number; pipelining: number; workers?: number }) => Promise<AutocannonResult>;
const CONNECTIONS = 10;

interface Load {
  rps: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function load(url: string): Promise<Load> {
  // The load generator runs in a worker thread: in the server's own event loop it would take the CPU time
  // it is meant to measure (parsing a 60 kB PNG response in JS costs more than serving it).
  const r = await autocannon({ url, connections: CONNECTIONS, duration: DURATION_S, pipelining: 1, workers: 1 });
  return { rps: r.requests.average, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors };
}

async function standInSegmenter(): Promise<{ segmenter: Segmenter; name: string }> {
  if (existsSync(join(root, 'models', 'unet', 'manifest.json'))) {
    const { loadUnetSegmenter } = await import('../src/adapters/onnx/unetSegmenter.ts');
    const threads = serverInferenceThreads();
    return { segmenter: await loadUnetSegmenter({ device: 'cpu', intraOpNumThreads: threads }), name: `U-Net (waterline-unet, CPU, ${threads} thread(s) as \`serve\` loads it)` };
  }
  const segmenter: Segmenter = {
    info: { name: 'bench-stand-in', kind: 'bench', inputSize: 224, provider: 'cpu', usesPrompt: false },
    async segment(tiles) {
      return Promise.all(tiles.map(async (t) => {
        const { data } = await sharp(Buffer.from(t.rgb), { raw: { width: t.size, height: t.size, channels: 3 } }).greyscale().blur(8).raw().toBuffer({ resolveWithObject: true });
        const p = new Float32Array(t.size * t.size);
        for (let i = 0; i < p.length; i++) p[i] = data[i] < 60 ? 1 : 0;
        return { tileId: t.id, probability: p, defects: [] };
      }));
    },
    async dispose() {},
  };
  return { segmenter, name: 'stand-in model (sharp blur per tile; the U-Net ONNX was not present)' };
}

/** A bare node:http server answering fixed bytes: the same-run ceiling. */
async function bareServer(body: Buffer, type: string): Promise<{ url: string; server: Server }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length, 'Cache-Control': 'public, max-age=86400', ETag: '"x"' });
    res.end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server };
}

/** Keep segmentation jobs running on `server` while each endpoint is loaded and /healthz is probed. */
async function duringJobs(server: RunningServer, mode: string, sceneId: string, endpoints: { name: string; path: string }[], idle: Map<string, Load>, rows: BenchResult[], modelName: string): Promise<void> {
  const { store, queue } = server.deps;
  let jobsDone = 0;
  let tilesDone = 0;
  let stop = false;
  const keepBusy = (async () => {
    while (!stop) {
      const j = store.createJob({ scene: sceneId, prompt: 'segment water', model: null, options: {} });
      await queue.enqueue(j.id);
      for (;;) {
        await new Promise((r) => setTimeout(r, 100));
        const s = store.getJob(j.id)!;
        if (s.state === 'succeeded' || s.state === 'failed' || s.state === 'cancelled') {
          if (s.state !== 'succeeded') throw new Error(`bench job ${s.state}: ${s.error}`);
          jobsDone++;
          tilesDone += s.progress.tilesDone;
          break;
        }
      }
    }
  })();
  // /healthz every 25 ms for the whole busy period: the worst wait a health check saw.
  const health: number[] = [];
  const probe = (async () => {
    while (!stop) {
      const t = performance.now();
      await (await fetch(`${server.url}/healthz`)).arrayBuffer();
      health.push(performance.now() - t);
      await new Promise((r) => setTimeout(r, 25));
    }
  })();
  await new Promise((r) => setTimeout(r, 300));
  const busyStart = Date.now();
  for (const e of endpoints) {
    const ours = await load(server.url + e.path);
    const base = idle.get(e.name)!;
    rows.push({ bench: 'server', metric: `req/s ${e.name}, during job (${mode})`, ours: ours.rps, reference: base.rps, referenceName: 'same endpoint idle', unit: 'req/s', higherIsBetter: true, note: `${ours.non2xx} non-2xx, ${ours.errors} errors` });
    rows.push({ bench: 'server', metric: `p99 ${e.name}, during job (${mode})`, ours: ours.p99, reference: base.p99, referenceName: 'same endpoint idle', unit: 'ms', higherIsBetter: false });
  }
  stop = true;
  await keepBusy;
  await probe;
  const busySeconds = (Date.now() - busyStart) / 1000;
  health.sort((a, b) => a - b);
  rows.push({ bench: 'server', metric: `max /healthz latency during job (${mode})`, ours: health[health.length - 1] ?? 0, unit: 'ms', higherIsBetter: false, note: `${health.length} probes, median ${(health[health.length >> 1] ?? 0).toFixed(1)} ms, while the endpoints above were loaded` });
  rows.push({ bench: 'server', metric: `job tiles/s while serving load (${mode})`, ours: tilesDone / busySeconds, unit: 'tiles/s', higherIsBetter: true, note: `${jobsDone} jobs of 16 tiles, model: ${modelName}` });
}

/**
 * The longest event-loop turn during one on-demand water.geojson of a 64-tile window with ~35 000 polygons, against
 * the whole request (a fresh server with the dark-is-water test model), and the /healthz answers meanwhile.
 */
async function onDemandStall(dataDir: string, rows: BenchResult[]): Promise<void> {
  const server = await startServer({
    config: resolveServerConfig({ port: 0, host: '127.0.0.1', dataDir }, {}),
    logger: silentLogger,
    loadSegmenter: async () => darkIsWater(),
    inspectScene: async () => ({}),
  });
  try {
    const file = join(dataDir, 'dots.tif');
    writeFileSync(file, dottedScene());
    const scene = server.deps.store.insertScene({ name: 'dots', path: file, info: {} });
    // open the scene (header, stretch) before measuring
    const { bounds } = (await (await fetch(`${server.url}/scenes/${scene.id}/tilejson.json`)).json()) as { bounds: number[] };
    const delay = monitorEventLoopDelay({ resolution: 10 });
    delay.enable();
    const started = performance.now();
    let done = false;
    const pending = fetch(`${server.url}/scenes/${scene.id}/water.geojson?bbox=${bounds.join(',')}`).then(async (res) => {
      done = true;
      return { status: res.status, body: JSON.parse(await res.text()) as { features: unknown[] } };
    });
    let healthAnswers = 0;
    while (!done) {
      const health = await fetch(`${server.url}/healthz`);
      await health.arrayBuffer();
      if (health.ok && !done) healthAnswers++;
    }
    const res = await pending;
    const elapsedMs = performance.now() - started;
    delay.disable();
    if (res.status !== 200) throw new Error(`on-demand water.geojson: HTTP ${res.status}`);
    rows.push({
      bench: 'server', metric: 'longest event-loop turn during an on-demand 64-tile window', ours: delay.max / 1e6, reference: elapsedMs, referenceName: 'the whole request',
      unit: 'ms', higherIsBetter: false, note: `${res.body.features.length} polygons; /healthz answered ${healthAnswers} times meanwhile`,
    });
  } finally {
    await server.close();
  }
}

export default async function bench(): Promise<BenchResult[]> {
  if (!existsSync(SCENE) || !existsSync(WATER)) throw new Error(`shared data not found (${SCENE}); set WATERLINE_SHARED_DIR`);
  const dataDir = mkdtempSync(join(tmpdir(), 'waterline-bench-server-'));
  const { segmenter, name: modelName } = await standInSegmenter();
  const running = await startServer({
    config: resolveServerConfig({ port: 0, host: '127.0.0.1', dataDir }, {}),
    logger: silentLogger,
    loadSegmenter: async () => segmenter,
    inspectScene: async () => ({}),
  });
  const { store } = running.deps;
  const rows: BenchResult[] = [];
  const bare: Server[] = [];
  const extra: RunningServer[] = [];
  try {
    const scene = store.insertScene({ name: 'ottawa', path: SCENE, info: {} });
    const job = store.createJob({ scene: scene.id, prompt: 'segment water', model: null, options: {} });
    store.putResult(job.id, readFileSync(WATER, 'utf8'));
    store.setJobState(job.id, 'succeeded');

    const sceneTile = lonLatToTile(-75.7, 45.42, 9);
    const mvtTile = lonLatToTile(-75.7, 45.42, 10);
    const endpoints = [
      { name: 'cached scene tile (PNG)', path: `/scenes/${scene.id}/tiles/9/${sceneTile.x}/${sceneTile.y}.png`, type: 'image/png' },
      { name: 'water MVT tile', path: `/jobs/${job.id}/tiles/10/${mvtTile.x}/${mvtTile.y}.mvt`, type: 'application/vnd.mapbox-vector-tile' },
      { name: 'OGC items page (limit=100)', path: `/ogc/collections/water-${job.id}/items?limit=100`, type: 'application/geo+json' },
    ];
    const idle = new Map<string, Load>();
    for (const e of endpoints) {
      const warm = await fetch(running.url + e.path);
      if (warm.status !== 200) throw new Error(`${e.path}: HTTP ${warm.status}`);
      const body = Buffer.from(await warm.arrayBuffer());
      const ref = await bareServer(body, e.type);
      bare.push(ref.server);
      const refLoad = await load(ref.url);
      const ours = await load(running.url + e.path);
      idle.set(e.name, ours);
      const note = `${CONNECTIONS} connections, ${DURATION_S} s, ${body.length} B${ours.non2xx || ours.errors ? `, ${ours.non2xx} non-2xx, ${ours.errors} errors` : ''}`;
      rows.push({ bench: 'server', metric: `req/s ${e.name}, idle`, ours: ours.rps, reference: refLoad.rps, referenceName: 'bare node:http, same bytes', unit: 'req/s', higherIsBetter: true, note });
      rows.push({ bench: 'server', metric: `p99 ${e.name}, idle`, ours: ours.p99, reference: refLoad.p99, referenceName: 'bare node:http, same bytes', unit: 'ms', higherIsBetter: false });
    }

    await onDemandStall(mkdtempSync(join(dataDir, 'on-demand-')), rows);

    // During jobs: first as before this change (the job in the server's own thread), then as `serve` runs it
    // now (a job thread); the same endpoints, plus the worst /healthz latency seen while the jobs ran.
    for (const mode of ['in-process', 'job thread'] as const) {
      let server = running;
      if (mode === 'job thread') {
        server = await startServer({
          config: resolveServerConfig({ port: 0, host: '127.0.0.1', dataDir }, {}),
          logger: silentLogger,
          loadSegmenter: async () => segmenter,
          inspectScene: async () => ({}),
          jobs: { kind: 'thread', segmenter: modelLoaderModule({ device: 'cpu', modelsDir: '', logLevel: 'silent' }), logLevel: 'silent' },
        });
        extra.push(server);
      }
      await duringJobs(server, mode, scene.id, endpoints, idle, rows, modelName);
    }
    return rows;
  } finally {
    for (const s of bare) s.close();
    for (const e of extra) await e.close();
    // close() disposes every model the server loaded (here: `segmenter`), so it is not disposed again.
    await running.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
