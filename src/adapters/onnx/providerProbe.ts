/**
 * Can an execution provider really start here? Being bundled (webgpu) or having its library installed
 * (cuda) is not enough: WebGPU needs a Vulkan/Metal/D3D12 adapter, CUDA needs the driver, cuDNN and cuBLAS.
 * `probeProvider` builds a one-node graph (x + 1), creates and runs it on the provider in a child process
 * (providerProbeChild.mjs) and reports one clean line when it fails — the native warnings (Dawn's
 * "Couldn't load Vulkan" with a C++ source location, onnxruntime's assertion text) are captured there and
 * condensed by `cleanProviderError`. Results are cached per process.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { FLOAT, OnnxGraph } from './onnxGraph.ts';

export interface ProbeResult {
  ok: boolean;
  /** Why it cannot start: one line, no source locations. */
  reason?: string;
}

const PROBE_TIMEOUT_MS = 60_000;
const cache = new Map<string, ProbeResult>();

/** Shared-library loader messages, e.g. "libvulkan.so.1: cannot open shared object file: No such file or directory". */
const MISSING_LIBRARY = /([\w.+-]+\.(?:so(?:\.\d+)*|dylib|dll)): cannot open shared object file/;

/**
 * One line from onnxruntime's error and the native stderr: the assertion text and source locations are
 * dropped, a missing shared library is named.
 */
export function cleanProviderError(message: string, stderr = ''): string {
  let text = message.split('\n').map((l) => l.trim()).filter(Boolean).join(' ');
  const afterAssert = text.split(/ was false\.\s*/);
  if (afterAssert.length > 1) text = afterAssert[afterAssert.length - 1];
  text = text
    .replace(/\S*\/[\w./-]+\.(?:cc|cpp|h|hpp|c):\d+\s*/g, '')
    .replace(/\s*\[[^\]]*\]\s*/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const missing = (message.match(MISSING_LIBRARY) ?? stderr.match(MISSING_LIBRARY))?.[1];
  if (missing && !text.includes(missing)) text = `${text} (${missing} not found)`;
  if (text.length > 240) text = `${text.slice(0, 237)}...`;
  return text || 'unknown error';
}

function probeGraph(): Uint8Array {
  const g = new OnnxGraph();
  const x = g.input('x', FLOAT, [1, 4]);
  g.op('Add', [x, g.floats(new Float32Array([1]), [1])], {}, 'y');
  g.output('y', FLOAT, [1, 4]);
  return g.encode('provider-probe');
}

/** Create and run a tiny session on `provider` in a child process (cached per process). `cpu` is always fine. */
export function probeProvider(provider: string): ProbeResult {
  if (provider === 'cpu') return { ok: true };
  const known = cache.get(provider);
  if (known) return known;
  const child = spawnSync(process.execPath, [fileURLToPath(new URL('./providerProbeChild.mjs', import.meta.url)), provider], {
    input: probeGraph(),
    encoding: 'utf8',
    timeout: PROBE_TIMEOUT_MS,
    maxBuffer: 4 << 20,
  });
  let result: ProbeResult;
  const line = child.stdout?.trim().split('\n').pop() ?? '';
  try {
    const parsed = JSON.parse(line) as { ok: boolean; error?: string };
    result = parsed.ok ? { ok: true } : { ok: false, reason: cleanProviderError(parsed.error ?? '', child.stderr ?? '') };
  } catch {
    const why = child.error ? child.error.message : child.signal ? `probe process killed by ${child.signal}` : `probe process exited with code ${child.status}`;
    result = { ok: false, reason: cleanProviderError(why, child.stderr ?? '') };
  }
  cache.set(provider, result);
  return result;
}
