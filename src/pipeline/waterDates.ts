/**
 * One date of a change comparison: water probability (one byte per pixel, 0..254 = p·254, 255 = no data)
 * on that date's own pixel grid, from one of three inputs:
 *
 * - **scene** (GeoTIFF/COG): every tile through the model and blended — blendSceneProbability, the first
 *   half of `segment`, with the segmenter and options the caller chose the way `segment` does.
 * - **water GeoJSON** (e.g. an earlier `segment` output): its polygons rasterized by pixel centre
 *   (core/masks/polygonRasterizer.ts, like gdal_rasterize) on the grid of the scene it was mapped from —
 *   `waterline.scene` of its provenance, or `gridScene` — with that scene's nodata as no data. Water = 254,
 *   dry = 0.
 * - **mask raster** (any georeferenced raster): water where band `band` equals `value` (default: any
 *   non-zero value), its nodata as no data.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { openImagery, openScene, type Scene } from '../adapters/raster/openScene.ts';
import { CancelledError, InputError, describeError } from '../core/errors.ts';
import { PROBABILITY_NODATA, PROBABILITY_SCALE } from '../core/masks/probabilityCodec.ts';
import { rasterizePolygons } from '../core/masks/polygonRasterizer.ts';
import type { Segmenter } from '../core/model/segmenter.ts';
import type { SceneInfo } from '../core/scene.ts';
import type { TileProgress } from '../core/tileProgress.ts';
import { chosenOverlap, planTileGrid } from '../core/grid/tileGrid.ts';
import { polygonsFromGeoJson } from '../core/vector/geoJsonPolygons.ts';
import { blendSceneProbability, type BlendSceneOptions } from './segmentScene.ts';
import { projectPolygonsToScenePixels } from './sceneWaterMasks.ts';

export type WaterInput =
  | { kind: 'scene'; path: string; /** Shown in provenance and messages instead of the path (a server's scene name). */ name?: string }
  | { kind: 'geojson'; path: string; /** Scene whose grid the polygons are rasterized on (default: its provenance scene). */ gridScene?: string }
  | { kind: 'mask'; path: string; value?: number; band?: number };

/** Scene inputs are mapped with this model and these options (what `segment` would use for the scene). */
export interface SceneModel<Chosen extends { segmenter: Segmenter; bands?: number[] } = { segmenter: Segmenter; bands?: number[] }> {
  /** Blend options shared by both dates (prompt, batch, overlap). */
  options: Omit<BlendSceneOptions, 'bands' | 'stretch' | 'signal' | 'onProgress' | 'completed' | 'onTileDone'>;
  /** The segmenter and RGB bands for one scene (band roles, water index calibration and fusion are per scene). */
  forScene(scene: Scene): Promise<Chosen>;
}

export interface WaterDate {
  /** The input's path. */
  source: string;
  kind: WaterInput['kind'];
  /** The grid the probability lies on (the scene's, or the GeoJSON's grid scene). */
  info: SceneInfo;
  /** width·height bytes: 0..254 = p·254, 255 = no data. */
  probability: Uint8Array;
  /** How the water was obtained, for the output's provenance. */
  provenance: Record<string, unknown>;
}

export interface WaterDateHooks {
  signal?: AbortSignal;
  onProgress?: (progress: TileProgress) => void;
  /** Scene inputs: tiles finished in an earlier run (resume), as blendSceneProbability's `completed`. */
  completed?: ReadonlyMap<string, Float32Array>;
  /** Scene inputs: each newly mapped tile, to persist it (blendSceneProbability's `onTileDone`). */
  onTileDone?: BlendSceneOptions['onTileDone'];
}

/** How an input is named in provenance and messages. */
export function inputName(input: WaterInput): string {
  return input.kind === 'scene' ? input.name ?? input.path : input.path;
}

/** Rows read per strip for rasters (never the whole raster at once beyond the output bytes). */
const STRIP_PIXELS = 8 * 1024 * 1024;

