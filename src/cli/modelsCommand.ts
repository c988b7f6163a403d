/**
 * `waterline models pull <repo|vae> [--dtype q4] [--revision main]` and `waterline models list`.
 */
import type { Command } from 'commander';
import cliProgress from 'cli-progress';
import { join } from 'node:path';
import type { CliContext } from './context.ts';
import { downloadFile, pullHubModel, type DownloadProgress, type HubFile } from '../adapters/hub/hubDownload.ts';
import { listCachedModels } from '../adapters/hub/modelsCache.ts';
import { parseDtype } from '../adapters/onnx/paligemmaModelDir.ts';
import { VAE_SHA256, VAE_SIZE_BYTES, VAE_URL, defaultVaePath } from '../adapters/vae/vaeCheckpoint.ts';
import { builtinUnetList } from '../adapters/onnx/builtinUnets.ts';
import { DEFAULT_UNET_VERSION } from '../core/model/modelNames.ts';

function mb(bytes: number): string {
  return `${(bytes / 1e6).toFixed(1)} MB`;
}

/** A cli-progress bar on a TTY, plain lines otherwise. */
function progressReporter(ctx: CliContext, total: number): DownloadProgress & { stop(): void } {
  if (ctx.isTTY) {
    const bar = new cliProgress.SingleBar({ format: 'pulling [{bar}] {percentage}% {value_mb}/{total_mb} MB {file}', stream: ctx.stderr as NodeJS.WritableStream, hideCursor: true }, cliProgress.Presets.shades_classic);
    let done = 0;
    const mbs = (b: number) => (b / 1e6).toFixed(1);
    bar.start(total, 0, { file: '', value_mb: '0.0', total_mb: mbs(total) });
    return {
      onFileStart(file, resumed) { done += resumed; bar.update(done, { file: file.path, value_mb: mbs(done) }); },
      onBytes(n) { done += n; bar.update(done, { value_mb: mbs(done) }); },
      onFileDone(file, skipped) { if (skipped) { done += file.size ?? 0; bar.update(done, { value_mb: mbs(done) }); } },
      stop() { bar.stop(); },
    };
  }
  return {
    onFileStart(file, resumed) { ctx.stderr.write(`downloading ${file.path}${file.size ? ` (${mb(file.size)})` : ''}${resumed ? `, resuming at ${mb(resumed)}` : ''}\n`); },
    onFileDone(file, skipped) { ctx.stderr.write(`${skipped ? 'already present' : 'verified'} ${file.path}\n`); },
    stop() {},
  };
}

export function register(program: Command, ctx: CliContext): void {
  const models = program.command('models').description('download and list models (PaliGemma ONNX exports, the segmentation VAE)');

  models
    .command('pull')
    .description('download a PaliGemma ONNX export from the Hugging Face hub (HF_TOKEN for gated models), or `vae` for big_vision\'s vae-oid.npz')
    .argument('<repo>', 'owner/name on the hub (e.g. onnx-community/paligemma2-3b-pt-224), or `vae`')
    .option('--dtype <dtype>', 'weights variant: fp32, fp16, q8, q4, q4f16, int8, uint8, bnb4', 'q4')
    .option('--revision <rev>', 'branch, tag or commit', 'main')
    .option('--url <url>', 'for `vae`: download from this URL instead of the public one')
    .action(async (repo: string, opts: { dtype: string; revision: string; url?: string }) => {
      const controller = new AbortController();
      const onSigint = () => controller.abort();
      process.once('SIGINT', onSigint);
      try {
        if (repo === 'vae') {
          const dest = defaultVaePath(ctx.env.modelsDir);
          const file: HubFile = { path: 'vae-oid.npz', size: VAE_SIZE_BYTES, sha256: VAE_SHA256 };
          const progress = progressReporter(ctx, VAE_SIZE_BYTES);
          try {
            await downloadFile(opts.url ?? VAE_URL, dest, file, { signal: controller.signal, progress });
          } finally {
            progress.stop();
          }
          ctx.stdout.write(`${dest}\n`);
          return;
        }
        const dtype = parseDtype(opts.dtype);
        let progress: ReturnType<typeof progressReporter> | undefined;
        try {
          const result = await pullHubModel(repo, dtype, ctx.env.modelsDir, {
            endpoint: ctx.env.hfEndpoint,
            token: ctx.env.hfToken,
            revision: opts.revision,
            signal: controller.signal,
            onPlan: (files) => { progress = progressReporter(ctx, files.reduce((s, f) => s + (f.size ?? 0), 0)); },
            progress: {
              onFileStart: (f, r) => progress?.onFileStart?.(f, r),
              onBytes: (n) => progress?.onBytes?.(n),
              onFileDone: (f, s) => progress?.onFileDone?.(f, s),
            },
          });
          progress?.stop();
          ctx.logger.info({ repo, dtype, dir: result.dir, files: result.files.length, bytes: result.bytes }, 'model pulled');
          ctx.stdout.write(`${result.dir}\n`);
        } finally {
          progress?.stop();
        }
      } finally {
        process.removeListener('SIGINT', onSigint);
      }
    });

  models
    .command('list')
    .description('list the models in the cache (WATERLINE_MODELS_DIR)')
    .option('--json', 'machine-readable output')
    .action((opts: { json?: boolean }) => {
      const list = listCachedModels(ctx.env.modelsDir);
      if (opts.json) {
        ctx.stdout.write(`${JSON.stringify({ modelsDir: ctx.env.modelsDir, models: list }, null, 2)}\n`);
        return;
      }
      ctx.stdout.write(`models in ${ctx.env.modelsDir}:\n`);
      ctx.stdout.write('auto  built-in default: waterline-unet, fused with the water index on scenes with NIR/SWIR bands\n');
      ctx.stdout.write('waterline-spectral  built-in water index alone (MNDWI/NDWI with a scene-wide threshold; needs NIR or SWIR bands)\n');
      ctx.stdout.write(`waterline-unet  built-in U-Net (default: ${DEFAULT_UNET_VERSION})\n`);
      for (const m of builtinUnetList()) ctx.stdout.write(`${m.name}  built-in ${m.description}\n`);
      for (const m of list) {
        ctx.stdout.write(`${m.name}  ${m.kind}${m.dtypes.length ? ` dtypes=${m.dtypes.join(',')}` : ''}  ${mb(m.bytes)}  ${m.kind === 'vae' ? join(m.dir, 'vae-oid.npz') : m.dir}\n`);
      }
    });
}
