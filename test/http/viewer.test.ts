/**
 * The map viewer in a real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core): the
 * page lists the scene, shows its imagery tiles, a click on "Start job" runs a real job through the real
 * pipeline, and the water layer (vector tiles) renders: map.queryRenderedFeatures({layers:['water']}) > 0.
 * A screenshot is written to test/.out/viewer.png for humans.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { describeBrowser, launchChromium, openViewer, saveScreenshot } from '../helpers/chromium.ts';
import { repoRoot, scenePath } from '../helpers/shared.ts';
import { scenePipeline } from '../../src/http/pipelineBinding.ts';
import type { Segmenter } from '../../src/core/model/segmenter.ts';
import { addScene, startTestServer, type TestServer } from './tilesTestServer.ts';

const unetManifest = join(repoRoot, 'models', 'unet', 'manifest.json');

/**
 * The model: the project's U-Net when its ONNX file has landed; otherwise a test double that calls dark
 * pixels water (a test tool, never served to users) so the page is still exercised end to end.
 */
async function loadModel(): Promise<Segmenter> {
  if (existsSync(unetManifest)) {
    const { loadUnetSegmenter } = await import('../../src/adapters/onnx/unetSegmenter.ts');
    return loadUnetSegmenter({ device: 'cpu' });
  }
  return {
    info: { name: 'test-double-dark-pixels', kind: 'test', inputSize: 224, provider: 'cpu', usesPrompt: false },
    async segment(tiles) {
      return tiles.map((t) => {
        const p = new Float32Array(t.size * t.size);
        for (let i = 0; i < p.length; i++) {
          const lum = (t.rgb[i * 3] + t.rgb[i * 3 + 1] + t.rgb[i * 3 + 2]) / 3;
          p[i] = t.valid[i] && lum < 50 ? 1 : 0;
        }
        return { tileId: t.id, probability: p, defects: [] };
      });
    },
    async dispose() {},
  };
}

describeBrowser('map viewer in headless Chromium', () => {
  let server: TestServer;
  let browser: Browser;

  beforeAll(async () => {
    server = await startTestServer({ pipeline: scenePipeline, loadSegmenter: loadModel });
    addScene(server, scenePath('landsat8-ottawa-rgb16-utm18-cog.tif'));
    browser = await launchChromium({ webgl: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('starts a job from the page and renders the water layer', async () => {
    const tileRequests: string[] = [];
    const { page, errors } = await openViewer(browser, server.url, (p) => p.on('request', (r) => { if (/\/tiles\//.test(r.url())) tileRequests.push(r.url()); }));
    expect(await page.locator('#scenes li.selected').count()).toBe(1);
    expect(await page.locator('#scenes li.selected').textContent()).toContain('ottawa');

    await page.click('#start-job');
    await page.waitForFunction(() => ['succeeded', 'failed', 'cancelled'].includes((window as any).waterline?.state.job?.state), null, { timeout: 90_000 });
    const job = await page.evaluate(() => (window as any).waterline.state.job);
    expect(job.state, job.error).toBe('succeeded');
    expect(job.progress.tilesDone).toBe(job.progress.tilesTotal);
    await page.waitForFunction(() => (window as any).waterline.renderedWaterFeatures() > 0, null, { timeout: 30_000 });
    const rendered = await page.evaluate(() => (window as any).waterline.renderedWaterFeatures());
    expect(rendered).toBeGreaterThan(0);
    expect(tileRequests.some((u) => u.includes(`/jobs/${job.id}/tiles/`) && u.endsWith('.mvt'))).toBe(true);
    expect(tileRequests.some((u) => /\/scenes\/[^/]+\/tiles\/.*\.png$/.test(u))).toBe(true);
    expect(await page.locator('#job-status').textContent()).toContain('succeeded');

    await saveScreenshot(page, 'viewer.png');
    expect(errors).toEqual([]);
  }, 150_000);
});
