/** The default minimum mapping unit: 1–4 pixel specks are dropped, 5+ pixel water bodies kept; minAreaM2: 0 keeps all. */
import proj4 from 'proj4';
import { describe, expect, it } from 'vitest';
import { centrePixelAreaM2, DEFAULT_MIN_AREA_PIXELS } from '../../src/core/vector/minimumMappingUnit.ts';
import { segmentScene } from '../../src/pipeline/segmentScene.ts';
import { darkIsWater, memoryScene, UTM18 } from './memoryScene.ts';

describe('centrePixelAreaM2', () => {
  it('is the geodesic ground area of a pixel at the scene centre', () => {
    const utm = proj4(UTM18, 'EPSG:4326');
    // 30 m UTM pixels near the central meridian: 900 m² times the scale factor squared (0.9996²)
    const a = centrePixelAreaM2(1000, 1000, [500000, 30, 0, 5000000, 0, -30], (x, y) => utm.forward([x, y]) as [number, number]);
    expect(a / (900 * 0.9996 ** 2)).toBeCloseTo(1, 2);
    // 0.001° lon/lat pixels centred on 45°N: 111.3 km·cos(45°)·0.001 × 111.1 km·0.001 ≈ 8 760 m²
    const b = centrePixelAreaM2(200, 200, [10 - 0.1, 0.001, 0, 45 + 0.1, 0, -0.001], (x, y) => [x, y]);
    expect(b).toBeGreaterThan(8700);
    expect(b).toBeLessThan(8820);
  });
});

describe('segmentScene default minimum mapping unit', () => {
  // bright land with dark blobs of 1, 2, 3, 4 (2x2), 5 (plus sign), 6 (2x3) and 100 (10x10) pixels, far apart, and a
  // 140 x 10 px lake along the bottom (so the scene stretch spans dark to bright)
  const blobs: [number, number][][] = [
    [[10, 10]],
    [[30, 10], [31, 10]],
    [[50, 10], [51, 10], [52, 10]],
    [[70, 10], [71, 10], [70, 11], [71, 11]],
    [[91, 10], [90, 11], [91, 11], [92, 11], [91, 12]],
    [[110, 10], [111, 10], [110, 11], [111, 11], [110, 12], [111, 12]],
    Array.from({ length: 100 }, (_, i) => [20 + (i % 10), 40 + Math.floor(i / 10)] as [number, number]),
  ];
  const dark = new Set(blobs.flat().map(([x, y]) => `${x},${y}`));
  const scene = () => memoryScene(140, 70, (x, y) => (y >= 60 || dark.has(`${x},${y}`) ? 50 : 200));

  it('drops polygons of 4 pixels or fewer, keeps 5 and more, and records the converted m² in the provenance', async () => {
    const { collection } = await segmentScene(scene(), darkIsWater(100), { overlap: 16 });
    expect(collection.features.map((f) => f.properties.pixel_count).sort((a, b) => a - b)).toEqual([5, 6, 100, 1400]);
    const pixelArea = collection.features.find((f) => f.properties.pixel_count === 100)!.properties.area_m2 / 100;
    expect(collection.waterline.minAreaM2 / (DEFAULT_MIN_AREA_PIXELS * pixelArea)).toBeCloseTo(1, 3);
  });

  it('minAreaM2: 0 keeps every polygon', async () => {
    const { collection } = await segmentScene(scene(), darkIsWater(100), { overlap: 16, minAreaM2: 0 });
    expect(collection.features.map((f) => f.properties.pixel_count).sort((a, b) => a - b)).toEqual([1, 2, 3, 4, 5, 6, 100, 1400]);
    expect(collection.waterline.minAreaM2).toBe(0);
  });
});
