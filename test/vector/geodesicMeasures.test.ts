import { area as turfArea } from '@turf/area';
import { lineString } from '@turf/helpers';
import { length as turfLength } from '@turf/length';
import fc from 'fast-check';
import type { MultiPolygon, Polygon } from 'geojson';
import { describe, expect, it } from 'vitest';
import { closedRing, polygons, typed } from '../helpers/lonLatPolygons.ts';
import { geometryArea, ringLength } from '../../src/core/vector/geodesicMeasures.ts';

// Rings as interleaved Float64Arrays must measure exactly what turf measures on the same points (the output
// depends on it to the last bit).

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
