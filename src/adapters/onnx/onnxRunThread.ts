/**
 * The thread behind a ThreadedOnnxSession (threadedOnnxSession.ts): it holds one onnxruntime session and runs it.
 * onnxruntime-node's `run` computes on the calling thread's event loop (the JS promise only defers the start), so
 * running it here leaves the caller's event loop free to read, stitch and vectorize while the model computes.
 * Calls are served one after another in the order they arrive (a queue of batches).
 *
 * A session that cannot be created does not fail the thread's setup: `info` reports the error (class name, code,
 * message, hint), so the caller can throw the same ModelError / UnsupportedError as an in-thread session would.
 */
import { WaterlineError } from '../../core/errors.ts';
import { serveThread, threadInit } from '../threads/threadRpc.ts';
import { createOnnxSession, runFloat32, type CreateSessionOptions, type OnnxSession } from './onnxSession.ts';

export interface OnnxRunThreadInit {
  model: string;
  options: Omit<CreateSessionOptions, 'onFallback'>;
}

/** What `info` answers. */
export type OnnxRunThreadInfo =
  | { ok: true; provider: OnnxSession['provider']; inputNames: string[]; outputNames: string[]; fallbacks: string[] }
  | { ok: false; error: { name: string; code?: string; message: string; hint?: string } };

/** One float32 input in, one float32 output back. */
export interface OnnxRunRequest {
  input: string;
  data: Float32Array;
  dims: number[];
  output: string;
}

serveThread(async () => {
  const init = threadInit<OnnxRunThreadInit>();
  const fallbacks: string[] = [];
  let s: OnnxSession | null = null;
  let info: OnnxRunThreadInfo;
  try {
    s = await createOnnxSession(init.model, { ...init.options, onFallback: (m) => fallbacks.push(m) });
    info = { ok: true, provider: s.provider, inputNames: [...s.session.inputNames], outputNames: [...s.session.outputNames], fallbacks };
  } catch (err) {
    const e = err instanceof Error ? err : new Error(String(err));
    info = { ok: false, error: { name: e.name, message: e.message, ...(e instanceof WaterlineError ? { code: e.code, hint: e.hint } : {}) } };
  }
  return {
    info: async () => info,
    run: async ({ input, data, dims, output }: OnnxRunRequest) => {
      if (!s) throw new Error('no onnxruntime session in this thread');
      return runFloat32(s.session, input, output, data, dims);
    },
    release: async () => {
      await s?.session.release();
      s = null;
    },
  };
});
