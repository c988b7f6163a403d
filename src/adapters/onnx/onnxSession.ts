/**
 * The only module that imports onnxruntime-node. Creates inference sessions on the requested execution
 * provider and reports which one is really in use (users of comparable tools cannot tell whether the
 * GPU is used: Waterline logs it, prints it in `info`, and serves it on /readyz).
 */
import * as ort from 'onnxruntime-node';
import { existsSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ModelError, UnsupportedError } from '../../core/errors.ts';
import { probeProvider } from './providerProbe.ts';

export { ort };

export type Device = 'auto' | 'cpu' | 'cuda' | 'webgpu';
export const DEVICES: readonly Device[] = ['auto', 'cpu', 'cuda', 'webgpu'];

export interface OnnxSession {
  session: ort.InferenceSession;
  /** Execution provider actually used: `cpu`, `cuda` or `webgpu`. */
  provider: Exclude<Device, 'auto'>;
  /** Where the graph came from (file path or a label for in-memory graphs). */
  source: string;
}

export interface CreateSessionOptions {
  device?: Device;
  /** Threads for the CPU provider (default: onnxruntime's choice). */
  intraOpNumThreads?: number;
  /**
   * Whether the CPU provider's threads busy-wait between operators (onnxruntime's default: yes). Off, they sleep:
   * on a machine whose cores are shared (other processes, or our own reading and stitching) a spinning thread takes
   * the core the others need, and a descheduled one holds up every operator. The results are the same either way.
   */
  allowSpinning?: boolean;
  /** Called when `auto` falls back from a GPU provider to CPU. */
  onFallback?: (message: string) => void;
}

export interface ProviderStatus {
  /** onnxruntime's name: `cpu`, `webgpu`, `cuda`, `tensorrt`, ... */
  name: string;
  /** Part of the onnxruntime-node binary itself. */
  bundled: boolean;
  /** A session on it can be created and run here (probed once per process; see providerProbe.ts). */
  available: boolean;
  /** Where it comes from, or why it is not available. */
  detail: string;
  /** When it is installed but cannot start: why, in one line (e.g. "Failed to get a WebGPU adapter: ..."). */
  problem?: string;
}

/** The folder holding onnxruntime-node's native binding (and any installed provider libraries). */
function bindingDir(): string | undefined {
  try {
    const root = join(dirname(createRequire(import.meta.url).resolve('onnxruntime-node')), '..', 'bin');
    for (const napi of readdirSync(root).sort().reverse()) {
      const dir = join(root, napi, process.platform, process.arch);
      if (existsSync(dir)) return dir;
    }
  } catch {
    // not laid out as the npm package: report non-bundled providers as not installed
  }
  return undefined;
}

function providerLibrary(name: string): string {
  return process.platform === 'win32' ? `onnxruntime_providers_${name}.dll` : `libonnxruntime_providers_${name}.so`;
}

const statusCache = new Map<string, ProviderStatus>();

/**
 * Whether one execution provider can be used: cpu always; a bundled one (webgpu) or one whose shared
 * library is installed next to the binding (cuda, tensorrt; README, GPU section) only when a tiny session
 * really starts on it (probed in a child process, so the driver's own warnings stay out of the terminal).
 * Cached per process.
 */
export function providerStatus(name: string): ProviderStatus {
  const known = statusCache.get(name);
  if (known) return known;
  const backend = ort.listSupportedBackends().find((b) => b.name === name);
  let status: ProviderStatus;
  if (!backend) status = { name, bundled: false, available: false, detail: 'not part of this onnxruntime-node build' };
  else if (name === 'cpu') status = { name, bundled: true, available: true, detail: 'bundled' };
  else {
    const lib = providerLibrary(name);
    const dir = backend.bundled ? undefined : bindingDir();
    const installed = backend.bundled || (dir !== undefined && existsSync(join(dir, lib)));
    if (!installed) status = { name, bundled: false, available: false, detail: `${lib} not installed` };
    else {
      const probe = probeProvider(name);
      const origin = backend.bundled ? 'bundled' : `${lib} installed`;
      status = { name, bundled: backend.bundled, available: probe.ok, detail: probe.ok ? origin : `${origin} but cannot start: ${probe.reason}`, ...(probe.ok ? {} : { problem: probe.reason }) };
    }
  }
  statusCache.set(name, status);
  return status;
}

/** Every execution provider this onnxruntime-node build knows, with whether it can be used here (see providerStatus). */
export function availableProviders(): ProviderStatus[] {
  return ort.listSupportedBackends().map((b) => providerStatus(b.name));
}

/** Names of the providers that can be used now (`cpu`, `webgpu`, and `cuda` when installed). */
export function usableProviderNames(): string[] {
  return availableProviders().filter((p) => p.available).map((p) => p.name);
}

