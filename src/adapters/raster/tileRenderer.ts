/**
 * Scene imagery as Web Mercator XYZ tiles (PNG/WebP, 256 px, RGBA). For each tile: the part of the scene
 * under it is read with ONE windowed read at about the tile's resolution (so COG overviews serve low
 * zooms), then every output pixel is inverse-mapped Web Mercator → WGS84 → scene CRS → scene pixel
 * (exact proj4 transforms on a 33×33 node grid, bilinear in between — GDAL's approximate-transformer
 * idea, error far below a pixel) and sampled nearest-neighbour. Pixels outside the scene or nodata are
 * transparent. Values are mapped to 8 bits with the scene-wide contrast stretch (per band [low, high])
 * of the tile source, so web tiles look like the model's input.
 */
import sharp from 'sharp';
import type { PixelWindow, SceneInfo } from '../../core/scene.ts';
import { applyGeoTransform, invertGeoTransform } from '../../core/grid/affine.ts';
import {
  WEB_TILE_SIZE,
  lonLatToMercator,
  mercatorToLonLat,
  tileBoundsMercator,
  zoomRangeForScene,
  type LonLatBBox,
  type ZoomRange,
} from '../../core/grid/webMercator.ts';
import type { RasterWindow } from '../../core/rasterWindow.ts';
import { stretchValue } from '../../core/grid/bandStretch.ts';
import { createCrsTransform, type CrsTransform } from './crs.ts';
import type { Scene } from './openScene.ts';

export type WebTileFormat = 'png' | 'webp';

/** Most scene pixels one web tile may decode (4096², i.e. 16 scene pixels per tile pixel at 256 px). */
export const MAX_TILE_SOURCE_PIXELS = 4096 * 4096;

export interface SceneTileOptions {
  /** 1-based bands to show: 3 (RGB) or 1 (grey). */
  bands: number[];
  /** Per shown band, the [low, high] sample values mapped to 0 and 255 (the scene-wide stretch). */
  stretch: [number, number][];
}

export interface SceneFootprint {
  /** WGS84 bounds of the scene (edges densified, so curved footprints are covered). */
  bbox: LonLatBBox;
  /** The same bounds in EPSG:3857 metres. */
  mercatorBBox: [number, number, number, number];
  /** Ground size of one scene pixel at the centre, metres. */
  pixelSizeM: number;
  center: [number, number];
  zoom: ZoomRange;
}

export interface SceneTileRenderer {
  readonly footprint: SceneFootprint;
  /** The encoded tile, or null when the tile does not touch the scene or holds only nodata. */
  render(z: number, x: number, y: number, format: WebTileFormat, signal?: AbortSignal): Promise<Buffer | null>;
}

const GRID = 32; // cells per tile side for the approximate transform (8 px each)

function haversineM(a: [number, number], b: [number, number]): number {
  const r = Math.PI / 180;
  const dLat = (b[1] - a[1]) * r;
  const dLon = (b[0] - a[0]) * r;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * r) * Math.cos(b[1] * r) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** WGS84 bounds, ground pixel size and useful zooms of a scene. */
export function sceneFootprint(info: SceneInfo, transform: CrsTransform = createCrsTransform(info.crs)): SceneFootprint {
  const gt = info.geoTransform;
  const pts: [number, number][] = [];
  const steps = 32;
  for (let i = 0; i <= steps; i++) {
    const t = i / steps;
    for (const [c, r] of [[t * info.width, 0], [t * info.width, info.height], [0, t * info.height], [info.width, t * info.height]]) {
      const [x, y] = applyGeoTransform(gt, c, r);
      pts.push(transform.toWgs84(x, y));
    }
  }
  const lons = pts.map((p) => p[0]).filter(Number.isFinite);
  const lats = pts.map((p) => p[1]).filter(Number.isFinite);
  const bbox: LonLatBBox = [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)];
  const cc = info.width / 2;
  const cr = info.height / 2;
  const toLonLat = (c: number, r: number) => {
    const [x, y] = applyGeoTransform(gt, c, r);
    return transform.toWgs84(x, y);
  };
  const c0 = toLonLat(cc, cr);
  const pixelSizeM = Math.sqrt(haversineM(c0, toLonLat(cc + 1, cr)) * haversineM(c0, toLonLat(cc, cr + 1)));
  const [mx0, my0] = lonLatToMercator(bbox[0], bbox[1]);
  const [mx1, my1] = lonLatToMercator(bbox[2], bbox[3]);
  return {
    bbox,
    mercatorBBox: [mx0, my0, mx1, my1],
    pixelSizeM,
    center: c0,
    zoom: zoomRangeForScene(pixelSizeM, c0[1], info.width, info.height),
  };
}

