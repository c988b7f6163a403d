import { createHash } from 'node:crypto';
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelError, InputError } from '../../src/core/errors.ts';
import type { Segmenter } from '../../src/core/model/segmenter.ts';
import { accumulateConfusion, emptyConfusion, metricsFromConfusion } from '../../src/core/masks/metrics.ts';
import { loadUnetSegmenter, normalisationTable, packTiles, unetWeightsName } from '../../src/adapters/onnx/unetSegmenter.ts';
import { readUnetManifest, readUnetModel } from '../../src/adapters/onnx/unetModelDir.ts';
import { readStretchedImageTile, readStretchedMaskGrey } from '../../src/adapters/images/stretchedImageFiles.ts';
import { loadSegmenter, resolveModel } from '../../src/adapters/onnx/loadSegmenter.ts';
import { builtinUnet, builtinUnetDir, builtinUnetList } from '../../src/adapters/onnx/builtinUnets.ts';
import { BUILTIN_MODEL_NAMES, BUILTIN_MODEL_TILE_SIZE, DEFAULT_UNET_VERSION, RETIRED_UNETS, VERSIONED_UNET_NAMES } from '../../src/core/model/modelNames.ts';
import { describeShared, sharedData } from '../helpers/shared.ts';

/** The first 12 names of the committed fixed validation split (never seen in training). */
/** What provenance `weightsSha256` should say for a model file. */
const sha16 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex').slice(0, 16);
/** ... and for a model directory: its graph's, or for an ensemble the hash of its members' hashes joined by `+`, in order. */
const modelSha16 = (dir: string): string => {
  const { members, ensemble } = readUnetModel(dir);
  const hashes = members.map((m) => sha16(m.onnxPath));
  return ensemble ? createHash('sha256').update(hashes.join('+')).digest('hex').slice(0, 16) : hashes[0];
};
const v1Onnx = join(builtinUnetDir('waterline-unet-v1'), 'unet.onnx');

const valNames = readFileSync(join(builtinUnetDir('waterline-unet-v1'), 'val_split.txt'), 'utf8').split('\n').filter(Boolean).slice(0, 12);

/** Pixel metrics of a segmenter on the 12 shared validation images above (the same fixed split every U-Net trained with). */
/** The 12 fixed validation chips as model tiles (224 px, stretched as `eval` stretches them). */
const validationTiles = () => Promise.all(valNames.map((n) => readStretchedImageTile(join(sharedData, 'water-bodies', 'images', n), 224, n)));

async function validationMetrics(segmenter: Segmenter): Promise<ReturnType<typeof metricsFromConfusion>> {
  const dir = join(sharedData, 'water-bodies');
  const tiles = await validationTiles();
  const masks = await Promise.all(valNames.map((n) => readStretchedMaskGrey(join(dir, 'masks', n), 224)));
  const out = await segmenter.segment(tiles, { prompt: '' });
  const counts = emptyConfusion();
  out.forEach((o, i) => accumulateConfusion(counts, o.probability, masks[i], { truthThreshold: 128 }));
  return metricsFromConfusion(counts);
}

