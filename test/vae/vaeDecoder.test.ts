import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resizeBilinear } from '../../src/core/masks/bilinearResize.ts';
import { parseSegmentationText } from '../../src/core/tokens/segmentationParser.ts';
import { decodeInstancesToTileMasks, decodeInstancesToTileProbability } from '../../src/adapters/vae/decodeInstanceMasks.ts';
import { loadSegmentationVae, type SegmentationVae } from '../../src/adapters/vae/segmentationVae.ts';
import { fillVaePath, randomVaePath, vaeReference } from '../helpers/vaeFixture.ts';
import { locToken, segToken } from '../../src/core/tokens/paligemmaTokens.ts';

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  let m = 0;
  for (let k = 0; k < a.length; k++) m = Math.max(m, Math.abs(a[k] - b[k]));
  return m;
};

describe('VAE decoder vs the float64 numpy reference', () => {
  let vae: SegmentationVae;
  beforeAll(async () => { vae = await loadSegmentationVae(randomVaePath(), { intraOpNumThreads: 1 }); });
  afterAll(async () => { await vae.dispose(); });

  it('decodes a batch of random codes to the same 64x64 logits within 1e-4', async () => {
    const codes = fc.sample(fc.array(fc.integer({ min: 0, max: 127 }), { minLength: 16, maxLength: 16 }), { numRuns: 12, seed: 7 });
    codes.push(Array(16).fill(0), Array(16).fill(127));
    const ours = await vae.decode(codes);
    const ref = vaeReference<{ logits: number[][] }>('decode', { codes }, vae.path).logits;
    expect(ours).toHaveLength(codes.length);
    let positive = 0;
    for (let b = 0; b < codes.length; b++) {
      const scale = Math.max(1, ...ref[b].map(Math.abs));
      expect(maxAbsDiff(ours[b], ref[b]) / scale).toBeLessThan(1e-4);
      positive += ref[b].filter((v) => v > 0).length;
    }
    expect(positive).toBeGreaterThan(0); // the random decoder draws real (non-empty, non-full) masks
  });
});

describe('bilinear resize matches Pillow (big_vision pastes masks with PIL)', () => {
  it('agrees with the numpy transcription and with PIL when installed, reducing and enlarging', () => {
    const src = Float32Array.from({ length: 64 * 64 }, (_, k) => Math.sin(k * 0.37) * 5 + ((k % 64) - 32) / 8);
    for (const [dw, dh] of [[13, 40], [64, 64], [100, 7], [1, 1], [150, 224]]) {
      const ours = resizeBilinear(src, 64, 64, dw, dh);
      const ref = vaeReference<{ numpy: number[]; pil: number[] | null }>('resize', { src: [...src], sw: 64, sh: 64, dw, dh });
      expect(maxAbsDiff(ours, ref.numpy)).toBeLessThan(1e-4);
      if (ref.pil) expect(maxAbsDiff(ours, ref.pil)).toBeLessThan(1e-4);
    }
  });
});

describe('instances → tile masks: box placement geometry (fill VAE: every mask is its whole box)', () => {
  let vae: SegmentationVae;
  beforeAll(async () => { vae = await loadSegmentationVae(fillVaePath(), { intraOpNumThreads: 1 }); });
  afterAll(async () => { await vae.dispose(); });
  const codes = Array.from({ length: 16 }, (_, k) => k).map(segToken).join('');
  const inst = (b: number[]) => `${b.map(locToken).join('')}${codes} water`;

  it('fills exactly rows y0..y1-1 and columns x0..x1-1 of each box (union), nothing else', async () => {
    const text = `${inst([0, 0, 1023, 1023])}`;
    const full = await decodeInstancesToTileMasks(parseSegmentationText(text, { size: 224 }).instances, 224, vae);
    expect(full.mask.every((v) => v === 1)).toBe(true);

    const two = parseSegmentationText(`${inst([100, 200, 300, 400])} ; ${inst([250, 0, 500, 100])} ; ${locToken(0)}${locToken(0)}${locToken(50)}${locToken(50)} water`, { size: 224 });
    expect(two.instances.map((i) => i.box)).toEqual([
      { y0: 22, x0: 44, y1: 66, x1: 88 },
      { y0: 55, x0: 0, y1: 109, x1: 22 },
      { y0: 0, x0: 0, y1: 11, x1: 11 },
    ]);
    const { mask, probability, drawn } = await decodeInstancesToTileMasks(two.instances, 224, vae);
    expect(drawn).toBe(2); // the detection-only instance draws nothing
    const inBox = (y: number, x: number) => (y >= 22 && y < 66 && x >= 44 && x < 88) || (y >= 55 && y < 109 && x >= 0 && x < 22);
    let bad = 0;
    for (let y = 0; y < 224; y++) for (let x = 0; x < 224; x++) {
      const k = y * 224 + x;
      if (mask[k] !== (inBox(y, x) ? 1 : 0)) bad++;
      const p = inBox(y, x) ? 1 / (1 + Math.exp(-10)) : 0;
      if (Math.abs(probability[k] - p) > 1e-6) bad++;
    }
    expect(bad).toBe(0);
    expect(await decodeInstancesToTileProbability([], 224, vae)).toEqual(new Float32Array(224 * 224));
  });
});

describe('instances → tile masks with a random VAE', () => {
  it('pastes the resized reference logits into the box and thresholds them (configurable)', async () => {
    const vae = await loadSegmentationVae(randomVaePath(), { intraOpNumThreads: 1 });
    try {
      const codes = [5, 17, 99, 3, 64, 120, 7, 7, 8, 0, 1, 2, 100, 101, 33, 44];
      const { instances } = parseSegmentationText(`${[200, 300, 700, 900].map(locToken).join('')}${codes.map(segToken).join('')} water`, { size: 224 });
      const box = instances[0].box;
      const ref = vaeReference<{ logits: number[][] }>('decode', { codes: [codes] }, vae.path).logits[0];
      const w = box.x1 - box.x0, h = box.y1 - box.y0;
      const resized = vaeReference<{ numpy: number[] }>('resize', { src: ref, sw: 64, sh: 64, dw: w, dh: h }).numpy;
      for (const threshold of [0, -1]) {
        const { mask, probability } = await decodeInstancesToTileMasks(instances, 224, vae, { threshold });
        let mismatches = 0, margin = 0;
        for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
          const r = resized[y * w + x];
          const k = (box.y0 + y) * 224 + box.x0 + x;
          if (Math.abs(r - threshold) > 1e-3 && mask[k] !== (r > threshold ? 1 : 0)) mismatches++;
          margin = Math.max(margin, Math.abs(probability[k] - 1 / (1 + Math.exp(-r))));
        }
        expect(mismatches).toBe(0);
        expect(margin).toBeLessThan(1e-4);
        expect(mask.reduce((a, v) => a + v, 0)).toBe(resized.filter((r) => r > threshold).length);
      }
    } finally {
      await vae.dispose();
    }
  });
});
