/** OGC `bbox` meets the geometry, not its bounding box (core/vector/boxIntersection.ts). */
import type { Feature } from 'geojson';
import { describe, expect, it } from 'vitest';
import { featureIntersectsBox, type LonLatBox } from '../../src/core/vector/boxIntersection.ts';

/** A sea square 0..10 with an island hole 4..6. */
const sea: Feature = {
  type: 'Feature',
  properties: {},
  geometry: { type: 'Polygon', coordinates: [[[0, 0], [10, 0], [10, 10], [0, 10], [0, 0]], [[4, 4], [4, 6], [6, 6], [6, 4], [4, 4]]] },
};
const seaBox: LonLatBox = [0, 0, 10, 10];

describe('featureIntersectsBox', () => {
  it('a box inside the island meets the bounding box but not the sea', () => {
    expect(featureIntersectsBox(sea, seaBox, [4.5, 4.5, 5.5, 5.5])).toBe(false);
  });

  it('a box over water, over the shore, or around everything meets it', () => {
    expect(featureIntersectsBox(sea, seaBox, [1, 1, 2, 2])).toBe(true);
    expect(featureIntersectsBox(sea, seaBox, [5, 5, 7, 7])).toBe(true);
    expect(featureIntersectsBox(sea, seaBox, [-1, -1, 11, 11])).toBe(true);
    expect(featureIntersectsBox(sea, seaBox, [10, 10, 12, 12])).toBe(true); // touching the corner counts
  });

  it('a box elsewhere does not', () => {
    expect(featureIntersectsBox(sea, seaBox, [20, 20, 30, 30])).toBe(false);
  });

  it('a box across the antimeridian meets a feature on either side of it', () => {
    const east: Feature = { type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[[179, 0], [179.9, 0], [179.9, 1], [179, 1], [179, 0]]] } };
    const west: Feature = { type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[[-179.9, 0], [-179, 0], [-179, 1], [-179.9, 1], [-179.9, 0]]] } };
    expect(featureIntersectsBox(east, [179, 0, 179.9, 1], [178.5, -1, -178.5, 2])).toBe(true);
    expect(featureIntersectsBox(west, [-179.9, 0, -179, 1], [178.5, -1, -178.5, 2])).toBe(true);
    expect(featureIntersectsBox(west, [-179.9, 0, -179, 1], [178.5, -1, 179.5, 2])).toBe(false);
  });
});
