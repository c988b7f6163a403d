/**
 * Scene → model tiles: the tile grid, the chosen bands, ONE scene-wide contrast stretch, and a reader that
 * turns each grid tile into a padded tileSize² RGB ModelTile (null when the tile holds no valid pixel).
 *
 * Band defaults (1-based), when `bands` is not given:
 * - colour interpretation names Red, Green and Blue → those bands;
 * - 1 or 2 bands → band 1 as grey (replicated to RGB);
 * - 3 or 4 bands → 1,2,3 (RGB, NAIP R,G,B,NIR; for the SWIR1,NIR,Red,Green Pucallpa files this is a
 *   SWIR1/NIR/Red false-colour composite in which water is dark: pass `--bands 3,4,...` to change it);
 * - 5 or more bands → 3,2,1 (the Landsat band order B1,B2,B3,...: true colour).
 *
 * Stretch: per band the 2nd–98th percentile of valid pixels from a ≤512 px resampled read (served by an
 * overview when the scene has one) or, for big scenes without overviews, from 16 sampled windows;
 * 8-bit bands already spanning most of 0..255 pass through.
 */
import type { Scene } from '../adapters/raster/openScene.ts';
import { planTileGrid, TileGridError, type GridTile, type TileGrid } from '../core/grid/tileGrid.ts';
import { bandStretchFromSample, byteStretchTables, modelTileFromWindow, type BandStretch } from '../core/grid/bandStretch.ts';
import type { ModelTile } from '../core/model/segmenter.ts';
import type { SceneInfo } from '../core/scene.ts';
import type { SampleArray } from '../core/rasterWindow.ts';
import { InputError } from '../core/errors.ts';
import { inferBandRoles, rgbBandsFromRoles, type BandRoleAssignment } from '../core/bands/bandRoles.ts';
import { spectralPlane } from '../core/spectral/bandValues.ts';

export interface TileSourceOptions {
  tileSize?: number;
  overlap?: number;
  /** 1-based band numbers: 3 (RGB) or 1 (grey). */
  bands?: number[];
  /** The scene-wide stretch of these bands when the caller already has it (computeSceneStretch); computed otherwise. */
  stretch?: BandStretch;
  /** Bands delivered raw in `ModelTile.spectral` (what the segmenter declares in `info.spectralBands`). */
  spectralBands?: number[];
  signal?: AbortSignal;
}

export interface TileSource {
  grid: TileGrid;
  /** The chosen 1-based bands, in R,G,B order (one band = grey). */
  bands: number[];
  /** Per chosen band, [low, high] sample values mapped to 0 and 255. */
  stretch: BandStretch;
  /** The model tile for a grid tile, or null when it is entirely nodata (count it as skipped). */
  readTile(tile: GridTile, signal?: AbortSignal): Promise<ModelTile | null>;
}

/**
 * Read-ahead of `readTile`: the blocks of the next tiles in grid order (up to the next row of tiles, which the
 * block cache's three block rows hold) start decoding — off the main thread, for the decoders that can — while
 * this one is assembled and stretched.
 */
const READ_AHEAD_TILES = 8;

/** Longest side of the sample used to compute the stretch. */
const STRETCH_SAMPLE = 512;

/**
 * The RGB picture of a scene: from its band roles (red, green, blue — a 13-band Sentinel-2 file gives B4,B3,B2),
 * else by band count as described in the module comment.
 */
export function defaultBands(info: SceneInfo, roles: BandRoleAssignment = inferBandRoles(info.bands)): number[] {
  const fromRoles = rgbBandsFromRoles(roles);
  if (fromRoles) return fromRoles;
  const n = info.bands.filter((band) => band.colorInterpretation !== 'Alpha').length;
  if (n <= 2) return [1];
  if (n <= 4) return [1, 2, 3];
  return [3, 2, 1];
}

/** Whether `bands` is 1 or 3 band numbers of the scene (1-based). */
function isBandList(bands: number[], info: SceneInfo): boolean {
  return (bands.length === 1 || bands.length === 3) && bands.every((b) => Number.isInteger(b) && b >= 1 && b <= info.bands.length);
}

/** Parse `--bands 3,2,1` (or `1`) against a scene. */
export function parseBands(text: string, info: SceneInfo): number[] {
  const parts = text.split(',').map((s) => s.trim());
  const bands = parts.map(Number);
  if (!isBandList(bands, info)) {
    throw new InputError('bad_bands', `${info.source}: --bands "${text}" is not 1 or 3 band numbers between 1 and ${info.bands.length}`, {
      hint: 'e.g. --bands 3,2,1 or --bands 1',
    });
  }
  return bands;
}

/**
 * Scene-wide per-band stretch. With an overview (or a scene small enough): one resampled read of the whole
 * scene (≤512 px). Otherwise a 4x4 grid of 128 px full-resolution windows, so a big scene without
 * overviews is never read whole.
 */
export async function computeSceneStretch(scene: Scene, bands: number[], signal?: AbortSignal): Promise<BandStretch> {
  const unique = [...new Set(bands)];
  const sample = await readSceneSample(scene, unique, signal);
  const perBand = new Map(unique.map((b, k) => [b, bandStretchFromSample(sample.bands[k], sample.valid, scene.info.bands[b - 1].type)]));
  return bands.map((b) => perBand.get(b) as [number, number]);
}

