/**
 * Water polygons (a job's RFC 7946 FeatureCollection) as Web Mercator XYZ tiles: Mapbox Vector Tiles
 * (layer `water`, geojson-vt + vt-pbf) and semi-transparent blue PNG overlay tiles (the same clipped
 * geojson-vt geometry drawn as SVG and rasterized by sharp/librsvg). One index per FeatureCollection;
 * build it once per job and keep it (the tile routes keep the last 16).
 */
import type { FeatureCollection } from 'geojson';
import GeoJSONVT, { type LegacyFeature } from 'geojson-vt';
import sharp from 'sharp';
import { fromGeojsonVt } from 'vt-pbf';
import { WEB_TILE_SIZE } from '../../core/grid/webMercator.ts';

/** Name of the MVT layer holding the water polygons (the viewer and TileJSON `vector_layers` use it). */
export const WATER_LAYER = 'water';
/** MVT coordinate extent (the MVT default). */
export const MVT_EXTENT = 4096;

export interface WaterTileOptions {
  /** Deepest zoom with full geometric detail; deeper PNG tiles are cut from it, clients overzoom MVT. */
  maxZoom?: number;
  /** Overlay fill colour (CSS), default semi-transparent blue. */
  fill?: string;
  stroke?: string;
  /**
   * Colour the overlay by a feature property instead (e.g. a change job's `class`): CSS fill per value; features
   * with another value use `fill`. The outline is the fill colour, opaque.
   */
  fillBy?: { property: string; colours: Record<string, readonly [number, number, number]> };
}

export interface WaterTiles {
  readonly maxZoom: number;
  readonly featureCount: number;
  /** Names and types of the scalar feature properties kept in the MVT (for TileJSON `vector_layers`). */
  readonly fields: Record<string, string>;
  /** The MVT bytes of tile z/x/y, or null when no water touches it (or z > maxZoom). */
  mvt(z: number, x: number, y: number): Uint8Array | null;
  /** A 256 px RGBA PNG of the water in tile z/x/y, or null when no water touches it. */
  png(z: number, x: number, y: number): Promise<Buffer | null>;
}

/** Keep only scalar properties: MVT values are strings, numbers and booleans. */
function scalarProperties(fc: FeatureCollection): { fc: FeatureCollection; fields: Record<string, string> } {
  const fields: Record<string, string> = {};
  const features = fc.features.map((f) => {
    const props: Record<string, string | number | boolean> = {};
    for (const [k, v] of Object.entries(f.properties ?? {})) {
      if (typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) {
        props[k] = v;
        fields[k] = typeof v === 'number' ? 'Number' : typeof v === 'boolean' ? 'Boolean' : 'String';
      }
    }
    if (f.id !== undefined && props.id === undefined) props.id = f.id;
    return { ...f, properties: props };
  });
  return { fc: { type: 'FeatureCollection', features }, fields };
}

function svgPath(features: LegacyFeature[], keep: (f: LegacyFeature) => boolean = () => true): string {
  let d = '';
  for (const f of features) {
    if (f.type !== 3 || !keep(f)) continue;
    for (const ring of f.geometry) {
      if (ring.length < 3) continue;
      d += `M${ring[0][0]} ${ring[0][1]}`;
      for (let i = 1; i < ring.length; i++) d += `L${ring[i][0]} ${ring[i][1]}`;
      d += 'Z';
    }
  }
  return d;
}

/**
 * Twice the signed area of a ring of tile coordinates (shoelace, y down): positive for an exterior ring, negative for
 * a hole, as geojson-vt writes RFC 7946 polygons into a tile and as the MVT specification orders them.
 */
function ringArea2(ring: [number, number][]): number {
  let sum = 0;
  for (let i = 0; i < ring.length - 1; i++) sum += ring[i][0] * ring[i + 1][1] - ring[i + 1][0] * ring[i][1];
  return sum;
}

/**
 * The tile's polygons without the rings that snapping to the 4096-unit grid collapsed (zero area: a small lake or
 * island at a low zoom), and without the holes of an exterior ring that collapsed. Left in, they make GDAL and QGIS
 * read the feature as an invalid geometry. A polygon whose every ring collapsed is dropped.
 */