function checkAbort(signal: AbortSignal | undefined, source: string): void {
  if (signal?.aborted) throw new CancelledError(`reading ${source} cancelled`);
}

/**
 * An input opened and ready to map: its grid is known (for the overlap check) and, for a scene, its
 * segmenter is chosen and its model tiles counted (for progress over both dates), before any model runs.
 */
export interface PreparedWaterDate {
  input: WaterInput;
  /** The grid its water lies on. */
  info: SceneInfo;
  /** Model tiles mapping it takes (0 for GeoJSON and mask inputs). */
  tilesTotal: number;
  /** Scene inputs: the bands of the RGB picture the model sees. */
  bands?: number[];
  load(hooks?: WaterDateHooks): Promise<WaterDate>;
  close(): Promise<void>;
}

export async function prepareWaterDate(input: WaterInput, model: SceneModel | undefined, signal?: AbortSignal): Promise<PreparedWaterDate> {
  if (input.kind !== 'scene') {
    // a GeoJSON date's grid is the other date's imagery; a mask date's grid is the mask itself (its 0 is dry)
    const grid = input.kind === 'geojson' ? await openImagery(await geoJsonGridScene(input), { signal }) : await openScene(input.path, { signal });
    await grid.close();
    return {
      input,
      info: grid.info,
      tilesTotal: 0,
      load: (hooks = {}) => (input.kind === 'geojson' ? waterFromGeoJson(input, hooks) : waterFromMask(input, hooks)),
      close: async () => undefined,
    };
  }
  if (!model) throw new Error(`no model to map the scene ${input.path}`);
  const scene = await openImagery(input.path, { signal });
  try {
    const { segmenter, bands } = await model.forScene(scene);
    const { tiles } = planTileGrid({ width: scene.info.width, height: scene.info.height, tileSize: segmenter.info.inputSize, overlap: chosenOverlap(model.options.overlap, segmenter.info.tileOverlap) });
    return {
      input,
      info: scene.info,
      tilesTotal: tiles.length,
      bands,
      load: (hooks = {}) => waterFromScene(inputName(input), scene, segmenter, bands, model, hooks),
      close: () => scene.close(),
    };
  } catch (err) {
    await scene.close();
    throw err;
  }
}

async function waterFromScene(name: string, scene: Scene, segmenter: Segmenter, bands: number[] | undefined, model: SceneModel, hooks: WaterDateHooks): Promise<WaterDate> {
  const blended = await blendSceneProbability(scene, segmenter, {
    ...model.options,
    bands,
    signal: hooks.signal,
    onProgress: hooks.onProgress,
    completed: hooks.completed,
    onTileDone: hooks.onTileDone,
  });
  const { info } = segmenter;
  return {
    source: name,
    kind: 'scene',
    info: scene.info,
    probability: blended.probability,
    provenance: {
      scene: name,
      model: info.name,
      modelKind: info.kind,
      provider: info.provider,
      ...info.provenance,
      tileSize: blended.grid.tileSize,
      overlap: blended.grid.overlap,
      bands: blended.bands,
      tilesTotal: blended.grid.tiles.length,
      skippedTiles: blended.skippedTiles,
      failedTiles: blended.failedTiles,
      defects: blended.defects,
    },
  };
}

/** Valid (1) / no data (0) of every pixel of a scene, read in strips. */
async function readValidity(scene: Scene, signal?: AbortSignal): Promise<Uint8Array> {
  const { width, height } = scene.info;
  const valid = new Uint8Array(width * height);
  const rows = Math.max(1, Math.min(height, Math.floor(STRIP_PIXELS / width)));
  for (let y = 0; y < height; y += rows) {
    checkAbort(signal, scene.info.source);
    const h = Math.min(rows, height - y);
    const strip = await scene.readWindow({ x: 0, y, width, height: h }, { signal });
    valid.set(strip.valid, y * width);
  }
  return valid;
}

