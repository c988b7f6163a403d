import { describe, expect, it } from 'vitest';
import type { FeatureCollection } from 'geojson';
import { VectorTile } from '@mapbox/vector-tile';
import { PbfReader } from 'pbf';
import sharp from 'sharp';
import { createWaterTiles, MVT_EXTENT, WATER_LAYER } from '../../src/adapters/tiles/waterTiles.ts';
import { lonLatToTile, lonLatToTileFraction, tileBoundsLonLat } from '../../src/core/grid/webMercator.ts';

// A 0.02° square lake with a 0.006° island, near Ottawa.
const lake: FeatureCollection = {
  type: 'FeatureCollection',
  features: [
    {
      type: 'Feature',
      id: 1,
      properties: { id: 1, area_m2: 3.5e6, mean_probability: 0.9, nested: { a: 1 } },
      geometry: {
        type: 'Polygon',
        coordinates: [
          [[-75.71, 45.41], [-75.69, 45.41], [-75.69, 45.43], [-75.71, 45.43], [-75.71, 45.41]],
          [[-75.703, 45.417], [-75.703, 45.423], [-75.697, 45.423], [-75.697, 45.417], [-75.703, 45.417]],
        ],
      },
    },
  ],
};

describe('water vector tiles (MVT)', () => {
  const tiles = createWaterTiles(lake, { maxZoom: 14 });

  it('encodes the lake in layer `water` at the right tile position', () => {
    const z = 12;
    const t = lonLatToTile(-75.70, 45.42, z);
    const bytes = tiles.mvt(z, t.x, t.y);
    expect(bytes).not.toBeNull();
    const vt = new VectorTile(new PbfReader(bytes!));
    const layer = vt.layers[WATER_LAYER];
    expect(layer).toBeDefined();
    expect(layer.length).toBe(1);
    const f = layer.feature(0);
    expect(f.type).toBe(3);
    expect(f.properties.area_m2).toBe(3.5e6);
    expect(f.properties.nested).toBeUndefined();
    // exterior ring + island hole
    const rings = f.loadGeometry();
    expect(rings.length).toBe(2);
    // The decoded feature, back in lon/lat, has the lake's bounds (within a pixel of the 4096 grid).
    const gj = f.toGeoJSON(t.x, t.y, z);
    const ring = (gj.geometry as { coordinates: number[][][] }).coordinates[0];
    const lons = ring.map((p) => p[0]);
    const lats = ring.map((p) => p[1]);
    const tol = (tileBoundsLonLat(z, t.x, t.y)[2] - tileBoundsLonLat(z, t.x, t.y)[0]) / MVT_EXTENT * 2;
    expect(Math.min(...lons)).toBeCloseTo(-75.71, 4);
    expect(Math.max(...lons)).toBeCloseTo(-75.69, 4);
    expect(Math.abs(Math.min(...lats) - 45.41)).toBeLessThan(tol * 2);
    expect(Math.abs(Math.max(...lats) - 45.43)).toBeLessThan(tol * 2);
  });

  it('has no tile away from the water', () => {
    const t = lonLatToTile(10, 10, 12);
    expect(tiles.mvt(12, t.x, t.y)).toBeNull();
    expect(tiles.mvt(15, 0, 0)).toBeNull();
  });

  it('lists scalar fields for TileJSON vector_layers', () => {
    expect(tiles.fields).toEqual({ id: 'Number', area_m2: 'Number', mean_probability: 'Number' });
    expect(tiles.featureCount).toBe(1);
  });
});

describe('water overlay PNG tiles', () => {
  const tiles = createWaterTiles(lake, { maxZoom: 13 });

  async function pixelAt(z: number, lon: number, lat: number): Promise<number[]> {
    const t = lonLatToTile(lon, lat, z);
    const png = await tiles.png(z, t.x, t.y);
    expect(png).not.toBeNull();
    const { data, info } = await sharp(png!).raw().toBuffer({ resolveWithObject: true });
    expect(info.width).toBe(256);
    expect(info.channels).toBe(4);
    const [fx, fy] = lonLatToTileFraction(lon, lat, z);
    const px = Math.floor((fx - t.x) * 256);
    const py = Math.floor((fy - t.y) * 256);
    const i = (py * 256 + px) * 4;
    return [data[i], data[i + 1], data[i + 2], data[i + 3]];
  }

  it('paints water semi-transparent blue, the island and the land transparent', async () => {
    for (const z of [12, 13, 15]) {
      const water = await pixelAt(z, -75.707, 45.413);
      expect(water[3]).toBeGreaterThan(80);
      expect(water[3]).toBeLessThan(255);
      expect(water[2]).toBeGreaterThan(water[0]);
      expect((await pixelAt(z, -75.700, 45.420))[3]).toBe(0); // island
    }
    expect((await pixelAt(13, -75.68, 45.42))[3]).toBe(0); // land east of the lake
  });

  it('returns null for tiles without water', async () => {
    const t = lonLatToTile(10, 10, 12);
    expect(await tiles.png(12, t.x, t.y)).toBeNull();
  });
});

describe('rings collapsed by the tile grid (GDAL read 4 of 52 low-zoom polygons of a real job as invalid)', () => {
  /** Ring signed area as an MVT decoder (and GDAL) sees it: shoelace over the decoded tile coordinates. */
  const area2 = (ring: { x: number; y: number }[]) => ring.reduce((s, p, i) => (i ? s + ring[i - 1].x * p.y - p.x * ring[i - 1].y : s), 0);

  it('withoutCollapsedRings keeps exteriors and their holes, drops collapsed rings and the holes of a collapsed exterior', async () => {
    const { withoutCollapsedRings } = await import('../../src/adapters/tiles/waterTiles.ts');
    const square = (x: number, y: number, s: number, hole = false): [number, number][] => {
      const r: [number, number][] = [[x, y], [x + s, y], [x + s, y + s], [x, y + s], [x, y]];
      return hole ? r.reverse() : r;
    };
    const flat: [number, number][] = [[5, 5], [6, 5], [7, 5], [5, 5]];
    const poly = (...rings: [number, number][][]) => ({ type: 3 as const, tags: null, geometry: rings });
    const kept = withoutCollapsedRings([
      poly(square(0, 0, 100), flat, square(10, 10, 5, true)),
      poly(flat, square(300, 300, 5, true)),
      poly(square(500, 500, 10)),
    ]);
    expect(kept.map((f) => f.geometry.length)).toEqual([2, 1]);
    expect(area2((kept[0].geometry[1] as [number, number][]).map(([x, y]) => ({ x, y })))).toBeLessThan(0);
  });
});