export function withoutCollapsedRings(features: LegacyFeature[]): LegacyFeature[] {
  const kept: LegacyFeature[] = [];
  for (const f of features) {
    if (f.type !== 3) {
      kept.push(f);
      continue;
    }
    const rings: [number, number][][] = [];
    let inKeptExterior = false;
    for (const ring of f.geometry) {
      const area = ring.length >= 4 ? ringArea2(ring) : 0;
      if (area > 0) inKeptExterior = true;
      // a collapsed ring after a kept exterior is taken for a collapsed hole; holes after a collapsed first ring go
      if (area > 0 || (area < 0 && inKeptExterior)) rings.push(ring);
    }
    if (rings.length === f.geometry.length) kept.push(f);
    else if (rings.length) kept.push({ ...f, geometry: rings });
  }
  return kept;
}

export function createWaterTiles(collection: FeatureCollection, options: WaterTileOptions = {}): WaterTiles {
  const maxZoom = Math.max(0, Math.min(24, Math.round(options.maxZoom ?? 16)));
  const fill = options.fill ?? 'rgba(0, 112, 255, 0.55)';
  const stroke = options.stroke ?? 'rgba(0, 60, 200, 0.9)';
  const { fc, fields } = scalarProperties(collection);
  const index = new GeoJSONVT(fc, { maxZoom, indexMaxZoom: Math.min(5, maxZoom), extent: MVT_EXTENT, buffer: 64, tolerance: 3 });

  function mvt(z: number, x: number, y: number): Uint8Array | null {
    if (z > maxZoom) return null;
    const tile = index.getTile(z, x, y);
    const features = tile ? withoutCollapsedRings(tile.features) : [];
    if (features.length === 0) return null;
    return fromGeojsonVt({ [WATER_LAYER]: { ...tile, features } }, { version: 2, extent: MVT_EXTENT });
  }

  async function png(z: number, x: number, y: number): Promise<Buffer | null> {
    // Beyond maxZoom, draw the ancestor at maxZoom and zoom the SVG viewBox into our sub-square.
    const dz = Math.max(0, z - maxZoom);
    const pz = z - dz;
    const px = x >> dz;
    const py = y >> dz;
    const tile = index.getTile(pz, px, py);
    if (!tile || tile.features.length === 0) return null;
    const span = MVT_EXTENT / 2 ** dz;
    const vx = (x - px * 2 ** dz) * span;
    const vy = (y - py * 2 ** dz) * span;
    const strokeWidth = Math.max(span / WEB_TILE_SIZE, 1e-6);
    const paths: string[] = [];
    const by = options.fillBy;
    if (by) {
      const valueOf = (f: LegacyFeature) => String(f.tags?.[by.property] ?? '');
      for (const [value, [r, g, b]] of Object.entries(by.colours)) {
        const d = svgPath(tile.features, (f) => valueOf(f) === value);
        if (d) paths.push(`<path d="${d}" fill="rgba(${r}, ${g}, ${b}, 0.6)" fill-rule="evenodd" stroke="rgb(${r}, ${g}, ${b})" stroke-width="${strokeWidth}"/>`);
      }
      const rest = svgPath(tile.features, (f) => !(valueOf(f) in by.colours));
      if (rest) paths.push(`<path d="${rest}" fill="${fill}" fill-rule="evenodd" stroke="${stroke}" stroke-width="${strokeWidth}"/>`);
    } else {
      const d = svgPath(tile.features);
      if (d) paths.push(`<path d="${d}" fill="${fill}" fill-rule="evenodd" stroke="${stroke}" stroke-width="${strokeWidth}"/>`);
    }
    if (paths.length === 0) return null;
    const svg =
      `<svg xmlns="http://www.w3.org/2000/svg" width="${WEB_TILE_SIZE}" height="${WEB_TILE_SIZE}" viewBox="${vx} ${vy} ${span} ${span}">${paths.join('')}</svg>`;
    return sharp(Buffer.from(svg)).png({ compressionLevel: 6 }).toBuffer();
  }

  return { maxZoom, featureCount: fc.features.length, fields, mvt, png };
}