async function readGeoJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new InputError('bad_geojson', `cannot read water GeoJSON ${path}: ${describeError(err)}`, { hint: 'pass a GeoJSON file of WGS84 water polygons (e.g. a `waterline segment` output)' });
  }
}

/** The scene a water GeoJSON is rasterized on: `gridScene`, else its provenance scene (as written, or beside the GeoJSON). */
async function geoJsonGridScene(input: Extract<WaterInput, { kind: 'geojson' }>): Promise<string> {
  if (input.gridScene) return input.gridScene;
  const value = await readGeoJson(input.path);
  const scene = (value as { waterline?: { scene?: unknown } } | null)?.waterline?.scene;
  if (typeof scene === 'string') {
    if (/^https?:\/\//.test(scene) || existsSync(scene)) return scene;
    const beside = isAbsolute(scene) ? null : resolve(dirname(input.path), scene);
    if (beside && existsSync(beside)) return beside;
  }
  throw new InputError('no_grid_scene', `${input.path}: cannot find the scene its water was mapped from${typeof scene === 'string' ? ` (${scene})` : ''}, whose pixel grid it is compared on`, {
    hint: 'pass the scene with --grid-a / --grid-b',
  });
}

async function waterFromGeoJson(input: Extract<WaterInput, { kind: 'geojson' }>, hooks: WaterDateHooks): Promise<WaterDate> {
  const gridPath = await geoJsonGridScene(input);
  let found;
  try {
    found = polygonsFromGeoJson(await readGeoJson(input.path));
  } catch (err) {
    throw new InputError('bad_geojson', `${input.path}: ${describeError(err)}`, { hint: 'pass a GeoJSON FeatureCollection of water polygons' });
  }
  const scene = await openImagery(gridPath, { signal: hooks.signal });
  try {
    const { info } = scene;
    const valid = await readValidity(scene, hooks.signal);
    const water = rasterizePolygons(projectPolygonsToScenePixels(found.polygons, info), info.width, info.height);
    const probability = new Uint8Array(valid.length);
    for (let i = 0; i < valid.length; i++) probability[i] = valid[i] ? (water[i] ? PROBABILITY_SCALE : 0) : PROBABILITY_NODATA;
    return {
      source: input.path,
      kind: 'geojson',
      info,
      probability,
      provenance: { water: input.path, gridScene: gridPath, polygons: found.polygons.length, skippedFeatures: found.skipped.length },
    };
  } finally {
    await scene.close();
  }
}

async function waterFromMask(input: Extract<WaterInput, { kind: 'mask' }>, hooks: WaterDateHooks): Promise<WaterDate> {
  const scene = await openScene(input.path, { signal: hooks.signal });
  try {
    const { info } = scene;
    const band = input.band ?? 1;
    if (!Number.isInteger(band) || band < 1 || band > info.bands.length) {
      throw new InputError('bad_band', `${input.path}: band ${band} does not exist (it has ${info.bands.length})`, { hint: `use a band between 1 and ${info.bands.length}` });
    }
    const isWater = input.value === undefined ? (v: number) => v !== 0 && !Number.isNaN(v) : (v: number) => v === input.value;
    const { width, height } = info;
    const probability = new Uint8Array(width * height);
    const rows = Math.max(1, Math.min(height, Math.floor(STRIP_PIXELS / width)));
    for (let y = 0; y < height; y += rows) {
      checkAbort(hooks.signal, input.path);
      const h = Math.min(rows, height - y);
      const strip = await scene.readWindow({ x: 0, y, width, height: h }, { bands: [band], signal: hooks.signal });
      const data = strip.bands[0];
      const offset = y * width;
      for (let i = 0; i < data.length; i++) probability[offset + i] = strip.valid[i] ? (isWater(data[i]) ? PROBABILITY_SCALE : 0) : PROBABILITY_NODATA;
    }
    return {
      source: input.path,
      kind: 'mask',
      info,
      probability,
      provenance: { mask: input.path, band, waterRule: input.value === undefined ? 'value != 0' : `value == ${input.value}` },
    };
  } finally {
    await scene.close();
  }
}
