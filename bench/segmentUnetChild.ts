/**
 * Child process of bench/segmentUnet.bench.ts (a fresh process per run, so no run inherits another's JIT or
 * caches). Modes:
 *
 * - `run <config> <scene.tif>`: `segmentScene` with the committed U-Net alone (what `segment --model waterline-unet
 *   --fusion none` runs), batch 4 (the CLI's) and overlap 32 (fixed, so that runs compare across model versions; the default model
 *   declares 64), on the CPU. `config` is `round1` (the model
 *   computing on the main thread, onnxruntime's threads spinning: the configuration before the pipelining work) or
 *   `pipelined` (today's defaults: the model in its own thread, no spinning). Prints one JSON line: times, tiles/s,
 *   polygons, area and a SHA-256 of the features and the probability histogram (equal hashes = the same output).
 * - `profile <scene.tif> <tiles>`: where the time of one tile goes, each stage alone on the main thread over
 *   `tiles` grid tiles in the middle of the scene: window read + decode, model tile build (stretch), input packing,
 *   inference (batch 4, one session on the main thread, onnxruntime's threads not spinning), blending into the
 *   stitcher; and the bare model's tiles/s as the pipeline runs it (its own threads, two batches at a time, the
 *   tiles already built): the pipeline's ceiling.
 */
import { createHash } from 'node:crypto';
import { openScene } from '../src/adapters/raster/openScene.ts';
import { loadUnetSegmenter, normalisationTable, packTiles } from '../src/adapters/onnx/unetSegmenter.ts';
import { readUnetModel } from '../src/adapters/onnx/unetModelDir.ts';
import { modelTileFromWindow } from '../src/core/grid/bandStretch.ts';
import { ProbabilityStitcher } from '../src/core/masks/probabilityStitcher.ts';
import type { ModelTile } from '../src/core/model/segmenter.ts';
import { segmentScene } from '../src/pipeline/segmentScene.ts';
import { createTileSource } from '../src/pipeline/tileSource.ts';

const BATCH = 4;
const OVERLAP = 32;

export interface UnetRun {
  config: string;
  seconds: number;
  tileSeconds: number;
  tilesPerSecond: number;
  tilesTotal: number;
  tilesSkipped: number;
  polygons: number;
  waterAreaM2: number;
  rowsVectorizedDuringTiles: number;
  outputSha256: string;
  maxRssMiB: number;
}

export interface UnetProfile {
  tiles: number;
  emptyTiles: number;
  /** Milliseconds per tile (per non-empty tile for build, pack, inference and blend), each stage alone. */
  readMs: number;
  buildMs: number;
  packMs: number;
  inferenceMs: number;
  blendMs: number;
  modelTilesPerSecond: number;
}

async function run(config: string, path: string): Promise<UnetRun> {
  if (config !== 'round1' && config !== 'pipelined') throw new Error(`unknown config ${config}`);
  const segmenter = await loadUnetSegmenter(config === 'round1' ? { device: 'cpu', inferenceThreads: 0, allowSpinning: true } : { device: 'cpu' });
  const scene = await openScene(path);
  try {
    const t0 = performance.now();
    const { collection, summary } = await segmentScene(scene, segmenter, { batch: BATCH, overlap: OVERLAP, now: () => new Date(0) });
    const seconds = (performance.now() - t0) / 1000;
    const hash = createHash('sha256');
    hash.update(JSON.stringify(collection.waterline.probabilityHistogram));
    for (const f of collection.features) hash.update(JSON.stringify(f));
    return {
      config,
      seconds,
      tileSeconds: summary.tileSeconds,
      tilesPerSecond: summary.tilesPerSecond,
      tilesTotal: summary.tilesTotal,
      tilesSkipped: summary.tilesSkipped,
      polygons: summary.polygons,
      waterAreaM2: summary.waterAreaM2,
      rowsVectorizedDuringTiles: summary.rowsVectorizedDuringTiles,
      outputSha256: hash.digest('hex'),
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
    };
  } finally {
    await scene.close();
    await segmenter.dispose();
  }
}

