/**
 * `waterline tokens decode "<loc…><seg…> water ; …" -o mask.png` and `waterline tokens encode mask.png`:
 * PaliGemma segmentation tokens ⇄ masks through the big_vision VAE, for inspection and debugging.
 */
import type { Command } from 'commander';
import { assertWritableFile } from '../adapters/files/writableOutput.ts';
import { parseSegmentationText } from '../core/tokens/segmentationParser.ts';
import { decodeInstancesToTileMasks } from '../adapters/vae/decodeInstanceMasks.ts';
import { encodeWaterInstances } from '../adapters/vae/encodeWaterInstances.ts';
import { readMaskImage, writeMaskPng } from '../adapters/vae/maskImageFiles.ts';
import { loadSegmentationVae } from '../adapters/vae/segmentationVae.ts';
import { defaultVaePath } from '../adapters/vae/vaeCheckpoint.ts';
import type { CliContext } from './context.ts';
import { numberOption } from './numberOption.ts';

export function register(program: Command, ctx: CliContext): void {
  const tokens = program.command('tokens').description('PaliGemma segmentation tokens ⇄ masks (big_vision VAE)');
  const vaeHelp = `segmentation VAE checkpoint (default ${defaultVaePath(ctx.env.modelsDir)}, from \`waterline models pull vae\`)`;
  const warn = (m: string) => ctx.stderr.write(`warning: ${m}\n`);

  tokens
    .command('decode')
    .description('decode `<loc>`x4 `<seg>`x16 label instances into a 0/255 PNG mask')
    .argument('<text>', 'model output, e.g. "<loc0100><loc0200><loc0300><loc0400><seg012>… water ; …"')
    .usage('<text> -o <mask.png> [options]')
    .requiredOption('-o, --out <mask.png>', 'output PNG, required (0 = dry, 255 = water)')
    .option('--size <px>', 'model input size in pixels', '224')
    .option('--threshold <logit>', 'water where the decoded logit is above this', '0')
    .option('--vae <path>', vaeHelp)
    .option('--json', 'print instances and defects as JSON')
    .action(async (text: string, opts: { out: string; size: string; threshold: string; vae?: string; json?: boolean }) => {
      const size = numberOption('size', opts.size, { integer: true, min: 1 });
      const threshold = numberOption('threshold', opts.threshold);
      await assertWritableFile(opts.out, '-o');
      const parsed = parseSegmentationText(text, { size });
      const vae = await loadSegmentationVae(opts.vae ?? defaultVaePath(ctx.env.modelsDir), { onWarning: warn });
      try {
        const { mask, drawn } = await decodeInstancesToTileMasks(parsed.instances, size, vae, { threshold });
        await writeMaskPng(opts.out, mask, size, size);
        const water = mask.reduce((a, v) => a + v, 0);
        if (opts.json) {
          ctx.stdout.write(`${JSON.stringify({ ...parsed, drawn, waterPixels: water, out: opts.out }, null, 2)}\n`);
        } else {
          for (const d of parsed.defects) ctx.stderr.write(`defect ${d.kind}: ${d.message}\n`);
          ctx.stdout.write(`${parsed.instances.length} instance(s), ${drawn} drawn, ${parsed.defects.length} defect(s); ${water} water px of ${size * size} → ${opts.out}\n`);
        }
      } finally {
        await vae.dispose();
      }
    });

  tokens
    .command('encode')
    .description('encode a water mask image (white ≥128 = water) into PaliGemma segmentation tokens')
    .argument('<mask>', 'mask image (PNG/JPEG/TIFF)')
    .option('--max-instances <n>', 'keep the N largest connected water regions', '10')
    .option('--min-area <px>', 'ignore regions smaller than this', '1')
    .option('--label <text>', 'instance label', 'water')
    .option('--vae <path>', vaeHelp)
    .option('--json', 'print instances as JSON')
    .action(async (maskPath: string, opts: { maxInstances: string; minArea: string; label: string; vae?: string; json?: boolean }) => {
      const maxInstances = numberOption('max-instances', opts.maxInstances, { integer: true, min: 1 });
      const minArea = numberOption('min-area', opts.minArea);
      const mask = await readMaskImage(maskPath);
      const vae = await loadSegmentationVae(opts.vae ?? defaultVaePath(ctx.env.modelsDir), { onWarning: warn });
      try {
        const enc = await encodeWaterInstances(mask.data, mask.width, mask.height, vae, { maxInstances, minArea, label: opts.label });
        if (opts.json) ctx.stdout.write(`${JSON.stringify({ width: mask.width, height: mask.height, ...enc }, null, 2)}\n`);
        else ctx.stdout.write(`${enc.suffix}\n`);
      } finally {
        await vae.dispose();
      }
    });
}
