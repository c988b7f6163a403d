/**
 * The PaliGemma Segmenter: tiles → pixel values (sharp) → batched greedy generation with the KV cache
 * (grammar-constrained by default) → text → parsed instances → per-tile probability via the VAE.
 */
import type { Logger } from '../../logger.ts';
import { ModelError } from '../../core/errors.ts';
import type { ModelTile, Segmenter, SegmenterInfo, SegmentOptions, TileSegmentation } from '../../core/model/segmenter.ts';
import { parseSegmentationIds, type SegmentationInstance } from '../../core/tokens/segmentationParser.ts';
import { SegGrammar } from '../../core/tokens/segGrammar.ts';
import { SEG_CODES_PER_MASK, LOCS_PER_BOX } from '../../core/tokens/paligemmaTokens.ts';
import { loadPaliGemmaTokenizer, type PaliGemmaTokenizer } from '../tokenizer/paligemmaTokenizer.ts';
import { createOnnxSession, type Device, type OnnxSession } from './onnxSession.ts';
import { checkDeclared, openPaliGemmaModelDir, type Dtype, type PaliGemmaModelDir } from './paligemmaModelDir.ts';
import { generatePaliGemma, type PaliGemmaSessions } from './paligemmaGenerator.ts';
import { tilesToPixelValues } from './paligemmaPreprocess.ts';

/**
 * Turns a tile's parsed instances into a water probability of `size`x`size` (the VAE decoder in
 * production). Instances without codes draw nothing (parser rule).
 */
export type InstanceMaskDecoder = (instances: SegmentationInstance[], size: number) => Promise<Float32Array>;

export interface PaliGemmaSegmenterOptions {
  device?: Device;
  dtype?: Dtype;
  /** Grammar-constrained decoding (default on). */
  grammar?: boolean;
  /** Most instances per tile (default 8). */
  maxInstances?: number;
  /** Most label tokens per instance (default 8). */
  maxLabelTokens?: number;
  /** Most generated tokens per tile (default: enough for maxInstances full instances). */
  maxNewTokens?: number;
  /** Instances → probability (the VAE). Without one, a tile with a mask instance is an error. */
  decodeInstances?: InstanceMaskDecoder;
  logger?: Logger;
  intraOpNumThreads?: number;
  /** Most tiles per generation batch (default 8). */
  maxBatch?: number;
}

export interface PaliGemmaSegmenter extends Segmenter {
  readonly model: PaliGemmaModelDir;
  readonly tokenizer: PaliGemmaTokenizer;
  /** Generated ids per tile (eos excluded), for tests and debugging. */
  generateIds(tiles: ModelTile[], options: SegmentOptions): Promise<number[][]>;
}

function validateSessions(model: PaliGemmaModelDir, s: PaliGemmaSessions): void {
  const c = model.config;
  const meta = (o: OnnxSession, kind: 'input' | 'output') => (kind === 'input' ? o.session.inputMetadata : o.session.outputMetadata)
    .map((m) => ({ name: m.name, shape: m.isTensor ? m.shape : undefined }));
  checkDeclared(model.files.vision_encoder, 'input', meta(s.vision, 'input'), { pixel_values: ['batch_size', 3, c.imageSize, c.imageSize] });
  checkDeclared(model.files.vision_encoder, 'output', meta(s.vision, 'output'), { image_features: ['batch_size', 'num_image_tokens', c.hidden] });
  checkDeclared(model.files.embed_tokens, 'input', meta(s.embed, 'input'), { input_ids: ['batch_size', 'sequence_length'] });
  checkDeclared(model.files.embed_tokens, 'output', meta(s.embed, 'output'), { inputs_embeds: ['batch_size', 'sequence_length', c.hidden] });
  const kv: Record<string, (number | string)[]> = {};
  const present: Record<string, (number | string)[]> = {};
  for (let i = 0; i < c.layers; i++) {
    for (const x of ['key', 'value']) {
      kv[`past_key_values.${i}.${x}`] = ['batch_size', c.kvHeads, 'past_sequence_length', c.headDim];
      present[`present.${i}.${x}`] = ['batch_size', c.kvHeads, 'total_sequence_length', c.headDim];
    }
  }
  checkDeclared(model.files.decoder_model_merged, 'input', meta(s.decoder, 'input'), { inputs_embeds: ['batch_size', 'sequence_length', c.hidden], position_ids: ['batch_size', 'sequence_length'], ...kv });
  checkDeclared(model.files.decoder_model_merged, 'output', meta(s.decoder, 'output'), { logits: ['batch_size', 'sequence_length', c.vocabSize], ...present });
  const extra = s.decoder.session.inputNames.filter((n) => n.startsWith('past_key_values.') && !(n in kv));
  if (extra.length) {
    throw new ModelError('model_graph_mismatch', `${model.files.decoder_model_merged} has ${extra.length} more past_key_values inputs than the ${c.layers} layers in config.json (e.g. ${extra[0]})`, { hint: 'config.json and the ONNX graphs disagree; re-download the model' });
  }
}

