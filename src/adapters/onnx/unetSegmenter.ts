/**
 * The built-in water models: compact U-Nets trained by the project (models/unet/train.py, models/unet2/train.py; the
 * ensembles by models/unet2/ensemble.py) and shipped in the repository, one directory each (manifest.json + .onnx, or
 * an ensemble's manifest naming its members' directories; names, directories and the default in builtinUnets.ts and
 * core/model/modelNames.ts). Each outputs a water probability per pixel directly, so it needs no tokens and no VAE;
 * it ignores the prompt.
 *
 * The manifest (unetModelDir.ts) says how to feed each graph (input name, size, scale, per-channel mean/std) and what
 * comes out (`probability` or `logits`); this module reads it instead of hard-coding constants. An ensemble runs
 * every member on each batch and returns the mean of their probabilities.
 */
import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { basename, dirname, resolve } from 'node:path';
import { CancelledError, InputError, ModelError } from '../../core/errors.ts';
import type { ModelTile, Segmenter, SegmenterInfo, SegmentOptions, TileSegmentation } from '../../core/model/segmenter.ts';
import type { Logger } from '../../logger.ts';
import { assertInputs, createOnnxSession, expectedProvider, runFloat32, type Device } from './onnxSession.ts';
import { createThreadedOnnxSession } from './threadedOnnxSession.ts';
import { isBuiltinModelName, retiredUnet } from '../../core/model/modelNames.ts';
import { builtinUnet, defaultUnetDir } from './builtinUnets.ts';
import { readUnetModel, type UnetGraph, type UnetManifest } from './unetModelDir.ts';

export interface LoadUnetOptions {
  device?: Device;
  /** The model's .onnx file or its directory; a manifest.json must sit beside it. Default: the committed default version (DEFAULT_UNET_VERSION). */
  modelPath?: string;
  /** The name the segmenter reports (job records, logs); default the manifest's `name` (provenance `weights` always is). */
  name?: string;
  logger?: Logger;
  /** CPU threads of each onnxruntime session (default: the cores shared among the sessions; on the caller's thread, onnxruntime's choice). */
  intraOpNumThreads?: number;
  /** Most tiles per onnxruntime call (larger batches are split); default 16. */
  maxBatch?: number;
  /**
   * Sessions computing side by side, each in its own worker thread, so the caller's event loop reads, stitches and
   * vectorizes while the model computes (threadedOnnxSession.ts). Default: two on the CPU (when there are two
   * cores or more), one on a GPU. 0 runs one session on the caller's thread (onnxruntime-node's `run` blocks it).
   */
  inferenceThreads?: number;
  /** onnxruntime's threads busy-wait between operators (default false; see CreateSessionOptions.allowSpinning). */
  allowSpinning?: boolean;
}

/** An onnxruntime session on the caller's thread or in its own (the same results). */
interface UnetRunner {
  provider: Exclude<Device, 'auto'>;
  inputNames: readonly string[];
  outputNames: readonly string[];
  run(data: Float32Array, dims: number[]): Promise<Float32Array>;
  release(): Promise<void>;
}

async function startRunner(onnxPath: string, manifest: UnetManifest, options: LoadUnetOptions): Promise<UnetRunner> {
  const sessionOptions = {
    device: options.device ?? 'auto',
    intraOpNumThreads: options.intraOpNumThreads,
    allowSpinning: options.allowSpinning ?? false,
    onFallback: (message: string) => options.logger?.warn(message),
  };
  const { name: input } = manifest.input;
  const { name: output } = manifest.output;
  const device = sessionOptions.device;
  const cores = availableParallelism();
  const sessions = options.inferenceThreads ?? (expectedProvider(device) === 'cpu' ? Math.min(2, cores) : 1);
  if (sessions > 0) {
    const t = await createThreadedOnnxSession(onnxPath, {
      ...sessionOptions,
      sessions,
      intraOpNumThreads: options.intraOpNumThreads ?? Math.max(1, Math.floor(cores / sessions)),
    });
    return { ...t, run: (data, dims) => t.run({ input, data, dims, output }) };
  }
  const s = await createOnnxSession(onnxPath, sessionOptions);
  return {
    provider: s.provider,
    inputNames: s.session.inputNames,
    outputNames: s.session.outputNames,
    run: (data, dims) => runFloat32(s.session, input, output, data, dims),
    release: () => s.session.release(),
  };
}

/** A path with its symbolic links resolved where it exists (else only made absolute). */
function realPath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return resolve(path);
  }
}

/**
 * The name a U-Net's weights go by: the manifest's, unless it is a built-in model name and the model is not in that
 * built-in's committed directory (a copy or a fine-tune exported with the same manifest, e.g. by models/unet2/train.py),
 * or a retired built-in's name (weights restored from history, or an export that kept the family's default name):
 * then `unet:<directory name>` (never a full path), so neither its name nor its provenance passes for shipped weights.
 */