/** onnxruntime-node's version. */
export function onnxRuntimeVersion(): string {
  return ort.env.versions?.node ?? ort.env.versions?.common ?? 'unknown';
}

function providerUsable(name: 'cuda' | 'webgpu'): boolean {
  return providerStatus(name).available;
}

/**
 * The provider a device request should end up on when everything works: `auto` means CUDA when its
 * library is installed, else CPU. A segmenter on another provider than this one fell back.
 */
export function expectedProvider(device: Device): Exclude<Device, 'auto'> {
  if (device !== 'auto') return device;
  return providerUsable('cuda') ? 'cuda' : 'cpu';
}

/** `expected -> actual` when a model on `provider` does not run where a request for `device` should have put it; else undefined. */
export function providerFallback(device: Device, provider: string): string | undefined {
  const expected = expectedProvider(device);
  return provider !== expected ? `${expected} -> ${provider}` : undefined;
}

export function parseDevice(value: string | undefined): Device {
  const v = (value ?? 'auto').toLowerCase();
  if (!(DEVICES as readonly string[]).includes(v)) {
    throw new UnsupportedError('bad_device', `unknown device "${value}"`, { hint: `use one of ${DEVICES.join(', ')}` });
  }
  return v as Device;
}

/**
 * Create a session. `device: 'cuda' | 'webgpu'` fails with a clear error when the provider cannot be
 * created; `auto` tries CUDA, then CPU, and reports the fallback through `onFallback`.
 */
export async function createOnnxSession(model: string | Uint8Array, options: CreateSessionOptions = {}): Promise<OnnxSession> {
  const device = options.device ?? 'auto';
  const source = typeof model === 'string' ? model : '<in-memory graph>';
  if (typeof model === 'string' && !existsSync(model)) {
    throw new ModelError('model_file_missing', `model file not found: ${model}`, { hint: 'check the model directory or run `waterline models pull`' });
  }
  const candidates: Exclude<Device, 'auto'>[] = device === 'auto' ? ['cuda', 'cpu'] : [device];
  let lastError: unknown;
  for (const provider of candidates) {
    if (provider !== 'cpu' && !providerUsable(provider)) {
      const status = providerStatus(provider);
      lastError = new Error(status.problem ?? status.detail);
      continue;
    }
    try {
      const sessionOptions: ort.InferenceSession.SessionOptions = {
        executionProviders: [provider],
        graphOptimizationLevel: 'all',
      };
      if (options.intraOpNumThreads) sessionOptions.intraOpNumThreads = options.intraOpNumThreads;
      if (options.allowSpinning === false) {
        sessionOptions.extra = { session: { intra_op: { allow_spinning: '0' }, inter_op: { allow_spinning: '0' } } };
      }
      const session = typeof model === 'string'
        ? await ort.InferenceSession.create(model, sessionOptions)
        : await ort.InferenceSession.create(model, sessionOptions);
      return { session, provider, source };
    } catch (err) {
      lastError = err;
      if (device !== 'auto') break;
      if (provider !== 'cpu') options.onFallback?.(`${provider} execution provider unavailable (${(err as Error).message.split('\n')[0]}); falling back to cpu`);
    }
  }
  if (device !== 'auto' && device !== 'cpu') {
    throw new UnsupportedError('device_unavailable', `the ${device} execution provider could not be started for ${source}: ${(lastError as Error | undefined)?.message?.split('\n')[0] ?? 'not available in this onnxruntime-node build'}`, {
      hint: device === 'cuda' ? 'install the CUDA provider (README, GPU section) or use --device cpu' : 'use --device cpu',
    });
  }
  throw new ModelError('model_load_failed', `could not load ONNX model ${source}: ${(lastError as Error | undefined)?.message?.split('\n')[0] ?? 'unknown error'}`, { cause: lastError });
}

/**
 * One run of a session on one float32 input: the named output's data, every tensor of the run disposed (the
 * output's data stays valid: it is a copy on the JS side).
 */
export async function runFloat32(session: ort.InferenceSession, input: string, output: string, data: Float32Array, dims: readonly number[]): Promise<Float32Array> {
  const tensor = new ort.Tensor('float32', data, dims);
  try {
    const result = await session.run({ [input]: tensor });
    const out = result[output].data as Float32Array;
    for (const t of Object.values(result)) t.dispose?.();
    return out;
  } finally {
    tensor.dispose?.();
  }
}

/** Check a session's input names against what the caller will feed; a clear error lists what is missing. */
export function assertInputs(s: { session: { inputNames: readonly string[] }; source: string }, required: string[]): void {
  const missing = required.filter((n) => !s.session.inputNames.includes(n));
  if (missing.length) {
    throw new ModelError('model_inputs', `${s.source} lacks input(s) ${missing.join(', ')}; it has ${s.session.inputNames.join(', ')}`, {
      hint: 'the file does not match the expected export layout',
    });
  }
}