/** A scene-wide sample of some bands: the windows of `readSceneSample` concatenated. */
export interface SceneSample {
  bands: SampleArray[];
  valid: Uint8Array;
}

/**
 * A scene-wide sample of `bands` (distinct, 1-based) for scene statistics (stretch, water index threshold). With an
 * overview (or a scene small enough): one resampled read of the whole scene (≤512 px). Otherwise a 4x4 grid of
 * 128 px full-resolution windows, so a big scene without overviews is never read whole.
 */
export async function readSceneSample(scene: Scene, bands: number[], signal?: AbortSignal): Promise<SceneSample> {
  const { width, height, overviews } = scene.info;
  const samples: { bands: SampleArray[]; valid: Uint8Array }[] = [];
  const smallestOverview = overviews[overviews.length - 1];
  if (Math.max(width, height) <= 2048 || (smallestOverview && Math.max(smallestOverview.width, smallestOverview.height) <= 2048)) {
    const scale = Math.min(1, STRETCH_SAMPLE / Math.max(width, height));
    const outW = Math.max(1, Math.round(width * scale));
    const outH = Math.max(1, Math.round(height * scale));
    return scene.readWindow({ x: 0, y: 0, width, height }, { bands, width: outW, height: outH, signal });
  }
  const size = 128;
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) {
      const x = Math.round(((width - size) * (i + 0.5)) / 4);
      const y = Math.round(((height - size) * (j + 0.5)) / 4);
      samples.push(await scene.readWindow({ x, y, width: size, height: size }, { bands, signal }));
    }
  }
  const total = samples.reduce((n, s) => n + s.valid.length, 0);
  const concat = (k: number): Float64Array => {
    const out = new Float64Array(total);
    let at = 0;
    for (const s of samples) {
      out.set(s.bands[k], at);
      at += s.bands[k].length;
    }
    return out;
  };
  const valid = new Uint8Array(total);
  let at = 0;
  for (const s of samples) {
    valid.set(s.valid, at);
    at += s.valid.length;
  }
  return { bands: bands.map((_, k) => concat(k)), valid };
}

export async function createTileSource(scene: Scene, opts: TileSourceOptions = {}): Promise<TileSource> {
  const info = scene.info;
  let grid: TileGrid;
  try {
    grid = planTileGrid({ width: info.width, height: info.height, tileSize: opts.tileSize, overlap: opts.overlap });
  } catch (err) {
    if (err instanceof TileGridError) {
      // Only the overlap (every command) and the tile size (`tiles --size`; for segment it is the model's input) can be chosen.
      const hint = err.setting === 'overlap' ? `use an --overlap of ${err.fix} px` : err.setting === 'tileSize' ? `use a --size of ${err.fix} px` : undefined;
      throw new InputError('bad_tiling', `${info.source}: ${err.message}`, { hint });
    }
    throw err;
  }
  const bands = opts.bands ?? defaultBands(info);
  if (!isBandList(bands, info)) {
    throw new InputError('bad_bands', `${info.source}: bands [${bands.join(',')}] are not 1 or 3 band numbers between 1 and ${info.bands.length}`, {
      hint: 'e.g. --bands 3,2,1 or --bands 1',
    });
  }
  const stretch = opts.stretch ?? await computeSceneStretch(scene, bands, opts.signal);
  const spectralBands = opts.spectralBands ?? [];
  const unique = [...new Set([...bands, ...spectralBands])];
  const size = grid.tileSize;
  // 8-bit bands and no raw spectral planes: the scene may write the tile straight from its decoded blocks.
  const byteTables = scene.readByteRgb && !spectralBands.length && bands.every((b) => info.bands[b - 1].type === 'Byte') ? byteStretchTables(stretch) : null;

  function readAhead(tile: GridTile): void {
    const index = tile.row * grid.cols + tile.col;
    if (scene.prefetch && grid.tiles[index]?.id === tile.id) {
      const end = Math.min(index + READ_AHEAD_TILES, grid.tiles.length - 1, (tile.row + 2) * grid.cols - 1);
      for (let k = index + 1; k <= end; k++) scene.prefetch(grid.tiles[k].window, { bands: unique });
    }
  }

  return {
    grid,
    bands,
    stretch,
    async readTile(tile, signal) {
      if (byteTables && scene.readByteRgb) {
        // Same tile as modelTileFromWindow over readWindow (invalid and padding pixels stay 0).
        const rgb = new Uint8Array(size * size * 3);
        const valid = new Uint8Array(size * size);
        const direct = scene.readByteRgb(tile.window, { bands, tables: byteTables, rgb, valid, rowStride: size, signal: signal ?? opts.signal });
        if (direct) {
          readAhead(tile);
          return (await direct) === 0 ? null : { id: tile.id, size, rgb, valid };
        }
      }
      const read = scene.readWindow(tile.window, { bands: unique, signal: signal ?? opts.signal });
      readAhead(tile);
      const raster = await read;
      if (raster.valid.indexOf(1) === -1) return null;
      const ordered = { ...raster, bands: bands.map((b) => raster.bands[unique.indexOf(b)]) };
      const model = modelTileFromWindow(tile.id, ordered, stretch, size);
      if (spectralBands.length) {
        model.spectral = spectralBands.map((b) => spectralPlane(raster.bands[unique.indexOf(b)], raster.valid, info.bands[b - 1], raster.width, raster.height, new Float32Array(size * size).fill(Number.NaN), size));
      }
      return model;
    },
  };
}
