/**
 * Runs jobs in a worker thread (jobThread.ts) for the job queue: the queue's AbortSignal (cancel, or
 * shutdown after the tile in flight) is forwarded to the thread. If the thread dies (an uncaught exception,
 * or it exited), the job it was running is marked failed in the store (when given one) and the next job,
 * or on-demand request, starts a fresh thread. After close() no thread is started again.
 */
import { UnavailableError } from '../core/errors.ts';
import type { JobState } from '../core/jobRecords.ts';
import { startThread, type ThreadClient } from '../adapters/threads/threadRpc.ts';
import type { JobExecutor } from '../pipeline/jobQueue.ts';
import type { JobStorePort } from '../pipeline/jobStorePort.ts';
import type { JobThreadInit } from './jobThread.ts';

/** The error a job gets when its thread crashed; the details (which may name server paths) go to the log. */
export const JOB_THREAD_CRASHED = 'the job thread crashed while running this job (the server log has the details); submit it again to retry';

export class ThreadJobExecutor implements JobExecutor {
  private thread: Promise<ThreadClient> | undefined;
  private client: ThreadClient | undefined;
  private closed = false;

  /** `store`: where a job whose thread crashed is marked failed (without it the job stays as the thread left it). */
  constructor(private readonly init: JobThreadInit, private readonly store?: JobStorePort) {}

  /** Start the thread now (e.g. to load the model at server start) instead of with the first job. */
  start(): Promise<ThreadClient> {
    if (this.closed) return Promise.reject(new UnavailableError('server_closing', 'the server is shutting down', { hint: 'retry once it is running again' }));
    if (this.client?.dead) this.forget();
    if (!this.thread) {
      const starting = startThread(new URL('./jobThread.ts', import.meta.url), this.init, 'waterline-jobs');
      this.thread = starting;
      starting.then(
        (client) => {
          if (this.thread === starting) this.client = client;
        },
        () => {
          if (this.thread === starting) this.forget();
        },
      );
    }
    return this.thread;
  }

  async run(jobId: string, signal: AbortSignal): Promise<JobState> {
    const thread = await this.start();
    try {
      return await thread.call<JobState>('run', { jobId }, signal);
    } catch (err) {
      // A dead thread rejects every call: forget it so the next job gets a new one, and fail its job
      // (unless the thread went because the server is closing: then the job stays resumable).
      if (thread.dead && !this.closed) {
        if (this.client === thread) this.forget();
        if (this.store?.isOpen) this.store.transitionJob(jobId, ['running'], 'failed', { error: JOB_THREAD_CRASHED });
      }
      throw err;
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    const pending = this.thread;
    this.forget();
    if (!pending) return;
    const thread = await pending.catch(() => undefined);
    if (!thread) return;
    await thread.call('close', null).catch(() => undefined);
    await thread.close();
  }

  private forget(): void {
    this.thread = undefined;
    this.client = undefined;
  }
}
