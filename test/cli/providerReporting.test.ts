/**
 * The execution provider in use is visible everywhere a user looks (issue 3, item 2): `waterline info`
 * (runtime line / `runtime` JSON key; with --model, the provider the loaded model runs on), the one
 * structured log line of every model load, and `waterline segment` (summary + GeoJSON provenance).
 * Models: the scripted tiny PaliGemma + fill VAE (test tools), and the U-Net when its files are present.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readEnvConfig } from '../../src/config.ts';
import type { WaterCollection } from '../../src/core/vector/waterCollection.ts';
import { describeShared, repoRoot, scenePath } from '../helpers/shared.ts';
import { runCli } from '../helpers/runCli.ts';
import { scriptedPaliGemma } from '../helpers/tinyModels.ts';
import { fillVaePath } from '../helpers/vaeFixture.ts';

const SEGS = Array.from({ length: 16 }, (_, i) => `<seg${String(i * 7).padStart(3, '0')}>`).join('');
const env = { ...readEnvConfig({}), modelsDir: join(tmpdir(), 'waterline-no-models') };

/** Whether onnxruntime-node's CUDA provider library is installed, checked independently of the code under test. */
const cudaInstalled = (() => {
  const bin = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')), '..', 'bin');
  return readdirSync(bin).some((napi) => existsSync(join(bin, napi, process.platform, process.arch, 'libonnxruntime_providers_cuda.so')));
})();

/** A logger at info level whose lines are collected (parsed JSON). */
function capturingLogger(): { logger: pino.Logger; lines: () => Record<string, unknown>[] } {
  let text = '';
  const stream = new Writable({ write(chunk, _enc, cb) { text += chunk.toString(); cb(); } });
  const logger = pino({ level: 'info' }, stream);
  return { logger, lines: () => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) };
}

