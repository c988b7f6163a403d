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
 *
 * A thread that dies (an exception nothing catches in it, its own heap running out, a terminate()) is started again,
 * once per death, by the next call that would go to it, with the same session on the same provider; the call that
 * was running on it rejects with a ModelError naming the model. So one such death costs the batch in flight (which
 * the pipeline retries tile by tile, on the new thread) and the model keeps working for every later batch and job,
 * instead of failing each of them against a dead thread. A native fault in onnxruntime (a SIGSEGV, an abort()) is
 * not survived: it ends the whole process, not just the thread. A restart that fails is not tried again: that
 * session is out of service and its calls go to the others; with none left every call fails at once with the
 * remembered ModelError (model_thread_restart_failed) instead of starting a thread per call (per tile, when the
 * pipeline retries a batch tile by tile). Messages name the model by its folder and file, never the server path.
 */
import { ModelError, UnsupportedError, describeError } from '../../core/errors.ts';
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

/** The model as messages name it: its file and the folder it is in (never the whole server path). */
function modelLabel(model: string): string {
  return model.split(/[\\/]/).filter(Boolean).slice(-2).join('/');
}

/** One session in one thread, or the error that kept it from starting. */
async function startOne(model: string, init: OnnxRunThreadInit): Promise<{ client: ThreadClient; info: Extract<OnnxRunThreadInfo, { ok: true }> }> {
  let client: ThreadClient;
  try {
    client = await startThread(THREAD_MODULE, init, 'waterline-onnx', { unrefWhenIdle: true });
  } catch (err) {
    throw new ModelError('model_load_failed', `could not start the inference thread for ${modelLabel(model)}: ${describeError(err).split('\n')[0]}`, { cause: err });
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
  /** A dead thread's replacement being started (callers of that slot wait for the same one). */
  const restarts = new Map<number, Promise<ThreadClient>>();
  /** Slots whose restart failed: out of service, never started again (the error their calls got). */
  const broken = new Map<number, ModelError>();
  let released = false;
  // a replacement runs on the provider the first session got, as the others do
  const restartInit: OnnxRunThreadInit = { model, options: { ...sessionOptions, device: first.info.provider } };

  /** The thread of slot k, started again (with a new session) when the one there has died. */
  const live = (k: number): Promise<ThreadClient> => {
    if (!threads[k].dead) return Promise.resolve(threads[k]);
    let restart = restarts.get(k);
    if (!restart) {
      restart = (async () => {
        try {
          await threads[k].close().catch(() => undefined);
          const { client } = await startOne(model, restartInit);
          threads[k] = client;
          return client;
        } catch (err) {
          const failed = new ModelError('model_thread_restart_failed', `the inference thread of ${modelLabel(model)} died and could not be started again, so the model is out of service`, {
            cause: err,
            hint: 'restart the server (or the command) to load the model again',
          });
          broken.set(k, failed);
          throw failed;
        } finally {
          restarts.delete(k);
        }
      })();
      restarts.set(k, restart);
    }
    return restart;
  };

  return {
    provider: first.info.provider,
    inputNames: first.info.inputNames,
    outputNames: first.info.outputNames,
    sessions: threads.length,
    async run(request) {
      if (released) throw new ModelError('model_released', `the inference sessions of ${modelLabel(model)} were released`);
      let k = -1;
      for (let i = 0; i < threads.length; i++) if (!broken.has(i) && (k < 0 || pending[i] < pending[k])) k = i;
      if (k < 0) throw broken.get(0)!;
      pending[k]++;
      try {
        const client = await live(k);
        try {
          return await client.call<Float32Array>('run', request);
        } catch (err) {
          if (!client.dead) throw err;
          throw new ModelError('model_thread_died', `the inference thread of ${modelLabel(model)} died while running a batch (${describeError(err).split('\n')[0]}); it is started again for the next batch`, { cause: err });
        }
      } finally {
        pending[k]--;
      }
    },
    async release() {
      released = true;
      await Promise.allSettled(restarts.values());
      const results = await Promise.allSettled(threads.map(releaseOne));
      const failed = results.find((r) => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}
