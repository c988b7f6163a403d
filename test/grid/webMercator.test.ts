import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import proj4 from 'proj4';
import {
  MAX_MERCATOR_LAT,
  groundResolution,
  isValidTile,
  lonLatToMercator,
  lonLatToTile,
  mercatorToLonLat,
  tileBoundsLonLat,
  tileBoundsMercator,
  tileRangeForBBox,
  tilesCoveringBBox,
  zoomRangeForScene,
  type LonLatBBox,
} from '../../src/core/grid/webMercator.ts';

const lon = fc.double({ min: -179.999, max: 179.999, noNaN: true });
const lat = fc.double({ min: -85, max: 85, noNaN: true });
const zoom = fc.integer({ min: 0, max: 22 });

describe('web mercator projection', () => {
  it('matches proj4 EPSG:4326 → EPSG:3857', () => {
    fc.assert(
      fc.property(lon, lat, (lo, la) => {
        const [x, y] = lonLatToMercator(lo, la);
        const [px, py] = proj4('EPSG:4326', 'EPSG:3857', [lo, la]);
        expect(x).toBeCloseTo(px, 4);
        expect(y).toBeCloseTo(py, 4);
      }),
    );
  });

  it('round-trips lon/lat through metres', () => {
    fc.assert(
      fc.property(lon, lat, (lo, la) => {
        const [x, y] = lonLatToMercator(lo, la);
        const [lo2, la2] = mercatorToLonLat(x, y);
        expect(lo2).toBeCloseTo(lo, 9);
        expect(la2).toBeCloseTo(la, 9);
      }),
    );
  });
});

describe('XYZ tiles', () => {
  it('has the well-known bounds at z0 and z1', () => {
    const b0 = tileBoundsLonLat(0, 0, 0);
    expect(b0[0]).toBeCloseTo(-180, 9);
    expect(b0[2]).toBeCloseTo(180, 9);
    expect(b0[3]).toBeCloseTo(MAX_MERCATOR_LAT, 9);
    expect(MAX_MERCATOR_LAT).toBeCloseTo(85.0511287798, 9);
    const b = tileBoundsLonLat(1, 0, 0);
    expect(b[0]).toBeCloseTo(-180, 9);
    expect(b[1]).toBeCloseTo(0, 9);
    expect(b[2]).toBeCloseTo(0, 9);
    expect(tileBoundsMercator(0, 0, 0)[2]).toBeCloseTo(20037508.342789244, 6);
  });

  it('puts Ottawa in tile 10/296/366 (OSM slippy-map formula)', () => {
    expect(lonLatToTile(-75.69, 45.42, 10)).toEqual({ z: 10, x: 296, y: 366 });
  });

  it('a point lies inside the bounds of the tile that contains it', () => {
    fc.assert(
      fc.property(lon, lat, zoom, (lo, la, z) => {
        const t = lonLatToTile(lo, la, z);
        expect(isValidTile(t.z, t.x, t.y)).toBe(true);
        const [w, s, e, n] = tileBoundsLonLat(t.z, t.x, t.y);
        expect(lo).toBeGreaterThanOrEqual(w - 1e-9);
        expect(lo).toBeLessThanOrEqual(e + 1e-9);
        expect(la).toBeGreaterThanOrEqual(s - 1e-9);
        expect(la).toBeLessThanOrEqual(n + 1e-9);
      }),
    );
  });

  it('tile bounds round-trip: the centre of tile (z,x,y) maps back to (z,x,y)', () => {
    fc.assert(
      fc.property(zoom, fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }), (z, u, v) => {
        const n = 2 ** z;
        const x = Math.floor(u * n);
        const y = Math.floor(v * n);
        const [minX, minY, maxX, maxY] = tileBoundsMercator(z, x, y);
        const [clon, clat] = mercatorToLonLat((minX + maxX) / 2, (minY + maxY) / 2);
        expect(lonLatToTile(clon, clat, z)).toEqual({ z, x, y });
      }),
    );
  });

  it('neighbouring tiles share edges exactly', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 22 }), fc.nat(), fc.nat(), (z, a, b) => {
        const n = 2 ** z;
        const x = a % (n - 1);
        const y = b % (n - 1);
        expect(tileBoundsMercator(z, x, y)[2]).toBeCloseTo(tileBoundsMercator(z, x + 1, y)[0], 6);
        expect(tileBoundsMercator(z, x, y)[1]).toBeCloseTo(tileBoundsMercator(z, x, y + 1)[3], 6);
      }),
    );
  });

  it('rejects tiles that do not exist', () => {
    expect(isValidTile(0, 0, 0)).toBe(true);
    expect(isValidTile(3, 8, 0)).toBe(false);
    expect(isValidTile(3, 0, -1)).toBe(false);
    expect(isValidTile(1.5, 0, 0)).toBe(false);
    expect(isValidTile(25, 0, 0)).toBe(false);
    expect(isValidTile(Number.NaN, 0, 0)).toBe(false);
  });
});

