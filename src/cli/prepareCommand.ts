/**
 * `waterline prepare`: a PaliGemma segmentation fine-tuning dataset (train.jsonl / val.jsonl with
 * {"image","prefix","suffix"} + 224 px PNGs), suffixes encoded with the big_vision VAE, from either
 * - image/mask pairs: `--images DIR --masks DIR`, or
 * - a georeferenced scene cut into model tiles: `--scene x.tif (--mask-raster m.tif [--mask-value V] | --water w.geojson)`.
 * Resumable; unreadable pairs / tiles are reported and skipped.
 */
import type { Command } from 'commander';
import { assertWritableDir } from '../adapters/files/writableOutput.ts';
import { InputError } from '../core/errors.ts';
import { loadSegmentationVae } from '../adapters/vae/segmentationVae.ts';
import { defaultVaePath } from '../adapters/vae/vaeCheckpoint.ts';
import { openImagery } from '../adapters/raster/openScene.ts';
import type { SegmentationVae } from '../adapters/vae/segmentationVae.ts';
import { findImageMaskPairs } from '../adapters/files/imageMaskPairs.ts';
import { prepareFromPairs, type PrepareOptions } from '../pipeline/prepareDataset.ts';
import { prepareFromScene } from '../pipeline/prepareSceneDataset.ts';
import { waterMasksFromGeoJson, waterMasksFromRaster, type SceneWaterMasks } from '../pipeline/sceneWaterMasks.ts';
import { parseBands } from '../pipeline/tileSource.ts';
import type { CliContext } from './context.ts';
import { createProgressReporter } from './progressReporter.ts';
import { numberOption } from './numberOption.ts';

