/**
 * A PaliGemma model directory in the onnx-community / transformers.js export layout:
 *
 *   config.json, preprocessor_config.json, tokenizer.json, generation_config.json
 *   onnx/vision_encoder{suffix}.onnx, onnx/embed_tokens{suffix}.onnx, onnx/decoder_model_merged{suffix}.onnx
 *   (+ `*.onnx_data` external weights beside large graphs)
 *
 * Dimensions (image size, hidden size, layers, kv heads, head_dim) come from the files, never constants,
 * and are cross-checked against the graphs' declared inputs/outputs.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError, ModelError } from '../../core/errors.ts';

export const DTYPES = ['fp32', 'fp16', 'q8', 'q4', 'q4f16', 'int8', 'uint8', 'bnb4'] as const;
export type Dtype = (typeof DTYPES)[number];

/** File-name suffix of each dtype variant in the export. */
export const DTYPE_SUFFIX: Record<Dtype, string> = {
  fp32: '', fp16: '_fp16', q8: '_quantized', q4: '_q4', q4f16: '_q4f16', int8: '_int8', uint8: '_uint8', bnb4: '_bnb4',
};

export const PALIGEMMA_GRAPHS = ['vision_encoder', 'embed_tokens', 'decoder_model_merged'] as const;

export function parseDtype(value: string | undefined): Dtype {
  const v = (value ?? 'fp32').toLowerCase();
  if (!(DTYPES as readonly string[]).includes(v)) {
    throw new InputError('bad_dtype', `unknown dtype "${value}"`, { hint: `use one of ${DTYPES.join(', ')}` });
  }
  return v as Dtype;
}

export interface PaliGemmaConfig {
  /** `paligemma` (Gemma text model) or `paligemma2` (Gemma 2). */
  family: 'paligemma' | 'paligemma2';
  imageSize: number;
  patchSize: number;
  numImageTokens: number;
  hidden: number;
  layers: number;
  heads: number;
  kvHeads: number;
  headDim: number;
  vocabSize: number;
  imageMean: [number, number, number];
  imageStd: [number, number, number];
  /** 1/255 unless preprocessor_config says otherwise. */
  rescaleFactor: number;
  eosIds: number[];
  /** Default max tokens from generation_config.json, when present. */
  maxLength?: number;
}

export interface PaliGemmaModelDir {
  dir: string;
  name: string;
  dtype: Dtype;
  config: PaliGemmaConfig;
  files: Record<(typeof PALIGEMMA_GRAPHS)[number], string>;
}

/** True when `dir` looks like a PaliGemma export (config.json with model_type paligemma and an onnx/ folder). */
export function isPaliGemmaDir(dir: string): boolean {
  const cfg = join(dir, 'config.json');
  if (!existsSync(cfg) || !existsSync(join(dir, 'onnx'))) return false;
  try {
    return JSON.parse(readFileSync(cfg, 'utf8')).model_type === 'paligemma';
  } catch {
    return false;
  }
}

function readJson(file: string, required: boolean): any {
  if (!existsSync(file)) {
    if (!required) return undefined;
    throw new ModelError('model_file_missing', `${file} is missing`, { hint: 'a PaliGemma model directory needs config.json, preprocessor_config.json, tokenizer.json and onnx/*.onnx; re-run `waterline models pull`' });
  }
  try {
    return JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ModelError('model_file_invalid', `${file} is not valid JSON: ${(err as Error).message}`, { cause: err });
  }
}

function positiveInt(value: unknown, what: string, file: string): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new ModelError('model_config_invalid', `${file}: ${what} must be a positive integer, got ${JSON.stringify(value)}`, { hint: 'the config does not match the PaliGemma export layout' });
  }
  return value;
}

