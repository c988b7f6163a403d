/**
 * The run report in a real headless Chromium (Debian's /usr/bin/chromium driven by playwright-core):
 * `waterline segment --report` on a real scene writes a page that renders offline (no request leaves the
 * file), whose numbers match the GeoJSON written next to it (polygon count, water area, polygon-size bins,
 * probability histogram), with the water drawn on the quicklook; the server serves the same page for the
 * same result at /jobs/{id}/report, links it from the job, and the viewer shows the link.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { WaterCollection } from '../../src/core/vector/waterCollection.ts';
import { describeBrowser, launchChromium } from '../helpers/chromium.ts';
import { scenePath } from '../helpers/shared.ts';
import { runCli } from '../helpers/runCli.ts';
import { addFinishedJob, addScene, startTestServer, type TestServer } from './tilesTestServer.ts';

const SCENE = 'spot-chicago-pan-stateplane-ft.tif';

interface PageNumbers {
  polygons: number;
  waterAreaM2: number;
  bars: { count: number; from: number; to: number }[];
  probabilityTotal: number;
  skipped: number;
  failed: number;
  quicklook: { width: number; height: number; blue: number; opaque: number };
}

/** Open a report and read its numbers back; also collects page errors and every request it makes. */
async function readReport(page: Page, url: string): Promise<{ numbers: PageNumbers; errors: string[]; requests: string[] }> {
  const errors: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  page.on('request', (r) => requests.push(r.url()));
  await page.goto(url, { waitUntil: 'load' });
  const numbers = await page.evaluate(async () => {
    const img = document.getElementById('quicklook') as HTMLImageElement;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const g = canvas.getContext('2d')!;
    g.drawImage(img, 0, 0);
    const px = g.getImageData(0, 0, canvas.width, canvas.height).data;
    let blue = 0;
    let opaque = 0;
    for (let i = 0; i < px.length; i += 4) {
      if (px[i + 3] > 0) opaque++;
      if (px[i + 2] > px[i] + 60 && px[i + 2] > px[i + 1] + 30) blue++;
    }
    const num = (sel: string, attr: string) => Number(document.querySelector(sel)!.getAttribute(attr));
    return {
      polygons: num('#polygons', 'data-count'),
      waterAreaM2: num('#water-area', 'data-m2'),
      bars: [...document.querySelectorAll('#polygon-sizes rect.bar')].map((r) => ({ count: Number(r.getAttribute('data-count')), from: Number(r.getAttribute('data-from')), to: Number(r.getAttribute('data-to')) })),
      probabilityTotal: num('#probability', 'data-total'),
      skipped: num('#skipped-count', 'data-count'),
      failed: num('#failed-count', 'data-count'),
      quicklook: { width: img.naturalWidth, height: img.naturalHeight, blue, opaque },
    };
  });
  return { numbers, errors, requests };
}

function expectMatchesGeoJson(n: PageNumbers, fc: WaterCollection): void {
  expect(n.polygons).toBe(fc.features.length);
  const area = fc.features.reduce((s, f) => s + f.properties.area_m2, 0);
  expect(Math.abs(n.waterAreaM2 - area)).toBeLessThan(1e-6 * area);
  // every polygon in exactly one size bin, and each bin holds the polygons whose area falls in it
  expect(n.bars.reduce((s, b) => s + b.count, 0)).toBe(fc.features.length);
  n.bars.forEach((b, i) => {
    const last = i === n.bars.length - 1;
    expect(b.count).toBe(fc.features.filter((f) => f.properties.area_m2 >= b.from && (f.properties.area_m2 < b.to || (last && f.properties.area_m2 <= b.to))).length);
  });
  // the probability histogram covers every valid pixel of the scene (this scene has no nodata)
  const recorded = fc.waterline.probabilityHistogram as { counts: number[] };
  expect(n.probabilityTotal).toBe(recorded.counts.reduce((s, c) => s + c, 0));
  expect(n.skipped).toBe(fc.waterline.skippedTiles?.length);
  expect(n.failed).toBe(fc.waterline.failedTiles?.length);
}

describeBrowser('run report in headless Chromium', () => {
  const dir = mkdtempSync(join(tmpdir(), 'waterline-report-'));
  const geojsonPath = join(dir, 'water.geojson');
  const reportPath = join(dir, 'run.html');
  let browser: Browser;
  let server: TestServer;
  let fc: WaterCollection;

  beforeAll(async () => {
    const r = await runCli(['segment', scenePath(SCENE), '-o', geojsonPath, '--report', reportPath, '--device', 'cpu']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain(`run report → ${reportPath}`);
    fc = JSON.parse(readFileSync(geojsonPath, 'utf8')) as WaterCollection;
    browser = await launchChromium();
    server = await startTestServer();
  }, 120_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  let cliNumbers: PageNumbers;

  it('segment --report: renders offline and its numbers match the GeoJSON', async () => {
    const page = await browser.newPage({ viewport: { width: 1250, height: 900 } });
    const { numbers, errors, requests } = await readReport(page, `file://${reportPath}`);
    expect(errors).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('data:') && u !== `file://${reportPath}`)).toEqual([]);
    expectMatchesGeoJson(numbers, fc);
    // enough polygons to fill several size bins (the lake, and smaller water the model finds beside it)
    expect(fc.features.length).toBeGreaterThan(5);
    expect(numbers.bars.filter((b) => b.count > 0).length).toBeGreaterThanOrEqual(3);
    // the 699 x 929 px scene at ≤ 800 px, every pixel valid, and the lake drawn in blue (about a third of the scene is water)
    expect(numbers.quicklook).toMatchObject({ width: 602, height: 800, opaque: 602 * 800 });
    expect(numbers.quicklook.blue / numbers.quicklook.opaque).toBeGreaterThan(0.2);
    cliNumbers = numbers;
    await page.close();
  }, 60_000);

  it('GET /jobs/{id}/report serves the same page for the same result; the job links it and the viewer shows the link', async () => {
    const sceneId = addScene(server, scenePath(SCENE));
    const jobId = addFinishedJob(server, sceneId, fc);
    const res = await fetch(`${server.url}/jobs/${jobId}/report`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await browser.newPage({ viewport: { width: 1250, height: 900 } });
    const { numbers, errors } = await readReport(page, `${server.url}/jobs/${jobId}/report`);
    expect(errors).toEqual([]);
    expect(numbers).toEqual(cliNumbers);
    await page.close();

    const job = (await (await fetch(`${server.url}/jobs/${jobId}`)).json()) as { links: { rel: string; href: string }[] };
    expect(job.links).toContainEqual({ rel: 'report', href: `/jobs/${jobId}/report`, type: 'text/html' });
    const missing = await fetch(`${server.url}/jobs/nope/report`);
    expect(missing.status).toBe(404);

    const viewer = await browser.newPage({ viewport: { width: 1100, height: 800 } });
    await viewer.goto(server.url, { waitUntil: 'load' });
    await viewer.waitForSelector('#job-report:not([hidden])', { timeout: 30_000 });
    expect(await viewer.getAttribute('#job-report', 'href')).toBe(`/jobs/${jobId}/report`);
    await viewer.close();
  }, 90_000);
});
