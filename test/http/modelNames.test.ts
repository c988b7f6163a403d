/**
 * `model` in requests is a registered name only (built-ins and the models cache), never a path: unknown
 * names get the same 400 whatever exists on the server's disk, nothing is loaded for them, and the loaded
 * models are keyed by the model they resolve to and bounded.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUILTIN_MODEL_NAMES, builtinUnetVersion } from '../../src/core/model/modelNames.ts';
import { InputError } from '../../src/core/errors.ts';
import { silentLogger } from '../../src/logger.ts';
import { createModelRegistry } from '../../src/http/modelRegistry.ts';
import { createSegmenterProvider } from '../../src/http/segmenterProvider.ts';
import { syntheticTiff } from '../raster/syntheticTiff.ts';
import { darkWaterSegmenter } from './fixtures/darkWaterSegmenter.ts';
import { startHarness, type Harness } from './serverHarness.ts';

const HOSTILE = ['/etc/passwd', '/dev/zero', '/nonexistent', '../../../etc/passwd', '.', 'models/unet', 'waterline-unet/../../x', `/tmp/${'a'.repeat(300)}`, 'C:\\Windows\\win.ini'];

describe('model registry', () => {
  it('resolves built-ins, cached names and bare repo names; refuses anything else with the list', () => {
    const registry = createModelRegistry({ modelsDir: '/nowhere', listCached: () => ['acme/paligemma-water', 'vae-less/other'] });
    expect(registry.names()).toEqual([...BUILTIN_MODEL_NAMES, 'acme/paligemma-water', 'vae-less/other']);
    expect(registry.resolve(undefined)).toBeNull();
    expect(registry.resolve('auto')).toBeNull();
    expect(registry.resolve('waterline-unet')).toBe('waterline-unet');
    expect(registry.resolve('waterline-spectral')).toBe('waterline-spectral');
    expect(registry.resolve('paligemma-water')).toBe('acme/paligemma-water');
    for (const name of HOSTILE) {
      const err = (() => { try { registry.resolve(name); } catch (e) { return e; } })();
      expect(err).toBeInstanceOf(InputError);
      expect((err as InputError).code).toBe('unknown_model');
      expect((err as InputError).message).toMatch(/the names are: auto, waterline-unet, waterline-unet-v1, waterline-unet5, waterline-unet8, waterline-unet9, waterline-unet9-int8, waterline-unet11, waterline-spectral, acme\/paligemma-water, vae-less\/other$/);
    }
  });

  it('refuses a retired built-in by name with its successor and how to restore it, never loading anything', async () => {
    const registry = createModelRegistry({ modelsDir: '/nowhere', listCached: () => [] });
    for (const [name, successor] of [['waterline-unet2', 'waterline-unet8'], ['waterline-unet6', 'waterline-unet9'], ['waterline-unet7', 'waterline-unet8']]) {
      const err = (() => { try { registry.resolve(name); } catch (e) { return e; } })() as InputError;
      expect(err).toBeInstanceOf(InputError);
      expect(err.code).toBe('model_retired');
      expect(err.message).toContain(`model "${name}" was retired`);
      expect(err.message).toContain(`${successor} replaces it`);
      expect(err.hint).toContain(`use ${successor}`);
      expect(registry.names()).not.toContain(name);
    }
    const loads: (string | null)[] = [];
    const provider = createSegmenterProvider(async (model) => {
      loads.push(model);
      return darkWaterSegmenter();
    }, silentLogger, { resolve: (m) => registry.resolve(m) });
    await expect(provider.get('waterline-unet3')).rejects.toMatchObject({ code: 'model_retired', status: 400 });
    expect(loads.filter((m) => m !== null)).toEqual([]); // at most the default, never the retired name
    await provider.dispose();
  });

  it('keys loaded models by the resolved name and keeps at most maxLoaded besides the default', async () => {
    const registry = createModelRegistry({ modelsDir: '/nowhere', listCached: () => ['a/one', 'a/two', 'a/three'] });
    const loads: (string | null)[] = [];
    const provider = createSegmenterProvider(async (model) => {
      loads.push(model);
      return darkWaterSegmenter();
    }, silentLogger, { resolve: (m) => registry.resolve(m), maxLoaded: 2 });
    await provider.get(null);
    await provider.get('one');
    await provider.get('a/one'); // same model, other spelling: not loaded again
    expect(loads).toEqual([null, 'a/one']);
    for (const name of HOSTILE) await expect(provider.get(name)).rejects.toBeInstanceOf(InputError);
    expect(loads).toEqual([null, 'a/one']);
    await provider.get('two');
    await provider.get('three'); // evicts a/one
    await provider.get('a/two');
    await provider.get('a/one'); // loaded again
    expect(loads).toEqual([null, 'a/one', 'a/two', 'a/three', 'a/one']);
    await provider.dispose();
  });
});

describe('model names over HTTP', () => {
  let h: Harness;
  let sceneId: string;
  const loads: (string | null)[] = [];
  beforeAll(async () => {
    h = await startHarness({}, {}, {
      loadSegmenter: async (model) => {
        loads.push(model);
        return darkWaterSegmenter();
      },
    });
    writeFileSync(join(h.dataDir, 'small.tif'), syntheticTiff({ width: 64, height: 64 }));
    const res = await fetch(`${h.url}/scenes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: 'small.tif' }) });
    expect(res.status).toBe(201);
    sceneId = ((await res.json()) as { id: string }).id;
    // a file that exists inside the data directory is no model name either
    mkdirSync(join(h.dataDir, 'models'), { recursive: true });
  });
  afterAll(async () => h.stop());

  const postJob = (model: unknown) => fetch(`${h.url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scene: sceneId, model }) });

  it('lists the names at /models', async () => {
    const body = (await (await fetch(`${h.url}/models`)).json()) as { models: string[]; default: string };
    expect(body.models).toEqual([...BUILTIN_MODEL_NAMES]);
    expect(body.default).toBe('auto');
  });

  it('answers every path with the same 400 in jobs and on-demand requests, loading nothing', async () => {
    const details = new Set<string>();
    for (const name of [...HOSTILE, join(h.dataDir, 'small.tif'), join(h.dataDir, 'models'), h.dataDir]) {
      const job = await postJob(name);
      expect(job.status).toBe(400);
      const problem = (await job.json()) as { code: string; detail: string };
      expect(problem.code).toBe('unknown_model');
      const normal = (d: string) => d.replace(`model "${name}"`, 'the model sent');
      details.add(normal(problem.detail));
      const onDemand = await fetch(`${h.url}/scenes/${sceneId}/water.geojson?bbox=-75.1,45.1,-74.9,45.2&model=${encodeURIComponent(name)}`);
      expect(onDemand.status).toBe(400);
      const p2 = (await onDemand.json()) as { code: string; detail: string };
      expect(p2.code).toBe('unknown_model');
      details.add(normal(p2.detail));
    }
    expect([...details]).toEqual(['the model sent is not a registered model name; the names are: auto, waterline-unet, waterline-unet-v1, waterline-unet5, waterline-unet8, waterline-unet9, waterline-unet9-int8, waterline-unet11, waterline-spectral (use one of these names (GET /models lists them), or leave model out for the server default)']);
    expect(loads).toEqual([null]);
  });

  it('accepts the built-in names; auto is the server default', async () => {
    const auto = await postJob('auto');
    expect(auto.status).toBe(202);
    expect(((await auto.json()) as { model: string | null }).model).toBeNull();
    const unet = await postJob('waterline-unet');
    expect(unet.status).toBe(202);
    expect(((await unet.json()) as { model: string | null }).model).toBe('waterline-unet');
  });

  it('a retired built-in name is a 400 naming its successor, with no repository path in it', async () => {
    const job = await postJob('waterline-unet4');
    expect(job.status).toBe(400);
    const problem = (await job.json()) as { code: string; detail: string };
    expect(problem.code).toBe('model_retired');
    expect(problem.detail).toMatch(/^model "waterline-unet4" was retired in round 2 \(no longer shipped\); waterline-unet8 replaces it .*use waterline-unet8, or leave model out for the server default/);
    expect(problem.detail).not.toMatch(/git|models\//);
  });

  it('does not grow memory with many distinct model strings', async () => {
    const ask = (i: number) => fetch(`${h.url}/scenes/${sceneId}/water.geojson?bbox=-75.1,45.1,-74.9,45.2&model=${encodeURIComponent(`/tmp/model-${i}-${'x'.repeat(i % 50)}`)}`).then((r) => r.arrayBuffer());
    for (let i = 0; i < 50; i++) await ask(1000 + i); // warm up
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 400; i++) {
      const r = await fetch(`${h.url}/scenes/${sceneId}/water.geojson?bbox=-75.1,45.1,-74.9,45.2&model=${encodeURIComponent(`/tmp/model-${i}-${'x'.repeat(i % 50)}`)}`);
      expect(r.status).toBe(400);
      await r.arrayBuffer();
    }
    const grown = (process.memoryUsage().rss - before) / 1024 / 1024;
    console.log(`RSS before ${(before / 1024 / 1024).toFixed(0)} MB, after 400 distinct model strings +${grown.toFixed(1)} MB`);
    expect(grown).toBeLessThan(40);
    // only the default and the job asking for waterline-unet (this fake default is not named so, so its weights load by version)
    expect(loads.filter((m) => m !== null && m !== builtinUnetVersion('waterline-unet'))).toEqual([]);
  });
});
