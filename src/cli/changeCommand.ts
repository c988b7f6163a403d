/**
 * `waterline change <A> <B> -o change.geojson [--report change.html]`: water at date A against date B.
 * Each input is a scene (mapped with the same model, bands and fusion as `segment`: the same flags and the
 * same loadSceneModel), an earlier water GeoJSON (`.geojson` / `.json`) or, with `--masks`, a water mask
 * raster. B is put on A's grid (nearest); polygons per class with `area_m2`; the per-class table is
 * printed and recorded in the output's `waterline.summary`.
 */
import { assertWritableFile } from '../adapters/files/writableOutput.ts';
import { basename } from 'node:path';
import { GEODESIC_EARTH_RADIUS_M } from '../core/vector/geodesicMeasures.ts';
import type { Command } from 'commander';
import { checkWaterOutputPath, parseWaterFormat, writeWaterGeoJson } from '../adapters/geojson/writeWaterGeoJson.ts';
import { writeChangeReport } from '../adapters/report/changeReport.ts';
import type { ChangeSummary } from '../core/change/changeSummary.ts';
import { CHANGE_CLASSES } from '../core/change/changeClasses.ts';
import { changeReportImages, CLASS_COLOURS } from '../pipeline/changeReportImages.ts';
import { changeScenes, pixelMapping, RESAMPLING, type ChangeResult, type WaterInput } from '../pipeline/changeScenes.ts';
import type { CliContext } from './context.ts';
import { connectivityOption } from './connectivityOption.ts';
import { formatArea } from './formatArea.ts';
import { numberOption } from './numberOption.ts';
import { createProgressReporter, formatSeconds } from './progressReporter.ts';
import { addSceneModelOptions, loadSceneModel, type CliSceneModel, type SceneModelFlags } from './sceneModelOptions.ts';

interface ChangeFlags extends SceneModelFlags {
  output: string;
  report?: string;
  masks?: boolean;
  maskValue?: string;
  gridA?: string;
  gridB?: string;
  threshold: string;
  minArea?: string;
  simplify: string;
  connectivity: string;
  format: string;
}

function waterInput(path: string, flags: ChangeFlags, grid: string | undefined): WaterInput {
  if (/\.(geo)?json$/i.test(path)) return { kind: 'geojson', path, gridScene: grid };
  if (flags.masks) return { kind: 'mask', path, value: flags.maskValue === undefined ? undefined : numberOption('mask-value', flags.maskValue) };
  return { kind: 'scene', path };
}

/** The per-class table printed on the terminal. */
export function formatChangeTable(summary: ChangeSummary): string[] {
  const lines = ['  class        km²          % of common valid area'];
  for (const c of summary.classes) {
    lines.push(`  ${c.class.padEnd(10)} ${c.areaKm2.toFixed(4).padStart(12)}   ${c.percentOfCommonValid === null ? '     —' : `${c.percentOfCommonValid.toFixed(2).padStart(6)} %`}`);
  }
  const net = `${summary.netChangeKm2 >= 0 ? '+' : ''}${summary.netChangeKm2.toFixed(4)}`;
  lines.push(`  common valid area ${summary.commonValidKm2.toFixed(4)} km²; water A ${summary.waterAKm2.toFixed(4)} km², water B ${summary.waterBKm2.toFixed(4)} km² (net ${net} km²)`);
  return lines;
}

/** A line for each date mapped without the water index its bands were guessed to give (the report shows it above the table). */
export function waterIndexWarnings(dates: { kind: string; provenance: Record<string, unknown> }[]): string[] {
  return dates.flatMap((d, i) => {
    const rejected = (d.provenance.waterIndex as { rejected?: string } | undefined)?.rejected;
    return d.kind === 'scene' && rejected
      ? [`Date ${i === 0 ? 'A' : 'B'} was mapped by the learned model alone: its water index was not used (${rejected}). If the file's band roles are known, run again with them (--band-roles) for the index's water.`]
      : [];
  });
}

async function report(path: string, result: ChangeResult, threshold: number): Promise<void> {
  const { dateA, dateB } = result;
  const bands = (d: typeof dateA) => d.provenance.bands as number[] | undefined;
  const a = dateA.info;
  const images = await changeReportImages(
    a,
    { label: 'date A', source: dateA.source, scene: dateA.kind === 'scene' ? { path: dateA.source, bands: bands(dateA) } : undefined, probabilityOnA: dateA.probability, mapping: (x, y) => [x, y] },
    { label: 'date B', source: dateB.source, scene: dateB.kind === 'scene' ? { path: dateB.source, bands: bands(dateB) } : undefined, probabilityOnA: result.bOnA, mapping: pixelMapping(a, dateB.info) },
    result.classes,
    threshold,
  );
  const model = (d: typeof dateA) => (d.kind === 'scene' ? `model ${String(d.provenance.model)}, bands ${(d.provenance.bands as number[] | undefined)?.join(',') ?? '-'}` : `${d.kind} input`);
  await writeChangeReport(path, {
    title: `Water change: ${basename(dateA.source)} → ${basename(dateB.source)}`,
    summary: result.summary,
    colours: CLASS_COLOURS,
    pictures: [
      { title: `A: ${basename(dateA.source)}`, caption: `${model(dateA)}; water outlined`, ...images.dateA },
      { title: `B: ${basename(dateB.source)}`, caption: `${model(dateB)}; water outlined; on A's grid`, ...images.dateB },
      { title: 'Change A → B', caption: 'blue permanent · green gained · red lost · grey unknown (one date without data)', ...images.change },
    ],
    warnings: waterIndexWarnings([dateA, dateB]),
    notes: [
      `Water: probability ≥ ${threshold} at both dates. Areas are spherical-geodesic, as the polygons' area_m2 (turf: a sphere of radius ${GEODESIC_EARTH_RADIUS_M} m; against WGS84 ellipsoidal areas that is +0.45 % at the equator, −0.27 % at 47° and −0.56 % at 60° of latitude), on A's pixel grid (${a.width}×${a.height}, ${a.crs.name ?? a.crs.proj4}).`,
      `The table counts every pixel of each class; the polygons leave out those under ${formatArea(Number(result.collection.waterline.minAreaM2))} (--min-area), so their area_m2 sums can be lower.`,
      `B on A's grid — ${RESAMPLING}.`,
      `Generated by waterline change on ${String(result.collection.waterline.created)}.`,
    ],
  });
}

