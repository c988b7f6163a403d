/**
 * Polygons out of any GeoJSON object (FeatureCollection, Feature, GeometryCollection, Polygon,
 * MultiPolygon) as lon/lat rings — the input of water-mask rasterization. Non-polygon geometries
 * (points, lines) and malformed polygons are counted with a reason, never thrown: one bad feature in an
 * OSM extract must not stop a dataset build.
 */

export type LonLat = readonly [number, number];
/** Outer ring first, then holes (GeoJSON order). */
export type LonLatPolygon = readonly (readonly LonLat[])[];

export interface GeoJsonPolygons {
  polygons: LonLatPolygon[];
  /** Features/geometries that were not polygons or were malformed, with why. */
  skipped: { index: number; reason: string }[];
}

function isPosition(p: unknown): p is [number, number] {
  return Array.isArray(p) && p.length >= 2 && Number.isFinite(p[0]) && Number.isFinite(p[1]);
}

function polygonFrom(coords: unknown): LonLatPolygon | string {
  if (!Array.isArray(coords) || coords.length === 0) return 'polygon without rings';
  const rings: LonLat[][] = [];
  for (const ring of coords) {
    if (!Array.isArray(ring) || !ring.every(isPosition)) return 'ring with a non-numeric position';
    if (ring.length < 3) return `ring with ${ring.length} positions`;
    rings.push(ring.map((p: number[]) => [p[0], p[1]] as const));
  }
  return rings;
}

/** Extract polygons from parsed GeoJSON; throws only when the value is not GeoJSON at all. */
export function polygonsFromGeoJson(value: unknown): GeoJsonPolygons {
  const out: GeoJsonPolygons = { polygons: [], skipped: [] };
  const visit = (g: unknown, index: number): void => {
    const obj = g as { type?: unknown; coordinates?: unknown; geometries?: unknown; geometry?: unknown } | null;
    if (!obj || typeof obj !== 'object') {
      out.skipped.push({ index, reason: 'null geometry' });
      return;
    }
    switch (obj.type) {
      case 'Feature':
        visit(obj.geometry, index);
        return;
      case 'GeometryCollection':
        for (const child of Array.isArray(obj.geometries) ? obj.geometries : []) visit(child, index);
        return;
      case 'Polygon': {
        const p = polygonFrom(obj.coordinates);
        if (typeof p === 'string') out.skipped.push({ index, reason: p });
        else out.polygons.push(p);
        return;
      }
      case 'MultiPolygon':
        if (!Array.isArray(obj.coordinates)) {
          out.skipped.push({ index, reason: 'MultiPolygon without coordinates' });
          return;
        }
        for (const c of obj.coordinates) {
          const p = polygonFrom(c);
          if (typeof p === 'string') out.skipped.push({ index, reason: p });
          else out.polygons.push(p);
        }
        return;
      default:
        out.skipped.push({ index, reason: `${String(obj.type)} is not a polygon` });
    }
  };
  const root = value as { type?: unknown; features?: unknown } | null;
  if (!root || typeof root !== 'object' || typeof root.type !== 'string') throw new TypeError('not a GeoJSON object (no "type")');
  if (root.type === 'FeatureCollection') {
    if (!Array.isArray(root.features)) throw new TypeError('FeatureCollection without a "features" array');
    root.features.forEach((f, i) => visit(f, i));
  } else {
    visit(root, 0);
  }
  return out;
}

/** Lon/lat bounding box [west, south, east, north] of polygons' outer rings (null when none). */
export function lonLatBounds(polygon: LonLatPolygon): [number, number, number, number] | null {
  const outer = polygon[0];
  if (!outer || outer.length === 0) return null;
  let [w, s, e, n] = [Infinity, Infinity, -Infinity, -Infinity];
  for (const [x, y] of outer) {
    if (x < w) w = x;
    if (x > e) e = x;
    if (y < s) s = y;
    if (y > n) n = y;
  }
  return [w, s, e, n];
}