describe('waterline info: runtime and provider in use', () => {
  let model: string;
  let vae: string;
  beforeAll(() => {
    model = scriptedPaliGemma(`<loc0000><loc0000><loc1023><loc1023>${SEGS} water`);
    vae = fillVaePath();
  });

  it('without arguments prints the runtime line: cpu always, cuda only when installed, a provider that cannot start in the not-available list', async () => {
    const r = await runCli(['info'], { env });
    expect(r.code, r.stderr).toBe(0);
    const line = r.stdout.trim();
    expect(line).toMatch(/^Runtime: onnxruntime-node \d+\.\d+\.\d+; execution providers: cpu/);
    if (cudaInstalled) expect(line).toMatch(/cuda/);
    else expect(line).toContain('cuda: libonnxruntime_providers_cuda.so not installed');
    expect(line).toMatch(/execution providers: [^(]*webgpu|webgpu: bundled but cannot start: /);
    expect(line).not.toMatch(/\.(cc|cpp):\d+|was false/);
  });

  it('a provider is listed exactly when a model really starts on it; when it cannot, --device names why in one clean line', async () => {
    const { runtime } = JSON.parse((await runCli(['info', '--json'], { env })).stdout);
    const webgpu = runtime.providerDetails.find((p: { name: string }) => p.name === 'webgpu');
    expect(runtime.providers.includes('webgpu')).toBe(webgpu.available);
    // a real process, so native warnings written straight to fd 2 (Dawn, CUDA loader) would show
    const run = spawnSync(process.execPath, [join(repoRoot, 'bin', 'waterline.mjs'), 'info', '--model', 'waterline-unet', '--device', 'webgpu'], {
      encoding: 'utf8',
      env: { ...process.env, WATERLINE_LOG_LEVEL: 'warn' },
    });
    expect(run.status === 0, run.stderr).toBe(webgpu.available);
    if (!webgpu.available) {
      expect(run.stderr.trim().split('\n'), run.stderr).toHaveLength(1);
      expect(run.stderr).toMatch(/^error: the webgpu execution provider could not be started for .*: .+ \(use --device cpu\)$/m);
      expect(run.stderr).toContain(webgpu.problem);
      expect(run.stderr).not.toMatch(/\.(cc|cpp):\d+|was false|Warning/);
    }
  }, 60_000);

  it('--json has a runtime key listing the available providers', async () => {
    const r = await runCli(['info', '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const { runtime } = JSON.parse(r.stdout);
    expect(runtime.providers[0]).toBe('cpu');
    expect(runtime.providers.includes('cuda')).toBe(cudaInstalled);
    expect(runtime.providerDetails.find((p: { name: string }) => p.name === 'cuda')).toMatchObject({ bundled: false, available: cudaInstalled });
    expect(runtime.model).toBeUndefined();
  });

  it('--model loads the model, reports the provider it runs on, and logs one structured load line', async () => {
    const { logger, lines } = capturingLogger();
    const r = await runCli(['info', '--json', '--model', model, '--vae', vae, '--device', 'cpu'], { env, logger });
    expect(r.code, r.stderr).toBe(0);
    const { runtime } = JSON.parse(r.stdout);
    expect(runtime.model).toEqual({ name: expect.any(String), kind: 'paligemma', inputSize: 28, provider: 'cpu', deviceRequested: 'cpu' });
    const loads = lines().filter((l) => l.deviceRequested !== undefined);
    expect(loads).toHaveLength(1);
    expect(loads[0]).toMatchObject({ level: 30, model: runtime.model.name, kind: 'paligemma', provider: 'cpu', deviceRequested: 'cpu' });
    expect(loads[0]).not.toHaveProperty('fallback');
  });

  it('--device auto: runs on cuda when installed, else cpu without calling it a fallback', async () => {
    const { logger, lines } = capturingLogger();
    const r = await runCli(['info', '--model', model, '--vae', vae, '--device', 'auto'], { env, logger });
    expect(r.code, r.stderr).toBe(0);
    const where = cudaInstalled ? /running on (cuda|cpu)/ : /running on cpu \(requested --device auto\)$/m;
    expect(r.stdout).toMatch(where);
    const load = lines().find((l) => l.deviceRequested === 'auto')!;
    if (!cudaInstalled) expect(load).not.toHaveProperty('fallback');
    // with CUDA installed but unusable (no GPU), auto falls back to cpu and says so
    else if (load.provider === 'cpu') expect(load.fallback).toBe('cuda -> cpu');
  });

  it.skipIf(cudaInstalled)('--device cuda without the CUDA library: one error line naming the missing library', async () => {
    const r = await runCli(['info', '--model', model, '--vae', vae, '--device', 'cuda'], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^error: the cuda execution provider could not be started for .*libonnxruntime_providers_cuda\.so not installed/);
  });

  const unetPresent = existsSync(join(repoRoot, 'models', 'unet', 'manifest.json'));
  it.skipIf(!unetPresent)(`--model waterline-unet reports the U-Net's provider${unetPresent ? '' : ' [skipped: models/unet not present]'}`, async () => {
    const r = await runCli(['info', '--json', '--model', 'waterline-unet', '--device', 'cpu'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout).runtime.model).toMatchObject({ name: 'waterline-unet', kind: 'unet', provider: 'cpu', deviceRequested: 'cpu' });
  });
});

describeShared('provider on a real scene: info and segment', () => {
  const SCENE = 'landsat8-stlawrence-rgb16-4326-cog.tif';
  const dir = mkdtempSync(join(tmpdir(), 'waterline-provider-'));
  const scene = join(dir, 'crop.tif');
  beforeAll(() => {
    execFileSync('gdal_translate', ['-q', '-srcwin', '40', '40', '56', '56', scenePath(SCENE), scene]);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('info <scene> --json keeps the scene report and adds the runtime', async () => {
    const r = await runCli(['info', scene, '--json'], { env });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.size).toEqual([56, 56]);
    expect(report.runtime.providers).toContain('cpu');
    const text = await runCli(['info', scene], { env });
    expect(text.stdout).toMatch(/^Size is 56, 56$/m);
    expect(text.stdout).toMatch(/^Runtime: onnxruntime-node .*execution providers: cpu/m);
  });

  it('segment prints the provider in its summary and records it in the GeoJSON provenance', async () => {
    const model = scriptedPaliGemma(`<loc0000><loc0000><loc1023><loc1023>${SEGS} water`);
    const out = join(dir, 'water.geojson');
    const r = await runCli(['segment', scene, '-o', out, '--model', model, '--vae', fillVaePath(), '--overlap', '0', '--device', 'cpu'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/model .+ \(paligemma, cpu\); \d+ tiles/);
    const fc = JSON.parse(readFileSync(out, 'utf8')) as WaterCollection;
    expect(fc.waterline).toMatchObject({ modelKind: 'paligemma', provider: 'cpu' });
    expect(fc.features.length).toBeGreaterThan(0);
  });
});