async function profile(path: string, count: number): Promise<UnetProfile> {
  const scene = await openScene(path);
  const segmenter = await loadUnetSegmenter({ device: 'cpu', inferenceThreads: 0 });
  try {
    const size = segmenter.info.inputSize;
    const source = await createTileSource(scene, { tileSize: size, overlap: OVERLAP });
    const middle = Math.max(0, Math.floor((source.grid.tiles.length - count) / 2));
    const grid = source.grid.tiles.slice(middle, middle + count);
    let t = performance.now();
    const windows = [];
    for (const tile of grid) windows.push(await scene.readWindow(tile.window, { bands: source.bands }));
    const readMs = (performance.now() - t) / grid.length;
    t = performance.now();
    const tiles: { index: number; model: ModelTile }[] = [];
    windows.forEach((w, index) => {
      if (w.valid.indexOf(1) !== -1) tiles.push({ index, model: modelTileFromWindow(grid[index].id, w, source.stretch, size) });
    });
    const buildMs = (performance.now() - t) / tiles.length;
    const models = tiles.map((x) => x.model);
    const lut = normalisationTable(readUnetModel().members[0].manifest); // an ensemble packs once per distinct normalisation (unet9: once)
    t = performance.now();
    for (let k = 0; k < models.length; k += BATCH) packTiles(models.slice(k, k + BATCH), size, lut);
    const packMs = (performance.now() - t) / models.length;
    await segmenter.segment(models.slice(0, BATCH), { prompt: '' }); // warm-up
    t = performance.now();
    const probabilities: Float32Array[] = [];
    for (let k = 0; k < models.length; k += BATCH) {
      for (const r of await segmenter.segment(models.slice(k, k + BATCH), { prompt: '' })) probabilities.push(r.probability);
    }
    const inferenceMs = (performance.now() - t) / models.length;
    const { width, height } = scene.info;
    const stitcher = new ProbabilityStitcher({ width, height, tileSize: size, overlap: OVERLAP, tiles: source.grid.tiles, onRows: () => undefined });
    t = performance.now();
    tiles.forEach((x, k) => {
      const p = probabilities[k];
      for (let i = 0; i < p.length; i++) if (!x.model.valid[i]) p[i] = Number.NaN;
      stitcher.addTile(grid[x.index], p);
    });
    const blendMs = (performance.now() - t) / tiles.length;
    // the model as the pipeline runs it (today's defaults: its own threads), kept busy with two batches at a time
    const threaded = await loadUnetSegmenter({ device: 'cpu' });
    try {
      await Promise.all([0, BATCH].map((k) => threaded.segment(models.slice(k, k + BATCH), { prompt: '' }))); // warm-up
      t = performance.now();
      let k = 0;
      const worker = async (): Promise<void> => {
        while (k < models.length) {
          const start = k;
          k += BATCH;
          await threaded.segment(models.slice(start, start + BATCH), { prompt: '' });
        }
      };
      await Promise.all([worker(), worker()]);
    } finally {
      await threaded.dispose();
    }
    const modelTilesPerSecond = models.length / ((performance.now() - t) / 1000);
    return { tiles: grid.length, emptyTiles: grid.length - tiles.length, readMs, buildMs, packMs, inferenceMs: inferenceMs - packMs, blendMs, modelTilesPerSecond };
  } finally {
    await segmenter.dispose();
    await scene.close();
  }
}

const [mode, a, b] = process.argv.slice(2);
if (mode === 'run') process.stdout.write(`${JSON.stringify(await run(a, b))}\n`);
else if (mode === 'profile') process.stdout.write(`${JSON.stringify(await profile(a, Number(b)))}\n`);
else if (mode !== undefined) throw new Error('usage: segmentUnetChild.ts run <round1|pipelined> <scene.tif> | profile <scene.tif> <tiles>');
