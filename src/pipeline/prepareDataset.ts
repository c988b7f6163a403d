/**
 * PaliGemma fine-tuning data from image/mask pairs: for each pair, the image resized to the model
 * input (224 px, bicubic) as PNG, and one JSONL line `{"image","prefix","suffix"}` in train.jsonl or
 * val.jsonl, the suffix being the VAE-encoded water instances (see adapters/vae/encodeWaterInstances).
 *
 * - Masks are read at their own resolution, thresholded at 128, split into connected regions and
 *   encoded there (boxes are relative, so no detail is lost to resizing first — as big_vision's data
 *   prep does; tiny regions may become sub-pixel boxes at 224 px, which the parser widens to 1 px).
 * - Split: a pair goes to val when a stable hash of its name falls below `valFraction`.
 * - Water-free pairs (empty suffix) are kept for a stable `emptyRatio` fraction of them.
 * - Resumable: items already listed in train/val.jsonl are skipped; new lines are appended.
 * - A pair that cannot be read is reported in `failed` and skipped.
 */
import { existsSync, readFileSync } from 'node:fs';
import { appendFile, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { InputError, describeError } from '../core/errors.ts';
import { encodeWaterInstances } from '../adapters/vae/encodeWaterInstances.ts';
import { readMaskImage } from '../adapters/vae/maskImageFiles.ts';
import { readImageFileSize } from '../adapters/images/imageFileSize.ts';
import { writeStretchedImagePng } from '../adapters/images/stretchedImageFiles.ts';
import type { SegmentationVae } from '../adapters/vae/segmentationVae.ts';
import type { ImageMaskPair } from '../adapters/files/imageMaskPairs.ts';

export interface PrepareOptions {
  outDir: string;
  prompt?: string;
  label?: string;
  size?: number;
  valFraction?: number;
  maxInstances?: number;
  emptyRatio?: number;
  minArea?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface PrepareResult {
  written: { train: number; val: number };
  skippedExisting: number;
  skippedEmpty: number;
  failed: { name: string; reason: string }[];
  instances: number;
}

/** Stable hash of a name to [0,1) (FNV-1a), salted per use: the split and empty-keep draws. */
export function unitHash(text: string, salt: string): number {
  let h = 0x811c9dc5;
  for (const ch of salt + text) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h / 2 ** 32;
}

/** `image` values already in a JSONL file (what a resumed run skips). */
export function listedImages(file: string): Set<string> {
  const out = new Set<string>();
  if (!existsSync(file)) return out;
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.add((JSON.parse(line) as { image: string }).image);
    } catch {
      // a torn last line from an interrupted run: that item is redone
    }
  }
  return out;
}

export async function prepareFromPairs(pairs: ImageMaskPair[], vae: SegmentationVae, options: PrepareOptions): Promise<PrepareResult> {
  const size = options.size ?? 224;
  const prompt = options.prompt ?? 'segment water';
  const valFraction = options.valFraction ?? 0.1;
  const emptyRatio = options.emptyRatio ?? 0.2;
  await mkdir(join(options.outDir, 'images'), { recursive: true });
  const files = { train: join(options.outDir, 'train.jsonl'), val: join(options.outDir, 'val.jsonl') };
  const done = new Set([...listedImages(files.train), ...listedImages(files.val)]);
  const result: PrepareResult = { written: { train: 0, val: 0 }, skippedExisting: 0, skippedEmpty: 0, failed: [], instances: 0 };
  let n = 0;
  for (const pair of pairs) {
    options.onProgress?.(n++, pairs.length);
    const imageRel = `images/${pair.stem}.png`;
    if (done.has(imageRel)) {
      result.skippedExisting++;
      continue;
    }
    try {
      const mask = await readMaskImage(pair.mask);
      const meta = await readImageFileSize(pair.image);
      if (meta.width !== mask.width || meta.height !== mask.height) {
        throw new InputError('pair_size_mismatch', `image is ${meta.width}x${meta.height} but mask is ${mask.width}x${mask.height}`);
      }
      const enc = await encodeWaterInstances(mask.data, mask.width, mask.height, vae, {
        maxInstances: options.maxInstances ?? 10, minArea: options.minArea ?? 1, label: options.label ?? 'water',
      });
      if (enc.instances.length === 0 && unitHash(pair.stem, 'empty') >= emptyRatio) {
        result.skippedEmpty++;
        continue;
      }
      await writeStretchedImagePng(pair.image, join(options.outDir, imageRel), size);
      const split = unitHash(pair.stem, 'split') < valFraction ? 'val' : 'train';
      await appendFile(files[split], `${JSON.stringify({ image: imageRel, prefix: prompt, suffix: enc.suffix })}\n`);
      result.written[split]++;
      result.instances += enc.instances.length;
    } catch (err) {
      result.failed.push({ name: pair.stem, reason: describeError(err) });
    }
  }
  options.onProgress?.(pairs.length, pairs.length);
  return result;
}
