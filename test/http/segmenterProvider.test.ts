import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../../src/core/errors.ts';
import type { ModelTile, Segmenter } from '../../src/core/model/segmenter.ts';
import { silentLogger } from '../../src/logger.ts';
import { DEFAULT_UNET_VERSION } from '../../src/core/model/modelNames.ts';
import { createSegmenterProvider } from '../../src/http/segmenterProvider.ts';
import { darkWaterSegmenter } from './fixtures/darkWaterSegmenter.ts';

describe('segmenter provider', () => {
  it('retries the default model after its first load failed', async () => {
    const calls: (string | null)[] = [];
    const provider = createSegmenterProvider(async (model) => {
      calls.push(model);
      if (calls.length === 1) throw new Error('disk not mounted yet');
      return darkWaterSegmenter();
    }, silentLogger);

    const first = await provider.get(null).catch((err: unknown) => err);
    expect(first).toBeInstanceOf(UnavailableError);
    expect((first as UnavailableError).code).toBe('model_unavailable');
    expect(provider.info).toBeUndefined();
    expect(provider.loadError).toMatch(/disk not mounted yet/);

    const second = await provider.get(null);
    expect(second.info.name).toBe('test-dark-water');
    expect(provider.info?.name).toBe('test-dark-water');
    expect(provider.loadError).toBeUndefined();
    expect(calls).toEqual([null, null]);

    // loaded now: kept, not loaded again (also when asked for by name)
    expect(await provider.get(null)).toBe(second);
    expect(await provider.get('test-dark-water')).toBe(second);
    expect(calls).toEqual([null, null]);
    await provider.dispose();
  });

  it('a built-in name for the default\'s weights asked for while the default still loads gets the default, not a copy', async () => {
    const calls: (string | null)[] = [];
    let finish: () => void = () => undefined;
    const loaded = new Promise<void>((r) => { finish = r; });
    const provider = createSegmenterProvider(async (model) => {
      calls.push(model);
      if (model === null) await loaded; // the default (waterline-unet) is still loading when the request comes
      const s = darkWaterSegmenter();
      return { ...s, info: { ...s.info, name: model ?? 'waterline-unet' } };
    }, silentLogger);
    const asked = provider.get(DEFAULT_UNET_VERSION);
    finish();
    const byVersion = await asked;
    expect(byVersion.info.name).toBe(DEFAULT_UNET_VERSION);
    expect(calls).toEqual([null]);
    expect((await provider.get('waterline-unet')).info.name).toBe('waterline-unet');
    expect(calls).toEqual([null]);
    await provider.dispose();
  });

  it('auto and waterline-spectral run on the default model: never a second copy of it', async () => {
    const calls: (string | null)[] = [];
    const provider = createSegmenterProvider(async (model) => {
      calls.push(model);
      return darkWaterSegmenter();
    }, silentLogger);
    const byDefault = await provider.get(null);
    expect(await provider.get('auto')).toBe(byDefault);
    expect(await provider.get('waterline-spectral')).toBe(byDefault);
    expect(calls).toEqual([null]);
    await provider.dispose();
  });

  it('retries a named model after its load failed', async () => {
    let fails = 1;
    const provider = createSegmenterProvider(async (model) => {
      if (model === 'other' && fails-- > 0) throw new Error('not yet');
      return darkWaterSegmenter();
    }, silentLogger);
    await expect(provider.get('other')).rejects.toBeInstanceOf(UnavailableError);
    expect((await provider.get('other')).info.name).toBe('test-dark-water');
    await provider.dispose();
  });

  it('disposes a model dropped from the cache once no call runs on it, and never one with a call in flight', async () => {
    // copies[0] is the default model's copy, the named ones follow
    const { provider, copies, violations, hold, run, named } = copiesProvider();

    // alternating two models with room for one: each switch drops the other, which is disposed
    const a = await provider.get('a');
    expect(await run(a)).toBe('a:r0c0');
    const b = await provider.get('b');
    await settle();
    expect(named()).toEqual([['a', true], ['b', false]]);
    expect(await run(b)).toBe('b:r0c0');
    expect(await provider.get('a')).toBe(a); // one handle per model, whatever is loaded behind it
    await settle();
    expect(named()).toEqual([['a', true], ['b', true], ['a', false]]);

    // a job holding model a from before: its next call runs on the copy loaded now, never on a disposed one
    expect(await run(a)).toBe('a:r0c0');

    // a call in flight on a when b evicts it: a is disposed only when that call returns
    hold.next = true;
    const inFlight = run(a);
    await settle();
    const busy = copies[3];
    expect(busy.inFlight).toBe(1);
    await provider.get('b');
    await settle();
    expect(busy.disposed).toBe(false);
    busy.release!();
    expect(await inFlight).toBe('a:r0c0');
    await settle();
    expect(busy.disposed).toBe(true);

    // the handle of a dropped model loads it again on its next call (and that drops b)
    expect(await run(a)).toBe('a:r0c0');
    await settle();
    expect(named()).toEqual([['a', true], ['b', true], ['a', true], ['b', true], ['a', false]]);

    await provider.dispose();
    expect(copies.every((c) => c.disposed)).toBe(true);
    expect(violations).toEqual([]);
    // nothing is loaded after dispose (it would never be released)
    await expect(run(b)).rejects.toThrow(/shutting down/);
    expect(copies.length).toBe(6);
  });

  /** A provider whose loads are recorded copies (maxLoaded 1): which were loaded, disposed, and misused. */
  function copiesProvider(defaultName = 'default') {
    type Copy = { model: string | null; inFlight: number; disposed: boolean; release?: () => void };
    const copies: Copy[] = [];
    const violations: string[] = [];
    const hold = { next: false };
    const provider = createSegmenterProvider(async (model) => {
      const copy: Copy = { model, inFlight: 0, disposed: false };
      copies.push(copy);
      const fake: Segmenter = {
        info: { name: model ?? defaultName, kind: 'test', inputSize: 224, provider: 'cpu', usesPrompt: false },
        async segment(tiles) {
          if (copy.disposed) violations.push(`${model} #${copies.indexOf(copy)} segmented after it was disposed`);
          const live = copies.filter((c) => c.model === model && !c.disposed).length;
          if (live > 1) violations.push(`${live} live copies of ${model}`);
          copy.inFlight++;
          try {
            if (hold.next) {
              hold.next = false;
              await new Promise<void>((resolve) => (copy.release = resolve));
            }
            return tiles.map((t) => ({ tileId: `${model}:${t.id}`, probability: new Float32Array(1), defects: [] }));
          } finally {
            copy.inFlight--;
          }
        },
        async dispose() {
          if (copy.inFlight > 0) violations.push(`${model} #${copies.indexOf(copy)} disposed with ${copy.inFlight} call(s) in flight`);
          if (copy.disposed) violations.push(`${model} #${copies.indexOf(copy)} disposed twice`);
          copy.disposed = true;
        },
      };
      return fake;
    }, silentLogger, { maxLoaded: 1 });
    const tile: ModelTile = { id: 'r0c0', size: 1, rgb: new Uint8Array(3), valid: new Uint8Array(1) };
    const run = async (s: Segmenter) => (await s.segment([tile], { prompt: '' }))[0].tileId;
    const named = () => copies.filter((c) => c.model !== null).map((c) => [c.model, c.disposed]);
    return { provider, copies, violations, hold, run, named };
  }
  const settle = () => new Promise((r) => setImmediate(r));

  it('a dropped model asked for again while a call still runs on it is taken back, not loaded a second time', async () => {
    const { provider, copies, violations, hold, run, named } = copiesProvider();
    const a = await provider.get('a');
    hold.next = true;
    const inFlight = run(a);
    await settle();
    await provider.get('b'); // drops a, whose call still runs
    await settle();
    expect(named()).toEqual([['a', false], ['b', false]]);
    // the job's next batch on a: the running copy comes back (and b, room for one, is dropped)
    expect(await run(a)).toBe('a:r0c0');
    await settle();
    expect(named()).toEqual([['a', false], ['b', true]]);
    copies[1].release!();
    expect(await inFlight).toBe('a:r0c0');
    await settle();
    expect(named()).toEqual([['a', false], ['b', true]]); // taken back: not disposed when its call returned
    expect(await run(a)).toBe('a:r0c0');
    await provider.dispose();
    expect(copies.every((c) => c.disposed)).toBe(true);
    expect(violations).toEqual([]);
  });

  it('after dispose() a handle held by a job runs nothing (not the disposed copy), and get rejects', async () => {
    const { provider, copies, violations, run } = copiesProvider();
    const a = await provider.get('a');
    expect(await run(a)).toBe('a:r0c0');
    await provider.dispose();
    expect(copies.every((c) => c.disposed)).toBe(true);
    await expect(run(a)).rejects.toThrow(/shutting down/);
    await expect(provider.get('a')).rejects.toThrow(/shutting down/);
    expect(copies.length).toBe(2);
    expect(violations).toEqual([]);
  });

  it('waterline-unet and the version it stands for are one copy (loaded by the versioned name); each handle keeps the name asked for', async () => {
    const { provider, copies, violations, run, named } = copiesProvider();
    const unet = await provider.get('waterline-unet');
    const version = await provider.get(DEFAULT_UNET_VERSION);
    expect(unet).not.toBe(version);
    expect(unet.info.name).toBe('waterline-unet');
    expect(version.info.name).toBe(DEFAULT_UNET_VERSION);
    expect(await run(unet)).toBe(`${DEFAULT_UNET_VERSION}:r0c0`);
    expect(await run(version)).toBe(`${DEFAULT_UNET_VERSION}:r0c0`);
    await settle();
    expect(named()).toEqual([[DEFAULT_UNET_VERSION, false]]);
    // another model drops it; either name loads it again, once
    await provider.get('waterline-unet5');
    expect(await run(unet)).toBe(`${DEFAULT_UNET_VERSION}:r0c0`);
    expect(await run(version)).toBe(`${DEFAULT_UNET_VERSION}:r0c0`);
    await settle();
    expect(named()).toEqual([[DEFAULT_UNET_VERSION, true], ['waterline-unet5', true], [DEFAULT_UNET_VERSION, false]]);
    expect(unet.info.name).toBe('waterline-unet');
    await provider.dispose();
    expect(violations).toEqual([]);
    expect(copies.length).toBe(4);
  });

  it('a name for the default model\'s weights gets the default model under that name, not a second copy', async () => {
    const { provider, copies } = copiesProvider('waterline-unet');
    const byDefault = await provider.get(null);
    expect(byDefault.info.name).toBe('waterline-unet');
    expect(await provider.get('waterline-unet')).toBe(byDefault);
    const version = await provider.get(DEFAULT_UNET_VERSION);
    expect(version.info.name).toBe(DEFAULT_UNET_VERSION);
    expect(version.info.kind).toBe(byDefault.info.kind);
    expect(await provider.get(DEFAULT_UNET_VERSION)).toBe(version);
    expect(copies.map((c) => c.model)).toEqual([null]);
    await provider.dispose();
  });
});
