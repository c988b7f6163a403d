/**
 * PaliGemma fine-tuning data from a georeferenced scene + water truth (mask raster or water GeoJSON,
 * see sceneWaterMasks.ts): the scene is cut with the foundation's tile grid (createTileSource: 224 px
 * tiles, ONE scene-wide stretch, edge tiles padded), each tile written as a PNG exactly as the model
 * sees it, and its water mask (restricted to valid scene pixels) VAE-encoded into the suffix.
 *
 * JSONL lines are `{"image","prefix","suffix"}` plus provenance — `scene` (path as given), `tile`
 * (grid id `r{row}c{col}`) and `window` ([x, y, width, height] scene pixels) — which big_vision's and
 * Hugging Face's loaders ignore. Split, empty-tile ratio and resume follow prepareDataset.ts, keyed on
 * the image name `<scene stem>_<tile id>`. All-nodata tiles are skipped; a tile that fails to read or
 * encode is reported in `failed` and skipped.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { describeError } from '../core/errors.ts';
import { encodeWaterInstances } from '../adapters/vae/encodeWaterInstances.ts';
import type { SegmentationVae } from '../adapters/vae/segmentationVae.ts';
import type { Scene } from '../adapters/raster/openScene.ts';
import { writePixelsPng } from '../adapters/images/pixelsPng.ts';
import { createTileSource } from './tileSource.ts';
import { listedImages, unitHash, type PrepareOptions, type PrepareResult } from './prepareDataset.ts';
import type { SceneWaterMasks } from './sceneWaterMasks.ts';

export interface ScenePrepareOptions extends Omit<PrepareOptions, 'size'> {
  /** Model tile size (default 224). */
  tileSize?: number;
  /** Tile overlap in pixels (default 0: overlapping tiles would leak between train and val). */
  overlap?: number;
  /** 1-based bands (3 = RGB, 1 = grey); default: the tile source's choice. */
  bands?: number[];
  signal?: AbortSignal;
}

export interface ScenePrepareResult extends PrepareResult {
  /** Grid tiles in the scene. */
  tiles: number;
  /** Tiles holding no valid scene pixel. */
  skippedNodata: number;
  /** Water pixels / valid pixels over the tiles read in this run (NaN when none). */
  waterFraction: number;
}

/** One JSONL line of a scene dataset. */
export interface SceneDatasetLine {
  image: string;
  prefix: string;
  suffix: string;
  scene: string;
  tile: string;
  window: [number, number, number, number];
}

export async function prepareFromScene(scene: Scene, water: SceneWaterMasks, vae: SegmentationVae, options: ScenePrepareOptions): Promise<ScenePrepareResult> {
  const prompt = options.prompt ?? 'segment water';
  const valFraction = options.valFraction ?? 0.1;
  const emptyRatio = options.emptyRatio ?? 0.2;
  const source = await createTileSource(scene, { tileSize: options.tileSize, overlap: options.overlap ?? 0, bands: options.bands, signal: options.signal });
  const { tiles, tileSize } = source.grid;
  await mkdir(join(options.outDir, 'images'), { recursive: true });
  const files = { train: join(options.outDir, 'train.jsonl'), val: join(options.outDir, 'val.jsonl') };
  const done = new Set([...listedImages(files.train), ...listedImages(files.val)]);
  const stem = basename(scene.info.source, extname(scene.info.source));
  const result: ScenePrepareResult = {
    written: { train: 0, val: 0 }, skippedExisting: 0, skippedEmpty: 0, failed: [], instances: 0, tiles: tiles.length, skippedNodata: 0, waterFraction: Number.NaN,
  };
  let waterPixels = 0;
  let validPixels = 0;
  let n = 0;
  for (const tile of tiles) {
    options.signal?.throwIfAborted();
    options.onProgress?.(n++, tiles.length);
    const name = `${stem}_${tile.id}`;
    const imageRel = `images/${name}.png`;
    if (done.has(imageRel)) {
      result.skippedExisting++;
      continue;
    }
    try {
      const modelTile = await source.readTile(tile, options.signal);
      if (!modelTile) {
        result.skippedNodata++;
        continue;
      }
      const mask = await water.tileMask(tile.window, tileSize, options.signal);
      for (let p = 0; p < mask.length; p++) {
        if (!modelTile.valid[p]) mask[p] = 0;
        else {
          validPixels++;
          waterPixels += mask[p];
        }
      }
      const enc = await encodeWaterInstances(mask, tileSize, tileSize, vae, {
        maxInstances: options.maxInstances ?? 10, minArea: options.minArea ?? 1, label: options.label ?? 'water',
      });
      if (enc.instances.length === 0 && unitHash(name, 'empty') >= emptyRatio) {
        result.skippedEmpty++;
        continue;
      }
      await writePixelsPng(join(options.outDir, imageRel), modelTile.rgb, { width: tileSize, height: tileSize, channels: 3 });
      const split = unitHash(name, 'split') < valFraction ? 'val' : 'train';
      const { x, y, width, height } = tile.window;
      const line: SceneDatasetLine = { image: imageRel, prefix: prompt, suffix: enc.suffix, scene: scene.info.source, tile: tile.id, window: [x, y, width, height] };
      await appendFile(files[split], `${JSON.stringify(line)}\n`);
      result.written[split]++;
      result.instances += enc.instances.length;
    } catch (err) {
      if (options.signal?.aborted) throw err;
      result.failed.push({ name, reason: describeError(err) });
    }
  }
  options.onProgress?.(tiles.length, tiles.length);
  result.waterFraction = validPixels > 0 ? waterPixels / validPixels : Number.NaN;
  return result;
}
