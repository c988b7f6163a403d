/**
 * Pixel polygons → RFC 7946 GeoJSON features in WGS84.
 *
 * pixel (x, y) → scene CRS through the affine geotransform → lon/lat through a passed-in transform
 * (so this module stays pure). Long straight pixel edges are densified before projecting (the scene
 * CRS is not linear in lon/lat), coordinates are rounded to `precision` decimals (7 ≈ 1 cm), and rings
 * are oriented per RFC 7946 §3.1.6: exterior counter-clockwise, holes clockwise.
 *
 * Properties: `id` (stable: raster-scan order of the component's first pixel), `area_m2` (geodesic,
 * turf `area`'s formula), `perimeter_m` (all rings, turf `length`'s; both computed over typed-array rings,
 * geodesicMeasures.ts), `mean_probability` (null without a
 * probability raster), `pixel_count`.
 */
import type { Feature, MultiPolygon, Polygon } from 'geojson';
import { applyGeoTransform, type GeoTransform } from '../grid/affine.ts';
import { toWaterFeature, type CompactWaterFeature } from './compactWaterFeature.ts';
import { geometryArea, ringLength } from './geodesicMeasures.ts';
import { partIsValid } from './partValidity.ts';
import { simplifyRing } from './simplifyRing.ts';
import type { PixelPolygon, PixelRing, TraceResult } from './traceMask.ts';

export type ToWgs84 = (x: number, y: number) => [number, number] | readonly [number, number];

export interface WaterProperties {
  id: number;
  area_m2: number;
  perimeter_m: number;
  mean_probability: number | null;
  pixel_count: number;
}

/** A Polygon, or a MultiPolygon for an 8-connected component whose parts touch only at corners. */
export type WaterFeature = Feature<Polygon | MultiPolygon, WaterProperties> & { id: number };

export interface ToGeoJsonOptions {
  geoTransform: GeoTransform;
  /** Scene CRS → [lon, lat]. */
  toWgs84: ToWgs84;
  /** Douglas–Peucker tolerance in pixels (0 = off, the default). */
  simplify?: number;
  /** Drop polygons smaller than this (geodesic m²). Holes are kept whatever their size. */
  minAreaM2?: number;
  /** Decimal places of lon/lat (default 7). */
  precision?: number;
  /** Longest straight edge, in pixels, projected without intermediate vertices (default 16). */
  maxSegmentPx?: number;
  /** Divide a component's mean value by this to get `mean_probability` (e.g. 254); omit for null. */
  valueScale?: number;
}

export function tracedToFeatures(trace: TraceResult, options: ToGeoJsonOptions): WaterFeature[] {
  const toFeature = createFeatureMaker(trace, options);
  const features: WaterFeature[] = [];
  let nextId = 0;
  for (const poly of trace.polygons) {
    const feature = toFeature(poly, ++nextId);
    if (feature) features.push(feature);
  }
  return features;
}

/**
 * One pixel polygon → its feature with id `id`, or null when it is dropped (under `minAreaM2`, or nothing
 * left after projecting): what tracedToFeatures does per polygon, for polygons streamed one by one. `trace`
 * gives the junctions (read at each call) and the width.
 */
export function createFeatureMaker(
  trace: { junctions: ReadonlySet<number>; width: number },
  options: ToGeoJsonOptions,
): (poly: PixelPolygon, id: number) => WaterFeature | null {
  const toCompact = createCompactFeatureMaker(trace, options);
  return (poly, id) => {
    const compact = toCompact(poly);
    return compact ? toWaterFeature(compact, id) : null;
  };
}

/**
 * createFeatureMaker without the id, with its rings as interleaved lon/lat Float64Arrays (CompactWaterFeature):
 * no array per vertex, for features that are streamed to text (or turned into GeoJSON later).
 */
