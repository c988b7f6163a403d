/**
 * Batched greedy generation for a PaliGemma export with a KV cache.
 *
 * Prefill: image features (vision_encoder) followed by the embedded `<bos>` prompt `\n` form one prefix
 * per tile; the whole prefix goes through decoder_model_merged in one call with attention_mask all ones,
 * position ids 1..P (1-based like transformers.js / transformers' PaliGemma), and empty past tensors
 * [B, kv_heads, 0, head_dim]. Each following step feeds one token per sequence with position P+t+1,
 * attention_mask of length P+t+1 and the previous `present.*` as `past_key_values.*`. A batch of tiles
 * shares one prompt, hence one prefix length, so no padding is needed. Sequences that finished (eos or
 * grammar complete) keep running with `<pad>` input and their output is ignored.
 */
import { CancelledError, ModelError } from '../../core/errors.ts';
import { EOS_ID, PAD_ID } from '../../core/tokens/paligemmaTokens.ts';
import { argmaxInRanges, initialSegGrammarState, type SegGrammar, type SegGrammarState } from '../../core/tokens/segGrammar.ts';
import { ort, type OnnxSession } from './onnxSession.ts';
import { fromHalf, toHalf } from './float16.ts';
import type { PaliGemmaConfig } from './paligemmaModelDir.ts';

export interface PaliGemmaSessions {
  vision: OnnxSession;
  embed: OnnxSession;
  decoder: OnnxSession;
}

export interface GenerateOptions {
  /** Most generated tokens per sequence (eos included). */
  maxNewTokens: number;
  /** Constrain decoding to the segmentation grammar; null/undefined = plain greedy. */
  grammar?: SegGrammar | null;
  signal?: AbortSignal;
  /** Called after each decoding step with the number of tokens produced in the batch. */
  onStep?: (tokens: number) => void;
}

export interface GenerationResult {
  /** Generated ids per sequence, eos excluded. */
  ids: number[][];
  /** Decoder calls made (prefill included). */
  steps: number;
}

type FloatType = 'float32' | 'float16';

function inputType(s: OnnxSession, name: string): FloatType {
  const meta = s.session.inputMetadata.find((m) => m.name === name);
  return meta && meta.isTensor && meta.type === 'float16' ? 'float16' : 'float32';
}

function floatTensor(type: FloatType, data: Float32Array, dims: number[]): ort.Tensor {
  return type === 'float16' ? new ort.Tensor('float16', toHalf(data), dims) : new ort.Tensor('float32', data, dims);
}

function int64Tensor(values: ArrayLike<number>, dims: number[]): ort.Tensor {
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]);
  return new ort.Tensor('int64', data, dims);
}

/** Last-position logits of sequence b as float32 (a view when the output already is float32). */
function lastLogits(logits: ort.Tensor, b: number): Float32Array {
  const [, s, v] = logits.dims as number[];
  const start = (b * s + s - 1) * v;
  if (logits.type === 'float16') return fromHalf(logits.data as Uint16Array, start, start + v);
  return (logits.data as Float32Array).subarray(start, start + v);
}

/** Copy rows of `src` ([B, n, H] or [1, n, H] broadcast) into `dst` ([B, P, H]) at sequence offset `at`. */
function placeRows(dst: Float32Array | Uint16Array, src: Float32Array | Uint16Array, batch: number, n: number, hidden: number, prefix: number, at: number, broadcast: boolean): void {
  for (let b = 0; b < batch; b++) {
    const from = broadcast ? 0 : b * n * hidden;
    dst.set(src.subarray(from, from + n * hidden), (b * prefix + at) * hidden);
  }
}

