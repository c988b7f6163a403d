/**
 * Lon/lat footprints of pixel rectangles, for selecting the model tiles under a WGS84 bbox. Footprints are
 * computed forwards (pixel → scene CRS → lon/lat), which is defined for every pixel of a scene, unlike
 * projecting a bbox that may reach far outside the scene's CRS (poles, the other side of the globe) into it.
 *
 * A footprint's longitudes are unwrapped along its outline (continuous, so a rectangle crossing the
 * antimeridian reads e.g. 179.5..180.4 rather than -180..180); one that winds around a pole spans all
 * longitudes and reaches that pole.
 */
import { applyGeoTransform, type GeoTransform } from './affine.ts';
import type { PixelWindow } from '../scene.ts';

/** [west, south, east, north] in degrees; west may be < -180 or east > 180 (unwrapped). */
export type LonLatBox = [number, number, number, number];

export type ToWgs84 = (x: number, y: number) => [number, number];

/** Points per rectangle edge (corners included): enough for a 224 px tile's curvature in any CRS. */
const STEPS = 4;

/** Footprint of a pixel rectangle; null when no point of its outline projects to finite lon/lat. */
export function pixelWindowLonLatBox(window: PixelWindow, gt: GeoTransform, toWgs84: ToWgs84): LonLatBox | null {
  const { x, y, width: w, height: h } = window;
  const outline: [number, number][] = [];
  for (let i = 0; i < STEPS; i++) outline.push([x + (w * i) / STEPS, y]);
  for (let i = 0; i < STEPS; i++) outline.push([x + w, y + (h * i) / STEPS]);
  for (let i = 0; i < STEPS; i++) outline.push([x + w - (w * i) / STEPS, y + h]);
  for (let i = 0; i < STEPS; i++) outline.push([x, y + h - (h * i) / STEPS]);
  let west = Infinity, east = -Infinity, south = Infinity, north = -Infinity;
  let prev: number | undefined;
  let first: number | undefined;
  for (const [c, r] of outline) {
    let lonLat: [number, number];
    try {
      const [px, py] = applyGeoTransform(gt, c, r);
      lonLat = toWgs84(px, py);
    } catch {
      continue;
    }
    let [lon] = lonLat;
    const lat = lonLat[1];
    if (!Number.isFinite(lon) || !Number.isFinite(lat)) continue;
    if (prev !== undefined) lon += 360 * Math.round((prev - lon) / 360);
    prev = lon;
    first ??= lon;
    west = Math.min(west, lon); east = Math.max(east, lon); south = Math.min(south, lat); north = Math.max(north, lat);
  }
  if (first === undefined || prev === undefined) return null;
  // The outline's closing step (last point back to the first) is a whole turn when it winds around a pole.
  if (Math.abs(first - prev) > 180 || east - west >= 360) {
    const pole = north + south > 0 ? 90 : -90;
    return [-180, Math.min(south, pole), 180, Math.max(north, pole)];
  }
  return [west, south, east, north];
}

/** Whether a footprint meets a bbox (west < east, within ±180), at any multiple of 360° of longitude. */
export function lonLatBoxesIntersect(box: LonLatBox, bbox: LonLatBox): boolean {
  if (box[1] > bbox[3] || box[3] < bbox[1]) return false;
  for (const shift of [-360, 0, 360]) {
    if (box[0] + shift <= bbox[2] && box[2] + shift >= bbox[0]) return true;
  }
  return false;
}
