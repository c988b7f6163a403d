/**
 * The default minimum mapping unit of segmentation output: polygons smaller than 4.5 pixels of the scene
 * are dropped, so the 1–4 pixel specks a per-pixel model leaves along shores and on dark roofs do not
 * make up most of the polygons (on the shared SPOT and NAIP scenes 55 % of the polygons are under 4
 * pixels, yet under 0.3 % of the water area). Half a pixel above 4 keeps the cut away from whole pixel
 * counts, so the small change of pixel area across a scene cannot flip a 4- or 5-pixel polygon.
 *
 * The unit is given in pixels because specks are a pixel-scale artefact; it is converted once per scene
 * to m² (`minAreaM2`, recorded in the output's provenance) with the geodesic ground area of the pixels at
 * the scene centre — the same measure as the polygons' `area_m2`.
 */
import { area as turfArea } from '@turf/area';
import type { Polygon } from 'geojson';
import { applyGeoTransform, type GeoTransform } from '../grid/affine.ts';
import type { ToWgs84 } from './toGeoJson.ts';

export const DEFAULT_MIN_AREA_PIXELS = 4.5;

/** Ground area (m², geodesic) of one pixel at the centre of a width × height grid: a ≤ 64 px block's area over its pixel count. */
export function centrePixelAreaM2(width: number, height: number, geoTransform: GeoTransform, toWgs84: ToWgs84): number {
  const bw = Math.max(1, Math.min(64, width));
  const bh = Math.max(1, Math.min(64, height));
  const x0 = Math.floor((width - bw) / 2);
  const y0 = Math.floor((height - bh) / 2);
  const lonLat = (x: number, y: number): [number, number] => {
    const [sx, sy] = applyGeoTransform(geoTransform, x, y);
    const p = toWgs84(sx, sy);
    return [p[0], p[1]];
  };
  const ring = [lonLat(x0, y0), lonLat(x0, y0 + bh), lonLat(x0 + bw, y0 + bh), lonLat(x0 + bw, y0), lonLat(x0, y0)];
  if (!ring.every((p) => Number.isFinite(p[0]) && Number.isFinite(p[1]))) return 0;
  const polygon: Polygon = { type: 'Polygon', coordinates: [ring] };
  return turfArea(polygon) / (bw * bh);
}

/** The default `minAreaM2` of a scene: DEFAULT_MIN_AREA_PIXELS pixels at its centre. */
export function defaultMinAreaM2(width: number, height: number, geoTransform: GeoTransform, toWgs84: ToWgs84): number {
  return DEFAULT_MIN_AREA_PIXELS * centrePixelAreaM2(width, height, geoTransform, toWgs84);
}
