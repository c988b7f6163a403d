import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../../src/core/errors.ts';
import { silentLogger } from '../../src/logger.ts';
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
});
