/**
 * The big_vision segmentation VAE, loaded from `vae-oid.npz` and run with onnxruntime:
 * `decode` turns 16 codebook indices into 64x64 mask logits (water where > 0), `encode` turns 64x64
 * masks into 16 codebook indices (nearest codebook row, squared L2, computed here in float64).
 */
import { ModelError } from '../../core/errors.ts';
import { SEG_CODES_PER_MASK, SEG_COUNT } from '../../core/tokens/paligemmaTokens.ts';
import { createOnnxSession, ort, type Device, type OnnxSession } from '../onnx/onnxSession.ts';
import { loadVaeCheckpoint, type LoadVaeOptions } from './vaeCheckpoint.ts';
import { buildVaeDecoderGraph, buildVaeEncoderGraph } from './vaeOnnxGraphs.ts';

export const VAE_MASK_SIZE = 64;
const EMBED_DIM = 512;
const MAX_BATCH = 64;

export interface SegmentationVae {
  readonly path: string;
  readonly sha256: string;
  readonly isOfficial: boolean;
  readonly provider: string;
  /** Codes (each 16 ints 0..127) → 64x64 logits per instance, row-major. */
  decode(codes: readonly (readonly number[])[]): Promise<Float32Array[]>;
  /** 64x64 masks in [0,1] (row-major) → 16 codes each, and the pre-quantization embeddings [16*512]. */
  encode(masks: readonly Float32Array[]): Promise<{ codes: number[][]; embeddings: Float32Array[] }>;
  dispose(): Promise<void>;
}

export interface LoadSegmentationVaeOptions extends LoadVaeOptions {
  device?: Device;
  intraOpNumThreads?: number;
}

export async function loadSegmentationVae(path: string, options: LoadSegmentationVaeOptions = {}): Promise<SegmentationVae> {
  const ckpt = loadVaeCheckpoint(path, options);
  const sessionOptions = { device: options.device ?? 'cpu', intraOpNumThreads: options.intraOpNumThreads, onFallback: options.onWarning };
  let decoder: OnnxSession | undefined;
  let encoder: OnnxSession | undefined;
  const codebook = ckpt.arrays.get('_vq_vae._embedding')!.data;
  const codebookNorms = new Float64Array(SEG_COUNT);
  for (let c = 0; c < SEG_COUNT; c++) {
    let s = 0;
    for (let d = 0; d < EMBED_DIM; d++) s += codebook[c * EMBED_DIM + d] ** 2;
    codebookNorms[c] = s;
  }

  const run = async (session: OnnxSession, feeds: Record<string, ort.Tensor>, output: string): Promise<Float32Array> => {
    try {
      const result = await session.session.run(feeds);
      return result[output].data as Float32Array;
    } catch (err) {
      throw new ModelError('vae_run_failed', `the segmentation VAE (${path}) failed to run: ${(err as Error).message.split('\n')[0]}`, { cause: err });
    }
  };

  return {
    path,
    sha256: ckpt.sha256,
    isOfficial: ckpt.isOfficial,
    get provider() {
      return (decoder ?? encoder)?.provider ?? sessionOptions.device;
    },
    async decode(codes) {
      const out: Float32Array[] = [];
      if (codes.length === 0) return out;
      decoder ??= await createOnnxSession(buildVaeDecoderGraph(ckpt.arrays), sessionOptions);
      for (let start = 0; start < codes.length; start += MAX_BATCH) {
        const batch = codes.slice(start, start + MAX_BATCH);
        const ids = new BigInt64Array(batch.length * SEG_CODES_PER_MASK);
        batch.forEach((c, b) => {
          if (c.length !== SEG_CODES_PER_MASK || c.some((v) => !Number.isInteger(v) || v < 0 || v >= SEG_COUNT)) {
            throw new ModelError('vae_bad_codes', `VAE decode needs 16 codes in 0..127, got [${c.join(',')}]`);
          }
          c.forEach((v, k) => (ids[b * SEG_CODES_PER_MASK + k] = BigInt(v)));
        });
        const logits = await run(decoder, { codes: new ort.Tensor('int64', ids, [batch.length, SEG_CODES_PER_MASK]) }, 'logits');
        const n = VAE_MASK_SIZE * VAE_MASK_SIZE;
        for (let b = 0; b < batch.length; b++) out.push(logits.slice(b * n, (b + 1) * n));
      }
      return out;
    },
    async encode(masks) {
      const codes: number[][] = [];
      const embeddings: Float32Array[] = [];
      if (masks.length === 0) return { codes, embeddings };
      encoder ??= await createOnnxSession(buildVaeEncoderGraph(ckpt.arrays), sessionOptions);
      const n = VAE_MASK_SIZE * VAE_MASK_SIZE;
      for (let start = 0; start < masks.length; start += MAX_BATCH) {
        const batch = masks.slice(start, start + MAX_BATCH);
        const input = new Float32Array(batch.length * n);
        batch.forEach((m, b) => {
          if (m.length !== n) throw new ModelError('vae_bad_mask', `VAE encode needs 64x64 masks, got ${m.length} values`);
          for (let k = 0; k < n; k++) input[b * n + k] = 2 * (m[k] - 0.5);
        });
        const z = await run(encoder, { mask: new ort.Tensor('float32', input, [batch.length, 1, VAE_MASK_SIZE, VAE_MASK_SIZE]) }, 'embeddings');
        for (let b = 0; b < batch.length; b++) {
          const emb = z.slice(b * SEG_CODES_PER_MASK * EMBED_DIM, (b + 1) * SEG_CODES_PER_MASK * EMBED_DIM);
          embeddings.push(emb);
          codes.push(nearestCodes(emb, codebook, codebookNorms));
        }
      }
      return { codes, embeddings };
    },
    async dispose() {
      await decoder?.session.release();
      await encoder?.session.release();
      decoder = encoder = undefined;
    },
  };
}

/** Per position, the codebook row with the smallest squared L2 distance (first on ties). */
function nearestCodes(emb: Float32Array, codebook: Float32Array, norms: Float64Array): number[] {
  const out: number[] = [];
  for (let p = 0; p < SEG_CODES_PER_MASK; p++) {
    let best = 0;
    let bestD = Infinity;
    for (let c = 0; c < SEG_COUNT; c++) {
      let dot = 0;
      for (let d = 0; d < EMBED_DIM; d++) dot += emb[p * EMBED_DIM + d] * codebook[c * EMBED_DIM + d];
      const dist = norms[c] - 2 * dot;
      if (dist < bestD) {
        bestD = dist;
        best = c;
      }
    }
    out.push(best);
  }
  return out;
}
