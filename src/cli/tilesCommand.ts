/**
 * `waterline tiles <scene> --out DIR`: write the model tiles as PNGs plus `index.json` (tile id, pixel
 * window, bounds in the scene CRS and WGS84, skipped-nodata count), for inspection.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Command } from 'commander';
import { readUnetModel } from '../adapters/onnx/unetModelDir.ts';
import { chosenOverlap, maxOverlap } from '../core/grid/tileGrid.ts';
import sharp from 'sharp';
import { assertWritableDir } from '../adapters/files/writableOutput.ts';
import { openImagery } from '../adapters/raster/openScene.ts';
import { createCrsTransform } from '../adapters/raster/crs.ts';
import { applyGeoTransform } from '../core/grid/affine.ts';
import { createTileSource, parseBands } from '../pipeline/tileSource.ts';
import type { CliContext } from './context.ts';
import { createProgressReporter } from './progressReporter.ts';
import { numberOption } from './numberOption.ts';

interface TilesOptions {
  out: string;
  size: string;
  overlap?: string;
  bands?: string;
}

/**
 * The overlap `segment` uses with the default model (its manifest's `tiling.overlap`, else the grid's default),
 * kept under half of a smaller `--size`. `tiles` needs no model: an unreadable manifest falls back to the default.
 */
function defaultModelOverlap(tileSize: number): number {
  let declared: number | undefined;
  try {
    declared = readUnetModel().tileOverlap;
  } catch {
    // no readable manifest: the grid's default
  }
  return Math.min(chosenOverlap(undefined, declared), maxOverlap(tileSize));
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('tiles')
    .description('cut a scene into model tiles (PNG) with index.json, for inspection')
    .usage('<scene> --out <dir> [options]')
    .argument('<scene>', 'GeoTIFF / COG path or http(s) URL')
    .requiredOption('--out <dir>', 'output directory, required')
    .option('--size <px>', 'tile size in pixels', '224')
    .option('--overlap <px>', 'overlap between neighbouring tiles in pixels (default: the default model\'s, the grid `segment` cuts)')
    .option('--bands <list>', '1-based bands as R,G,B (e.g. 3,2,1) or one grey band')
    .action(async (source: string, opts: TilesOptions) => {
      const tileSize = numberOption('size', opts.size, { integer: true, example: 224 });
      const overlap = opts.overlap === undefined ? defaultModelOverlap(tileSize) : numberOption('overlap', opts.overlap, { integer: true, example: 32 });
      await assertWritableDir(opts.out, '--out');
      const scene = await openImagery(source);
      try {
        const bands = opts.bands ? parseBands(opts.bands, scene.info) : undefined;
        const tiles = await createTileSource(scene, { tileSize, overlap, bands });
        await mkdir(opts.out, { recursive: true });
        const { info } = scene;
        const transform = createCrsTransform(info.crs);
        const total = tiles.grid.tiles.length;
        const progress = createProgressReporter(ctx, 'tiles', 'tiles');
        const index: unknown[] = [];
        let skipped = 0;
        let done = 0;
        for (const tile of tiles.grid.tiles) {
          const modelTile = await tiles.readTile(tile);
          done++;
          if (!modelTile) {
            skipped++;
          } else {
            const rgba = Buffer.alloc(modelTile.size * modelTile.size * 4);
            for (let p = 0; p < modelTile.size * modelTile.size; p++) {
              rgba[p * 4] = modelTile.rgb[p * 3];
              rgba[p * 4 + 1] = modelTile.rgb[p * 3 + 1];
              rgba[p * 4 + 2] = modelTile.rgb[p * 3 + 2];
              rgba[p * 4 + 3] = modelTile.valid[p] ? 255 : 0;
            }
            const file = `${tile.id}.png`;
            await sharp(rgba, { raw: { width: modelTile.size, height: modelTile.size, channels: 4 } }).png().toFile(join(opts.out, file));
            const { x, y, width, height } = tile.window;
            const corners = [[x, y], [x + width, y], [x + width, y + height], [x, y + height]].map(([c, r]) => applyGeoTransform(info.geoTransform, c, r));
            const xs = corners.map((c) => c[0]);
            const ys = corners.map((c) => c[1]);
            const lonLat = corners.map(([cx, cy]) => transform.toWgs84(cx, cy));
            index.push({
              id: tile.id,
              file,
              window: tile.window,
              bounds: {
                crs: [Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)],
                wgs84: [Math.min(...lonLat.map((c) => c[0])), Math.min(...lonLat.map((c) => c[1])), Math.max(...lonLat.map((c) => c[0])), Math.max(...lonLat.map((c) => c[1]))],
              },
            });
          }
          progress.update({ done, total, detail: `${skipped} skipped: nodata` });
        }
        progress.stop();
        const doc = {
          scene: info.source,
          tileSize: tiles.grid.tileSize,
          overlap: tiles.grid.overlap,
          stride: tiles.grid.stride,
          rows: tiles.grid.rows,
          cols: tiles.grid.cols,
          bands: tiles.bands,
          stretch: tiles.stretch,
          crs: { epsg: info.crs.epsg, proj4: info.crs.proj4 },
          tilesTotal: total,
          tilesWritten: index.length,
          skippedNodata: skipped,
          tiles: index,
        };
        await writeFile(join(opts.out, 'index.json'), `${JSON.stringify(doc, null, 2)}\n`);
        ctx.stdout.write(`${index.length} tiles written to ${opts.out} (${skipped} skipped: nodata)\n`);
      } finally {
        await scene.close();
      }
    });
}
