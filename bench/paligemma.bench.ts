/**
 * PaliGemma runtime throughput on CPU: tokens/s and tiles/s of the segmenter (preprocessing, batched KV-cache
 * generation, grammar) on the tiny random-weight models, against a same-run reference: the bare decoder loop
 * (same ONNX graphs, plain onnxruntime calls, plain arg-max, no preprocessing/grammar) — the ratio is
 * Waterline's overhead. `WATERLINE_BENCH_3B=<layers>` adds a random model with PaliGemma-1 3B-224 dimensions
 * (hidden 2048, 8 heads, 1 KV head, head_dim 256, MLP 16384, full 257216 vocabulary, 224 px / 256 image
 * tokens) but only <layers> decoder layers (the full 18 layers are ~12 GB fp32; ~4.4 GB + 0.4 GB/layer here).
 */
import type { BenchResult } from './run.ts';
import { TINY_PALIGEMMA1, TINY_PALIGEMMA2, paligemma3bDims, tinyPaliGemma, type TinyPaliGemmaSpec } from '../test/helpers/tinyModels.ts';
import { loadPaliGemmaSegmenter } from '../src/adapters/onnx/paligemmaSegmenter.ts';
import { ort } from '../src/adapters/onnx/onnxSession.ts';
import type { ModelTile } from '../src/core/model/segmenter.ts';

function tile(k: number): ModelTile {
  const rgb = new Uint8Array(224 * 224 * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = (i * (k + 3) * 7) % 256;
  return { id: `t${k}`, size: 224, rgb, valid: new Uint8Array(224 * 224).fill(1) };
}

/** Plain decoder loop: prefill + n greedy steps with the KV cache, for `batch` sequences. */
async function bareDecode(dir: string, spec: TinyPaliGemmaSpec, batch: number, prefix: number, steps: number): Promise<number> {
  const embed = await ort.InferenceSession.create(`${dir}/onnx/embed_tokens.onnx`);
  const decoder = await ort.InferenceSession.create(`${dir}/onnx/decoder_model_merged.onnx`);
  const t0 = performance.now();
  let feeds: Record<string, ort.Tensor> = {};
  for (let i = 0; i < spec.layers; i++) for (const kv of ['key', 'value']) feeds[`past_key_values.${i}.${kv}`] = new ort.Tensor('float32', new Float32Array(0), [batch, spec.kvHeads, 0, spec.headDim]);
  let embeds: ort.Tensor = new ort.Tensor('float32', new Float32Array(batch * prefix * spec.hidden).fill(0.01), [batch, prefix, spec.hidden]);
  let total = prefix;
  let pos = BigInt64Array.from({ length: batch * prefix }, (_, i) => BigInt((i % prefix) + 1));
  for (let t = 0; t < steps; t++) {
    const out = await decoder.run({ ...feeds, inputs_embeds: embeds, position_ids: new ort.Tensor('int64', pos, [batch, embeds.dims[1]]), attention_mask: new ort.Tensor('int64', new BigInt64Array(batch * total).fill(1n), [batch, total]) });
    const logits = out.logits.data as Float32Array;
    const [, s, v] = out.logits.dims as number[];
    const next = new BigInt64Array(batch);
    for (let b = 0; b < batch; b++) {
      let best = 0;
      const o = (b * s + s - 1) * v;
      for (let i = 1; i < v; i++) if (logits[o + i] > logits[o + best]) best = i;
      next[b] = BigInt(best);
    }
    feeds = {};
    for (let i = 0; i < spec.layers; i++) for (const kv of ['key', 'value']) feeds[`past_key_values.${i}.${kv}`] = out[`present.${i}.${kv}`] as ort.Tensor;
    embeds = (await embed.run({ input_ids: new ort.Tensor('int64', next, [batch, 1]) })).inputs_embeds as ort.Tensor;
    total++;
    pos = new BigInt64Array(batch).fill(BigInt(total));
  }
  return (batch * steps) / ((performance.now() - t0) / 1000);
}

async function measure(label: string, spec: TinyPaliGemmaSpec, batch: number): Promise<BenchResult[]> {
  const dir = tinyPaliGemma(spec);
  const maxNewTokens = 24;
  const s = await loadPaliGemmaSegmenter(dir, { device: 'cpu', maxNewTokens, maxInstances: 1, maxLabelTokens: 3 });
  const tiles = Array.from({ length: batch }, (_, k) => tile(k));
  await s.generateIds(tiles.slice(0, 1), { prompt: 'segment water' }); // warm-up
  const t0 = performance.now();
  const ids = await s.generateIds(tiles, { prompt: 'segment water' });
  const seconds = (performance.now() - t0) / 1000;
  await s.dispose();
  const tokens = ids.reduce((n, x) => n + x.length + 1, 0);
  const prefix = s.model.config.numImageTokens + s.tokenizer.promptIds('segment water', 0).length;
  const steps = Math.round(tokens / batch);
  const reference = await bareDecode(dir, spec, batch, prefix, steps);
  return [
    { bench: 'paligemma', metric: `tokens/s ${label} batch ${batch} cpu`, ours: tokens / seconds, reference, referenceName: 'bare onnxruntime decode loop', unit: 'tokens/s', higherIsBetter: true },
    { bench: 'paligemma', metric: `tiles/s ${label} batch ${batch} cpu`, ours: batch / seconds, unit: 'tiles/s', higherIsBetter: true, note: `${steps} tokens/tile, grammar on` },
  ];
}

export default async function bench(): Promise<BenchResult[]> {
  const rows = [...await measure('tiny PaliGemma-1', TINY_PALIGEMMA1, 8), ...await measure('tiny PaliGemma-2', TINY_PALIGEMMA2, 8)];
  const layers = Number(process.env.WATERLINE_BENCH_3B ?? 0);
  if (layers > 0) rows.push(...await measure(`PaliGemma-3B-224 dims, ${layers} of 18 layers`, paligemma3bDims(layers), 2));
  return rows;
}
