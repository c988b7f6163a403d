/**
 * `waterline vectorize <mask.tif> -o out.geojson [--value 1 | --above T] [--connectivity 4|8]`:
 * any water mask raster → WGS84 polygons with the same vectorizer `segment` uses.
 */
import type { Command } from 'commander';
import { assertWritableFile } from '../adapters/files/writableOutput.ts';
import { checkWaterOutputPath, parseWaterFormat, writeFeatureTexts } from '../adapters/geojson/writeWaterGeoJson.ts';
import { vectorizeRasterFeatures, type VectorizedFeatures } from '../pipeline/vectorizeRaster.ts';
import type { CliContext } from './context.ts';
import { connectivityOption } from './connectivityOption.ts';
import { numberOption } from './numberOption.ts';
import { createProgressReporter } from './progressReporter.ts';

interface VectorizeFlags {
  output: string;
  band: string;
  value: string;
  above?: string;
  connectivity: string;
  simplify: string;
  minArea: string;
  format: string;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('vectorize')
    .description('turn a water mask raster (e.g. flood labels, NDWI threshold) into WGS84 water polygons')
    .usage('<mask> -o <file> [options]')
    .argument('<mask>', 'GeoTIFF path or http(s) URL')
    .requiredOption('-o, --output <file>', 'output file, required (- for standard output)')
    .option('--band <n>', '1-based band to read', '1')
    .option('--value <v>', 'pixel value that means water', '1')
    .option('--above <t>', 'water where the value is greater than this (continuous rasters; overrides --value)')
    .option('--connectivity <4|8>', 'pixel connectivity (4 like gdal_polygonize, or 8)', '4')
    .option('--simplify <px>', 'simplification tolerance in pixels (0 = exact pixel edges)', '0')
    .option('--min-area <m2>', 'drop polygons smaller than this many square metres', '0')
    .option('--format <format>', 'geojson | geojsonseq', 'geojson')
    .action(async (source: string, flags: VectorizeFlags) => {
      const connectivity = connectivityOption(flags.connectivity);
      const format = parseWaterFormat(flags.format);
      checkWaterOutputPath(flags.output, format);
      await assertWritableFile(flags.output, '-o');
      const progress = createProgressReporter(ctx, 'vectorize', 'rows');
      const started = Date.now();
      let vectorized: VectorizedFeatures;
      try {
        vectorized = await vectorizeRasterFeatures(source, {
          band: numberOption('band', flags.band, { integer: true, min: 1 }),
          value: numberOption('value', flags.value),
          above: flags.above === undefined ? undefined : numberOption('above', flags.above),
          connectivity,
          simplify: numberOption('simplify', flags.simplify, { min: 0 }),
          minAreaM2: numberOption('min-area', flags.minArea, { min: 0 }),
          onProgress: (done, total) => progress.update({ done, total }),
        });
      } finally {
        progress.stop();
      }
      // each feature is made, written and dropped in turn (the same bytes as writing the whole collection)
      let count = 0;
      let area = 0;
      const texts = (function* () {
        for (const f of vectorized.features) {
          count++;
          area += f.properties.area_m2;
          yield JSON.stringify(f);
        }
      })();
      await writeFeatureTexts(flags.output, vectorized.waterline, texts, format, ctx.stdout);
      ctx.stderr.write(
        `vectorize: ${count} polygon(s), ${(area / 1e6).toFixed(4)} km² → ${flags.output === '-' ? 'stdout' : flags.output} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`,
      );
      if (count === 0) {
        const minArea = Number(flags.minArea);
        ctx.stderr.write(minArea > 0
          ? `  no polygon left: none where ${vectorized.waterline.waterRule} in band ${flags.band}, or every one smaller than --min-area ${minArea} m²\n`
          : `  no water found where ${vectorized.waterline.waterRule} in band ${flags.band}: for a mask whose water has another value pass --value N, for a continuous raster (NDWI, probability) --above T; to map water in imagery use waterline segment\n`);
      }
    });
}