/** Read config.json / preprocessor_config.json / generation_config.json into the numbers the runtime needs. */
export function readPaliGemmaConfig(dir: string): PaliGemmaConfig {
  const cfgFile = join(dir, 'config.json');
  const cfg = readJson(cfgFile, true);
  if (cfg.model_type !== 'paligemma') {
    throw new ModelError('model_config_invalid', `${cfgFile}: model_type is "${cfg.model_type}", expected "paligemma"`, { hint: 'point --model at a PaliGemma ONNX export' });
  }
  const text = cfg.text_config ?? {};
  const vision = cfg.vision_config ?? {};
  const pre = readJson(join(dir, 'preprocessor_config.json'), true);
  const gen = readJson(join(dir, 'generation_config.json'), false) ?? {};
  const family = text.model_type === 'gemma2' ? 'paligemma2' : 'paligemma';
  // Defaults are those of transformers' PaliGemma 1 configs, used only where the file leaves them out.
  const hidden = positiveInt(text.hidden_size ?? 2048, 'text_config.hidden_size', cfgFile);
  const heads = positiveInt(text.num_attention_heads ?? 8, 'text_config.num_attention_heads', cfgFile);
  const kvHeads = positiveInt(text.num_key_value_heads ?? (family === 'paligemma' ? 1 : heads), 'text_config.num_key_value_heads', cfgFile);
  const headDim = positiveInt(text.head_dim ?? (family === 'paligemma' && hidden === 2048 ? 256 : hidden / heads), 'text_config.head_dim', cfgFile);
  const layers = positiveInt(text.num_hidden_layers ?? 18, 'text_config.num_hidden_layers', cfgFile);
  const size = pre.size ?? {};
  const imageSize = positiveInt(size.height ?? size.shortest_edge ?? vision.image_size ?? 224, 'preprocessor_config.size.height', join(dir, 'preprocessor_config.json'));
  const patchSize = positiveInt(vision.patch_size ?? 14, 'vision_config.patch_size', cfgFile);
  const numImageTokens = positiveInt(vision.num_image_tokens ?? text.num_image_tokens ?? (imageSize / patchSize) ** 2, 'vision_config.num_image_tokens', cfgFile);
  const triple = (v: unknown, d: number): [number, number, number] => {
    if (Array.isArray(v) && v.length === 3) return v as [number, number, number];
    if (typeof v === 'number') return [v, v, v];
    return [d, d, d];
  };
  const eos = gen.eos_token_id ?? cfg.eos_token_id ?? 1;
  return {
    family, imageSize, patchSize, numImageTokens, hidden, layers, heads, kvHeads, headDim,
    vocabSize: positiveInt(text.vocab_size ?? cfg.vocab_size ?? 257216, 'text_config.vocab_size', cfgFile),
    imageMean: triple(pre.image_mean, 0.5),
    imageStd: triple(pre.image_std, 0.5),
    rescaleFactor: pre.do_rescale === false ? 1 : (pre.rescale_factor ?? 1 / 255),
    eosIds: Array.isArray(eos) ? eos : [eos],
    maxLength: typeof gen.max_length === 'number' ? gen.max_length : undefined,
  };
}

/** Locate the graph files for `dtype`; a missing one is an error naming the file. */
export function openPaliGemmaModelDir(dir: string, dtype: Dtype = 'fp32'): PaliGemmaModelDir {
  if (!existsSync(dir)) {
    throw new ModelError('model_not_found', `model directory not found: ${dir}`, { hint: 'pass a PaliGemma export directory or a name from `waterline models list`' });
  }
  const config = readPaliGemmaConfig(dir);
  if (!existsSync(join(dir, 'tokenizer.json'))) {
    throw new ModelError('model_file_missing', `${join(dir, 'tokenizer.json')} is missing`, { hint: 're-run `waterline models pull`' });
  }
  const suffix = DTYPE_SUFFIX[dtype];
  const files = {} as PaliGemmaModelDir['files'];
  for (const graph of PALIGEMMA_GRAPHS) {
    const file = join(dir, 'onnx', `${graph}${suffix}.onnx`);
    if (!existsSync(file)) {
      throw new ModelError('model_file_missing', `${file} is missing (the ${dtype} variant of ${graph})`, {
        hint: `pull that variant with \`waterline models pull <repo> --dtype ${dtype}\` or choose another --dtype`,
      });
    }
    files[graph] = file;
  }
  const name = readJson(join(dir, 'config.json'), true)._name_or_path || dir;
  return { dir, name, dtype, config, files };
}

/** One declared graph input or output, as onnxruntime reports it. */
export interface DeclaredValue {
  name: string;
  type?: string;
  shape?: readonly (number | string)[];
}

/**
 * Check a graph's declared inputs/outputs: names present, and fixed dims equal to `expected` (a string in
 * `expected` is a free dim). Errors name the file and what was expected.
 */
export function checkDeclared(file: string, kind: 'input' | 'output', declared: readonly DeclaredValue[], expected: Record<string, (number | string)[]>): void {
  for (const [name, dims] of Object.entries(expected)) {
    const got = declared.find((d) => d.name === name);
    if (!got) {
      throw new ModelError('model_graph_mismatch', `${file} has no ${kind} "${name}"; its ${kind}s are ${declared.map((d) => d.name).join(', ')}`, {
        hint: 'the file does not match the PaliGemma export layout (transformers.js / onnx-community)',
      });
    }
    const shape = got.shape;
    if (!shape || shape.length === 0) continue;
    const bad = shape.length !== dims.length || dims.some((d, i) => typeof d === 'number' && typeof shape[i] === 'number' && shape[i] !== d);
    if (bad) {
      throw new ModelError('model_graph_mismatch', `${file}: ${kind} "${name}" has shape [${shape.join(',')}], expected [${dims.join(',')}] from config.json`, {
        hint: 'config.json and the ONNX graphs disagree; re-download the model',
      });
    }
  }
}
