import proj4 from 'proj4';
import { describe, expect, it } from 'vitest';
import { lonLatBoxesIntersect, pixelWindowLonLatBox } from '../../src/core/grid/lonLatFootprint.ts';
import type { GeoTransform } from '../../src/core/grid/affine.ts';

describe('lon/lat footprints', () => {
  it('unwraps a window crossing the antimeridian and meets bboxes on either side', () => {
    // 1 px = 0.1°, column 0 at 179°E: columns 10..20 cross 180°
    const gt: GeoTransform = [179, 0.1, 0, 10, 0, -0.1];
    const wrap = (x: number, y: number): [number, number] => [((x + 540) % 360) - 180, y];
    const box = pixelWindowLonLatBox({ x: 5, y: 0, width: 10, height: 10 }, gt, wrap)!;
    expect(box[0]).toBeCloseTo(179.5, 9);
    expect(box[2]).toBeCloseTo(180.5, 9);
    expect(lonLatBoxesIntersect(box, [-180, 0, -179.6, 10])).toBe(true);
    expect(lonLatBoxesIntersect(box, [179.6, 0, 180, 10])).toBe(true);
    expect(lonLatBoxesIntersect(box, [-179.4, 0, -170, 10])).toBe(false);
    expect(lonLatBoxesIntersect(box, [0, 0, 10, 10])).toBe(false);
  });

  it('gives a window around a pole every longitude up to the pole', () => {
    const stere = proj4('+proj=stere +lat_0=90 +lat_ts=70 +lon_0=0 +datum=WGS84 +units=m', 'EPSG:4326');
    const gt: GeoTransform = [-100000, 1000, 0, 100000, 0, -1000];
    const box = pixelWindowLonLatBox({ x: 0, y: 0, width: 200, height: 200 }, gt, (x, y) => stere.forward([x, y]) as [number, number])!;
    expect(box[0]).toBe(-180);
    expect(box[2]).toBe(180);
    expect(box[3]).toBe(90);
    expect(box[1]).toBeGreaterThan(88);
    expect(lonLatBoxesIntersect(box, [100, 89.5, 101, 90])).toBe(true);
  });
});
