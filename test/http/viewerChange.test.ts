/**
 * The map viewer starts a water change job (a scene + "Compare with" another) in headless Chromium and draws its
 * classed polygons: the rendered features carry `class`, the legend shows. The model is the dark-water test
 * double (a test tool) so the page is exercised end to end quickly. Screenshot: test/.out/viewer-change.png.
 */
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { scenePipeline } from '../../src/http/pipelineBinding.ts';
import { describeBrowser, launchChromium, openViewer, saveScreenshot } from '../helpers/chromium.ts';
import { scenePath } from '../helpers/shared.ts';
import { darkWaterSegmenter } from './fixtures/darkWaterSegmenter.ts';
import { addScene, startTestServer, type TestServer } from './tilesTestServer.ts';

describeBrowser('map viewer: water change job', () => {
  let server: TestServer;
  let browser: Browser;
  let ids: string[] = [];

  beforeAll(async () => {
    server = await startTestServer({ pipeline: scenePipeline, loadSegmenter: async () => darkWaterSegmenter() });
    ids = ['naip-dakota-2015-rgbn-cog.tif', 'naip-dakota-2009-rgbn-cog.tif'].map((name) => addScene(server, scenePath(name)));
    browser = await launchChromium({ webgl: true });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('starts a change job with "Compare with" and renders the polygons by class', async () => {
    const { page, errors } = await openViewer(browser, server.url);
    // select 2009 (date A) and compare it with 2015
    await page.click('#scenes li:has-text("2009")');
    await page.waitForFunction(() => (window as any).waterline.state.scene?.name.includes('2009'), null, { timeout: 30_000 });
    await page.selectOption('#compare-to', ids[0]);
    await page.click('#start-job');
    await page.waitForFunction(() => ['succeeded', 'failed', 'cancelled'].includes((window as any).waterline?.state.job?.state), null, { timeout: 90_000 });
    const job = await page.evaluate(() => (window as any).waterline.state.job);
    expect(job.state, job.error).toBe('succeeded');
    expect(job).toMatchObject({ kind: 'change', scenes: [ids[1], ids[0]] });
    await page.waitForFunction(() => (window as any).waterline.renderedWaterFeatures() > 0, null, { timeout: 30_000 });
    const classes = await page.evaluate(() => [...new Set((window as any).waterline.map.queryRenderedFeatures({ layers: ['water'] }).map((f: any) => f.properties.class))].sort());
    expect(classes.length).toBeGreaterThan(1);
    for (const c of classes) expect(['gained', 'lost', 'permanent', 'unknown']).toContain(c);
    expect(await page.locator('#change-legend').isVisible()).toBe(true);
    expect(await page.locator('#water-info').textContent()).toContain('naip-dakota-2015-rgbn-cog.tif');
    // before/after: date B's imagery fades in over date A's with the slider
    expect(await page.locator('#before-after').isVisible()).toBe(true);
    await page.locator('#date-b-opacity').fill('60');
    expect(await page.evaluate(() => (window as any).waterline.map.getPaintProperty('imagery-b', 'raster-opacity'))).toBeCloseTo(0.6);
    await saveScreenshot(page, 'viewer-change.png');
    expect(errors).toEqual([]);
  }, 150_000);
});
