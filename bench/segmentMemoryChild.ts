/**
 * Child process of bench/memory.bench.ts (a fresh process per scene, so its peak RSS is the run's own):
 * `tsx bench/segmentMemoryChild.ts <scene.tif>` runs segmentScene with a cheap deterministic segmenter,
 * writing the features to a GeoJSON file as `waterline segment` does (streamed through the feature
 * writer, then deleted), and prints one JSON line {seconds, maxRssMiB, polygons, tiles, waterAreaM2, outputMiB}.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openWaterFeatureWriter } from '../src/adapters/geojson/waterFeatureWriter.ts';
import { openScene } from '../src/adapters/raster/openScene.ts';
import { segmentScene } from '../src/pipeline/segmentScene.ts';
import { thresholdModel } from './thresholdModel.ts';

const path = process.argv[2];
if (!path) throw new Error('usage: segmentMemoryChild.ts <scene.tif>');
const scene = await openScene(path);
const outDir = mkdtempSync(join(tmpdir(), 'waterline-bench-out-'));
const output = join(outDir, 'water.geojson');
const t0 = performance.now();
try {
  const writer = openWaterFeatureWriter(output, 'geojson');
  let summary;
  try {
    const run = await segmentScene(scene, thresholdModel, { batch: 16, overlap: 32, features: writer });
    await writer.finish(run.collection.waterline);
    summary = run.summary;
  } finally {
    writer.close();
  }
  process.stdout.write(`${JSON.stringify({
    seconds: (performance.now() - t0) / 1000,
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    polygons: summary.polygons,
    tiles: summary.tilesTotal,
    waterAreaM2: summary.waterAreaM2,
    outputMiB: statSync(output).size / 2 ** 20,
  })}\n`);
} finally {
  await scene.close();
  rmSync(outDir, { recursive: true, force: true });
}
