/**
 * onnxruntime sessions in their own worker threads (onnxRunThread.ts): `run` resolves when a thread has computed,
 * and the caller's event loop stays free meanwhile (onnxruntime-node computes on the thread that calls `run`).
 *
 * With `sessions` > 1 there are that many identical sessions, each in its own thread, and each call goes to the one
 * with the fewest calls pending: batches run side by side instead of one batch's operators being split across
 * threads. On shared or busy cores this wastes less (a thread of a split operator that loses its core holds up the
 * others; independent sessions do not wait for each other). A batch's result does not depend on which session ran it.
 *
 * The same session options, provider choice and errors as createOnnxSession; the threads do not hold the process
 * open while no run is pending.
 */
import { ModelError, UnsupportedError } from '../../core/errors.ts';
import { startThread, type ThreadClient } from '../threads/threadRpc.ts';
import type { CreateSessionOptions, OnnxSession } from './onnxSession.ts';
import type { OnnxRunRequest, OnnxRunThreadInfo, OnnxRunThreadInit } from './onnxRunThread.ts';

export interface ThreadedOnnxSession {
  provider: OnnxSession['provider'];
  inputNames: readonly string[];
  outputNames: readonly string[];
  /** Sessions (threads) running side by side. */
  sessions: number;
  /** Run the model on one float32 input; the output named `output` comes back. */
  run(request: OnnxRunRequest): Promise<Float32Array>;
  /** Release the sessions and end the threads. */
  release(): Promise<void>;
}

export interface ThreadedSessionOptions extends CreateSessionOptions {
  /** Identical sessions, each in its own thread (default 1). */
  sessions?: number;
}

const THREAD_MODULE = new URL('./onnxRunThread.ts', import.meta.url);

/** One session in one thread, or the error that kept it from starting. */
async function startOne(model: string, init: OnnxRunThreadInit): Promise<{ client: ThreadClient; info: Extract<OnnxRunThreadInfo, { ok: true }> }> {
  let client: ThreadClient;
  try {
    client = await startThread(THREAD_MODULE, init, 'waterline-onnx', { unrefWhenIdle: true });
  } catch (err) {
    throw new ModelError('model_load_failed', `could not start the inference thread for ${model}: ${(err as Error).message.split('\n')[0]}`, { cause: err });
  }
  const info = await client.call<OnnxRunThreadInfo>('info', null);
  if (!info.ok) {
    await client.close();
    const { name, code, message, hint } = info.error;
    if (name === 'UnsupportedError') throw new UnsupportedError(code ?? 'device_unavailable', message, { hint });
    throw new ModelError(code ?? 'model_load_failed', message, { hint });
  }
  return { client, info };
}

async function releaseOne(client: ThreadClient): Promise<void> {
  try {
    if (!client.dead) await client.call('release', null);
  } finally {
    await client.close();
  }
}

export async function createThreadedOnnxSession(model: string, options: ThreadedSessionOptions = {}): Promise<ThreadedOnnxSession> {
  const { onFallback, sessions: count = 1, ...sessionOptions } = options;
  const init: OnnxRunThreadInit = { model, options: sessionOptions };
  const first = await startOne(model, init);
  const threads = [first.client];
  try {
    // the others on the provider the first one got (an `auto` fallback is decided once)
    const rest = await Promise.allSettled(Array.from({ length: Math.max(1, count) - 1 }, () => startOne(model, { model, options: { ...sessionOptions, device: first.info.provider } })));
    for (const r of rest) if (r.status === 'fulfilled') threads.push(r.value.client);
    const failed = rest.find((r) => r.status === 'rejected');
    if (failed) throw failed.reason;
  } catch (err) {
    await Promise.allSettled(threads.map(releaseOne));
    throw err;
  }
  for (const message of first.info.fallbacks) onFallback?.(message);
  const pending = threads.map(() => 0);
  return {
    provider: first.info.provider,
    inputNames: first.info.inputNames,
    outputNames: first.info.outputNames,
    sessions: threads.length,
    async run(request) {
      let k = 0;
      for (let i = 1; i < threads.length; i++) if (pending[i] < pending[k]) k = i;
      pending[k]++;
      try {
        return await threads[k].call<Float32Array>('run', request);
      } finally {
        pending[k]--;
      }
    },
    async release() {
      const results = await Promise.allSettled(threads.map(releaseOne));
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}