export function register(program: Command, ctx: CliContext): void {
  addSceneModelOptions(program
    .command('change')
    .description('map water change between two dates (gained, lost, permanent, unknown polygons + per-class areas)')
    .argument('<a>', 'date A: a scene (GeoTIFF/COG), a water GeoJSON, or with --masks a water mask raster; its pixel grid is used')
    .argument('<b>', 'date B: the same kinds; any CRS and resolution (put on A\'s grid, nearest)')
    .requiredOption('-o, --output <file>', 'output file (- for standard output)')
    .option('--report <file.html>', 'also write a self-contained HTML report (quicklooks, change map, area table)')
    .option('--masks', 'GeoTIFF inputs are water masks (non-zero = water, nodata = unknown), not scenes')
    .option('--mask-value <v>', 'with --masks: the value that means water (default: any non-zero value)')
    .option('--grid-a <scene>', 'the scene a GeoJSON A was mapped from (default: its waterline.scene)')
    .option('--grid-b <scene>', 'the scene a GeoJSON B was mapped from (default: its waterline.scene)'))
    .option('--threshold <p>', 'water where the probability is at least this, at both dates', '0.5')
    .option('--min-area <m2>', 'drop polygons smaller than this many square metres (default: the area of 4.5 pixels of A, as segment; 0 keeps every polygon; the area table counts every pixel)')
    .option('--simplify <px>', 'simplification tolerance in pixels (0 = exact pixel edges)', '0')
    .option('--connectivity <4|8>', 'pixel connectivity of a polygon', '4')
    .option('--format <format>', 'geojson | geojsonseq', 'geojson')
    .action(async (pathA: string, pathB: string, flags: ChangeFlags) => {
      const threshold = numberOption('threshold', flags.threshold, { min: 0, max: 1 });
      const minAreaM2 = flags.minArea === undefined ? undefined : numberOption('min-area', flags.minArea, { min: 0, example: 0 });
      const simplify = numberOption('simplify', flags.simplify, { min: 0 });
      const connectivity = connectivityOption(flags.connectivity);
      const format = parseWaterFormat(flags.format);
      const inputA = waterInput(pathA, flags, flags.gridA);
      const inputB = waterInput(pathB, flags, flags.gridB);
      const needsModel = inputA.kind === 'scene' || inputB.kind === 'scene';
      checkWaterOutputPath(flags.output, format);
      await assertWritableFile(flags.output, '-o');
      if (flags.report !== undefined) await assertWritableFile(flags.report, '--report');

      const controller = new AbortController();
      const onSignal = () => controller.abort();
      process.once('SIGINT', onSignal);
      const progress = createProgressReporter(ctx, 'change', 'tiles');
      let sceneModel: CliSceneModel | undefined;
      try {
        sceneModel = needsModel ? loadSceneModel(flags, ctx) : undefined;
        const result = await changeScenes(inputA, inputB, {
          model: sceneModel,
          threshold,
          minAreaM2,
          simplify,
          connectivity,
          signal: controller.signal,
          onProgress: (p) => progress.update({ done: p.tilesDone, total: p.tilesTotal, detail: `date ${p.date}, ${p.tilesSkipped} skipped (nodata), ${p.tilesFailed} failed` }),
        });
        progress.stop();
        await writeWaterGeoJson(flags.output, result.collection, format, ctx.stdout);
        if (flags.report) await report(flags.report, result, threshold);
        const counts = CHANGE_CLASSES.filter((c) => c !== 'dry').map((c) => `${result.collection.features.filter((f) => f.properties.class === c).length} ${c}`);
        const lines = [`change: ${result.collection.features.length} polygon(s) (${counts.join(', ')}) → ${flags.output === '-' ? 'stdout' : flags.output}${flags.report ? `; report → ${flags.report}` : ''}`];
        for (const d of [result.dateA, result.dateB]) {
          const p = d.provenance;
          const failed = (p.failedTiles as unknown[] | undefined)?.length ?? 0;
          lines.push(`  ${d === result.dateA ? 'A' : 'B'} ${d.source}: ${d.kind === 'scene' ? `model ${String(p.model)} (${String(p.modelKind)}, ${String(p.provider)}), bands ${(p.bands as number[]).join(',')}, ${String(p.tilesTotal)} tiles${failed ? `, ${failed} FAILED (no data there: unknown)` : ''}` : `${d.kind} input`}`);
        }
        const minArea = result.collection.waterline.minAreaM2;
        if (minArea > 0) lines.push(`  polygons under ${formatArea(minArea)} dropped (${minAreaM2 === undefined ? 'default: 4.5 pixels; --min-area 0 keeps all' : '--min-area'}); the table counts every pixel`);
        lines.push(...formatChangeTable(result.summary), `  ${formatSeconds(result.seconds)}`);
        ctx.stderr.write(`${lines.join('\n')}\n`);
      } finally {
        progress.stop();
        process.off('SIGINT', onSignal);
        await sceneModel?.dispose();
      }
    });
}
