/**
 * `waterline eval`: how good is a model?
 *
 * - `--images DIR --masks DIR`: pixel-level IoU, F1, precision and recall against image/mask pairs
 *   (micro-averaged over all pixels; RGB images, so the learned model alone).
 * - `--scene S --truth T [--truth T2]`: the full pipeline on a georeferenced scene — with the same model choice
 *   as `segment` (auto, band roles, water index, fusion) — against a label raster on the scene grid (1 water,
 *   0 dry, -1 or nodata ignored) or water polygons (GeoJSON, rasterized onto the scene grid).
 */
import type { Command } from 'commander';
import { InputError } from '../core/errors.ts';
import { parseDevice } from '../adapters/onnx/onnxSession.ts';
import { loadSegmenter } from '../adapters/onnx/loadSegmenter.ts';
import { evaluatePairs, evaluateScene, type EvaluationResult, type SceneEvaluationResult } from '../pipeline/evaluate.ts';
import { DEFAULT_MODEL_NAME } from '../core/model/modelNames.ts';
import type { CliContext } from './context.ts';
import { numberOption } from './numberOption.ts';
import { createProgressReporter } from './progressReporter.ts';
import { addSceneModelOptions, loadSceneModel, parseFlipViews, type SceneModelFlags } from './sceneModelOptions.ts';
import { flipAveragedSegmenter } from '../core/model/flipViews.ts';

interface EvalFlags extends SceneModelFlags {
  images?: string;
  masks?: string;
  scene?: string;
  truth?: string[];
  mask?: string;
  json?: boolean;
  threshold: string;
}

function formatReport(r: EvaluationResult | SceneEvaluationResult): string {
  const f = (x: number) => x.toFixed(4);
  const scene = 'scene' in r;
  const lines = [
    `model      ${r.model} (${r.provider})`,
    scene
      ? `scene      ${r.scene} vs ${r.truth.join(' + ')}: ${r.pixels} pixels scored, truth ${(r.truthWaterFraction * 100).toFixed(1)} % water, predicted ${(r.predictedWaterFraction * 100).toFixed(1)} %`
      : `pairs      ${r.count}${r.unmatched ? ` (${r.unmatched} images without a mask skipped)` : ''}, resized to ${r.inputSize}x${r.inputSize}, ${r.pixels} pixels`,
    `IoU        ${f(r.iou)}`,
    `F1         ${f(r.f1)}`,
    `precision  ${f(r.precision)}`,
    `recall     ${f(r.recall)}`,
    `(pixel-level, micro-averaged over all pixels; water = probability >= ${r.threshold}${scene ? '' : ', mask >= 128'})`,
  ];
  if (scene) for (const w of r.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}

const collect = (value: string, previous: string[] = []): string[] => [...previous, value];

export function register(program: Command, ctx: CliContext): void {
  addSceneModelOptions(program
    .command('eval')
    .description('score a model: against image/mask pairs, or a whole scene against a label raster or water polygons (IoU, F1, precision, recall)')
    .option('--images <dir>', 'directory of RGB images')
    .option('--masks <dir>', 'directory of masks (white = water), matched to images by file stem')
    .option('--scene <file>', 'instead of pairs: a georeferenced scene, run through the full pipeline')
    .option('--truth <file>', 'with --scene: label raster on the scene grid (1 water, 0 dry, -1/nodata ignored) or water polygons (.geojson); repeat to unite several', collect)
    .option('--mask <file>', 'with --scene: same as --truth (kept for older scripts)'))
    .option('--threshold <p>', 'probability at or above which a pixel is water', '0.5')
    .option('--json', 'print the metrics as one JSON object')
    .action(async (flags: EvalFlags) => {
      const threshold = Number(flags.threshold);
      if (!(threshold > 0 && threshold <= 1)) throw new InputError('bad_threshold', `--threshold must be in (0, 1], got "${flags.threshold}"`, { hint: 'e.g. --threshold 0.5' });
      const truth = [...(flags.truth ?? []), ...(flags.mask ? [flags.mask] : [])];
      const sceneMode = Boolean(flags.scene || truth.length);
      if (sceneMode ? !(flags.scene && truth.length) || flags.images || flags.masks : !(flags.images && flags.masks)) {
        throw new InputError('eval_inputs', 'eval needs either --images DIR --masks DIR, or --scene FILE --truth FILE', { hint: 'see waterline eval --help' });
      }
      const progress = createProgressReporter(ctx, 'eval', sceneMode ? 'tiles' : 'pairs');
      const onProgress = (done: number, total: number): void => progress.update({ done, total });
      try {
        let result: EvaluationResult | SceneEvaluationResult;
        if (sceneMode) {
          const model = loadSceneModel(flags, ctx);
          try {
            result = await evaluateScene(flags.scene as string, truth, { model, threshold, onProgress });
          } finally {
            await model.dispose();
          }
        } else {
          const device = parseDevice(flags.device ?? ctx.env.device);
          const model = flags.model ?? ctx.env.model;
          const flipViews = parseFlipViews(flags.flipViews);
          const segmenter = await loadSegmenter({ model: model === DEFAULT_MODEL_NAME ? undefined : model, device, modelsDir: ctx.env.modelsDir, logger: ctx.logger });
          try {
            const batchSize = numberOption('batch', flags.batch, { integer: true, min: 1, max: 1024 });
            result = await evaluatePairs(flags.images as string, flags.masks as string, { segmenter: flipAveragedSegmenter(segmenter, flipViews), batchSize, threshold, onProgress });
          } finally {
            await segmenter.dispose();
          }
        }
        progress.stop();
        ctx.stdout.write(flags.json ? `${JSON.stringify(result)}\n` : `${formatReport(result)}\n`);
      } finally {
        progress.stop();
      }
    });
}