interface PrepareCliOptions {
  images?: string;
  masks?: string;
  scene?: string;
  maskRaster?: string;
  maskValue?: string;
  maskBand: string;
  water?: string;
  fillRule: string;
  overlap: string;
  bands?: string;
  out: string;
  prompt: string;
  label: string;
  size: string;
  val: string;
  maxInstances: string;
  emptyRatio: string;
  minArea: string;
  vae?: string;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('prepare')
    .description('build a PaliGemma segmentation fine-tuning dataset (JSONL + 224 px images) from image/mask pairs or a GeoTIFF scene + water mask raster / water GeoJSON')
    .option('--images <dir>', 'pair mode: RGB images')
    .option('--masks <dir>', 'pair mode: water masks with the same file names (white ≥128 = water)')
    .option('--scene <tif>', 'scene mode: a georeferenced GeoTIFF / COG, cut into model tiles')
    .option('--mask-raster <tif>', 'scene mode: water mask raster (any georeferenced grid; warped onto the scene, nearest)')
    .option('--mask-value <v>', 'with --mask-raster: the water value (default: any non-zero value is water)')
    .option('--mask-band <n>', 'with --mask-raster: band to read', '1')
    .option('--water <geojson>', 'scene mode: WGS84 water polygons (e.g. OSM water), rasterized per tile by pixel centre')
    .option('--fill-rule <rule>', 'with --water: evenodd | nonzero (within a polygon; polygons are unioned)', 'evenodd')
    .option('--overlap <px>', 'scene mode: tile overlap (0 keeps train and val tiles disjoint)', '0')
    .option('--bands <list>', 'scene mode: 1-based bands, e.g. 3,2,1 or 1 (default: the tiler\'s choice)')
    .requiredOption('--out <dir>', 'output dataset directory, required (resumable)')
    .option('--prompt <text>', 'prefix of every example', 'segment water')
    .option('--label <text>', 'instance label in the suffix', 'water')
    .option('--size <px>', 'image (pair mode) or tile (scene mode) size written', '224')
    .option('--val <fraction>', 'fraction of examples in val.jsonl', '0.1')
    .option('--max-instances <n>', 'largest N water regions per image', '10')
    .option('--empty-ratio <fraction>', 'fraction of water-free images kept (empty suffix)', '0.2')
    .option('--min-area <px>', 'ignore water regions smaller than this (mask pixels)', '1')
    .option('--vae <path>', `segmentation VAE checkpoint (default ${defaultVaePath(ctx.env.modelsDir)})`)
    .action(async (opts: PrepareCliOptions) => {
      const pairMode = opts.images !== undefined || opts.masks !== undefined;
      const sceneMode = opts.scene !== undefined;
      if (pairMode === sceneMode) {
        throw new InputError('bad_option', 'pass either --images DIR --masks DIR (image/mask pairs) or --scene x.tif with --mask-raster or --water');
      }
      const options: Omit<PrepareOptions, 'outDir' | 'onProgress'> & { size: number } = {
        prompt: opts.prompt,
        label: opts.label,
        size: numberOption('size', opts.size, { integer: true, min: 16, max: 4096 }),
        valFraction: numberOption('val', opts.val, { min: 0, max: 1 }),
        maxInstances: numberOption('max-instances', opts.maxInstances, { integer: true, min: 1, max: 1000 }),
        emptyRatio: numberOption('empty-ratio', opts.emptyRatio, { min: 0, max: 1 }),
        minArea: numberOption('min-area', opts.minArea, { min: 1, max: 1e12 }),
      };
      await assertWritableDir(opts.out, '--out');
      const loadVae = () => loadSegmentationVae(opts.vae ?? defaultVaePath(ctx.env.modelsDir), { onWarning: (m) => ctx.stderr.write(`warning: ${m}\n`) });
      const progress = createProgressReporter(ctx, 'prepare', pairMode ? 'images' : 'tiles');
      const onProgress = (done: number, total: number): void => progress.update({ done, total });
      if (pairMode) {
        if (!opts.images || !opts.masks) throw new InputError('bad_option', 'pair mode needs both --images DIR and --masks DIR');
        const { pairs } = findImageMaskPairs(opts.images, opts.masks);
        const vae = await loadVae();
        try {
          const result = await prepareFromPairs(pairs, vae, { ...options, outDir: opts.out, onProgress });
          progress.stop();
          for (const f of result.failed) ctx.stderr.write(`skipped ${f.name}: ${f.reason}\n`);
          ctx.stdout.write(
            `wrote ${result.written.train} train + ${result.written.val} val examples (${result.instances} water instances) to ${opts.out}; ` +
            `${result.skippedExisting} already there, ${result.skippedEmpty} water-free skipped, ${result.failed.length} failed\n`,
          );
        } finally {
          progress.stop();
          await vae.dispose();
        }
        return;
      }
      if ((opts.maskRaster === undefined) === (opts.water === undefined)) {
        throw new InputError('bad_option', '--scene needs exactly one water truth: --mask-raster m.tif or --water water.geojson');
      }
      if (opts.fillRule !== 'evenodd' && opts.fillRule !== 'nonzero') throw new InputError('bad_option', `--fill-rule "${opts.fillRule}" must be evenodd or nonzero`);
      const maskValue = opts.maskValue === undefined ? undefined : numberOption('mask-value', opts.maskValue);
      const overlap = numberOption('overlap', opts.overlap, { integer: true, min: 0, max: 2048 });
      const scene = await openImagery(opts.scene as string);
      let water: SceneWaterMasks | null = null;
      let vae: SegmentationVae | null = null;
      try {
        const bands = opts.bands ? parseBands(opts.bands, scene.info) : undefined;
        water = opts.water
          ? await waterMasksFromGeoJson(opts.water, scene.info, { fillRule: opts.fillRule })
          : await waterMasksFromRaster(opts.maskRaster as string, scene.info, { maskValue, band: numberOption('mask-band', opts.maskBand, { integer: true, min: 1, max: 65535 }) });
        for (const w of water.warnings) ctx.stderr.write(`warning: ${w}\n`);
        vae = await loadVae();
        const result = await prepareFromScene(scene, water, vae, {
          ...options, tileSize: options.size, overlap, bands, outDir: opts.out, onProgress,
        });
        progress.stop();
        for (const f of result.failed) ctx.stderr.write(`skipped ${f.name}: ${f.reason}\n`);
        const fraction = Number.isNaN(result.waterFraction) ? 'n/a' : `${(result.waterFraction * 100).toFixed(1)}%`;
        ctx.stdout.write(
          `wrote ${result.written.train} train + ${result.written.val} val examples (${result.instances} water instances) from ${result.tiles} tiles of ${opts.scene} to ${opts.out}; ` +
          `water ${fraction} of the valid pixels read; ${result.skippedExisting} already there, ${result.skippedNodata} nodata, ${result.skippedEmpty} water-free skipped, ${result.failed.length} failed\n`,
        );
      } finally {
        progress.stop();
        await vae?.dispose();
        await water?.close();
        await scene.close();
      }
    });
}