async function run(s: OnnxSession, feeds: Record<string, ort.Tensor>, what: string): Promise<ort.InferenceSession.OnnxValueMapType> {
  try {
    return await s.session.run(feeds);
  } catch (err) {
    throw new ModelError('model_run_failed', `${s.source} failed during ${what}: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
}

/**
 * Generate for a batch: `pixelValues` [B,3,S,S] float32, `textIds` the `<bos>` prompt `\n` ids (without the
 * `<image>` placeholders, whose embeddings are the image features).
 */
export async function generatePaliGemma(
  sessions: PaliGemmaSessions,
  config: PaliGemmaConfig,
  pixelValues: Float32Array,
  batch: number,
  textIds: number[],
  options: GenerateOptions,
): Promise<GenerationResult> {
  const { vision, embed, decoder } = sessions;
  const size = config.imageSize;
  const checkAbort = () => {
    if (options.signal?.aborted) throw new CancelledError('generation cancelled');
  };
  checkAbort();

  const visionOut = await run(vision, { pixel_values: floatTensor(inputType(vision, 'pixel_values'), pixelValues, [batch, 3, size, size]) }, 'image encoding');
  const features = visionOut.image_features as ort.Tensor;
  const [, nImage, hidden] = features.dims as number[];
  if (hidden !== config.hidden) {
    throw new ModelError('model_graph_mismatch', `${vision.source}: image_features has hidden size ${hidden}, config.json says ${config.hidden}`);
  }
  const textOut = await run(embed, { input_ids: int64Tensor(textIds, [1, textIds.length]) }, 'prompt embedding');
  const textEmbeds = textOut.inputs_embeds as ort.Tensor;

  const embedsType = inputType(decoder, 'inputs_embeds');
  const prefix = nImage + textIds.length;
  const asType = (t: ort.Tensor): Float32Array | Uint16Array => {
    if (t.type === embedsType) return t.data as Float32Array | Uint16Array;
    return t.type === 'float16' ? fromHalf(t.data as Uint16Array) : toHalf(t.data as Float32Array);
  };
  const prefixData = embedsType === 'float16' ? new Uint16Array(batch * prefix * hidden) : new Float32Array(batch * prefix * hidden);
  placeRows(prefixData, asType(features), batch, nImage, hidden, prefix, 0, false);
  placeRows(prefixData, asType(textEmbeds), batch, textIds.length, hidden, prefix, nImage, true);

  const hasMask = decoder.session.inputNames.includes('attention_mask');
  const pastType = inputType(decoder, 'past_key_values.0.key');
  let past: Record<string, ort.Tensor> = {};
  for (let i = 0; i < config.layers; i++) {
    for (const kv of ['key', 'value']) {
      past[`past_key_values.${i}.${kv}`] = new ort.Tensor(pastType, pastType === 'float16' ? new Uint16Array(0) : new Float32Array(0), [batch, config.kvHeads, 0, config.headDim]);
    }
  }

  const ids: number[][] = Array.from({ length: batch }, () => []);
  const finished = new Array<boolean>(batch).fill(false);
  const states: SegGrammarState[] = Array.from({ length: batch }, () => initialSegGrammarState());
  const eos = new Set([EOS_ID, ...config.eosIds]);
  let inputsEmbeds = new ort.Tensor(embedsType, prefixData, [batch, prefix, hidden]);
  let positions = Array.from({ length: batch * prefix }, (_, k) => (k % prefix) + 1);
  let total = prefix;
  let steps = 0;

  for (let t = 0; t < options.maxNewTokens; t++) {
    checkAbort();
    const seq = inputsEmbeds.dims[1];
    const feeds: Record<string, ort.Tensor> = { ...past, inputs_embeds: inputsEmbeds, position_ids: int64Tensor(positions, [batch, seq]) };
    if (hasMask) feeds.attention_mask = int64Tensor(new Array<number>(batch * total).fill(1), [batch, total]);
    const out = await run(decoder, feeds, `decoding step ${t}`);
    steps++;
    const logits = out.logits as ort.Tensor;
    const next: number[] = [];
    let produced = 0;
    for (let b = 0; b < batch; b++) {
      if (finished[b]) {
        next.push(PAD_ID);
        continue;
      }
      const row = lastLogits(logits, b);
      let id: number;
      if (options.grammar) {
        const ranges = options.grammar.allowed(states[b]);
        id = ranges.length ? argmaxInRanges(row, ranges) : EOS_ID;
        states[b] = options.grammar.advance(states[b], id);
      } else {
        id = argmaxInRanges(row, [[0, row.length]]);
      }
      produced++;
      if (eos.has(id)) finished[b] = true;
      else {
        ids[b].push(id);
        if (options.grammar && states[b].phase === 'done') finished[b] = true;
      }
      next.push(finished[b] ? PAD_ID : id);
    }
    options.onStep?.(produced);
    if (finished.every(Boolean) || t + 1 === options.maxNewTokens) break;

    past = {};
    for (let i = 0; i < config.layers; i++) {
      past[`past_key_values.${i}.key`] = out[`present.${i}.key`] as ort.Tensor;
      past[`past_key_values.${i}.value`] = out[`present.${i}.value`] as ort.Tensor;
    }
    const embedded = (await run(embed, { input_ids: int64Tensor(next, [batch, 1]) }, 'token embedding')).inputs_embeds as ort.Tensor;
    inputsEmbeds = new ort.Tensor(embedsType, asType(embedded), [batch, 1, hidden]);
    total += 1;
    positions = new Array<number>(batch).fill(total);
  }
  return { ids, steps };
}
