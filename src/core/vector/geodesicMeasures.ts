/**
 * Geodesic area and length of closed lon/lat rings held as interleaved Float64Arrays ([lon0, lat0, lon1, lat1,
 * ...], last point = first): the same arithmetic as @turf/area 7.4 (spherical excess, `ringArea`) and
 * @turf/length 7.4 (haversine `distance` per segment, summed from 0) on the same points, operation for
 * operation, so the results are bit-identical to turf's (tested) without an array per vertex or a
 * lineString per segment — what a polygon of hundreds of thousands of vertices would cost.
 */

/** @turf/helpers `earthRadius` (metres, the mean Earth radius): turf's area and length both use it. */
export const GEODESIC_EARTH_RADIUS_M = 6371008.8;
const EARTH_RADIUS = GEODESIC_EARTH_RADIUS_M;
const AREA_FACTOR = (EARTH_RADIUS * EARTH_RADIUS) / 2;
const PI_OVER_180 = Math.PI / 180;

/** Signed spherical-excess area of one ring (turf `ringArea`), m². */
export function ringArea(ring: Float64Array): number {
  const coordsLength = ring.length / 2 - 1;
  if (coordsLength <= 2) return 0;
  let total = 0;
  for (let i = 0; i < coordsLength; i++) {
    const middle = i + 1 === coordsLength ? 0 : i + 1;
    const upper = i + 2 >= coordsLength ? (i + 2) % coordsLength : i + 2;
    const lowerX = ring[2 * i] * PI_OVER_180;
    const middleY = ring[2 * middle + 1] * PI_OVER_180;
    const upperX = ring[2 * upper] * PI_OVER_180;
    total += (upperX - lowerX) * Math.sin(middleY);
  }
  return total * AREA_FACTOR;
}

/** turf `area` of a Polygon (shell first, then holes), m². */
export function polygonArea(rings: readonly Float64Array[]): number {
  let total = 0;
  if (rings.length > 0) {
    total += Math.abs(ringArea(rings[0]));
    for (let i = 1; i < rings.length; i++) total -= Math.abs(ringArea(rings[i]));
  }
  return total;
}

/** turf `area` of a Polygon (one entry) or MultiPolygon (several), m². */
export function geometryArea(polygons: readonly (readonly Float64Array[])[]): number {
  if (polygons.length === 1) return 0 + polygonArea(polygons[0]);
  let total = 0;
  for (const rings of polygons) total += polygonArea(rings);
  return 0 + total;
}

/** @turf/helpers `degreesToRadians`. */
function degreesToRadians(degrees: number): number {
  const normalised = degrees % 360;
  return (normalised * Math.PI) / 180;
}

/** turf `length(lineString(ring), { units: 'meters' })`: haversine distances of consecutive points, summed. */
export function ringLength(ring: Float64Array): number {
  let total = 0;
  for (let k = 0; k + 3 < ring.length; k += 2) {
    const lon1 = ring[k], lat1d = ring[k + 1], lon2 = ring[k + 2], lat2d = ring[k + 3];
    const dLat = degreesToRadians(lat2d - lat1d);
    const dLon = degreesToRadians(lon2 - lon1);
    const lat1 = degreesToRadians(lat1d);
    const lat2 = degreesToRadians(lat2d);
    const a = Math.pow(Math.sin(dLat / 2), 2) + Math.pow(Math.sin(dLon / 2), 2) * Math.cos(lat1) * Math.cos(lat2);
    total += 2 * Math.atan2(Math.sqrt(a), Math.sqrt(1 - a)) * EARTH_RADIUS;
  }
  return total;
}
