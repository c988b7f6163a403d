import { describe, expect, it } from 'vitest';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TINY_PALIGEMMA1, scriptedPaliGemma, tinyPaliGemma, tokenIds } from '../helpers/tinyModels.ts';
import { fillVaePath } from '../helpers/vaeFixture.ts';
import { loadPaliGemmaSegmenter } from '../../src/adapters/onnx/paligemmaSegmenter.ts';
import { loadSegmenter, resolveModel } from '../../src/adapters/onnx/loadSegmenter.ts';
import type { ModelTile } from '../../src/core/model/segmenter.ts';
import { parseSegmentationIds } from '../../src/core/tokens/segmentationParser.ts';

function tile(k: number, size = 224): ModelTile {
  const rgb = new Uint8Array(size * size * 3);
  for (let i = 0; i < rgb.length; i++) rgb[i] = (i * (k + 3) * 7 + k * 31) % 256;
  return { id: `t${k}`, size, rgb, valid: new Uint8Array(size * size).fill(1) };
}
const prompt = { prompt: 'segment water' };
const SEGS = Array.from({ length: 16 }, (_, i) => `<seg${String(i * 5).padStart(3, '0')}>`).join('');

describe('scripted PaliGemma', () => {
  it('emits exactly the scripted ids (grammar on, valid script)', async () => {
    const script = `<loc0000><loc0000><loc0511><loc1023>${SEGS} water ; <loc0600><loc0100><loc1023><loc0800>${SEGS} water`;
    const s = await loadPaliGemmaSegmenter(scriptedPaliGemma(script), { device: 'cpu' });
    try {
      const ids = await s.generateIds([tile(1), tile(2)], prompt);
      expect(ids).toEqual([tokenIds(script), tokenIds(script)]);
      expect(s.tokenizer.decode(ids[0])).toBe(script);
    } finally {
      await s.dispose();
    }
  });

  it('grammar off passes a 17-seg output through; grammar on cuts it at 16', async () => {
    const bad = `<loc0000><loc0000><loc0511><loc1023>${SEGS}<seg001> water`;
    const dir = scriptedPaliGemma(bad);
    const off = await loadPaliGemmaSegmenter(dir, { device: 'cpu', grammar: false });
    const on = await loadPaliGemmaSegmenter(dir, { device: 'cpu' });
    try {
      const raw = (await off.generateIds([tile(1)], prompt))[0];
      expect(raw).toEqual(tokenIds(bad));
      expect(parseSegmentationIds(raw, { size: 224 }).defects.map((d) => d.kind)).toContain('wrong_seg_count');
      const constrained = (await on.generateIds([tile(1)], prompt))[0];
      expect(constrained.slice(0, 20)).toEqual(tokenIds(bad).slice(0, 20));
      expect(constrained.filter((id) => id >= 257024 && id < 257152)).toHaveLength(16);
      expect(parseSegmentationIds(constrained, { size: 224, detokenize: (x) => on.tokenizer.decode(x) }).defects.map((d) => d.kind)).not.toContain('wrong_seg_count');
    } finally {
      await off.dispose();
      await on.dispose();
    }
  });

  it('loadSegmenter: directory → PaliGemma with VAE; boxes become probability through the VAE', async () => {
    const script = `<loc0000><loc0000><loc0511><loc1023>${SEGS} water`;
    const seg = await loadSegmenter({ model: scriptedPaliGemma(script), device: 'cpu', vaePath: fillVaePath(), modelsDir: join(tmpdir(), 'wl-no-models') });
    try {
      expect(seg.info.kind).toBe('paligemma');
      const [r] = await seg.segment([tile(1)], prompt);
      expect(r.text).toBe(script);
      expect(r.defects).toEqual([]);
      // Top half (rows 0..111, edge round(511/1023*224) = 112) is water, the rest is not.
      let top = 0;
      let bottom = 0;
      for (let i = 0; i < 224 * 224; i++) {
        if (i < 112 * 224) top += r.probability[i];
        else bottom += r.probability[i];
      }
      expect(top / (112 * 224)).toBeGreaterThan(0.99);
      expect(bottom).toBe(0);
    } finally {
      await seg.dispose();
    }
  });

  it('an empty answer gives an all-zero probability without needing masks', async () => {
    const s = await loadPaliGemmaSegmenter(scriptedPaliGemma([]), { device: 'cpu' });
    try {
      const [r] = await s.segment([tile(1)], prompt);
      expect(r.text).toBe('');
      expect(r.probability.every((v) => v === 0)).toBe(true);
    } finally {
      await s.dispose();
    }
  });
});

describe('loadSegmenter model resolution', () => {
  it('unknown names are a clear not-found error; the default is the U-Net', () => {
    expect(() => resolveModel('someone/paligemma-x', join(tmpdir(), 'wl-no-models'))).toThrow(/model "someone\/paligemma-x" is not a built-in model, a directory or a name in the models cache/);
    expect(resolveModel(undefined, '/nonexistent').kind).toBe('unet');
    expect(resolveModel('waterline-unet', '/nonexistent').kind).toBe('unet');
  });

  it('PaliGemma without a VAE fails at load with the pull hint', async () => {
    await expect(loadSegmenter({ model: tinyPaliGemma(TINY_PALIGEMMA1), device: 'cpu', modelsDir: join(tmpdir(), 'wl-no-models') })).rejects.toThrow(/vae-oid\.npz is missing/);
  });
});
