/**
 * The run report's pure parts (histograms, provenance rows) and the page of a run with failed and skipped
 * tiles on an in-memory scene: the numbers and the tile places come from the result, the page is self-contained.
 */
import { describe, expect, it } from 'vitest';
import { logHistogram, probabilityHistogram } from '../../src/core/report/histogram.ts';
import { provenanceRows } from '../../src/core/report/runReport.ts';
import { renderRunReport } from '../../src/pipeline/runReport.ts';
import { segmentScene } from '../../src/pipeline/segmentScene.ts';
import { darkIsWater, memoryScene } from '../pipeline/memoryScene.ts';

describe('histograms', () => {
  it('logHistogram: two bins per decade from the smallest decade, edges inclusive below', () => {
    const h = logHistogram([1, 3, 3.1623, 9.99, 10, 99, 0, -5, Number.NaN], 2);
    expect(h.edges.map((e) => Number(e.toPrecision(4)))).toEqual([1, 3.162, 10, 31.62, 100]);
    expect(h.counts).toEqual([2, 2, 1, 1]);
    expect(logHistogram([], 2)).toEqual({ edges: [], counts: [] });
    expect(logHistogram([1000], 2).counts).toEqual([1, 0]);
  });

  it('probabilityHistogram: valid pixels only, 20 bins over [0, 1], p = 1 in the last', () => {
    const bytes = Uint8Array.from([0, 0, 12, 13, 127, 254, 254, 255, 255]);
    const h = probabilityHistogram(bytes);
    expect(h.edges).toHaveLength(21);
    expect(h.counts.reduce((s, c) => s + c, 0)).toBe(7);
    expect(h.counts[0]).toBe(3); // 0, 0, 12/254 = 0.047
    expect(h.counts[1]).toBe(1); // 13/254 = 0.051
    expect(h.counts[10]).toBe(1); // 127/254 = 0.5 exactly: upper bin
    expect(h.counts[19]).toBe(2);
  });
});

describe('provenanceRows', () => {
  it('flattens nested members to dotted keys and summarises long lists', () => {
    const rows = provenanceRows({ model: 'm', index: { name: 'ndwi', bands: [2, 4], calibration: { threshold: 0.0576, method: 'otsu' } }, skippedTiles: Array.from({ length: 30 }, (_, i) => `r0c${i}`), failedTiles: [] });
    const get = (k: string) => rows.find((r) => r.key === k)?.value;
    expect(get('model')).toBe('m');
    expect(get('index.name')).toBe('ndwi');
    expect(get('index.bands')).toBe('2, 4');
    expect(get('index.calibration.threshold')).toBe('0.0576');
    expect(get('skippedTiles')).toMatch(/^r0c0, r0c1, .*, … \(30 in all\)$/);
    expect(get('failedTiles')).toBe('none');
  });
});

describe('renderRunReport', () => {
  it('lists failed and skipped tiles with their windows and lon/lat, and the numbers of the result', async () => {
    // 300 x 200 px, left 100 columns nodata, a dark lake; 64 px tiles, overlap 16 (stride 48); tile r1c3 always fails
    const scene = memoryScene(300, 200, (x, y) => (x < 100 ? 0 : (x - 200) ** 2 + (y - 100) ** 2 < 50 ** 2 ? 50 : 200));
    const { collection } = await segmentScene(scene, darkIsWater(100, { failAlways: new Set(['r1c3']) }), { overlap: 16 });
    expect(collection.waterline.failedTiles?.map((f) => f.tileId)).toEqual(['r1c3']);
    const skipped = collection.waterline.skippedTiles ?? [];
    expect(skipped.length).toBeGreaterThan(0);
    const html = await renderRunReport(scene, collection);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//); // self-contained
    expect(html).toContain(`data-count="${collection.features.length}"`);
    const area = collection.features.reduce((s, f) => s + f.properties.area_m2, 0);
    expect(html).toContain(`data-m2="${area}"`);
    // r1c3: x = 3 * 48 = 144, y = 48; lon/lat of its centre (176, 80) in UTM 18N
    expect(html).toMatch(/<tr><td>r1c3<\/td><td>144, 48, 64 × 64<\/td><td>-7\d\.\d{5}, 45\.\d{5}<\/td><td>[^<]*simulated failure on r1c3/);
    expect(html).toContain(`id="skipped-count" data-count="${skipped.length}"`);
    for (const id of skipped) expect(html).toContain(`<tr><td>${id}</td>`);
    expect(html).toMatch(/<img id="quicklook" src="data:image\/png;base64,/);
    expect(html).toMatch(/<rect class="failed" x="144\.0" y="48\.0" width="64\.0" height="64\.0">/);
    // every provenance member is in the table
    for (const key of Object.keys(collection.waterline)) expect(html).toMatch(new RegExp(`<td>${key}(\\.[a-zA-Z]+)?</td>`));
  });
});
