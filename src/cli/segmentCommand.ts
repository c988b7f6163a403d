/**
 * `waterline segment <scene> -o water.geojson`: the whole job — tiles, model, stitching, polygons.
 * Progress on stderr (bar on a TTY, lines otherwise); a summary at the end; failed tiles are listed
 * (and recorded in the output's `waterline.failedTiles`), never silently left out.
 */
import type { Command } from 'commander';
import { writeWaterGeoJson, parseWaterFormat } from '../adapters/geojson/writeWaterGeoJson.ts';
import { loadSegmenter } from '../adapters/onnx/loadSegmenter.ts';
import { parseDevice } from '../adapters/onnx/onnxSession.ts';
import { openScene } from '../adapters/raster/openScene.ts';
import { segmentScene } from '../pipeline/segmentScene.ts';
import { parseBands } from '../pipeline/tileSource.ts';
import type { CliContext } from './context.ts';
import { connectivityOption } from './connectivityOption.ts';
import { numberOption } from './numberOption.ts';
import { createProgressReporter, formatSeconds } from './progressReporter.ts';

interface SegmentFlags {
  output: string;
  model?: string;
  prompt: string;
  device?: string;
  batch: string;
  overlap: string;
  bands?: string;
  threshold: string;
  minArea: string;
  simplify: string;
  connectivity: string;
  format: string;
  vae?: string;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('segment')
    .description('segment water in a scene and write WGS84 water polygons (GeoJSON)')
    .argument('<scene>', 'GeoTIFF / COG path or http(s) URL')
    .requiredOption('-o, --output <file>', 'output file (- for standard output)')
    .option('--model <dir|name>', 'PaliGemma export directory, cached model name, or waterline-unet (default: WATERLINE_MODEL or waterline-unet)')
    .option('--prompt <text>', 'prompt for PaliGemma models', 'segment water')
    .option('--device <device>', 'auto | cpu | cuda | webgpu (default: WATERLINE_DEVICE or auto)')
    .option('--batch <n>', 'tiles per model call', '4')
    .option('--overlap <px>', 'overlap between neighbouring tiles, blended', '32')
    .option('--bands <list>', '1-based bands as R,G,B (e.g. 3,2,1) or one grey band')
    .option('--threshold <p>', 'water where the blended probability is at least this', '0.5')
    .option('--min-area <m2>', 'drop polygons smaller than this many square metres', '0')
    .option('--simplify <px>', 'simplification tolerance in pixels (0 = exact pixel edges)', '0')
    .option('--connectivity <4|8>', 'pixel connectivity of a water body', '4')
    .option('--format <format>', 'geojson | geojsonseq', 'geojson')
    .option('--vae <file>', 'segmentation VAE (vae-oid.npz) for PaliGemma models (default: <models dir>/vae/vae-oid.npz)')
    .action(async (source: string, flags: SegmentFlags) => {
      const batch = numberOption('batch', flags.batch, { integer: true, min: 1, max: 1024 });
      const overlap = numberOption('overlap', flags.overlap, { integer: true, min: 0 });
      const threshold = numberOption('threshold', flags.threshold, { min: 0, max: 1 });
      const minAreaM2 = numberOption('min-area', flags.minArea, { min: 0 });
      const simplify = numberOption('simplify', flags.simplify, { min: 0 });
      const connectivity = connectivityOption(flags.connectivity);
      const format = parseWaterFormat(flags.format);
      const device = parseDevice(flags.device ?? ctx.env.device);

      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once('SIGINT', onSignal);
      const scene = await openScene(source, { signal: controller.signal });
      const progress = createProgressReporter(ctx, 'segment', 'tiles');
      try {
        const bands = flags.bands ? parseBands(flags.bands, scene.info) : undefined;
        const segmenter = await loadSegmenter({ model: flags.model ?? ctx.env.model, device, modelsDir: ctx.env.modelsDir, vaePath: flags.vae, logger: ctx.logger });
        try {
          const { collection, summary } = await segmentScene(scene, segmenter, {
            prompt: flags.prompt,
            batch,
            overlap,
            bands,
            threshold,
            minAreaM2,
            simplify,
            connectivity,
            signal: controller.signal,
            onProgress: (p) =>
              progress.update({
                done: p.tilesDone,
                total: p.tilesTotal,
                rate: p.tilesPerSecond,
                etaSeconds: p.etaSeconds,
                detail: `${p.tilesSkipped} skipped (nodata), ${p.tilesFailed} failed`,
              }),
          });
          progress.stop();
          await writeWaterGeoJson(flags.output, collection, format, ctx.stdout);
          const lines = [
            `segment: ${summary.polygons} water polygon(s), ${(summary.waterAreaM2 / 1e6).toFixed(4)} km² → ${flags.output === '-' ? 'stdout' : flags.output}`,
            `  model ${segmenter.info.name} (${segmenter.info.kind}, ${segmenter.info.provider}); ${summary.tilesTotal} tiles, ${summary.tilesSkipped} skipped (nodata), ${summary.tilesFailed} failed; ${summary.tilesPerSecond.toFixed(2)} tiles/s, ${formatSeconds(summary.seconds)}`,
          ];
          if (summary.defects.length) lines.push(`  ${summary.defects.length} model output defect(s) handled (listed in the output's waterline.defects)`);
          if (summary.failedTiles.length) {
            lines.push(`  FAILED tiles (no data in their area): ${summary.failedTiles.map((f) => `${f.tileId} (${f.error})`).join('; ')}`);
          }
          ctx.stderr.write(`${lines.join('\n')}\n`);
        } finally {
          await segmenter.dispose();
        }
      } finally {
        progress.stop();
        process.off('SIGINT', onSignal);
        await scene.close();
      }
    });
}