/** Open a PaliGemma export directory and create its three sessions on `device`. */
export async function loadPaliGemmaSegmenter(dir: string, options: PaliGemmaSegmenterOptions = {}): Promise<PaliGemmaSegmenter> {
  const model = openPaliGemmaModelDir(dir, options.dtype ?? 'fp32');
  const tokenizer = loadPaliGemmaTokenizer(dir);
  const log = options.logger;
  const sessionOptions = {
    device: options.device ?? 'auto',
    intraOpNumThreads: options.intraOpNumThreads,
    onFallback: (message: string) => log?.warn({ model: model.name }, message),
  };
  const vision = await createOnnxSession(model.files.vision_encoder, sessionOptions);
  const embed = await createOnnxSession(model.files.embed_tokens, { ...sessionOptions, device: vision.provider });
  const decoder = await createOnnxSession(model.files.decoder_model_merged, { ...sessionOptions, device: vision.provider });
  const sessions: PaliGemmaSessions = { vision, embed, decoder };
  try {
    validateSessions(model, sessions);
  } catch (err) {
    await Promise.all([vision.session.release(), embed.session.release(), decoder.session.release()]);
    throw err;
  }
  const c = model.config;
  const maxInstances = options.maxInstances ?? 8;
  const maxLabelTokens = options.maxLabelTokens ?? 8;
  const grammar = options.grammar === false ? null : new SegGrammar({ separatorIds: tokenizer.separatorIds(), maxInstances, maxLabelTokens, textEnd: tokenizer.vocabSize });
  const perInstance = LOCS_PER_BOX + SEG_CODES_PER_MASK + maxLabelTokens + tokenizer.separatorIds().length;
  const maxNewTokens = options.maxNewTokens ?? Math.min(maxInstances * perInstance + 1, c.maxLength ?? Infinity);
  const maxBatch = options.maxBatch ?? 8;
  const info: SegmenterInfo = { name: model.name, kind: 'paligemma', inputSize: c.imageSize, provider: vision.provider, usesPrompt: true };
  log?.info({ model: model.name, dir, dtype: model.dtype, provider: vision.provider, imageSize: c.imageSize, layers: c.layers, kvHeads: c.kvHeads, grammar: Boolean(grammar) }, 'PaliGemma model loaded');

  async function generateIds(tiles: ModelTile[], segmentOptions: SegmentOptions): Promise<number[][]> {
    const textIds = tokenizer.promptIds(segmentOptions.prompt, 0);
    const out: number[][] = [];
    for (let i = 0; i < tiles.length; i += maxBatch) {
      const batch = tiles.slice(i, i + maxBatch);
      const pixels = await tilesToPixelValues(batch, { imageSize: c.imageSize, mean: c.imageMean, std: c.imageStd, rescaleFactor: c.rescaleFactor });
      const result = await generatePaliGemma(sessions, c, pixels, batch.length, textIds, { maxNewTokens, grammar, signal: segmentOptions.signal });
      out.push(...result.ids);
    }
    return out;
  }

  return {
    info,
    model,
    tokenizer,
    generateIds,
    async segment(tiles, segmentOptions): Promise<TileSegmentation[]> {
      const all = await generateIds(tiles, segmentOptions);
      const results: TileSegmentation[] = [];
      for (let k = 0; k < tiles.length; k++) {
        const tile = tiles[k];
        const ids = all[k];
        const text = tokenizer.decode(ids);
        // Loc bins are relative (0..1023 over the model input), so boxes are parsed straight at the tile size.
        const parsed = parseSegmentationIds(ids, { size: tile.size, detokenize: (x) => tokenizer.decode(x) });
        const withMasks = parsed.instances.filter((inst) => inst.codes);
        let probability: Float32Array;
        if (withMasks.length === 0) probability = new Float32Array(tile.size * tile.size);
        else if (options.decodeInstances) probability = await options.decodeInstances(parsed.instances, tile.size);
        else {
          throw new ModelError('vae_missing', `tile ${tile.id}: ${model.name} produced ${withMasks.length} mask(s) but no VAE decoder is loaded`, { hint: 'run `waterline models pull vae` or pass --vae <vae-oid.npz>' });
        }
        results.push({ tileId: tile.id, probability, defects: parsed.defects, text });
      }
      return results;
    },
    async dispose() {
      await Promise.all([vision.session.release(), embed.session.release(), decoder.session.release()]);
    },
  };
}
