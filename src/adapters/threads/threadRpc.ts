/**
 * Calls into a worker thread: the main side starts a thread running a module that serves named async
 * methods (`serveThread`), calls them with structured-clone arguments, and can abort a call (the thread's
 * handler sees an AbortSignal with the same reason string, so it can stop cooperatively, e.g. after the
 * tile in flight). Used to keep inference, stitching and vectorizing off the event loop that serves HTTP
 * requests and renews BullMQ locks. A thread that dies rejects every pending call.
 */
import { Worker, parentPort, workerData } from 'node:worker_threads';

type Request = { type: 'call'; id: number; method: string; args: unknown } | { type: 'abort'; id: number; reason: string };
type Response = { type: 'ready' } | { type: 'init-error'; message: string } | { type: 'result'; id: number; value: unknown } | { type: 'error'; id: number; message: string; name: string };

/** An error raised in the thread, carried over by name and message. */
export class ThreadCallError extends Error {
  constructor(message: string, readonly remoteName: string) {
    super(message);
    this.name = remoteName;
  }
}

export interface ThreadClient {
  call<T>(method: string, args: unknown, signal?: AbortSignal): Promise<T>;
  /** True once the thread has died (an uncaught exception, or it exited): every call rejects; start a new one. */
  readonly dead: boolean;
  /** Terminate the thread (pending calls reject). */
  close(): Promise<void>;
}

const BOOT = new URL('./threadBoot.mjs', import.meta.url);

export interface StartThreadOptions {
  /**
   * Let the process exit while no call is pending (the thread is unref'd when idle and ref'd during a call), so a
   * thread an owner forgets to close never holds a command open; calls in flight still keep it alive.
   */
  unrefWhenIdle?: boolean;
}

/**
 * Start a thread running `module` (a file: URL whose top level calls `serveThread`); `init` is handed to
 * it as `threadInit()`. Resolves once the module has set itself up (e.g. loaded its model).
 */
export async function startThread(module: URL, init: unknown, name = 'waterline-thread', options: StartThreadOptions = {}): Promise<ThreadClient> {
  const worker = new Worker(BOOT, { workerData: { module: module.href, init }, name, stdout: false, stderr: false });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  let dead: Error | undefined;
  const failAll = (err: Error): void => {
    dead = err;
    for (const p of pending.values()) p.reject(err);
    pending.clear();
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const onMessage = (m: Response): void => {
        if (m.type === 'ready') resolve();
        else if (m.type === 'init-error') reject(new Error(m.message));
      };
      worker.on('message', onMessage);
      worker.once('error', reject);
      worker.once('exit', (code) => reject(new Error(`thread ${name} exited with code ${code} while starting`)));
    });
  } catch (err) {
    // A thread whose setup failed still runs (its event loop is empty only if nothing else holds it).
    await worker.terminate().catch(() => undefined);
    throw err;
  }
  worker.removeAllListeners('error');
  worker.removeAllListeners('exit');
  worker.removeAllListeners('message');
  worker.on('message', (m: Response) => {
    if (m.type !== 'result' && m.type !== 'error') return;
    const p = pending.get(m.id);
    if (!p) return;
    pending.delete(m.id);
    holdWhileBusy();
    if (m.type === 'result') p.resolve(m.value);
    else p.reject(new ThreadCallError(m.message, m.name));
  });
  worker.on('error', (err: unknown) => failAll(err instanceof Error ? err : new Error(String(err))));
  worker.on('exit', (code) => failAll(new Error(`thread ${name} exited with code ${code}`)));
  const holdWhileBusy = (): void => {
    if (!options.unrefWhenIdle) return;
    if (pending.size > 0) worker.ref();
    else worker.unref();
  };
  holdWhileBusy();

  return {
    get dead() {
      return dead !== undefined;
    },
    call<T>(method: string, args: unknown, signal?: AbortSignal): Promise<T> {
      if (dead) return Promise.reject(dead);
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        const onAbort = (): void => worker.postMessage({ type: 'abort', id, reason: String(signal?.reason ?? 'cancel') } satisfies Request);
        pending.set(id, {
          resolve: (v) => {
            signal?.removeEventListener('abort', onAbort);
            resolve(v as T);
          },
          reject: (e) => {
            signal?.removeEventListener('abort', onAbort);
            reject(e);
          },
        });
        holdWhileBusy();
        worker.postMessage({ type: 'call', id, method, args } satisfies Request);
        if (signal?.aborted) onAbort();
        else signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    async close() {
      await worker.terminate();
    },
  };
}

/** Inside a thread: the `init` passed to startThread. */
export function threadInit<T>(): T {
  return (workerData as { init: T }).init;
}

export type ThreadHandlers = Record<string, (args: any, signal: AbortSignal) => Promise<unknown>>;

/** Inside a thread: serve `handlers` (after `setup` resolves; a setup failure fails startThread). */
export function serveThread(setup: () => Promise<ThreadHandlers>): void {
  const port = parentPort;
  if (!port) throw new Error('serveThread must run in a worker thread');
  const controllers = new Map<number, AbortController>();
  setup().then(
    (handlers) => {
      port.on('message', (m: Request) => {
        if (m.type === 'abort') {
          controllers.get(m.id)?.abort(m.reason);
          return;
        }
        const controller = new AbortController();
        controllers.set(m.id, controller);
        const handler = handlers[m.method];
        const run = handler ? handler(m.args, controller.signal) : Promise.reject(new Error(`no thread method ${m.method}`));
        run.then(
          (value) => port.postMessage({ type: 'result', id: m.id, value } satisfies Response),
          (err: unknown) => {
            const e = err instanceof Error ? err : new Error(String(err));
            port.postMessage({ type: 'error', id: m.id, message: e.message, name: e.name } satisfies Response);
          },
        ).finally(() => controllers.delete(m.id));
      });
      port.postMessage({ type: 'ready' } satisfies Response);
    },
    (err: unknown) => port.postMessage({ type: 'init-error', message: err instanceof Error ? err.message : String(err) } satisfies Response),
  );
}
