import { area as turfArea } from '@turf/area';
import { lineString } from '@turf/helpers';
import { length as turfLength } from '@turf/length';
import fc from 'fast-check';
import type { MultiPolygon, Polygon, Position } from 'geojson';
import { describe, expect, it } from 'vitest';
import { compactFeatureTailPieces, toWaterFeature, type CompactWaterFeature } from '../../src/core/vector/compactWaterFeature.ts';
import { geometryArea, ringLength } from '../../src/core/vector/geodesicMeasures.ts';

// Rings as interleaved Float64Arrays must measure exactly what turf measures on the same points (the output
// depends on it to the last bit), and serialize to exactly JSON.stringify of the GeoJSON feature.
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

describe('compact water feature', () => {
  it('its text pieces join to JSON.stringify of its GeoJSON feature (after the ids), whatever the piece size', () => {
    const properties = fc.record({
      area_m2: fc.double({ noNaN: true, noDefaultInfinity: true }),
      perimeter_m: fc.double({ noNaN: true, noDefaultInfinity: true }),
      mean_probability: fc.option(fc.double({ min: 0, max: 1, noNaN: true }), { nil: null }),
      pixel_count: fc.nat(),
    });
    fc.assert(
      fc.property(polygons, properties, fc.integer({ min: 1, max: 500 }), fc.nat(), (polys, props, pieceChars, id) => {
        const compact: CompactWaterFeature = { properties: props, polygons: typed(polys) };
        const text = JSON.stringify(toWaterFeature(compact, id));
        const head = `{"type":"Feature","id":${id},"properties":{"id":${id}`;
        const pieces = [...compactFeatureTailPieces(compact, pieceChars)];
        expect(head + pieces.join('')).toBe(text);
        if (text.length > 2 * pieceChars + 400) expect(pieces.length).toBeGreaterThan(1);
      }),
      { numRuns: 300 },
    );
  });

  it('writes -0 as 0, as JSON does', () => {
    const compact: CompactWaterFeature = {
      properties: { area_m2: -0, perimeter_m: 1.5, mean_probability: null, pixel_count: 3 },
      polygons: [[Float64Array.from([-0, 0, 1, 0, 1, 1, -0, 0])]],
    };
    expect([...compactFeatureTailPieces(compact)].join('')).toBe(JSON.stringify(toWaterFeature(compact, 0)).slice('{"type":"Feature","id":0,"properties":{"id":0'.length));
  });
});
