/** fast-check arbitraries of lon/lat polygons (1e-7° grid, closed rings) and their typed-array form. */
import fc from 'fast-check';
import type { Position } from 'geojson';

export const coordinate = (min: number, max: number): fc.Arbitrary<number> =>
  fc.integer({ min: min * 1e7, max: max * 1e7 }).map((v) => v / 1e7);
export const point = fc.tuple(coordinate(-180, 180), coordinate(-85, 85));
export const closedRing = fc.array(point, { minLength: 3, maxLength: 40 }).map((pts) => [...pts, pts[0]] as Position[]);
export const polygon = fc.array(closedRing, { minLength: 1, maxLength: 3 });
export const polygons = fc.array(polygon, { minLength: 1, maxLength: 3 });
/** Rings as interleaved lon/lat Float64Arrays, as the vectorizer keeps them. */
export const typed = (rings: Position[][][]): Float64Array[][] => rings.map((p) => p.map((r) => Float64Array.from(r.flat())));