export function unetWeightsName(manifestName: string, onnxPath: string): string {
  if (!isBuiltinModelName(manifestName) && !retiredUnet(manifestName)) return manifestName;
  const dir = dirname(realPath(onnxPath));
  const builtin = builtinUnet(manifestName);
  if (builtin && realPath(builtin.dir) === dir) return manifestName;
  return `unet:${basename(dir)}`;
}

/** The first 16 hex digits of the SHA-256 of a model file: which weights ran, whatever their name. */
export async function modelFileSha256(path: string): Promise<string> {
  return createHash('sha256').update(await readFile(path)).digest('hex').slice(0, 16);
}

/**
 * Per-channel lookup tables from 8-bit values to normalised floats: (v * scale - mean) / std.
 * Index `c * 256 + v`.
 */
export function normalisationTable(manifest: UnetManifest): Float32Array {
  const lut = new Float32Array(3 * 256);
  for (let c = 0; c < 3; c++) {
    for (let v = 0; v < 256; v++) lut[c * 256 + v] = (v * manifest.input.scale - manifest.input.mean[c]) / manifest.input.std[c];
  }
  return lut;
}

/** Pack HWC uint8 tiles into one NCHW float32 batch through the lookup table. */
export function packTiles(tiles: ModelTile[], size: number, lut: Float32Array): Float32Array {
  const plane = size * size;
  const out = new Float32Array(tiles.length * 3 * plane);
  for (let n = 0; n < tiles.length; n++) {
    const rgb = tiles[n].rgb;
    const r = out.subarray(n * 3 * plane, n * 3 * plane + plane);
    const g = out.subarray(n * 3 * plane + plane, n * 3 * plane + 2 * plane);
    const b = out.subarray(n * 3 * plane + 2 * plane, (n + 1) * 3 * plane);
    for (let i = 0, j = 0; i < plane; i++, j += 3) {
      r[i] = lut[rgb[j]];
      g[i] = lut[256 + rgb[j + 1]];
      b[i] = lut[512 + rgb[j + 2]];
    }
  }
  return out;
}

function checkTile(tile: ModelTile, multiple: number): void {
  const plane = tile.size * tile.size;
  if (tile.rgb.length !== plane * 3 || tile.valid.length !== plane) {
    throw new InputError('bad_tile', `tile ${tile.id}: expected ${plane * 3} RGB bytes and ${plane} valid bytes for size ${tile.size}, got ${tile.rgb.length} and ${tile.valid.length}`);
  }
  if (tile.size % multiple !== 0) {
    throw new InputError('bad_tile_size', `tile ${tile.id} is ${tile.size} px; the U-Net needs a multiple of ${multiple}`, {
      hint: 'use a tile size such as 224',
    });
  }
}

/** Release every runner, each whatever another's release does (a failed release never hides the error that led here). */
async function releaseAll(runners: UnetRunner[]): Promise<void> {
  const failed = (await Promise.allSettled(runners.map((r) => r.release()))).find((r) => r.status === 'rejected');
  if (failed) throw (failed as PromiseRejectedResult).reason;
}

async function releaseQuietly(runners: UnetRunner[]): Promise<void> {
  await releaseAll(runners).catch(() => undefined);
}

/** Start one runner per graph, releasing those started when one fails to start or to match its manifest. */
async function startRunners(graphs: UnetGraph[], options: LoadUnetOptions): Promise<UnetRunner[]> {
  const runners: UnetRunner[] = [];
  try {
    for (const { manifest, onnxPath } of graphs) {
      const s = await startRunner(onnxPath, manifest, options);
      runners.push(s);
      assertInputs({ session: s, source: onnxPath }, [manifest.input.name]);
      if (!s.outputNames.includes(manifest.output.name)) {
        throw new ModelError('model_outputs', `${onnxPath} lacks output ${manifest.output.name}; it has ${s.outputNames.join(', ')}`, {
          hint: 'the manifest does not match the ONNX file',
        });
      }
    }
    return runners;
  } catch (err) {
    await releaseQuietly(runners);
    throw err;
  }
}

/**
 * Which weights ran: the model file's hash, or for an ensemble the hash of its members' hashes in order (a member
 * retrained or swapped changes it; the same members under another ensemble name do not).
 */
async function weightsHash(graphs: UnetGraph[]): Promise<string> {
  const hashes = await Promise.all(graphs.map((g) => modelFileSha256(g.onnxPath)));
  return hashes.length === 1 ? hashes[0] : createHash('sha256').update(hashes.join('+')).digest('hex').slice(0, 16);
}

/**
 * Load the U-Net (default: the committed model) as a Segmenter. An ensemble (unetModelDir.ts) runs each member on
 * the same tiles, each normalised as its own manifest says, and returns the mean of their water probabilities.
 */
