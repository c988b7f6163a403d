/**
 * `waterline segment <scene> -o water.geojson`: the whole job — tiles, model, stitching, polygons.
 * Progress on stderr (bar on a TTY, lines otherwise); a summary at the end; failed tiles are listed
 * (and recorded in the output's `waterline.failedTiles`), never silently left out.
 */
import { formatArea } from './formatArea.ts';
import type { Command } from 'commander';
import { writeTextFileAtomic } from '../adapters/files/atomicWrite.ts';
import { assertWritableFile } from '../adapters/files/writableOutput.ts';
import { checkWaterOutputPath, parseWaterFormat } from '../adapters/geojson/writeWaterGeoJson.ts';
import { openWaterFeatureWriter } from '../adapters/geojson/waterFeatureWriter.ts';
import { createFeatureOrder } from '../core/vector/featureOrder.ts';
import { openImagery } from '../adapters/raster/openScene.ts';
import { renderRunReport } from '../pipeline/runReport.ts';
import { segmentScene } from '../pipeline/segmentScene.ts';
import { DEFAULT_MIN_AREA_PIXELS } from '../core/vector/minimumMappingUnit.ts';
import type { CliContext } from './context.ts';
import { connectivityOption } from './connectivityOption.ts';
import { numberOption } from './numberOption.ts';
import { createProgressReporter, formatSeconds } from './progressReporter.ts';
import { addSceneModelOptions, describeCalibration, loadSceneModel, type SceneModelFlags } from './sceneModelOptions.ts';

interface SegmentFlags extends SceneModelFlags {
  output: string;
  threshold: string;
  minArea?: string;
  simplify: string;
  connectivity: string;
  format: string;
  report?: string;
}

export function register(program: Command, ctx: CliContext): void {
  addSceneModelOptions(program
    .command('segment')
    .description('segment water in a scene and write WGS84 water polygons (GeoJSON)')
    .usage('<scene> -o <file> [options]')
    .argument('<scene>', 'GeoTIFF / COG path or http(s) URL')
    .requiredOption('-o, --output <file>', 'output file, required (- for standard output)'))
    .option('--threshold <p>', 'water where the blended probability is at least this', '0.5')
    .option('--min-area <m2>', 'drop polygons smaller than this many square metres (default: the area of 4.5 pixels of the scene, so 1-4 pixel specks go; 0 keeps every polygon)')
    .option('--simplify <px>', 'simplification tolerance in pixels (0 = exact pixel edges)', '0')
    .option('--connectivity <4|8>', 'pixel connectivity of a water body', '4')
    .option('--format <format>', 'geojson | geojsonseq', 'geojson')
    .option('--report <file.html>', 'also write a self-contained HTML run report (quicklook with the water, areas, histograms, tiles, provenance)')
    .action(async (source: string, flags: SegmentFlags) => {
      const threshold = numberOption('threshold', flags.threshold, { min: 0, max: 1 });
      const minAreaM2 = flags.minArea === undefined ? undefined : numberOption('min-area', flags.minArea, { min: 0, example: 0 });
      const simplify = numberOption('simplify', flags.simplify, { min: 0 });
      const connectivity = connectivityOption(flags.connectivity);
      const format = parseWaterFormat(flags.format);
      checkWaterOutputPath(flags.output, format);
      await assertWritableFile(flags.output, '-o');
      if (flags.report !== undefined) await assertWritableFile(flags.report, '--report');

      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once('SIGINT', onSignal);
      const scene = await openImagery(source, { signal: controller.signal });
      const progress = createProgressReporter(ctx, 'segment', 'tiles');
      try {
        const sceneModel = loadSceneModel(flags, ctx);
        try {
          const { segmenter, bands, calibration, rejectedIndex } = await sceneModel.forScene(scene);
          // features are written as they are made (spilled, then put in id order at the end); the run
          // report's quicklook draws them, so with --report they are also kept
          const writer = openWaterFeatureWriter(flags.output, format, ctx.stdout);
          const forReport = flags.report === undefined ? null : createFeatureOrder();
          let run: Awaited<ReturnType<typeof segmentScene>>;
          try {
            run = await segmentScene(scene, segmenter, {
              ...sceneModel.options,
              bands,
              threshold,
              minAreaM2,
              simplify,
              connectivity,
              features: forReport ? { add: (order, f) => (writer.add(order, f), forReport.add(order, f)) } : writer,
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
            await writer.finish(run.collection.waterline);
          } finally {
            writer.close();
          }
          const { collection, summary } = run;
          if (forReport) await writeTextFileAtomic(flags.report!, await renderRunReport(scene, { ...collection, features: forReport.features() }), '--report');
          const lines = [
            `segment: ${summary.polygons} water polygon(s), ${(summary.waterAreaM2 / 1e6).toFixed(4)} km² → ${flags.output === '-' ? 'stdout' : flags.output}`,
            `  model ${segmenter.info.name} (${segmenter.info.kind}, ${segmenter.info.provider}${segmenter.info.provenance?.flipViews ? `, ${segmenter.info.provenance.flipViews} flip views` : ''}); ${summary.tilesTotal} tiles, ${summary.tilesSkipped} skipped (nodata), ${summary.tilesFailed} failed; ${summary.tilesPerSecond.toFixed(1)} tiles/s over ${formatSeconds(summary.tileSeconds)} of tiles, ${formatSeconds(summary.seconds)} in all`,
            `  polygons under ${formatArea(collection.waterline.minAreaM2)} dropped (${minAreaM2 === undefined ? `default: ${DEFAULT_MIN_AREA_PIXELS} pixels; --min-area 0 keeps all` : '--min-area'})`,
          ];
          lines.push(`  bands ${collection.waterline.bands ? (collection.waterline.bands as number[]).join(',') : '-'} (RGB picture)${calibration ? `; ${describeCalibration(calibration)}` : flags.fusion === 'none' ? '; no water index (--fusion none)' : rejectedIndex ? '; no water index (the guessed band roles failed the plausibility check)' : '; no water index (no NIR/SWIR roles)'}`);
          if (scene.info.blackCollar) lines.push('  black collar read as nodata: the file declares no nodata value and its corners are 0 in every band');
          if (summary.defects.length) lines.push(`  ${summary.defects.length} model output defect(s) handled (listed in the output's waterline.defects)`);
          if (summary.failedTiles.length) {
            lines.push(`  FAILED tiles (no data in their area): ${summary.failedTiles.map((f) => `${f.tileId} (${f.error})`).join('; ')}`);
          }
          if (flags.report !== undefined) lines.push(`  run report → ${flags.report}`);
          ctx.stderr.write(`${lines.join('\n')}\n`);
        } finally {
          await sceneModel.dispose();
        }
      } finally {
        progress.stop();
        process.off('SIGINT', onSignal);
        await scene.close();
      }
    });
}
