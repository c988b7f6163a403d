import { describe, expect, it, beforeAll } from 'vitest';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TINY_PALIGEMMA1, TINY_PALIGEMMA2, tinyPaliGemma } from '../helpers/tinyModels.ts';
import { loadPaliGemmaSegmenter } from '../../src/adapters/onnx/paligemmaSegmenter.ts';
import { openPaliGemmaModelDir, readPaliGemmaConfig } from '../../src/adapters/onnx/paligemmaModelDir.ts';
import { ort } from '../../src/adapters/onnx/onnxSession.ts';
import { tilesToPixelValues } from '../../src/adapters/onnx/paligemmaPreprocess.ts';
import type { ModelTile } from '../../src/core/model/segmenter.ts';
import { parseSegmentationIds } from '../../src/core/tokens/segmentationParser.ts';

function tile(k: number, size = 224): ModelTile {
  const rgb = new Uint8Array(size * size * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = (i * (k + 3) * 7 + k * 31) % 256;
  return { id: `t${k}`, size, rgb, valid: new Uint8Array(size * size).fill(1) };
}
const prompt = { prompt: 'segment water' };

describe('PaliGemma model directory', () => {
  it('reads dimensions from config.json for PaliGemma 1 and 2 layouts', () => {
    const c1 = readPaliGemmaConfig(tinyPaliGemma(TINY_PALIGEMMA1));
    expect([c1.family, c1.kvHeads, c1.layers, c1.headDim, c1.imageSize, c1.numImageTokens]).toEqual(['paligemma', 1, 2, 8, 28, 4]);
    const c2 = readPaliGemmaConfig(tinyPaliGemma(TINY_PALIGEMMA2));
    expect([c2.family, c2.kvHeads, c2.layers, c2.headDim, c2.hidden]).toEqual(['paligemma2', 2, 3, 6, 24]);
  });

  it('names the missing file of a dtype variant', () => {
    const dir = tinyPaliGemma(TINY_PALIGEMMA1);
    expect(() => openPaliGemmaModelDir(dir, 'q4')).toThrow(/onnx\/vision_encoder_q4\.onnx is missing \(the q4 variant of vision_encoder\)/);
  });

  it('rejects a config that disagrees with the graphs, naming the file and the expected shape', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'wl-badcfg-'));
    try {
      cpSync(tinyPaliGemma(TINY_PALIGEMMA2), dir, { recursive: true });
      const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8'));
      cfg.text_config.num_key_value_heads = 4;
      writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
      await expect(loadPaliGemmaSegmenter(dir, { device: 'cpu' })).rejects.toThrow(/decoder_model_merged\.onnx: input "past_key_values\.0\.key" has shape \[batch_size,2,past_sequence_length,6\], expected \[batch_size,4,past_sequence_length,6\]/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.each([['PaliGemma-1 style (1 kv head)', TINY_PALIGEMMA1], ['PaliGemma-2 style (2 kv heads, external data)', TINY_PALIGEMMA2]])('random-weight %s', (_name, spec) => {
  let dir: string;
  beforeAll(() => { dir = tinyPaliGemma(spec); });

  it('grammar-constrained generation is always parseable, and a batch equals single-tile runs', async () => {
    const s = await loadPaliGemmaSegmenter(dir, { device: 'cpu', maxInstances: 2, maxLabelTokens: 2 });
    try {
      expect(s.info).toMatchObject({ kind: 'paligemma', provider: 'cpu', inputSize: 28, usesPrompt: true });
      const tiles = [tile(1), tile(2), tile(3)];
      const batch = await s.generateIds(tiles, prompt);
      for (const ids of batch) {
        const parsed = parseSegmentationIds(ids, { size: 224, detokenize: (x) => s.tokenizer.decode(x) });
        expect(parsed.defects.filter((d) => !['inverted_box', 'degenerate_box'].includes(d.kind))).toEqual([]);
        expect(ids.length).toBeGreaterThan(0);
      }
      const single = [];
      for (const t of tiles) single.push((await s.generateIds([t], prompt))[0]);
      expect(batch).toEqual(single);
    } finally {
      await s.dispose();
    }
  });

  it('KV-cached greedy decoding equals recomputing the whole sequence without cache', async () => {
    const s = await loadPaliGemmaSegmenter(dir, { device: 'cpu', grammar: false, maxNewTokens: 6 });
    try {
      const ids = (await s.generateIds([tile(4)], prompt))[0];
      expect(ids.length).toBe(6);
      // Recompute: full prefix + generated tokens in one decoder call, empty past; greedy picks must agree.
      const c = s.model.config;
      const vision = await ort.InferenceSession.create(s.model.files.vision_encoder);
      const embed = await ort.InferenceSession.create(s.model.files.embed_tokens);
      const decoder = await ort.InferenceSession.create(s.model.files.decoder_model_merged);
      const pixels = await tilesToPixelValues([tile(4)], { imageSize: c.imageSize, mean: c.imageMean, std: c.imageStd, rescaleFactor: c.rescaleFactor });
      const img = (await vision.run({ pixel_values: new ort.Tensor('float32', pixels, [1, 3, c.imageSize, c.imageSize]) })).image_features;
      const text = [...s.tokenizer.promptIds('segment water', 0), ...ids.slice(0, 5)];
      const emb = (await embed.run({ input_ids: new ort.Tensor('int64', BigInt64Array.from(text.map(BigInt)), [1, text.length]) })).inputs_embeds;
      const n = c.numImageTokens + text.length;
      const all = new Float32Array(n * c.hidden);
      all.set(img.data as Float32Array, 0);
      all.set(emb.data as Float32Array, c.numImageTokens * c.hidden);
      const feeds: Record<string, ort.Tensor> = {
        inputs_embeds: new ort.Tensor('float32', all, [1, n, c.hidden]),
        attention_mask: new ort.Tensor('int64', new BigInt64Array(n).fill(1n), [1, n]),
        position_ids: new ort.Tensor('int64', BigInt64Array.from({ length: n }, (_, i) => BigInt(i + 1)), [1, n]),
      };
      for (let i = 0; i < c.layers; i++) for (const kv of ['key', 'value']) feeds[`past_key_values.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [1, c.kvHeads, 0, c.headDim]);
      const logits = (await decoder.run(feeds)).logits;
      const V = c.vocabSize;
      const data = logits.data as Float32Array;
      const prefix = n - 5;
      const recomputed = [];
      for (let p = prefix - 1; p < n; p++) {
        let best = 0;
        for (let v = 1; v < V; v++) if (data[p * V + v] > data[p * V + best]) best = v;
        recomputed.push(best);
      }
      expect(recomputed).toEqual(ids);
    } finally {
      await s.dispose();
    }
  });
});