export async function loadUnetSegmenter(options: LoadUnetOptions = {}): Promise<Segmenter> {
  const model = readUnetModel(options.modelPath ?? defaultUnetDir);
  const graphs = model.members;
  const runners = await startRunners(graphs, options);
  let weightsSha256: string;
  try {
    weightsSha256 = await weightsHash(graphs);
  } catch (err) {
    await releaseQuietly(runners);
    throw err;
  }
  // what names the model in provenance and logs: the ensemble's manifest, or the one graph
  const source = model.ensemble ? model.manifestPath : graphs[0].onnxPath;
  const weights = unetWeightsName(model.name, source);
  // members normalised alike (v1 and every unet2-family model: the same training statistics) share one table, so
  // a batch is packed once
  const luts: Float32Array[] = [];
  for (const g of graphs) {
    const lut = normalisationTable(g.manifest);
    luts.push(luts.find((l) => l.every((v, i) => v === lut[i])) ?? lut);
  }
  // a tile must suit every member: the least common multiple of their size multiples
  const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));
  const sizeMultiple = graphs.reduce((m, g) => (m / gcd(m, g.manifest.input.sizeMultiple)) * g.manifest.input.sizeMultiple, 1);
  const maxBatch = Math.max(1, options.maxBatch ?? 16);
  const info: SegmenterInfo = {
    name: options.name ?? weights,
    kind: 'unet',
    inputSize: graphs[0].manifest.input.size,
    provider: runners[0].provider,
    usesPrompt: false,
    ...(model.tileOverlap !== undefined ? { tileOverlap: model.tileOverlap } : {}),
    // which weights ran, whatever name they were asked for by (`waterline-unet` names a version that can change)
    provenance: { weights, weightsSha256 },
  };
  options.logger?.info({ model: source, provider: info.provider, ...(model.ensemble ? { members: graphs.length } : {}) }, 'U-Net segmenter loaded');

  /** One graph's water probabilities for the tiles (NCHW, one plane per tile); `packed` keeps inputs per table. */
  async function runGraph(j: number, tiles: ModelTile[], size: number, packed: Map<Float32Array, Float32Array>): Promise<Float32Array> {
    let input = packed.get(luts[j]);
    if (!input) packed.set(luts[j], (input = packTiles(tiles, size, luts[j])));
    const data = await runners[j].run(input, [tiles.length, 3, size, size]);
    if (graphs[j].manifest.output.kind === 'logits') for (let i = 0; i < data.length; i++) data[i] = 1 / (1 + Math.exp(-data[i]));
    return data;
  }

  async function runBatch(tiles: ModelTile[]): Promise<TileSegmentation[]> {
    const size = tiles[0].size;
    const plane = size * size;
    let data: Float32Array;
    try {
      // one member after the other: a batch keeps the threads one session would (members side by side measured
      // 0.74–0.87x the speed of one graph holding both; batches in flight already fill the cores)
      const outputs: Float32Array[] = [];
      const packed = new Map<Float32Array, Float32Array>();
      for (let j = 0; j < graphs.length; j++) outputs.push(await runGraph(j, tiles, size, packed));
      data = outputs[0];
      if (outputs.length > 1) {
        for (let i = 0; i < data.length; i++) {
          let sum = 0;
          for (const o of outputs) sum += o[i];
          data[i] = sum / outputs.length;
        }
      }
    } catch (err) {
      throw new ModelError('model_run_failed', `U-Net inference failed on ${tiles.length} tile(s) of ${size} px: ${(err as Error).message.split('\n')[0]}`, { cause: err });
    }
    return tiles.map((tile, n) => {
      const probability = data.slice(n * plane, (n + 1) * plane);
      const valid = tile.valid;
      for (let i = 0; i < plane; i++) if (!valid[i]) probability[i] = 0;
      return { tileId: tile.id, probability, defects: [] };
    });
  }

  return {
    info,
    async segment(tiles: ModelTile[], segmentOptions: SegmentOptions): Promise<TileSegmentation[]> {
      for (const t of tiles) checkTile(t, sizeMultiple);
      const out: TileSegmentation[] = new Array(tiles.length);
      // Group by size (one ONNX call needs one shape), then split into batches of at most maxBatch.
      const bySize = new Map<number, number[]>();
      tiles.forEach((t, i) => {
        const list = bySize.get(t.size);
        if (list) list.push(i);
        else bySize.set(t.size, [i]);
      });
      for (const indices of bySize.values()) {
        for (let k = 0; k < indices.length; k += maxBatch) {
          if (segmentOptions.signal?.aborted) throw new CancelledError('segmentation cancelled');
          const chunk = indices.slice(k, k + maxBatch);
          const results = await runBatch(chunk.map((i) => tiles[i]));
          chunk.forEach((i, j) => { out[i] = results[j]; });
        }
      }
      return out;
    },
    async dispose(): Promise<void> {
      await releaseAll(runners);
    },
  };
}
