/**
 * Ground area of the pixels of a georeferenced grid, in m², for area statistics over class rasters.
 *
 * A pixel's ground area varies across a scene (strongly in lon/lat grids, slightly in projected ones), so
 * the grid is cut into blocks of `block`² pixels and each block's pixel area is the geodesic area (turf,
 * as the polygons' `area_m2`) of the block's outline projected to WGS84, divided by its pixel count. Within
 * one block the pixel area changes by far less than 0.1 % for any block size a scene can hold.
 */
import { area as turfArea } from '@turf/area';
import type { Polygon } from 'geojson';
import { applyGeoTransform, type GeoTransform } from '../grid/affine.ts';
import type { ToWgs84 } from '../vector/toGeoJson.ts';

export interface PixelAreaGrid {
  block: number;
  blocksX: number;
  blocksY: number;
  /** m² of one pixel in block (bx, by), row-major. */
  pixelAreaM2: Float64Array;
}

export function pixelAreaGrid(width: number, height: number, geoTransform: GeoTransform, toWgs84: ToWgs84, block = 16): PixelAreaGrid {
  const blocksX = Math.ceil(width / block);
  const blocksY = Math.ceil(height / block);
  const pixelAreaM2 = new Float64Array(blocksX * blocksY);
  const lonLat = (x: number, y: number): [number, number] => {
    const [sx, sy] = applyGeoTransform(geoTransform, x, y);
    const p = toWgs84(sx, sy);
    return [p[0], p[1]];
  };
  for (let by = 0; by < blocksY; by++) {
    for (let bx = 0; bx < blocksX; bx++) {
      const x0 = bx * block;
      const y0 = by * block;
      const x1 = Math.min(width, x0 + block);
      const y1 = Math.min(height, y0 + block);
      const ring = [lonLat(x0, y0), lonLat(x0, y1), lonLat(x1, y1), lonLat(x1, y0), lonLat(x0, y0)];
      const polygon: Polygon = { type: 'Polygon', coordinates: [ring] };
      pixelAreaM2[by * blocksX + bx] = ring.every((p) => Number.isFinite(p[0]) && Number.isFinite(p[1])) ? turfArea(polygon) / ((x1 - x0) * (y1 - y0)) : 0;
    }
  }
  return { block, blocksX, blocksY, pixelAreaM2 };
}

/** Ground area (m²) of the pixels holding each value 0..255 of a byte raster on the grid. */
export function areaByValue(values: Uint8Array, width: number, height: number, grid: PixelAreaGrid): Float64Array {
  const out = new Float64Array(256);
  const counts = new Float64Array(256);
  for (let by = 0; by < grid.blocksY; by++) {
    for (let bx = 0; bx < grid.blocksX; bx++) {
      counts.fill(0);
      const y1 = Math.min(height, (by + 1) * grid.block);
      const x1 = Math.min(width, (bx + 1) * grid.block);
      for (let y = by * grid.block; y < y1; y++) {
        for (let x = bx * grid.block, i = y * width + x; x < x1; x++, i++) counts[values[i]]++;
      }
      const a = grid.pixelAreaM2[by * grid.blocksX + bx];
      for (let v = 0; v < 256; v++) if (counts[v]) out[v] += counts[v] * a;
    }
  }
  return out;
}
