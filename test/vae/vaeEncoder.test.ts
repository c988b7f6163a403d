import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cropBoxForEncoding } from '../../src/core/masks/boxPlacement.ts';
import { findWaterRegions } from '../../src/core/masks/waterRegions.ts';
import { parseSegmentationText } from '../../src/core/tokens/segmentationParser.ts';
import { decodeInstancesToTileMasks } from '../../src/adapters/vae/decodeInstanceMasks.ts';
import { encodeWaterInstances } from '../../src/adapters/vae/encodeWaterInstances.ts';
import { loadSegmentationVae, type SegmentationVae } from '../../src/adapters/vae/segmentationVae.ts';
import { fillVaePath, randomVaePath, vaeReference } from '../helpers/vaeFixture.ts';

/** A 224x224 mask with a disc, a rectangle, a diagonal line (one 8-connected region) and a single pixel. */
function sceneMask(): Uint8Array {
  const m = new Uint8Array(224 * 224);
  for (let y = 0; y < 224; y++) for (let x = 0; x < 224; x++) {
    if ((y - 60) ** 2 + (x - 70) ** 2 < 40 ** 2) m[y * 224 + x] = 1;
    if (y >= 150 && y < 200 && x >= 20 && x < 41) m[y * 224 + x] = 1;
  }
  for (let k = 0; k < 50; k++) m[(120 + k) * 224 + 150 + k] = 1;
  m[5 * 224 + 220] = 1;
  return m;
}

describe('VAE encoder', () => {
  let vae: SegmentationVae;
  beforeAll(async () => { vae = await loadSegmentationVae(randomVaePath(), { intraOpNumThreads: 1 }); });
  afterAll(async () => { await vae.dispose(); });

  it('matches the float64 numpy reference (embeddings within 1e-4, same codes)', async () => {
    const mask = sceneMask();
    const { regions, labels } = findWaterRegions(mask, 224, 224);
    const crops = regions.map((r) => cropBoxForEncoding(labels, r.label, 224, r.box));
    const ours = await vae.encode(crops);
    const ref = vaeReference<{ embeddings: number[][]; codes: number[][] }>('encode', { masks: crops.map((c) => [...c]) }, vae.path);
    for (let b = 0; b < crops.length; b++) {
      const scale = Math.max(1, ...ref.embeddings[b].map(Math.abs));
      let diff = 0;
      for (let k = 0; k < ref.embeddings[b].length; k++) diff = Math.max(diff, Math.abs(ours.embeddings[b][k] - ref.embeddings[b][k]));
      expect(diff / scale).toBeLessThan(1e-4);
    }
    expect(ours.codes).toEqual(ref.codes);
  });

  it('finds one instance per 8-connected region, largest first, with exact boxes', async () => {
    const enc = await encodeWaterInstances(sceneMask(), 224, 224, vae, { maxInstances: 3 });
    expect(enc.regionCount).toBe(4);
    let disc = 0;
    for (let y = 0; y < 224; y++) for (let x = 0; x < 224; x++) if ((y - 60) ** 2 + (x - 70) ** 2 < 40 ** 2) disc++;
    expect(enc.instances.map((i) => i.area)).toEqual([disc, 21 * 50, 50]);
    const parsed = parseSegmentationText(enc.suffix, { size: 224 });
    expect(parsed.defects).toEqual([]);
    expect(parsed.instances.map((i) => i.box)).toEqual([
      { y0: 21, x0: 31, y1: 100, x1: 110 },
      { y0: 150, x0: 20, y1: 200, x1: 41 },
      { y0: 120, x0: 150, y1: 170, x1: 200 },
    ]);
    expect(parsed.instances.every((i) => i.label === 'water' && i.codes?.length === 16)).toBe(true);
    const small = await encodeWaterInstances(sceneMask(), 224, 224, vae, { minArea: 60, label: 'lake' });
    expect(small.suffix.endsWith(' lake')).toBe(true);
    expect(small.instances).toHaveLength(2);
    expect((await encodeWaterInstances(new Uint8Array(224 * 224), 224, 224, vae)).suffix).toBe('');
  });

  it('encode → decode with the fill VAE gives back exactly the union of the region boxes', async () => {
    const enc = await encodeWaterInstances(sceneMask(), 224, 224, vae);
    const fill = await loadSegmentationVae(fillVaePath(), { intraOpNumThreads: 1 });
    try {
      const parsed = parseSegmentationText(enc.suffix, { size: 224 });
      const { mask } = await decodeInstancesToTileMasks(parsed.instances, 224, fill);
      const expected = new Uint8Array(224 * 224);
      for (const { box } of findWaterRegions(sceneMask(), 224, 224).regions) {
        for (let y = box.y0; y < box.y1; y++) for (let x = box.x0; x < box.x1; x++) expected[y * 224 + x] = 1;
      }
      expect(mask).toEqual(expected);
    } finally {
      await fill.dispose();
    }
  });
});
