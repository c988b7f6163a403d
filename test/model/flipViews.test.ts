/**
 * Flip averaging (core/model/flipViews.ts): every view is a symmetry of the square, each view's probability goes
 * back onto the pixel it came from, and what the views disagree on is averaged — checked with fake models whose
 * answer either follows the picture (flip averaging must change nothing) or the view's own orientation (it must
 * average out).
 */
import { describe, expect, it } from 'vitest';
import { flipAveragedSegmenter, validBox, viewIndex, viewTile, FLIP_VIEW_COUNTS, type FlipViewCount } from '../../src/core/model/flipViews.ts';
import type { ModelTile, Segmenter, TileSegmentation } from '../../src/core/model/segmenter.ts';
import { jobOptionsSchema } from '../../src/http/validation.ts';
import { createSceneModel, jobSceneModelRequest, segmenterForScene } from '../../src/pipeline/sceneSegmenter.ts';

/** Seeded pseudo-random bytes (mulberry32). */
function bytes(n: number, seed: number): Uint8Array {
  let a = seed >>> 0;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) & 255;
  }
  return out;
}

function tile(id: string, size: number, seed: number): ModelTile {
  const valid = bytes(size * size, seed + 1).map((v) => (v > 40 ? 1 : 0));
  const spectral = [Float32Array.from(bytes(size * size, seed + 2), (v) => v / 255)];
  return { id, size, rgb: bytes(size * size * 3, seed), valid, spectral };
}

/** A fake model; `answer` gives each pixel's probability from the tile as the model sees it (a view). */
function fake(answer: (t: ModelTile, pixel: number) => number, calls: number[] = []): Segmenter {
  return {
    info: { name: 'fake', kind: 'unet', inputSize: 16, provider: 'cpu', usesPrompt: false, provenance: { fusion: 'none' } },
    async segment(tiles) {
      calls.push(tiles.length);
      return tiles.map((t): TileSegmentation => ({
        tileId: t.id,
        probability: Float32Array.from({ length: t.size * t.size }, (_, i) => answer(t, i)),
        defects: t.rgb[0] === 0 ? [{ kind: 'odd', message: 'first byte 0' }] : [],
      }));
    },
    async dispose() {},
  };
}

