import { area as turfArea } from '@turf/area';
import { lineString } from '@turf/helpers';
import { length as turfLength } from '@turf/length';
import fc from 'fast-check';
import type { MultiPolygon, Polygon, Position } from 'geojson';
import { describe, expect, it } from 'vitest';
import { geometryArea, ringLength } from '../../src/core/vector/geodesicMeasures.ts';

// Rings as interleaved Float64Arrays must measure exactly what turf measures on the same points (the output
// depends on it to the last bit).
const coordinate = (min: number, max: number): fc.Arbitrary<number> =>
  fc.integer({ min: min * 1e7, max: max * 1e7 }).map((v) => v / 1e7);
const point = fc.tuple(coordinate(-180, 180), coordinate(-85, 85));
const closedRing = fc.array(point, { minLength: 3, maxLength: 40 }).map((pts) => [...pts, pts[0]] as Position[]);
const polygon = fc.array(closedRing, { minLength: 1, maxLength: 3 });
const polygons = fc.array(polygon, { minLength: 1, maxLength: 3 });
const typed = (rings: Position[][][]): Float64Array[][] => rings.map((p) => p.map((r) => Float64Array.from(r.flat())));

describe('geodesic measures over typed-array rings', () => {
  it('area = turf area (Polygon and MultiPolygon), bit for bit', () => {
    fc.assert(
      fc.property(polygons, (polys) => {
        const geometry: Polygon | MultiPolygon = polys.length === 1 ? { type: 'Polygon', coordinates: polys[0] } : { type: 'MultiPolygon', coordinates: polys };
        expect(Object.is(geometryArea(typed(polys)), turfArea(geometry))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  it('ring length = turf length in metres, bit for bit', () => {
    fc.assert(
      fc.property(closedRing, (ring) => {
        expect(Object.is(ringLength(Float64Array.from(ring.flat())), turfLength(lineString(ring), { units: 'meters' }))).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
