/**
 * Pixel polygons → RFC 7946 GeoJSON features in WGS84.
 *
 * pixel (x, y) → scene CRS through the affine geotransform → lon/lat through a passed-in transform
 * (so this module stays pure). Long straight pixel edges are densified before projecting (the scene
 * CRS is not linear in lon/lat), coordinates are rounded to `precision` decimals (7 ≈ 1 cm), and rings
 * are oriented per RFC 7946 §3.1.6: exterior counter-clockwise, holes clockwise.
 *
 * Properties: `id` (stable: raster-scan order of the component's first pixel), `area_m2` (geodesic,
 * turf `area`), `perimeter_m` (all rings, turf `length`), `mean_probability` (null without a
 * probability raster), `pixel_count`.
 */
import { area as turfArea } from '@turf/area';
import { lineString } from '@turf/helpers';
import { length as turfLength } from '@turf/length';
import type { Feature, MultiPolygon, Polygon, Position } from 'geojson';
import { applyGeoTransform, type GeoTransform } from '../grid/affine.ts';
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
  const { geoTransform, toWgs84 } = options;
  const precision = options.precision ?? 7;
  const factor = 10 ** precision;
  const maxSeg = Math.max(1, options.maxSegmentPx ?? 16);
  const simplify = options.simplify ?? 0;
  const minArea = options.minAreaM2 ?? 0;
  const W1 = trace.width + 1;
  const isAnchor = (x: number, y: number): boolean => trace.junctions.has(y * W1 + x);
  const round = (v: number): number => Math.round(v * factor) / factor;

  const project = (ring: PixelRing): Position[] => {
    const out: Position[] = [];
    const n = ring.length / 2;
    const push = (px: number, py: number): void => {
      const [sx, sy] = applyGeoTransform(geoTransform, px, py);
      const ll = toWgs84(sx, sy);
      const p: Position = [round(ll[0]), round(ll[1])];
      const last = out[out.length - 1];
      if (!last || last[0] !== p[0] || last[1] !== p[1]) out.push(p);
    };
    for (let k = 0; k < n; k++) {
      const ax = ring[2 * k], ay = ring[2 * k + 1];
      const j = (k + 1) % n;
      const bx = ring[2 * j], by = ring[2 * j + 1];
      const len = Math.hypot(bx - ax, by - ay);
      const steps = Math.max(1, Math.ceil(len / maxSeg));
      for (let s = 0; s < steps; s++) push(ax + ((bx - ax) * s) / steps, ay + ((by - ay) * s) / steps);
    }
    if (out.length > 1 && out[0][0] === out[out.length - 1][0] && out[0][1] === out[out.length - 1][1]) out.pop();
    if (out.length < 3) return [];
    out.push([out[0][0], out[0][1]]);
    return out;
  };

  return (poly, id) => {
    const polygons: Position[][][] = [];
    for (const part of poly.parts) {
      let rings = part;
      if (simplify > 0) {
        // keep the exact rings when simplifying would make edges cross (never output invalid geometry)
        const simplified = part.map((r) => simplifyRing(r, simplify, isAnchor));
        if (partIsValid(simplified)) rings = simplified;
      }
      const shell = orient(project(rings[0]), true);
      if (shell.length < 4) continue;
      const coords = [shell];
      for (let h = 1; h < rings.length; h++) {
        const ring = orient(project(rings[h]), false);
        if (ring.length >= 4) coords.push(ring);
      }
      polygons.push(coords);
    }
    if (polygons.length === 0) return null;
    const geometry: Polygon | MultiPolygon =
      polygons.length === 1 ? { type: 'Polygon', coordinates: polygons[0] } : { type: 'MultiPolygon', coordinates: polygons };
    const areaM2 = turfArea(geometry);
    if (areaM2 < minArea) return null;
    let perimeter = 0;
    for (const rings of polygons) for (const ring of rings) perimeter += turfLength(lineString(ring), { units: 'meters' });
    return {
      type: 'Feature',
      id,
      properties: {
        id,
        area_m2: Math.round(areaM2 * 100) / 100,
        perimeter_m: Math.round(perimeter * 100) / 100,
        mean_probability:
          options.valueScale && poly.pixelCount > 0
            ? Math.round((poly.valueSum / poly.pixelCount / options.valueScale) * 1e4) / 1e4
            : null,
        pixel_count: poly.pixelCount,
      },
      geometry,
    };
  };
}

/** Reverse a closed lon/lat ring if needed so it is counter-clockwise (ccw = true) or clockwise. */
function orient(ring: Position[], ccw: boolean): Position[] {
  if (ring.length < 4) return ring;
  let a2 = 0;
  for (let k = 0; k + 1 < ring.length; k++) a2 += ring[k][0] * ring[k + 1][1] - ring[k + 1][0] * ring[k][1];
  return a2 > 0 === ccw ? ring : ring.reverse();
}

