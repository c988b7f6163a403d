/**
 * Test tools: an in-memory one-band Byte Scene, and a brightness-threshold Segmenter double
 * (water where the tile's grey value is below a cut). Neither is product code.
 */
import type { Scene } from '../../src/adapters/raster/openScene.ts';
import type { ModelTile, Segmenter, TileSegmentation } from '../../src/core/model/segmenter.ts';
import type { PixelWindow, SceneInfo } from '../../src/core/scene.ts';

export const UTM18 = '+proj=utm +zone=18 +datum=WGS84 +units=m +no_defs';

/** A Byte scene of `width` x `height` with pixel values from `value(x, y)` (0 = nodata), 30 m UTM 18N pixels. */
export function memoryScene(width: number, height: number, value: (x: number, y: number) => number): Scene {
  const data = new Uint8Array(width * height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) data[y * width + x] = value(x, y);
  const info: SceneInfo = {
    source: 'memory://test-scene',
    width,
    height,
    bands: [{ band: 1, type: 'Byte', noDataValue: 0, colorInterpretation: 'Gray', description: '', scale: 1, offset: 0 }],
    geoTransform: [500000, 30, 0, 5000000, 0, -30],
    crs: { epsg: 32618, proj4: UTM18, name: 'WGS 84 / UTM zone 18N', units: 'metre' },
    blockWidth: width,
    blockHeight: 1,
    overviews: [],
    compression: 'NONE',
    hasMask: false,
  };
  return {
    info,
    async readWindow(window: PixelWindow, opts = {}) {
      if (opts.signal?.aborted) throw new Error('aborted');
      const outW = opts.width ?? window.width;
      const outH = opts.height ?? window.height;
      const band = new Uint8Array(outW * outH);
      const valid = new Uint8Array(outW * outH);
      for (let r = 0; r < outH; r++) {
        for (let c = 0; c < outW; c++) {
          const x = window.x + Math.floor(((c + 0.5) * window.width) / outW);
          const y = window.y + Math.floor(((r + 0.5) * window.height) / outH);
          const v = x < width && y < height ? data[y * width + x] : 0;
          band[r * outW + c] = v;
          valid[r * outW + c] = v === 0 ? 0 : 1;
        }
      }
      return { width: outW, height: outH, bands: (opts.bands ?? [1]).map(() => band), valid };
    },
    async close() {},
  };
}

export interface DarkIsWaterOptions {
  tileSize?: number;
  /** Tile ids whose inference always throws. */
  failAlways?: Set<string>;
  /** Throw on the first call only (tests the retry). */
  failFirstCall?: boolean;
  /** Called with each batch (ids), e.g. to abort mid-run. */
  onBatch?: (ids: string[]) => void;
}

/** Water (probability 1) where the stretched red channel is below `cut`, else 0. */
export function darkIsWater(cut = 100, options: DarkIsWaterOptions = {}): Segmenter & { calls: string[][] } {
  const tileSize = options.tileSize ?? 64;
  let first = true;
  const calls: string[][] = [];
  return {
    calls,
    info: { name: 'test-dark-is-water', kind: 'test', inputSize: tileSize, provider: 'cpu', usesPrompt: false },
    async segment(tiles: ModelTile[], { signal }): Promise<TileSegmentation[]> {
      const ids = tiles.map((t) => t.id);
      calls.push(ids);
      options.onBatch?.(ids);
      if (signal?.aborted) throw new Error('aborted');
      await new Promise((r) => setTimeout(r, 1));
      if (options.failFirstCall && first) {
        first = false;
        throw new Error('simulated runtime failure');
      }
      const bad = ids.find((id) => options.failAlways?.has(id));
      if (bad) throw new Error(`simulated failure on ${bad}`);
      return tiles.map((t) => {
        const p = new Float32Array(t.size * t.size);
        for (let i = 0; i < p.length; i++) p[i] = t.valid[i] && t.rgb[i * 3] < cut ? 1 : 0;
        return { tileId: t.id, probability: p, defects: [] };
      });
    },
    async dispose() {},
  };
}
