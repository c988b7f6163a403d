/**
 * Client-facing errors (problem+json details, a job's `error`, readiness) never contain server paths or
 * CLI flags; the log keeps them.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { geoTiff } from '../raster/hostileTiff.ts';
import { builtinUnetVersion } from '../../src/core/model/modelNames.ts';
import { darkWaterSegmenter } from './fixtures/darkWaterSegmenter.ts';
import { startHarness, waitFor, type Harness } from './serverHarness.ts';

describe('errors seen by clients', () => {
  let h: Harness;
  let sceneId: string;
  const leaks = (text: string): void => {
    expect(text).not.toContain(h.dataDir);
    expect(text).not.toMatch(/\/tmp\/|\.part\b|--[a-z]|`waterline /);
  };
  beforeAll(async () => {
    let defaultLoads = 0;
    h = await startHarness({}, {}, {
      loadSegmenter: async (model) => {
        if (model === null && defaultLoads++ === 0) throw new Error(`cannot open /tmp/secret-models/unet.onnx (pass --model <dir>)`);
        // waterline-unet loads by the version it names (the provider keys models by weights)
        if (model === builtinUnetVersion('waterline-unet')) throw new Error(`ENOENT: no such file or directory, open '${process.cwd()}/models/spectral/x.json' (run \`waterline models pull x\`)`);
        return darkWaterSegmenter();
      },
    });
    writeFileSync(join(h.dataDir, 'a.tif'), geoTiff());
    const res = await fetch(`${h.url}/scenes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: 'a.tif' }) });
    sceneId = ((await res.json()) as { id: string }).id;
  });
  afterAll(async () => h.stop());

  /** Start a job on the scene with `model`, expect 202, and wait until it has failed. */
  const failedJob = async (model: string): Promise<{ state: string; error?: string }> => {
    const res = await fetch(`${h.url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scene: sceneId, model }) });
    expect(res.status).toBe(202);
    const { id } = (await res.json()) as { id: string };
    return waitFor(async () => {
      const j = (await (await fetch(`${h.url}/jobs/${id}`)).json()) as { state: string; error?: string };
      return j.state === 'failed' ? j : undefined;
    }, 'job failure');
  };

  it('readiness reports a failed model load without its paths or flags', async () => {
    const res = await fetch(`${h.url}/readyz`);
    const body = (await res.json()) as { status: string; error?: string };
    expect(body.status).toBe('failed');
    expect(body.error).toContain('cannot open <server path>');
    leaks(JSON.stringify(body));
  });

  it("a failed job's error names no server path and no flag", async () => {
    const job = await failedJob('waterline-unet');
    expect(job.error).toMatch(/could not be loaded: ENOENT: no such file or directory, open '<server path>'$/);
    leaks(JSON.stringify(job));
    leaks(JSON.stringify(await (await fetch(`${h.url}/jobs`)).json()));
  });

  it('waterline-spectral on a one-band scene fails with the reason, naming the scene, not its path', async () => {
    const job = await failedJob('waterline-spectral');
    expect(job.error).toMatch(/^a\.tif: no water index can be computed from its bands/);
    leaks(JSON.stringify(job));
  });

  it('refuses job bands the scene does not have at once, naming the option', async () => {
    const res = await fetch(`${h.url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scene: sceneId, options: { bands: [5] } }) });
    expect(res.status).toBe(400);
    const p = (await res.json()) as { code: string; detail: string };
    expect(p.code).toBe('bad_bands');
    expect(p.detail).toMatch(/^options\.bands: band 5 does not exist in scene .* \(it has 1\)/);
  });

  it('upload and registration errors name the scene as sent', async () => {
    const truncated = geoTiff().subarray(0, 600);
    const up = await fetch(`${h.url}/scenes?name=cut.tif`, { method: 'POST', headers: { 'content-type': 'image/tiff' }, body: new Uint8Array(truncated) });
    expect(up.status).toBe(400);
    const p1 = (await up.json()) as { detail: string };
    expect(p1.detail).toMatch(/^cut\.tif: truncated TIFF/);
    leaks(p1.detail);
    writeFileSync(join(h.dataDir, 'cut.tif'), truncated);
    const reg = await fetch(`${h.url}/scenes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: 'cut.tif' }) });
    const p2 = (await reg.json()) as { detail: string };
    expect(p2.detail).toMatch(/^cut\.tif: truncated TIFF/);
    leaks(p2.detail);
    const outside = await fetch(`${h.url}/scenes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: '/etc/passwd' }) });
    expect(outside.status).toBe(403);
    leaks(JSON.stringify(await outside.json()));
  });
});