describe('U-Net manifest and packing', () => {
  it('reads the committed manifest of the default model: one graph (unet11) with its declared overlap', () => {
    const model = readUnetModel();
    expect(model).toMatchObject({ name: DEFAULT_UNET_VERSION, ensemble: false, tileOverlap: 64, manifestPath: join(builtinUnetDir(DEFAULT_UNET_VERSION), 'manifest.json') });
    expect(DEFAULT_UNET_VERSION).toBe('waterline-unet11');
    expect(model.members.map((m) => m.onnxPath)).toEqual([join(builtinUnetDir('waterline-unet11'), 'unet11.onnx')]);
  });

  it('every built-in U-Net reads the tile size requests are checked against (BUILTIN_MODEL_TILE_SIZE)', () => {
    for (const name of VERSIONED_UNET_NAMES) {
      for (const { manifest } of readUnetModel(builtinUnetDir(name)).members) expect([name, manifest.input.size]).toEqual([name, BUILTIN_MODEL_TILE_SIZE]);
    }
  });

  it('reads the committed ensemble waterline-unet9: v1 and unet8, each member a committed graph', () => {
    const model = readUnetModel(builtinUnetDir('waterline-unet9'));
    expect(model).toMatchObject({ name: 'waterline-unet9', ensemble: true, manifestPath: join(builtinUnetDir('waterline-unet9'), 'manifest.json') });
    expect(model.members.map((m) => m.onnxPath)).toEqual([join(builtinUnetDir('waterline-unet-v1'), 'unet.onnx'), join(builtinUnetDir('waterline-unet8'), 'unet8.onnx')]);
    for (const { manifest } of model.members) {
      expect(manifest.input).toMatchObject({ name: 'image', size: 224 });
      expect(manifest.output.kind).toBe('probability');
    }
    // a single graph reads as an ensemble of one
    const v1 = readUnetModel(builtinUnetDir('waterline-unet-v1'));
    expect(v1).toMatchObject({ name: 'waterline-unet-v1', ensemble: false, members: [{ onnxPath: v1Onnx }] });
  });

  it('packs HWC uint8 into normalised NCHW planes', () => {
    const { manifest } = readUnetManifest(builtinUnetDir('waterline-unet-v1'));
    const lut = normalisationTable(manifest);
    const rgb = new Uint8Array([0, 128, 255, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
    const out = packTiles([{ id: 'a', size: 2, rgb, valid: new Uint8Array(4).fill(1) }], 2, lut);
    const norm = (v: number, c: number) => (v / 255 - manifest.input.mean[c]) / manifest.input.std[c];
    expect(out.length).toBe(12);
    expect(out[0]).toBeCloseTo(norm(0, 0), 5); // R plane, pixel 0
    expect(out[1]).toBeCloseTo(norm(10, 0), 5); // R plane, pixel 1
    expect(out[4]).toBeCloseTo(norm(128, 1), 5); // G plane, pixel 0
    expect(out[11]).toBeCloseTo(norm(90, 2), 5); // B plane, pixel 3
  });

  it('names a missing model directory and a directory without a manifest', async () => {
    await expect(loadUnetSegmenter({ modelPath: '/nonexistent/unet' })).rejects.toThrow(/U-Net model not found: \/nonexistent\/unet/);
    const dir = mkdtempSync(join(tmpdir(), 'unet-nomanifest-'));
    try {
      writeFileSync(join(dir, 'unet.onnx'), 'not a model');
      await expect(loadUnetSegmenter({ modelPath: join(dir, 'unet.onnx') })).rejects.toBeInstanceOf(ModelError);
      await expect(loadUnetSegmenter({ modelPath: dir })).rejects.toThrow(/no manifest.json/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('U-Net segmenter on the committed model', () => {
  let segmenter: Segmenter;
  beforeAll(async () => {
    segmenter = await loadUnetSegmenter({ device: 'cpu', intraOpNumThreads: 1 });
  });
  afterAll(async () => {
    await segmenter?.dispose();
  });

  it('reports itself as the prompt-free default version (its manifest name; the weights in provenance)', () => {
    expect(segmenter.info).toEqual({ name: DEFAULT_UNET_VERSION, kind: 'unet', inputSize: 224, tileOverlap: 64, provider: 'cpu', usesPrompt: false, provenance: { weights: DEFAULT_UNET_VERSION, weightsSha256: modelSha16(builtinUnetDir(DEFAULT_UNET_VERSION)) } });
  });

  it('gives probabilities in [0,1], and exactly 0 on invalid pixels', async () => {
    const size = 224;
    const rgb = new Uint8Array(size * size * 3);
    for (let i = 0; i < rgb.length; i += 3) { rgb[i] = 20; rgb[i + 1] = 60; rgb[i + 2] = 110; } // dark blue: water-like
    const valid = new Uint8Array(size * size).fill(1);
    valid.fill(0, 0, size * 100); // top 100 rows are nodata
    const [out] = await segmenter.segment([{ id: 'r0c0', size, rgb, valid }], { prompt: 'ignored' });
    expect(out.tileId).toBe('r0c0');
    expect(out.probability.length).toBe(size * size);
    expect(out.defects).toEqual([]);
    for (let i = 0; i < size * 100; i++) expect(out.probability[i]).toBe(0);
    for (const p of out.probability) expect(p >= 0 && p <= 1).toBe(true);
  });

  it('keeps the order of a mixed batch and refuses tiles that are not a multiple of 8', async () => {
    const mk = (id: string, size: number, v: number) => ({ id, size, rgb: new Uint8Array(size * size * 3).fill(v), valid: new Uint8Array(size * size).fill(1) });
    const out = await segmenter.segment([mk('a', 64, 10), mk('b', 32, 200), mk('c', 64, 90)], { prompt: '' });
    expect(out.map((o) => [o.tileId, o.probability.length])).toEqual([['a', 64 * 64], ['b', 32 * 32], ['c', 64 * 64]]);
    await expect(segmenter.segment([mk('d', 30, 1)], { prompt: '' })).rejects.toBeInstanceOf(InputError);
  });

  describeShared('on shared water-bodies validation pairs', () => {
    it('reaches a sane IoU on 12 fixed validation images', async () => {
      const m = await validationMetrics(segmenter);
      expect(m.iou).toBeGreaterThan(0.5);
      expect(m.f1).toBeGreaterThan(0.65);
    });
  });
});

describe('U-Net computing in its own threads', () => {
  const tile = (id: string, seed: number) => {
    const size = 224;
    const rgb = new Uint8Array(size * size * 3);
    let x = seed;
    for (let i = 0; i < rgb.length; i++) rgb[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 24;
    const valid = new Uint8Array(size * size).fill(1);
    valid.fill(0, 0, size * seed); // a few nodata rows, different per tile
    return { id, size, rgb, valid };
  };

  it('gives the same probabilities as on the caller\'s thread, with two sessions computing batches side by side', async () => {
    const here = await loadUnetSegmenter({ device: 'cpu', inferenceThreads: 0, intraOpNumThreads: 1 });
    const threaded = await loadUnetSegmenter({ device: 'cpu', inferenceThreads: 2 });
    try {
      const tiles = Array.from({ length: 6 }, (_, k) => tile(`t${k}`, k + 1));
      const expected = await here.segment(tiles, { prompt: '' });
      const [a, b, c] = await Promise.all([0, 2, 4].map((k) => threaded.segment(tiles.slice(k, k + 2), { prompt: '' })));
      const got = [...a, ...b, ...c];
      expect(got.map((r) => r.tileId)).toEqual(tiles.map((t) => t.id));
      for (let k = 0; k < tiles.length; k++) expect(got[k].probability).toEqual(expected[k].probability);
      expect(threaded.info).toEqual(here.info);
    } finally {
      await here.dispose();
      await threaded.dispose();
    }
  }, 60_000);

  it('leaves the event loop free while it computes (and a session on the caller\'s thread does not)', async () => {
    const order = async (segmenter: Segmenter): Promise<string[]> => {
      const seen: string[] = [];
      const call = segmenter.segment([tile('a', 1), tile('b', 2)], { prompt: '' }).then(() => seen.push('model'));
      setImmediate(() => seen.push('event loop'));
      await call;
      await new Promise((r) => setImmediate(r));
      return seen;
    };
    // one graph (an ensemble on the caller's thread lets the event loop in between its members)
    const modelPath = builtinUnetDir('waterline-unet-v1');
    const threaded = await loadUnetSegmenter({ device: 'cpu', inferenceThreads: 1, modelPath });
    const here = await loadUnetSegmenter({ device: 'cpu', inferenceThreads: 0, modelPath });
    try {
      expect(await order(threaded)).toEqual(['event loop', 'model']);
      expect(await order(here)).toEqual(['model', 'event loop']);
    } finally {
      await threaded.dispose();
      await here.dispose();
    }
  }, 60_000);

  it('names a model file onnxruntime cannot load, from its thread', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'unet-broken-'));
    try {
      writeFileSync(join(dir, 'manifest.json'), readFileSync(join(builtinUnetDir('waterline-unet-v1'), 'manifest.json')));
      writeFileSync(join(dir, 'unet.onnx'), 'not a model');
      const failure = loadUnetSegmenter({ device: 'cpu', modelPath: dir });
      await expect(failure).rejects.toBeInstanceOf(ModelError);
      await expect(failure).rejects.toThrow(/could not load ONNX model .*unet\.onnx/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('built-in U-Nets by name', () => {
  it('resolves waterline-unet to the default version and each versioned name to its committed directory', () => {
    const modelsDir = join(tmpdir(), 'wl-no-models');
    const v1 = resolveModel('waterline-unet-v1', modelsDir);
    expect(v1).toEqual({ kind: 'unet', path: builtinUnetDir('waterline-unet-v1'), name: 'waterline-unet-v1' });
    const byDefault = resolveModel('waterline-unet', modelsDir);
    expect(byDefault).toEqual({ kind: 'unet', path: builtinUnet(DEFAULT_UNET_VERSION)?.dir, name: 'waterline-unet' });
    expect(resolveModel(undefined, modelsDir)).toEqual(byDefault);
    expect(resolveModel('auto', modelsDir)).toEqual(byDefault);
    for (const { name } of builtinUnetList()) {
      const dir = builtinUnet(name)?.dir as string;
      for (const { onnxPath } of readUnetModel(dir).members) expect(existsSync(onnxPath), `${name}: ${onnxPath}`).toBe(true);
      expect(BUILTIN_MODEL_NAMES).toContain(name);
    }
  });

  it('refuses a retired built-in name with its successor; the commit it names still holds those weights', () => {
    const modelsDir = join(tmpdir(), 'wl-no-models');
    for (const [name, retired] of Object.entries(RETIRED_UNETS)) {
      expect(BUILTIN_MODEL_NAMES as readonly string[]).not.toContain(name);
      expect(VERSIONED_UNET_NAMES as readonly string[]).toContain(retired.successor);
      const err = (() => { try { resolveModel(name, modelsDir); } catch (e) { return e; } })() as InputError;
      expect(err).toBeInstanceOf(InputError);
      expect(err.code).toBe('model_retired');
      expect(err.message).toContain(`${retired.successor} replaces it`);
      expect(err.hint).toContain(`git archive ${retired.weightsCommit.slice(0, 12)} models/${retired.dir} | tar -x -C old) and pass old/models/${retired.dir} as the model`);
    }
    const repo = resolve(builtinUnetDir('waterline-unet-v1'), '..', '..');
    const git = (...args: string[]) => spawnSync('git', ['-C', repo, ...args], { encoding: 'utf8' });
    if ((git('rev-parse', '--is-shallow-repository').stdout ?? '').trim() !== 'false') {
      console.warn('skipping the retired weights\' history check: not a full git clone');
      return;
    }
    for (const [name, { dir, weightsCommit }] of Object.entries(RETIRED_UNETS)) {
      const manifest = git('show', `${weightsCommit}:models/${dir}/manifest.json`);
      expect(manifest.status, `${name}: manifest at ${weightsCommit}`).toBe(0);
      const { file } = JSON.parse(manifest.stdout) as { file: string };
      expect(git('cat-file', '-e', `${weightsCommit}:models/${dir}/${file}`).status, `${name}: ${file} at ${weightsCommit}`).toBe(0);
      expect(existsSync(join(repo, 'models', dir, file)), `${name}: no longer in the checkout`).toBe(false);
    }
  });

  it('believes a built-in manifest name only in that built-in\'s own directory', () => {
    for (const { name } of builtinUnetList()) {
      const { members, ensemble, manifestPath } = readUnetModel(builtinUnetDir(name));
      expect(unetWeightsName(name, ensemble ? manifestPath : members[0].onnxPath)).toBe(name);
    }
    const elsewhere = join(tmpdir(), 'my-finetune', 'unet2.onnx');
    for (const name of ['waterline-unet8', 'waterline-unet-v1', 'waterline-unet', 'auto', 'waterline-spectral']) expect(unetWeightsName(name, elsewhere)).toBe('unet:my-finetune');
    // v1's directory does not make a v2 name true, and names that are not built in are kept as they are
    expect(unetWeightsName('waterline-unet8', v1Onnx)).toBe('unet:unet');
    // a retired built-in's name (weights restored from history, or a train.py export under the family's default name)
    expect(unetWeightsName('waterline-unet2', elsewhere)).toBe('unet:my-finetune');
    expect(unetWeightsName('waterline-unet6', join(tmpdir(), 'unet6', 'unet6.onnx'))).toBe('unet:unet6');
    expect(unetWeightsName('unet', elsewhere)).toBe('unet');
    expect(unetWeightsName('lakes-2027', elsewhere)).toBe('lakes-2027');
  });

  it('never reports a U-Net directory elsewhere by a built-in name: `unet` without a manifest name, `unet:<dir>` for a built-in one; provenance carries the file\'s sha256', async () => {
    const v1 = builtinUnetDir('waterline-unet-v1');
    const { name: _name, ...unnamed } = JSON.parse(readFileSync(join(v1, 'manifest.json'), 'utf8')) as Record<string, unknown>;
    const modelsDir = join(tmpdir(), 'wl-no-models');
    const dirs: string[] = [];
    try {
      for (const manifestName of [undefined, 'waterline-unet2']) {
        // a copy of v1's weights; the second with the manifest every models/unet2/train.py export writes
        const dir = mkdtempSync(join(tmpdir(), 'unet-copy-'));
        dirs.push(dir);
        writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifestName ? { ...unnamed, name: manifestName } : unnamed));
        copyFileSync(join(v1, 'unet.onnx'), join(dir, 'unet.onnx'));
        const copy = await loadSegmenter({ model: dir, device: 'cpu', modelsDir, intraOpNumThreads: 1 });
        try {
          const expected = manifestName ? `unet:${basename(dir)}` : 'unet';
          expect(copy.info.name).toBe(expected);
          expect(copy.info.provenance).toEqual({ weights: expected, weightsSha256: sha16(v1Onnx) });
          expect(JSON.stringify(copy.info)).not.toContain(tmpdir());
        } finally {
          await copy.dispose();
        }
      }
    } finally {
      for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  for (const name of VERSIONED_UNET_NAMES.filter((n) => n !== DEFAULT_UNET_VERSION)) describeShared(`${name} on shared water-bodies validation pairs`, () => {
    it('reaches a sane IoU on the same 12 fixed validation images (its training used the same split)', async () => {
      const unet = await loadSegmenter({ model: name, device: 'cpu', modelsDir: join(tmpdir(), 'wl-no-models'), intraOpNumThreads: 1 });
      try {
        expect(unet.info).toMatchObject({ name, kind: 'unet', inputSize: 224, provenance: { weights: name } });
        const m = await validationMetrics(unet);
        expect(m.iou).toBeGreaterThan(0.5);
        expect(m.f1).toBeGreaterThan(0.65);
      } finally {
        await unet.dispose();
      }
    }, 60_000);
  });

  describeShared('waterline-unet9-int8 against waterline-unet9 on shared water-bodies validation pairs', () => {
    it('calls the same water on nearly every pixel: an int8 copy of both members, nothing retrained', async () => {
      const modelsDir = join(tmpdir(), 'wl-no-models');
      const tiles = await validationTiles();
      const [fp32, int8] = await Promise.all(['waterline-unet9', 'waterline-unet9-int8']
        .map((model) => loadSegmenter({ model, device: 'cpu', modelsDir, intraOpNumThreads: 1 })));
      try {
        expect(int8.info).toMatchObject({ name: 'waterline-unet9-int8', kind: 'unet', inputSize: 224 });
        const [a, b] = [await fp32.segment(tiles, { prompt: '' }), await int8.segment(tiles, { prompt: '' })];
        let differ = 0;
        let water = 0;
        let gap = 0;
        for (let k = 0; k < tiles.length; k++) {
          for (let i = 0; i < 224 * 224; i++) {
            const [pa, pb] = [a[k].probability[i], b[k].probability[i]];
            if ((pa >= 0.5) !== (pb >= 0.5)) differ++;
            if (pa >= 0.5) water++;
            gap += Math.abs(pa - pb);
          }
        }
        const pixels = tiles.length * 224 * 224;
        expect(water / pixels).toBeGreaterThan(0.1); // the images hold water: agreement is not agreement on nothing
        expect(differ / pixels).toBeLessThan(0.01); // measured: 0.05 % of pixels on random tiles (unet2 card, session 11)
        expect(gap / pixels).toBeLessThan(0.03); // mean |Δp| (measured 0.009); a graph quantized wrongly is off by > 0.1
        expect(gap / pixels).toBeGreaterThan(0); // and the int8 graphs did run: identical output would mean fp32 ran twice
      } finally {
        await Promise.all([fp32.dispose(), int8.dispose()]);
      }
    }, 60_000);
  });

  it('waterline-unet9 is the mean of v1\'s and waterline-unet8\'s water probabilities (an ensemble manifest naming both)', async () => {
    const [ensemble, member] = ['waterline-unet9', 'waterline-unet8'];
    const modelsDir = join(tmpdir(), 'wl-no-models');
    const tiles = [0, 1, 2].map((k) => {
      const rgb = new Uint8Array(224 * 224 * 3);
      for (let i = 0; i < rgb.length; i++) rgb[i] = (i * (k + 3) * 7 + (i >> 9) * 11) % 241;
      return { id: `t${k}`, size: 224, rgb, valid: new Uint8Array(224 * 224).fill(1) };
    });
    const [v1, single, both] = await Promise.all(['waterline-unet-v1', member, ensemble]
      .map((model) => loadSegmenter({ model, device: 'cpu', modelsDir, intraOpNumThreads: 1 })));
    try {
      const [a, b, e] = [await v1.segment(tiles, { prompt: '' }), await single.segment(tiles, { prompt: '' }), await both.segment(tiles, { prompt: '' })];
      const logit = (p: number): number => Math.log(Math.max(p, 1e-6) / Math.max(1 - p, 1e-6));
      let worst = 0;
      let spread = 0;
      let fromLogitMean = 0;
      for (let k = 0; k < tiles.length; k++) {
        for (let i = 0; i < 224 * 224; i++) {
          const [pa, pb, pe] = [a[k].probability[i], b[k].probability[i], e[k].probability[i]];
          worst = Math.max(worst, Math.abs(pe - (pa + pb) / 2));
          spread = Math.max(spread, Math.abs(pa - pb));
          fromLogitMean = Math.max(fromLogitMean, Math.abs(pe - 1 / (1 + Math.exp(-(logit(pa) + logit(pb)) / 2))));
        }
      }
      expect(spread).toBeGreaterThan(0.5); // the members disagree strongly somewhere: the mean is neither of them
      expect(worst).toBeLessThan(1e-6); // the members' own graphs, averaged at run time (until session 9 one graph holding an fp16 copy of unet8: within 2e-3); one member alone would be off by > 0.25
      expect(fromLogitMean).toBeGreaterThan(0.05); // and it is the mean of probabilities, not of logits
    } finally {
      await Promise.all([v1.dispose(), single.dispose(), both.dispose()]);
    }
  }, 60_000);

  it('loads the versioned name with the same weights as the default it stands for, reporting the name asked for', async () => {
    const modelsDir = join(tmpdir(), 'wl-no-models');
    const tiles = [0, 1].map((k) => {
      const rgb = new Uint8Array(224 * 224 * 3);
      for (let i = 0; i < rgb.length; i++) rgb[i] = (i * (k + 5) * 13 + k * 7) % 251;
      return { id: `t${k}`, size: 224, rgb, valid: new Uint8Array(224 * 224).fill(1) };
    });
    const a = await loadSegmenter({ model: DEFAULT_UNET_VERSION, device: 'cpu', modelsDir, intraOpNumThreads: 1 });
    const b = await loadSegmenter({ model: 'waterline-unet', device: 'cpu', modelsDir, intraOpNumThreads: 1 });
    try {
      expect(a.info.name).toBe(DEFAULT_UNET_VERSION);
      expect(b.info.name).toBe('waterline-unet');
      const weightsSha256 = modelSha16(builtinUnetDir(DEFAULT_UNET_VERSION));
      expect(a.info.provenance).toEqual({ weights: DEFAULT_UNET_VERSION, weightsSha256 });
      expect(b.info.provenance).toEqual({ weights: DEFAULT_UNET_VERSION, weightsSha256 });
      const [pa, pb] = [await a.segment(tiles, { prompt: '' }), await b.segment(tiles, { prompt: '' })];
      for (let k = 0; k < tiles.length; k++) expect(Buffer.from(pa[k].probability.buffer).equals(Buffer.from(pb[k].probability.buffer))).toBe(true);
    } finally {
      await a.dispose();
      await b.dispose();
    }
  });
});

describe('U-Net ensembles (a manifest naming member directories)', () => {
  const v1 = builtinUnetDir('waterline-unet-v1');
  const v1Manifest = JSON.parse(readFileSync(join(v1, 'manifest.json'), 'utf8')) as Record<string, unknown>;
  let root: string;
  /** root/<name>: a copy of v1 (its manifest with `patch`), or a file `content` as its graph. */
  const member = (name: string, patch: Record<string, unknown> = {}, content?: string): void => {
    mkdirSync(join(root, name), { recursive: true });
    writeFileSync(join(root, name, 'manifest.json'), JSON.stringify({ ...v1Manifest, ...patch }));
    if (content === undefined) copyFileSync(v1Onnx, join(root, name, 'unet.onnx'));
    else writeFileSync(join(root, name, 'unet.onnx'), content);
  };
  const ensemble = (name: string, manifest: Record<string, unknown>): string => {
    mkdirSync(join(root, name), { recursive: true });
    writeFileSync(join(root, name, 'manifest.json'), JSON.stringify({ kind: 'ensemble', ...manifest }));
    return join(root, name);
  };
  const code = (path: string): string => { try { readUnetModel(path); return 'read'; } catch (e) { return `${(e as ModelError).code}: ${(e as ModelError).message}`; } };
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'unet-ensemble-'));
    member('a');
    member('b', { name: 'lakes-b' });
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('averages its members: two copies of v1 give v1\'s probabilities exactly, under the ensemble\'s own name and a hash of its members', async () => {
    const dir = ensemble('both', { name: 'lakes-2027', members: ['../a', '../b'] });
    const tiles = [0, 1].map((k) => {
      const rgb = new Uint8Array(224 * 224 * 3);
      for (let i = 0; i < rgb.length; i++) rgb[i] = (i * (k + 3) * 11 + (i >> 8)) % 253;
      const valid = new Uint8Array(224 * 224).fill(1);
      valid.fill(0, 0, 224 * 10);
      return { id: `t${k}`, size: 224, rgb, valid };
    });
    const [alone, both] = await Promise.all([v1, dir].map((modelPath) => loadUnetSegmenter({ modelPath, device: 'cpu', intraOpNumThreads: 1 })));
    try {
      const memberHash = sha16(v1Onnx);
      expect(both.info).toMatchObject({ name: 'lakes-2027', kind: 'unet', inputSize: 224, provenance: { weights: 'lakes-2027', weightsSha256: createHash('sha256').update(`${memberHash}+${memberHash}`).digest('hex').slice(0, 16) } });
      const [pa, pb] = [await alone.segment(tiles, { prompt: '' }), await both.segment(tiles, { prompt: '' })];
      for (let k = 0; k < tiles.length; k++) {
        expect(Buffer.from(pb[k].probability.buffer).equals(Buffer.from(pa[k].probability.buffer))).toBe(true);
        expect(pb[k].probability.subarray(0, 224 * 10).every((p) => p === 0)).toBe(true);
      }
    } finally {
      await Promise.all([alone.dispose(), both.dispose()]);
    }
  }, 60_000);

  it('takes only tiles every member can: sizes a multiple of 8 and of 12 mean a multiple of 24', async () => {
    member('eight', { input: { ...(v1Manifest.input as object), sizeMultiple: 8 } });
    member('twelve', { input: { ...(v1Manifest.input as object), sizeMultiple: 12 } });
    const both = await loadUnetSegmenter({ modelPath: ensemble('multiples', { members: ['../eight', '../twelve'] }), device: 'cpu', intraOpNumThreads: 1 });
    const tile = (size: number) => ({ id: `s${size}`, size, rgb: new Uint8Array(size * size * 3).fill(90), valid: new Uint8Array(size * size).fill(1) });
    try {
      for (const size of [36, 40]) { // 36 = 3 x 12 but not a multiple of 8; 40 = 5 x 8 but not of 12
        await expect(both.segment([tile(size)], { prompt: '' })).rejects.toThrow(new RegExp(`tile s${size} is ${size} px; the U-Net needs a multiple of 24`));
      }
      const [out] = await both.segment([tile(48)], { prompt: '' });
      expect(out.probability.length).toBe(48 * 48);
    } finally {
      await both.dispose();
    }
  }, 60_000);

  it('refuses, naming the manifest: a missing member, an absolute path, one member, a nested ensemble, members of different tile sizes', () => {
    expect(code(ensemble('gone', { members: ['../a', '../nowhere'] }))).toMatch(/^model_file_missing: member \.\.\/nowhere of the ensemble .*gone\/manifest\.json not found/);
    expect(code(ensemble('absolute', { members: ['../a', join(root, 'b')] }))).toMatch(/^model_manifest_invalid: .*absolute\/manifest\.json: members\.1: a member is a path relative/);
    expect(code(ensemble('single', { members: ['../a'] }))).toMatch(/^model_manifest_invalid: .*single\/manifest\.json: members: /);
    expect(code(ensemble('nested', { members: ['../a', '../single'] }))).toMatch(/^model_manifest_invalid: .*single\/manifest\.json describes an ensemble, not one graph/);
    member('c', { input: { ...(v1Manifest.input as object), size: 256 } });
    expect(code(ensemble('sizes', { members: ['../a', '../c'] }))).toMatch(/^model_manifest_invalid: the members of .*sizes\/manifest\.json take different tile sizes \(224, 256 px\)/);
    expect(code(ensemble('combine', { members: ['../a', '../b'], combine: 'max' }))).toMatch(/^model_manifest_invalid: .*combine/);
    // a single graph's reader refuses an ensemble's manifest
    expect(() => readUnetManifest(join(root, 'both'))).toThrow(/describes an ensemble/);
  });

  it('a copy of the built-in ensemble elsewhere is reported by its directory, never as waterline-unet9; a link to the built-in finds its members', async () => {
    const nine = builtinUnetDir('waterline-unet9');
    const dir = ensemble('copy9', { name: 'waterline-unet9', members: [relative(join(root, 'copy9'), v1), relative(join(root, 'copy9'), builtinUnetDir('waterline-unet8'))] });
    const copy = await loadUnetSegmenter({ modelPath: dir, device: 'cpu', intraOpNumThreads: 1 });
    try {
      expect(copy.info.provenance).toEqual({ weights: 'unet:copy9', weightsSha256: modelSha16(nine) });
    } finally {
      await copy.dispose();
    }
    symlinkSync(nine, join(root, 'link9'));
    expect(readUnetModel(join(root, 'link9')).members.map((m) => m.onnxPath)).toEqual(readUnetModel(nine).members.map((m) => m.onnxPath));
  }, 60_000);

  it('a member onnxruntime cannot load fails the load with a ModelError naming it, after the members started are released', async () => {
    member('broken', {}, 'not a model');
    const dir = ensemble('with-broken', { members: ['../a', '../broken'] });
    const failure = loadUnetSegmenter({ modelPath: dir, device: 'cpu', intraOpNumThreads: 1 });
    await expect(failure).rejects.toBeInstanceOf(ModelError);
    await expect(failure).rejects.toThrow(/broken\/unet\.onnx/);
  }, 60_000);
});
