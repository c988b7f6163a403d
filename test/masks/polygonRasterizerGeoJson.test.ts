import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { lonLatBounds, polygonsFromGeoJson, type LonLatPolygon } from '../../src/core/vector/geoJsonPolygons.ts';

interface Item { g: { type: string; coordinates: unknown } | null; polygons: number; skipped: number }

const pos = fc.tuple(fc.double({ min: -180, max: 180, noNaN: true }), fc.double({ min: -90, max: 90, noNaN: true }));
const ring = fc.array(pos, { minLength: 3, maxLength: 8 });
const polygonCoords = fc.array(ring, { minLength: 1, maxLength: 3 });
const geometry: fc.Arbitrary<Item> = fc.oneof(
  polygonCoords.map((c) => ({ g: { type: 'Polygon', coordinates: c }, polygons: 1, skipped: 0 })),
  fc.array(polygonCoords, { minLength: 1, maxLength: 3 }).map((c) => ({ g: { type: 'MultiPolygon', coordinates: c }, polygons: c.length, skipped: 0 })),
  pos.map((p) => ({ g: { type: 'Point', coordinates: p }, polygons: 0, skipped: 1 })),
  fc.array(pos, { minLength: 2, maxLength: 4 }).map((c) => ({ g: { type: 'LineString', coordinates: c }, polygons: 0, skipped: 1 })),
  pos.map((p) => ({ g: { type: 'Polygon', coordinates: [[p, p]] }, polygons: 0, skipped: 1 })),
  fc.constant({ g: null, polygons: 0, skipped: 1 }),
);

describe('polygonsFromGeoJson', () => {
  it('keeps every Polygon / MultiPolygon part, rings and positions intact, and counts the rest as skipped', () => {
    fc.assert(fc.property(fc.array(geometry, { maxLength: 8 }), (items) => {
      const fcoll = { type: 'FeatureCollection', features: items.map((it) => ({ type: 'Feature', properties: {}, geometry: it.g })) };
      const parsed = JSON.parse(JSON.stringify(fcoll)) as { features: { geometry: Item['g'] }[] }; // -0 → 0, as on disk
      const got = polygonsFromGeoJson(parsed);
      expect(got.polygons).toHaveLength(items.reduce((n, it) => n + it.polygons, 0));
      expect(got.skipped).toHaveLength(items.reduce((n, it) => n + it.skipped, 0));
      const expected = parsed.features.flatMap(({ geometry: g }, k) => (g?.type === 'Polygon' && items[k].polygons ? [g.coordinates] : g?.type === 'MultiPolygon' ? (g.coordinates as unknown[]) : []));
      expect(got.polygons).toEqual(expected);
    }), { numRuns: 200 });
  });

  it('accepts a bare geometry, a Feature and a GeometryCollection; refuses non-GeoJSON', () => {
    const square: LonLatPolygon = [[[0, 0], [1, 0], [1, 1], [0, 1], [0, 0]]];
    expect(polygonsFromGeoJson({ type: 'Polygon', coordinates: square }).polygons).toHaveLength(1);
    expect(polygonsFromGeoJson({ type: 'Feature', geometry: { type: 'GeometryCollection', geometries: [{ type: 'Polygon', coordinates: square }, { type: 'Point', coordinates: [0, 0] }] } }))
      .toMatchObject({ polygons: [square], skipped: [{ index: 0, reason: 'Point is not a polygon' }] });
    expect(lonLatBounds(square)).toEqual([0, 0, 1, 1]);
    expect(() => polygonsFromGeoJson([1, 2])).toThrow(/not a GeoJSON object/);
    expect(() => polygonsFromGeoJson({ type: 'FeatureCollection' })).toThrow(/features/);
  });
});
