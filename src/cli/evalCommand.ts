/**
 * `waterline eval --images DIR --masks DIR [--model NAME|PATH] [--device D] [--json]`: pixel-level IoU, F1,
 * precision and recall of a model against image/mask pairs (micro-averaged over all pixels).
 */
import type { Command } from 'commander';
import { InputError } from '../core/errors.ts';
import { parseDevice } from '../adapters/onnx/onnxSession.ts';
import { loadSegmenter } from '../adapters/onnx/loadSegmenter.ts';
import { UNET_MODEL_NAME } from '../adapters/onnx/unetSegmenter.ts';
import { evaluatePairs, evaluateScene, type EvaluationResult } from '../pipeline/evaluate.ts';
import type { CliContext } from './context.ts';
import { createProgressReporter } from './progressReporter.ts';

interface EvalFlags {
  images?: string;
  masks?: string;
  scene?: string;
  mask?: string;
  model?: string;
  device?: string;
  json?: boolean;
  batch: string;
  threshold: string;
}

function formatReport(r: EvaluationResult): string {
  const f = (x: number) => x.toFixed(4);
  return [
    `model      ${r.model} (${r.provider})`,
    `pairs      ${r.count}${r.unmatched ? ` (${r.unmatched} images without a mask skipped)` : ''}, resized to ${r.inputSize}x${r.inputSize}, ${r.pixels} pixels`,
    `IoU        ${f(r.iou)}`,
    `F1         ${f(r.f1)}`,
    `precision  ${f(r.precision)}`,
    `recall     ${f(r.recall)}`,
    `(pixel-level, micro-averaged over all pixels; water = probability >= ${r.threshold}, mask >= 128)`,
  ].join('\n');
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('eval')
    .description('score a model against image/mask pairs: pixel-level IoU, F1, precision, recall (micro-averaged)')
    .option('--images <dir>', 'directory of RGB images')
    .option('--masks <dir>', 'directory of masks (white = water), matched to images by file stem')
    .option('--scene <file>', 'instead of pairs: a georeferenced scene, run through the full pipeline')
    .option('--mask <file>', 'with --scene: truth raster on the same pixel grid (band 1, non-zero = water)')
    .option('--model <name|path>', `${UNET_MODEL_NAME}, a PaliGemma or U-Net model directory, or a cached model name (default: WATERLINE_MODEL, else ${UNET_MODEL_NAME})`)
    .option('--device <device>', 'auto | cpu | cuda | webgpu')
    .option('--batch <n>', 'tiles per model call', '8')
    .option('--threshold <p>', 'probability at or above which a pixel is water', '0.5')
    .option('--json', 'print the metrics as one JSON object')
    .action(async (flags: EvalFlags) => {
      const device = parseDevice(flags.device ?? ctx.env.device);
      const batchSize = Number(flags.batch);
      if (!Number.isInteger(batchSize) || batchSize < 1) throw new InputError('bad_batch', `--batch must be a positive integer, got "${flags.batch}"`);
      const threshold = Number(flags.threshold);
      if (!(threshold > 0 && threshold <= 1)) throw new InputError('bad_threshold', `--threshold must be in (0, 1], got "${flags.threshold}"`);
      const sceneMode = Boolean(flags.scene || flags.mask);
      if (sceneMode ? !(flags.scene && flags.mask) || flags.images || flags.masks : !(flags.images && flags.masks)) {
        throw new InputError('eval_inputs', 'eval needs either --images DIR --masks DIR, or --scene FILE --mask FILE', { hint: 'see waterline eval --help' });
      }
      const segmenter = await loadSegmenter({ model: flags.model ?? ctx.env.model, device, modelsDir: ctx.env.modelsDir, logger: ctx.logger });
      const progress = createProgressReporter(ctx, 'eval', sceneMode ? 'tiles' : 'pairs');
      const onProgress = (done: number, total: number): void => progress.update({ done, total });
      try {
        const result = sceneMode
          ? await evaluateScene(flags.scene as string, flags.mask as string, { segmenter, batch: batchSize, threshold, onProgress })
          : await evaluatePairs(flags.images as string, flags.masks as string, { segmenter, batchSize, threshold, onProgress });
        progress.stop();
        ctx.stdout.write(flags.json ? `${JSON.stringify(result)}\n` : `${formatReport(result)}\n`);
      } finally {
        progress.stop();
        await segmenter.dispose();
      }
    });
}