export function createSceneTileRenderer(scene: Scene, options: SceneTileOptions): SceneTileRenderer {
  const { info } = scene;
  if (options.bands.length !== 1 && options.bands.length !== 3) {
    throw new RangeError(`tile rendering needs 1 or 3 bands, got ${options.bands.length}`);
  }
  const transform = createCrsTransform(info.crs);
  const whole = sceneFootprint(info, transform);
  // A tile may decode at most MAX_TILE_SOURCE_PIXELS: below the zoom where the coarsest level (an overview,
  // else full resolution) gives that, tiles are refused, and TileJSON's minzoom says so.
  const coarsest = Math.max(1, ...info.overviews.map((o) => info.width / o.width));
  const cheapFrom = Math.ceil(whole.zoom.maxzoom - Math.log2(Math.sqrt(MAX_TILE_SOURCE_PIXELS) / 256) - Math.log2(coarsest) - 1e-9);
  const footprint: SceneFootprint = { ...whole, zoom: { ...whole.zoom, minzoom: Math.min(whole.zoom.maxzoom, Math.max(whole.zoom.minzoom, cheapFrom)) } };
  const inv = invertGeoTransform(info.geoTransform);
  const [s0, s1, s2] = options.bands.length === 1 ? [options.stretch[0], options.stretch[0], options.stretch[0]] : options.stretch;

  /** Scene pixel (col,row) of mercator (mx,my), NaN when the transform fails. */
  function scenePixel(mx: number, my: number): [number, number] {
    const [lon, lat] = mercatorToLonLat(mx, my);
    try {
      const [sx, sy] = transform.fromWgs84(lon, lat);
      if (!Number.isFinite(sx) || !Number.isFinite(sy)) return [Number.NaN, Number.NaN];
      return applyGeoTransform(inv, sx, sy);
    } catch {
      return [Number.NaN, Number.NaN];
    }
  }

  async function render(z: number, x: number, y: number, format: WebTileFormat, signal?: AbortSignal): Promise<Buffer | null> {
    const [tx0, ty0, tx1, ty1] = tileBoundsMercator(z, x, y);
    const [fx0, fy0, fx1, fy1] = footprint.mercatorBBox;
    if (!(tx0 < fx1 && fx0 < tx1 && ty0 < fy1 && fy0 < ty1)) return null;
    const N = WEB_TILE_SIZE;
    const res = (tx1 - tx0) / N;

    // Exact transforms at the grid nodes, bilinear inside each 8 px cell.
    const nodes = GRID + 1;
    const nodeC = new Float64Array(nodes * nodes);
    const nodeR = new Float64Array(nodes * nodes);
    const cell = N / GRID;
    for (let j = 0; j < nodes; j++) {
      for (let i = 0; i < nodes; i++) {
        const [c, r] = scenePixel(tx0 + i * cell * res, ty1 - j * cell * res);
        nodeC[j * nodes + i] = c;
        nodeR[j * nodes + i] = r;
      }
    }
    // Output pixel centres inside the scene's Mercator bbox get a scene pixel; the rest stay NaN.
    const cols = new Float64Array(N * N).fill(Number.NaN);
    const rows = new Float64Array(N * N).fill(Number.NaN);
    let minC = Infinity, minR = Infinity, maxC = -Infinity, maxR = -Infinity;
    for (let py = 0; py < N; py++) {
      const my = ty1 - (py + 0.5) * res;
      if (my < fy0 || my > fy1) continue;
      const gj = Math.min(GRID - 1, Math.floor((py + 0.5) / cell));
      const v = (py + 0.5) / cell - gj;
      for (let px = 0; px < N; px++) {
        const mx = tx0 + (px + 0.5) * res;
        if (mx < fx0 || mx > fx1) continue;
        const gi = Math.min(GRID - 1, Math.floor((px + 0.5) / cell));
        const u = (px + 0.5) / cell - gi;
        const k = gj * nodes + gi;
        let c = (1 - v) * ((1 - u) * nodeC[k] + u * nodeC[k + 1]) + v * ((1 - u) * nodeC[k + nodes] + u * nodeC[k + nodes + 1]);
        let r = (1 - v) * ((1 - u) * nodeR[k] + u * nodeR[k + 1]) + v * ((1 - u) * nodeR[k + nodes] + u * nodeR[k + nodes + 1]);
        if (!Number.isFinite(c) || !Number.isFinite(r)) [c, r] = scenePixel(mx, my);
        if (!(c >= 0 && r >= 0 && c < info.width && r < info.height)) continue;
        const p = py * N + px;
        cols[p] = c;
        rows[p] = r;
        if (c < minC) minC = c;
        if (c > maxC) maxC = c;
        if (r < minR) minR = r;
        if (r > maxR) maxR = r;
      }
    }
    if (!(maxC >= minC)) return null;
    const window: PixelWindow = { x: Math.floor(minC), y: Math.floor(minR), width: 0, height: 0 };
    window.width = Math.min(info.width, Math.floor(maxC) + 1) - window.x;
    window.height = Math.min(info.height, Math.floor(maxR) + 1) - window.y;

    // Scene pixels per output pixel, from the centre cell's Jacobian: read at about that resolution.
    const mid = (GRID / 2) * nodes + GRID / 2;
    let step = Math.max(Math.hypot(nodeC[mid + 1] - nodeC[mid], nodeR[mid + 1] - nodeR[mid]), Math.hypot(nodeC[mid + nodes] - nodeC[mid], nodeR[mid + nodes] - nodeR[mid])) / cell;
    if (!Number.isFinite(step) || step <= 0) step = 1;
    const readW = Math.max(1, Math.min(window.width, Math.ceil(window.width / step)));
    const readH = Math.max(1, Math.min(window.height, Math.ceil(window.height / step)));
    const raster: RasterWindow = await scene.readWindow(window, { bands: options.bands, width: readW, height: readH, signal, maxSourcePixels: MAX_TILE_SOURCE_PIXELS });
    const sxScale = raster.width / window.width;
    const syScale = raster.height / window.height;

    const out = Buffer.alloc(N * N * 4);
    const grey = options.bands.length === 1;
    let any = false;
    for (let p = 0; p < N * N; p++) {
      const c = cols[p];
      if (Number.isNaN(c)) continue;
      const u = Math.min(raster.width - 1, Math.floor((c - window.x) * sxScale));
      const v = Math.min(raster.height - 1, Math.floor((rows[p] - window.y) * syScale));
      const s = v * raster.width + u;
      if (!raster.valid[s]) continue;
      const o = p * 4;
      if (grey) {
        const g = stretchValue(raster.bands[0][s], s0[0], s0[1]);
        out[o] = g;
        out[o + 1] = g;
        out[o + 2] = g;
      } else {
        out[o] = stretchValue(raster.bands[0][s], s0[0], s0[1]);
        out[o + 1] = stretchValue(raster.bands[1][s], s1[0], s1[1]);
        out[o + 2] = stretchValue(raster.bands[2][s], s2[0], s2[1]);
      }
      out[o + 3] = 255;
      any = true;
    }
    if (!any) return null;
    const img = sharp(out, { raw: { width: N, height: N, channels: 4 } });
    return format === 'webp' ? img.webp({ quality: 85, alphaQuality: 100 }).toBuffer() : img.png({ compressionLevel: 6 }).toBuffer();
  }

  return { footprint, render };
}
