/**
 * `waterline info [scene] [--model <name|dir>] [--json]`: a gdalinfo-style summary of a GeoTIFF / COG, and
 * the inference runtime: the execution providers this build offers and, with `--model`, the provider the
 * loaded model actually runs on (so you can tell whether the GPU is used).
 */
import type { Command } from 'commander';
import { loadSegmenter } from '../adapters/onnx/loadSegmenter.ts';
import { parseDevice } from '../adapters/onnx/onnxSession.ts';
import { formatRuntimeReport, runtimeReport, type RuntimeReport } from '../adapters/onnx/runtimeReport.ts';
import { formatSceneReport, readSceneReport } from '../adapters/raster/sceneReport.ts';
import type { CliContext } from './context.ts';

interface InfoFlags {
  json?: boolean;
  model?: string;
  device?: string;
  vae?: string;
}

async function describeRuntime(flags: InfoFlags, ctx: CliContext): Promise<RuntimeReport> {
  if (!flags.model) return runtimeReport();
  const device = parseDevice(flags.device ?? ctx.env.device);
  const segmenter = await loadSegmenter({ model: flags.model, device, modelsDir: ctx.env.modelsDir, vaePath: flags.vae, logger: ctx.logger });
  try {
    return runtimeReport({ segmenter, deviceRequested: device });
  } finally {
    await segmenter.dispose();
  }
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('info')
    .description('describe a scene (size, bands, CRS, corners; gdalinfo-style, --json uses gdalinfo key names) and the runtime (execution providers; with --model, the one the model runs on)')
    .argument('[scene]', 'GeoTIFF / COG path or http(s) URL')
    .option('--json', 'print JSON (the runtime under "runtime")')
    .option('--model <name|dir>', 'load this model (name, directory or waterline-unet) and report the execution provider it runs on')
    .option('--device <device>', 'with --model: auto | cpu | cuda | webgpu (default: WATERLINE_DEVICE or auto)')
    .option('--vae <file>', 'with a PaliGemma --model: segmentation VAE (default: <models dir>/vae/vae-oid.npz)')
    .action(async (source: string | undefined, flags: InfoFlags) => {
      const report = source ? await readSceneReport(source) : undefined;
      const runtime = await describeRuntime(flags, ctx);
      if (flags.json) {
        ctx.stdout.write(`${JSON.stringify({ ...report, runtime }, null, 2)}\n`);
      } else {
        ctx.stdout.write(`${report ? formatSceneReport(report) : ''}${formatRuntimeReport(runtime)}`);
      }
    });
}
