/**
 * The only module that imports onnxruntime-node. Creates inference sessions on the requested execution
 * provider and reports which one is really in use (users of comparable tools cannot tell whether the
 * GPU is used: Waterline logs it, prints it in `info`, and serves it on /readyz).
 */
import * as ort from 'onnxruntime-node';
import { existsSync } from 'node:fs';
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

/** Which providers this onnxruntime-node build can load, and whether their libraries are present. */
export function availableProviders(): { name: string; bundled: boolean }[] {
  return ort.listSupportedBackends().map((b) => ({ name: b.name, bundled: b.bundled }));
}

function providerUsable(name: 'cuda' | 'webgpu'): boolean {
  const entry = availableProviders().find((b) => b.name === name);
  return Boolean(entry);
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
    if (provider !== 'cpu' && !providerUsable(provider)) continue;
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
