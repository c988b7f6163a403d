/**
 * Web Mercator (EPSG:3857) XYZ tile math, as used by OSM/Google/MapLibre ("slippy map" tiles):
 * tile (z, x, y) with y = 0 at the north edge, 256 px tiles, latitudes clamped to ±85.0511287798°.
 * Pure: no I/O. Coordinates are [lon, lat] in degrees (WGS84) or [x, y] in EPSG:3857 metres.
 */

/** WGS84 semi-major axis used by EPSG:3857 (spherical Mercator). */
export const EARTH_RADIUS_M = 6378137;
/** Half the width of the EPSG:3857 square, in metres (π·R). */
export const MERCATOR_HALF_WORLD_M = Math.PI * EARTH_RADIUS_M;
/** Latitude where the EPSG:3857 square ends (atan(sinh(π))). */
export const MAX_MERCATOR_LAT = (Math.atan(Math.sinh(Math.PI)) * 180) / Math.PI;
/** Tile edge in pixels for the XYZ tiles Waterline serves. */
export const WEB_TILE_SIZE = 256;
/** The deepest zoom Waterline serves (≈ 2 cm/px at the equator: far beyond any satellite scene). */
export const MAX_ZOOM = 24;

export interface TileCoord {
  z: number;
  x: number;
  y: number;
}

/** Bounds in degrees: west, south, east, north. */
export type LonLatBBox = [number, number, number, number];
/** Bounds in EPSG:3857 metres: minX, minY, maxX, maxY. */
export type MercatorBBox = [number, number, number, number];

export function clampLat(lat: number): number {
  return Math.max(-MAX_MERCATOR_LAT, Math.min(MAX_MERCATOR_LAT, lat));
}

/** WGS84 lon/lat (degrees) → EPSG:3857 metres. Latitude is clamped to the Mercator square. */
export function lonLatToMercator(lon: number, lat: number): [number, number] {
  const phi = (clampLat(lat) * Math.PI) / 180;
  return [(lon * Math.PI * EARTH_RADIUS_M) / 180, EARTH_RADIUS_M * Math.log(Math.tan(Math.PI / 4 + phi / 2))];
}

/** EPSG:3857 metres → WGS84 lon/lat (degrees). */
export function mercatorToLonLat(x: number, y: number): [number, number] {
  return [(x / EARTH_RADIUS_M) * (180 / Math.PI), (Math.atan(Math.sinh(y / EARTH_RADIUS_M)) * 180) / Math.PI];
}

/** Whether z/x/y name a tile that exists: integers, 0 ≤ z ≤ MAX_ZOOM, 0 ≤ x, y < 2^z. */
export function isValidTile(z: number, x: number, y: number, maxZoom = MAX_ZOOM): boolean {
  if (![z, x, y].every(Number.isInteger)) return false;
  if (z < 0 || z > maxZoom) return false;
  const n = 2 ** z;
  return x >= 0 && x < n && y >= 0 && y < n;
}

/** Tile bounds in EPSG:3857 metres. */
export function tileBoundsMercator(z: number, x: number, y: number): MercatorBBox {
  const size = (2 * MERCATOR_HALF_WORLD_M) / 2 ** z;
  const minX = -MERCATOR_HALF_WORLD_M + x * size;
  const maxY = MERCATOR_HALF_WORLD_M - y * size;
  return [minX, maxY - size, minX + size, maxY];
}

/** Tile bounds in degrees [west, south, east, north]. */
export function tileBoundsLonLat(z: number, x: number, y: number): LonLatBBox {
  const [minX, minY, maxX, maxY] = tileBoundsMercator(z, x, y);
  const [west, south] = mercatorToLonLat(minX, minY);
  const [east, north] = mercatorToLonLat(maxX, maxY);
  return [west, south, east, north];
}

/**
 * Fractional tile coordinates of a lon/lat at zoom z (x grows east, y grows south; the integer part
 * is the tile, the fraction the position inside it).
 */
export function lonLatToTileFraction(lon: number, lat: number, z: number): [number, number] {
  const [mx, my] = lonLatToMercator(lon, lat);
  const n = 2 ** z;
  return [((mx + MERCATOR_HALF_WORLD_M) / (2 * MERCATOR_HALF_WORLD_M)) * n, ((MERCATOR_HALF_WORLD_M - my) / (2 * MERCATOR_HALF_WORLD_M)) * n];
}