describe('tiles covering a bbox', () => {
  const bbox = fc
    .tuple(lon, lon, lat, lat)
    .filter(([a, b, c, d]) => Math.abs(a - b) > 1e-6 && Math.abs(c - d) > 1e-6)
    .map(([a, b, c, d]): LonLatBBox => [Math.min(a, b), Math.min(c, d), Math.max(a, b), Math.max(c, d)]);

  it('every tile intersects the bbox, and every point of the bbox is in a listed tile', () => {
    fc.assert(
      fc.property(bbox, fc.integer({ min: 0, max: 8 }), fc.double({ min: 0.01, max: 0.99, noNaN: true }), fc.double({ min: 0.01, max: 0.99, noNaN: true }), (bb, z, u, v) => {
        const r = tileRangeForBBox(bb, z);
        fc.pre((r.maxX - r.minX + 1) * (r.maxY - r.minY + 1) < 5000);
        const tiles = tilesCoveringBBox(bb, z);
        expect(tiles.length).toBe((r.maxX - r.minX + 1) * (r.maxY - r.minY + 1));
        for (const t of tiles) {
          const [w, s, e, n] = tileBoundsLonLat(t.z, t.x, t.y);
          expect(w < bb[2] + 1e-9 && bb[0] < e + 1e-9 && s < bb[3] + 1e-9 && bb[1] < n + 1e-9).toBe(true);
        }
        const p = lonLatToTile(bb[0] + u * (bb[2] - bb[0]), bb[1] + v * (bb[3] - bb[1]), z);
        expect(tiles.some((t) => t.x === p.x && t.y === p.y)).toBe(true);
      }),
    );
  });

  it('a bbox equal to one tile yields exactly that tile', () => {
    fc.assert(
      fc.property(zoom, fc.nat(), fc.nat(), (z, a, b) => {
        const n = 2 ** z;
        const x = a % n;
        const y = b % n;
        const [minX, minY, maxX, maxY] = tileBoundsMercator(z, x, y);
        // use the metre bounds so the corners sit exactly on tile edges
        const [w, s] = mercatorToLonLat(minX, minY);
        const [e, nn] = mercatorToLonLat(maxX, maxY);
        const tiles = tilesCoveringBBox([w, s, e, nn], z);
        expect(tiles).toEqual([{ z, x, y }]);
      }),
    );
  });
});

describe('zoom range for a scene', () => {
  it('maxzoom reaches the native resolution of a 30 m Landsat scene at 45°N', () => {
    const { minzoom, maxzoom } = zoomRangeForScene(30, 45, 779, 790);
    expect(groundResolution(maxzoom, 45)).toBeLessThanOrEqual(30);
    expect(groundResolution(maxzoom - 1, 45)).toBeGreaterThan(30);
    expect(maxzoom).toBe(12);
    expect(minzoom).toBeLessThan(maxzoom);
    // at minzoom the scene spans at most about one tile
    expect((790 * 30) / groundResolution(minzoom, 45)).toBeLessThanOrEqual(256);
  });

  it('refuses a non-positive pixel size', () => {
    expect(() => zoomRangeForScene(0, 0, 10, 10)).toThrow(/pixel size/);
  });
});