describe('views', () => {
  it('each of the four views is a different permutation of the square, view 0 the identity, each its own inverse', () => {
    const size = 5;
    const seen = new Set<string>();
    for (let k = 0; k < 4; k++) {
      const index = viewIndex(size, k);
      expect([...index].sort((a, b) => a - b)).toEqual([...Array(size * size).keys()]);
      for (let v = 0; v < index.length; v++) expect(index[index[v]]).toBe(v);
      seen.add(index.join(','));
    }
    expect(seen.size).toBe(4);
    expect([...viewIndex(size, 0)]).toEqual([...Array(size * size).keys()]);
  });

  it('view 1 mirrors left-right, view 2 top-bottom (3 x 3 by hand)', () => {
    expect([...viewIndex(3, 1)]).toEqual([2, 1, 0, 5, 4, 3, 8, 7, 6]);
    expect([...viewIndex(3, 2)]).toEqual([6, 7, 8, 3, 4, 5, 0, 1, 2]);
  });

  it('an edge tile is mirrored inside its valid part; the padding stays right and below', () => {
    const size = 4;
    const valid = Uint8Array.from([1, 1, 1, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]); // 2 rows x 3 columns of scene
    const box = validBox(valid, size);
    expect(box).toEqual({ y0: 0, y1: 2, x0: 0, x1: 3 });
    expect([...viewIndex(size, 3, box)]).toEqual([6, 5, 4, 3, 2, 1, 0, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
    const t: ModelTile = { id: 'edge', size, rgb: Uint8Array.from({ length: 48 }, (_, i) => i), valid };
    for (let k = 0; k < 4; k++) expect([...viewTile(t, k).valid]).toEqual([...valid]);
    expect(validBox(new Uint8Array(16), size)).toEqual({ y0: 0, y1: 4, x0: 0, x1: 4 }); // nothing valid: the whole tile
  });

  it('a view moves the RGB triplets, the valid mask and the spectral planes together', () => {
    const t = tile('a', 6, 7);
    const index = viewIndex(6, 3, validBox(t.valid, 6));
    const v = viewTile(t, 3);
    for (let p = 0; p < 36; p++) {
      const s = index[p];
      expect([...v.rgb.subarray(p * 3, p * 3 + 3)]).toEqual([...t.rgb.subarray(s * 3, s * 3 + 3)]);
      expect(v.valid[p]).toBe(t.valid[s]);
      expect(v.spectral?.[0][p]).toBe(t.spectral?.[0][s]);
    }
  });
});

describe('flipAveragedSegmenter', () => {
  // follows the picture: a function of the pixel's own bands, valid mask and spectral value
  const followsPicture = (t: ModelTile, i: number) => t.valid[i] * (t.rgb[i * 3] / 255) * 0.5 + (t.spectral?.[0][i] ?? 0) * 0.5;

  it.each(FLIP_VIEW_COUNTS.filter((n) => n > 1))('a model that follows the picture gives the same answer averaged over %i views', async (views) => {
    const tiles = [tile('r0c0', 16, 1), tile('r0c1', 16, 99)];
    const plain = await fake(followsPicture).segment(tiles, { prompt: '' });
    const averaged = await flipAveragedSegmenter(fake(followsPicture), views as FlipViewCount).segment(tiles, { prompt: '' });
    expect(averaged.map((r) => r.tileId)).toEqual(['r0c0', 'r0c1']);
    for (let t = 0; t < tiles.length; t++) {
      for (let i = 0; i < 256; i++) expect(averaged[t].probability[i]).toBeCloseTo(plain[t].probability[i], 6);
    }
  });

  it('what one orientation invents is averaged out: water in the left half of every view becomes 0.5 everywhere', async () => {
    const leftHalf = (t: ModelTile, i: number) => (i % t.size < t.size / 2 ? 1 : 0);
    const whole = (id: string): ModelTile => ({ ...tile(id, 16, 3), valid: new Uint8Array(256).fill(1) });
    for (const views of [2, 4] as const) {
      const [r] = await flipAveragedSegmenter(fake(leftHalf), views).segment([whole('t')], { prompt: '' });
      expect(new Set(r.probability)).toEqual(new Set([0.5]));
    }
    // the top half of every view: left-right mirroring alone does not average it out, top-bottom does
    const topHalf = (t: ModelTile, i: number) => (Math.floor(i / t.size) < t.size / 2 ? 1 : 0);
    const [two] = await flipAveragedSegmenter(fake(topHalf), 2).segment([whole('t')], { prompt: '' });
    expect(two.probability[0]).toBe(1);
    expect(two.probability[255]).toBe(0);
    const [four] = await flipAveragedSegmenter(fake(topHalf), 4).segment([whole('t')], { prompt: '' });
    expect(new Set(four.probability)).toEqual(new Set([0.5]));
  });

  it('hands the inner model every view of the batch in one call, says so in provenance, keeps each view\'s defects', async () => {
    const calls: number[] = [];
    const t = tile('t', 16, 5);
    t.rgb[0] = 0; // the fake reports a defect when a view's first byte is 0: view 0 only, here
    const s = flipAveragedSegmenter(fake(followsPicture, calls), 4);
    const [r] = await s.segment([t, tile('u', 16, 6)], { prompt: '' });
    expect(calls).toEqual([8]);
    expect(s.info.provenance).toEqual({ fusion: 'none', flipViews: 4 });
    expect(r.defects.map((d) => d.message)).toContain('first byte 0');
  });

  it('1 view is the model itself; other counts are refused', () => {
    const inner = fake(followsPicture);
    expect(flipAveragedSegmenter(inner, 1)).toBe(inner);
    expect(() => flipAveragedSegmenter(inner, 3 as FlipViewCount)).toThrow(/1, 2, 4/);
  });

  it('a model that returns the wrong number of results is an error naming it', async () => {
    const short: Segmenter = { ...fake(followsPicture), segment: async (tiles) => (await fake(followsPicture).segment(tiles.slice(1), { prompt: '' })) };
    await expect(flipAveragedSegmenter(short, 2).segment([tile('t', 16, 1)], { prompt: '' })).rejects.toThrow(/fake returned 1 results for 2 tiles/);
  });
});

describe('server jobs and CLI runs ask for flip views through their options', () => {
  it('options.flipViews takes 1, 2, 4 or 8 and nothing else', () => {
    for (const n of [1, 2, 4]) expect(jobOptionsSchema.safeParse({ flipViews: n }).success).toBe(true);
    for (const n of [0, 3, 8, '2']) expect(jobOptionsSchema.safeParse({ flipViews: n }).success).toBe(false);
  });

  it('a job\'s flipViews wraps the learned model the scene gets; none leaves it as it is', async () => {
    const scene = { info: { source: 'rgb.tif', bands: [{}, {}, {}].map((_, i) => ({ index: i + 1, dataType: 'Uint8', description: '', colorInterpretation: ['red', 'green', 'blue'][i] })) } };
    const learned = fake(() => 0);
    const load = async () => learned;
    const asked = await segmenterForScene(scene as never, jobSceneModelRequest(null, { flipViews: 2, fusion: 'none' }), load);
    expect(asked.segmenter.info.provenance).toMatchObject({ flipViews: 2 });
    const plain = await segmenterForScene(scene as never, jobSceneModelRequest(null, { fusion: 'none' }), load);
    expect(plain.segmenter).toBe(learned);
    // the CLI's way (segment, eval --scene, change: createSceneModel from the flags)
    const cli = createSceneModel({ model: 'waterline-unet', fusion: false, flipViews: 4 }, load);
    expect((await cli.forScene(scene as never)).segmenter.info.provenance).toMatchObject({ flipViews: 4 });
  });
});