/** The tile containing a lon/lat at zoom z (points on the east/south world edge go to the last tile). */
export function lonLatToTile(lon: number, lat: number, z: number): TileCoord {
  const [fx, fy] = lonLatToTileFraction(lon, lat, z);
  const last = 2 ** z - 1;
  return { z, x: Math.min(last, Math.max(0, Math.floor(fx))), y: Math.min(last, Math.max(0, Math.floor(fy))) };
}

export interface TileRange {
  z: number;
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

/**
 * The inclusive range of tiles at zoom z that intersect a lon/lat bbox (west ≤ east; a bbox crossing the
 * antimeridian must be split by the caller). A tile that only touches the bbox along an edge is excluded.
 */
export function tileRangeForBBox(bbox: LonLatBBox, z: number): TileRange {
  const [west, south, east, north] = bbox;
  if (!(west <= east && south <= north)) throw new RangeError(`bbox ${bbox.join(',')} is not west ≤ east, south ≤ north`);
  const [fx0, fy0] = lonLatToTileFraction(west, north, z);
  const [fx1, fy1] = lonLatToTileFraction(east, south, z);
  const last = 2 ** z - 1;
  const clamp = (v: number) => Math.min(last, Math.max(0, v));
  // An edge that lies on a tile boundary (within float noise) does not pull in the tile beyond it.
  const eps = Math.max(1e-12, 2 ** z * 1e-13);
  const lo = (f: number) => (Math.ceil(f) - f < eps ? Math.ceil(f) : Math.floor(f));
  const hi = (f: number, from: number) => (f - Math.floor(f) < eps && f - eps > from ? Math.floor(f) - 1 : Math.floor(f));
  const minX = lo(fx0);
  const minY = lo(fy0);
  const maxX = Math.max(minX, hi(fx1, fx0));
  const maxY = Math.max(minY, hi(fy1, fy0));
  return { z, minX: clamp(minX), minY: clamp(minY), maxX: clamp(maxX), maxY: clamp(maxY) };
}

/** The tiles of `tileRangeForBBox`, row by row. */
export function tilesCoveringBBox(bbox: LonLatBBox, z: number): TileCoord[] {
  const r = tileRangeForBBox(bbox, z);
  const out: TileCoord[] = [];
  for (let y = r.minY; y <= r.maxY; y++) for (let x = r.minX; x <= r.maxX; x++) out.push({ z, x, y });
  return out;
}

/** Ground size of one pixel of a 256 px tile at zoom z and latitude lat, in metres. */
export function groundResolution(z: number, lat: number): number {
  return (2 * MERCATOR_HALF_WORLD_M * Math.cos((clampLat(lat) * Math.PI) / 180)) / (WEB_TILE_SIZE * 2 ** z);
}

export interface ZoomRange {
  minzoom: number;
  maxzoom: number;
}

/**
 * The zooms worth serving for a scene: `maxzoom` is the first zoom whose tile pixels are at least as fine
 * as the scene's pixels (native resolution, no more); `minzoom` is the zoom at which the whole scene
 * (its larger pixel dimension) fits in about one 256 px tile.
 * @param pixelSizeM the scene's ground pixel size in metres (e.g. from its WGS84 extent and pixel size)
 * @param centerLat latitude of the scene centre (Mercator stretches pixels by 1/cos φ)
 * @param widthPx, heightPx the scene size in pixels
 */
export function zoomRangeForScene(pixelSizeM: number, centerLat: number, widthPx: number, heightPx: number): ZoomRange {
  if (!(pixelSizeM > 0) || !Number.isFinite(pixelSizeM)) throw new RangeError(`pixel size ${pixelSizeM} m must be a positive number`);
  const equatorial = groundResolution(0, centerLat);
  const maxzoom = Math.min(MAX_ZOOM, Math.max(0, Math.ceil(Math.log2(equatorial / pixelSizeM) - 1e-9)));
  const span = Math.max(1, Math.log2(Math.max(widthPx, heightPx) / WEB_TILE_SIZE));
  const minzoom = Math.max(0, Math.min(maxzoom, Math.floor(maxzoom - span)));
  return { minzoom, maxzoom };
}
