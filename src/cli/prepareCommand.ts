/**
 * `waterline prepare --images DIR --masks DIR --out DIR`: a PaliGemma segmentation fine-tuning dataset
 * (train.jsonl / val.jsonl with {"image","prefix","suffix"} + 224 px PNGs), suffixes encoded with the
 * big_vision VAE. Resumable; unreadable pairs are reported and skipped.
 */
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { InputError } from '../core/errors.ts';
import { loadSegmentationVae } from '../adapters/vae/segmentationVae.ts';
import { defaultVaePath } from '../adapters/vae/vaeCheckpoint.ts';
import { findImageMaskPairs, prepareFromPairs } from '../pipeline/prepareDataset.ts';
import type { CliContext } from './context.ts';

interface PrepareCliOptions {
  images: string;
  masks: string;
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

function num(name: string, value: string, min: number, max: number, integer = false): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
    throw new InputError('bad_option', `--${name} "${value}" must be a ${integer ? 'whole ' : ''}number in [${min}, ${max}]`);
  }
  return n;
}

export function register(program: Command, ctx: CliContext): void {
  program
    .command('prepare')
    .description('build a PaliGemma segmentation fine-tuning dataset (JSONL + 224 px images) from image/mask pairs')
    .requiredOption('--images <dir>', 'RGB images')
    .requiredOption('--masks <dir>', 'water masks with the same file names (white ≥128 = water)')
    .requiredOption('--out <dir>', 'output dataset directory (resumable)')
    .option('--prompt <text>', 'prefix of every example', 'segment water')
    .option('--label <text>', 'instance label in the suffix', 'water')
    .option('--size <px>', 'image size written', '224')
    .option('--val <fraction>', 'fraction of pairs in val.jsonl', '0.1')
    .option('--max-instances <n>', 'largest N water regions per image', '10')
    .option('--empty-ratio <fraction>', 'fraction of water-free images kept (empty suffix)', '0.2')
    .option('--min-area <px>', 'ignore water regions smaller than this (mask pixels)', '1')
    .option('--vae <path>', `segmentation VAE checkpoint (default ${defaultVaePath(ctx.env.modelsDir)})`)
    .action(async (opts: PrepareCliOptions) => {
      const options = {
        outDir: opts.out,
        prompt: opts.prompt,
        label: opts.label,
        size: num('size', opts.size, 16, 4096, true),
        valFraction: num('val', opts.val, 0, 1),
        maxInstances: num('max-instances', opts.maxInstances, 1, 1000, true),
        emptyRatio: num('empty-ratio', opts.emptyRatio, 0, 1),
        minArea: num('min-area', opts.minArea, 1, 1e12),
      };
      const pairs = findImageMaskPairs(opts.images, opts.masks);
      if (pairs.length === 0) throw new InputError('no_pairs', `no image/mask pairs with matching names in ${opts.images} and ${opts.masks}`);
      const vae = await loadSegmentationVae(opts.vae ?? defaultVaePath(ctx.env.modelsDir), { onWarning: (m) => ctx.stderr.write(`warning: ${m}\n`) });
      const bar = ctx.isTTY ? new cliProgress.SingleBar({ stream: ctx.stderr as NodeJS.WritableStream, format: 'prepare [{bar}] {value}/{total} {eta}s' }, cliProgress.Presets.shades_classic) : null;
      bar?.start(pairs.length, 0);
      let lastLine = -1;
      try {
        const result = await prepareFromPairs(pairs, vae, {
          ...options,
          onProgress: (done, total) => {
            bar?.update(done);
            const pct = Math.floor((done / total) * 10);
            if (!bar && pct !== lastLine) {
              lastLine = pct;
              ctx.stderr.write(`prepare: ${done}/${total}\n`);
            }
          },
        });
        bar?.stop();
        for (const f of result.failed) ctx.stderr.write(`skipped ${f.name}: ${f.reason}\n`);
        ctx.stdout.write(
          `wrote ${result.written.train} train + ${result.written.val} val examples (${result.instances} water instances) to ${opts.out}; ` +
          `${result.skippedExisting} already there, ${result.skippedEmpty} water-free skipped, ${result.failed.length} failed\n`,
        );
      } finally {
        bar?.stop();
        await vae.dispose();
      }
    });
}
