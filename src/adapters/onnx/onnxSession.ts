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
  /** Called when `auto` falls back from a GPU provider to CPU. */
  onFallback?: (message: string) => void;
}

export interface ProviderStatus {
  /** onnxruntime's name: `cpu`, `webgpu`, `cuda`, `tensorrt`, ... */
  name: string;
  /** Part of the onnxruntime-node binary itself. */
  bundled: boolean;
  /** Bundled, or its shared library (`libonnxruntime_providers_<name>.so`) is installed next to the binding. */
  available: boolean;
  /** Where it comes from, or why it is not available. */
  detail: string;
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

let providerCache: ProviderStatus[] | undefined;

/**
 * The execution providers this onnxruntime-node build offers. Bundled ones (cpu, webgpu) are always
 * there; others (cuda, tensorrt) only when their shared library was installed next to the binding
 * (README, GPU section). Computed once per process.
 */
export function availableProviders(): ProviderStatus[] {
  if (providerCache) return providerCache;
  const dir = bindingDir();
  providerCache = ort.listSupportedBackends().map((b) => {
    if (b.bundled) return { name: b.name, bundled: true, available: true, detail: 'bundled' };
    const lib = providerLibrary(b.name);
    const present = dir !== undefined && existsSync(join(dir, lib));
    return { name: b.name, bundled: false, available: present, detail: present ? `${lib} installed` : `${lib} not installed` };
  });
  return providerCache;
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
  return availableProviders().some((b) => b.name === name && b.available);
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
      const status = availableProviders().find((b) => b.name === provider);
      lastError = new Error(status ? status.detail : 'not part of this onnxruntime-node build');
      continue;
    }
    try {
      const sessionOptions: ort.InferenceSession.SessionOptions = {
        executionProviders: [provider],
        graphOptimizationLevel: 'all',
      };
      if (options.intraOpNumThreads) sessionOptions.intraOpNumThreads = options.intraOpNumThreads;
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

/** Check a session's input names against what the caller will feed; a clear error lists what is missing. */
export function assertInputs(s: OnnxSession, required: string[]): void {
  const missing = required.filter((n) => !s.session.inputNames.includes(n));
  if (missing.length) {
    throw new ModelError('model_inputs', `${s.source} lacks input(s) ${missing.join(', ')}; it has ${s.session.inputNames.join(', ')}`, {
      hint: 'the file does not match the expected export layout',
    });
  }
}