export function createCompactFeatureMaker(
  trace: { junctions: ReadonlySet<number>; width: number },
  options: ToGeoJsonOptions,
): (poly: PixelPolygon) => CompactWaterFeature | null {
  const { geoTransform, toWgs84 } = options;
  const precision = options.precision ?? 7;
  const factor = 10 ** precision;
  const maxSeg = Math.max(1, options.maxSegmentPx ?? 16);
  const simplify = options.simplify ?? 0;
  const minArea = options.minAreaM2 ?? 0;
  const W1 = trace.width + 1;
  const isAnchor = (x: number, y: number): boolean => trace.junctions.has(y * W1 + x);
  const round = (v: number): number => Math.round(v * factor) / factor;
  const EMPTY = new Float64Array(0);

  /** The ring densified, projected and rounded, repeated points dropped, closed; empty under 3 points. */
  const project = (ring: PixelRing): Float64Array => {
    const n = ring.length / 2;
    let points = 1;
    for (let k = 0; k < n; k++) {
      const j = (k + 1) % n;
      points += Math.max(1, Math.ceil(Math.hypot(ring[2 * j] - ring[2 * k], ring[2 * j + 1] - ring[2 * k + 1]) / maxSeg));
    }
    const out = new Float64Array(2 * points);
    let m = 0; // points written
    const push = (px: number, py: number): void => {
      const [sx, sy] = applyGeoTransform(geoTransform, px, py);
      const ll = toWgs84(sx, sy);
      const x = round(ll[0]), y = round(ll[1]);
      if (m === 0 || out[2 * m - 2] !== x || out[2 * m - 1] !== y) {
        out[2 * m] = x;
        out[2 * m + 1] = y;
        m++;
      }
    };
    for (let k = 0; k < n; k++) {
      const ax = ring[2 * k], ay = ring[2 * k + 1];
      const j = (k + 1) % n;
      const bx = ring[2 * j], by = ring[2 * j + 1];
      const len = Math.hypot(bx - ax, by - ay);
      const steps = Math.max(1, Math.ceil(len / maxSeg));
      for (let s = 0; s < steps; s++) push(ax + ((bx - ax) * s) / steps, ay + ((by - ay) * s) / steps);
    }
    if (m > 1 && out[0] === out[2 * m - 2] && out[1] === out[2 * m - 1]) m--;
    if (m < 3) return EMPTY;
    out[2 * m] = out[0];
    out[2 * m + 1] = out[1];
    m++;
    return m === points ? out : out.subarray(0, 2 * m);
  };

  return (poly) => {
    const polygons: Float64Array[][] = [];
    for (const part of poly.parts) {
      let rings = part;
      if (simplify > 0) {
        // keep the exact rings when simplifying would make edges cross (never output invalid geometry)
        const simplified = part.map((r) => simplifyRing(r, simplify, isAnchor));
        if (partIsValid(simplified)) rings = simplified;
      }
      const shell = orient(project(rings[0]), true);
      if (shell.length < 8) continue;
      const coords = [shell];
      for (let h = 1; h < rings.length; h++) {
        const ring = orient(project(rings[h]), false);
        if (ring.length >= 8) coords.push(ring);
      }
      polygons.push(coords);
    }
    if (polygons.length === 0) return null;
    const areaM2 = geometryArea(polygons);
    if (areaM2 < minArea) return null;
    let perimeter = 0;
    for (const rings of polygons) for (const ring of rings) perimeter += ringLength(ring);
    return {
      properties: {
        area_m2: Math.round(areaM2 * 100) / 100,
        perimeter_m: Math.round(perimeter * 100) / 100,
        mean_probability:
          options.valueScale && poly.pixelCount > 0
            ? Math.round((poly.valueSum / poly.pixelCount / options.valueScale) * 1e4) / 1e4
            : null,
        pixel_count: poly.pixelCount,
      },
      polygons,
    };
  };
}

/** Reverse a closed interleaved lon/lat ring in place if needed so it is counter-clockwise (ccw = true) or clockwise. */
function orient(ring: Float64Array, ccw: boolean): Float64Array {
  const n = ring.length / 2;
  if (n < 4) return ring;
  let a2 = 0;
  for (let k = 0; k + 1 < n; k++) a2 += ring[2 * k] * ring[2 * k + 3] - ring[2 * k + 2] * ring[2 * k + 1];
  if (a2 > 0 === ccw) return ring;
  for (let i = 0, j = n - 1; i < j; i++, j--) {
    const x = ring[2 * i], y = ring[2 * i + 1];
    ring[2 * i] = ring[2 * j];
    ring[2 * i + 1] = ring[2 * j + 1];
    ring[2 * j] = x;
    ring[2 * j + 1] = y;
  }
  return ring;
}
