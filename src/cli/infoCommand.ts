/** `waterline info <scene> [--json]`: a gdalinfo-style summary of a GeoTIFF / COG. */
import type { Command } from 'commander';
import { openScene } from '../adapters/raster/openScene.ts';
import { formatSceneReport, sceneReport } from '../adapters/raster/sceneReport.ts';
import type { CliContext } from './context.ts';

export function register(program: Command, ctx: CliContext): void {
  program
    .command('info')
    .description('describe a scene: size, bands, CRS, corners (gdalinfo-style; --json uses gdalinfo key names)')
    .argument('<scene>', 'GeoTIFF / COG path or http(s) URL')
    .option('--json', 'print JSON')
    .action(async (source: string, opts: { json?: boolean }) => {
      const scene = await openScene(source);
      try {
        const report = sceneReport(scene.info);
        ctx.stdout.write(opts.json ? `${JSON.stringify(report, null, 2)}\n` : formatSceneReport(report));
      } finally {
        await scene.close();
      }
    });
}
