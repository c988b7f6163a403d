/**
 * `segment --flip-views 2` on a real scene: the run says it averaged two views, the output's provenance records
 * it, and the water it finds is the plain run's water give or take what mirrored views disagree on (a few %).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { runCli } from '../helpers/runCli.ts';
import { describeShared, scenePath } from '../helpers/shared.ts';

const dir = mkdtempSync(join(tmpdir(), 'waterline-flips-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Output { features: { properties: { area_m2: number } }[]; waterline: { flipViews?: number } }
const area = (o: Output) => o.features.reduce((s, f) => s + f.properties.area_m2, 0);

describeShared('segment --flip-views', () => {
  it('says so, records it, and finds the plain run\'s water within 5 %', async () => {
    const scene = scenePath('spot-chicago-pan-stateplane-ft.tif');
    const plainPath = join(dir, 'plain.geojson');
    const flippedPath = join(dir, 'flipped.geojson');
    const plain = await runCli(['segment', scene, '-o', plainPath, '--device', 'cpu']);
    expect(plain.code, plain.stderr).toBe(0);
    const flipped = await runCli(['segment', scene, '-o', flippedPath, '--device', 'cpu', '--flip-views', '2']);
    expect(flipped.code, flipped.stderr).toBe(0);
    expect(flipped.stdout + flipped.stderr).toContain('2 flip views');
    expect(plain.stdout + plain.stderr).not.toContain('flip views');
    const a = JSON.parse(readFileSync(plainPath, 'utf8')) as Output;
    const b = JSON.parse(readFileSync(flippedPath, 'utf8')) as Output;
    expect(a.waterline.flipViews).toBeUndefined();
    expect(b.waterline.flipViews).toBe(2);
    expect(area(a)).toBeGreaterThan(1e6);
    expect(Math.abs(area(b) / area(a) - 1)).toBeLessThan(0.05);
  }, 60_000);
});
