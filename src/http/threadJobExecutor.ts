/**
 * Runs jobs in a worker thread (jobThread.ts) for the job queue: the queue's AbortSignal (cancel, or
 * shutdown after the tile in flight) is forwarded to the thread. If the thread dies under a job (an uncaught
 * exception, e.g. in a native runtime, or it exited), the next job or on-demand request starts a fresh thread,
 * and the job — given a store — is put back in the queue with its crash count, keeping its stored tiles, and
 * resumes at once on a new thread: a crash mid-job loses nothing. A job the thread crashes under a second time
 * fails (a job that crashes every thread must not loop). After close() no thread is started again.
 */
import { UnavailableError } from '../core/errors.ts';
import type { JobState } from '../core/jobRecords.ts';
import type { Logger } from '../logger.ts';
import { startThread, type ThreadClient } from '../adapters/threads/threadRpc.ts';
import type { JobExecutor } from '../pipeline/jobQueue.ts';
import type { JobStorePort } from '../pipeline/jobStorePort.ts';
import type { JobThreadInit } from './jobThread.ts';

/** Crashes of the job thread under one job before the job fails; each one before that resumes it on a new thread. */
export const MAX_JOB_THREAD_CRASHES = 2;

/** The error of a job its thread crashed under twice; the details (which may name server paths) go to the log. */
export const JOB_THREAD_CRASHED = 'the job thread crashed twice while running this job, so it was stopped (the server log has the details); submit it again to retry';

export class ThreadJobExecutor implements JobExecutor {
  private thread: Promise<ThreadClient> | undefined;
  private client: ThreadClient | undefined;
  private closed = false;

  /**
   * `store`: where a job whose thread crashed is re-queued (with its crash count) or failed; without it the
   * job stays as the thread left it and the crash is the caller's. `logger`: where crashes are reported.
   */
  constructor(private readonly init: JobThreadInit, private readonly store?: JobStorePort, private readonly logger?: Logger) {}

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
    for (;;) {
      const thread = await this.start();
      try {
        return await thread.call<JobState>('run', { jobId }, signal);
      } catch (err) {
        // A dead thread rejects every call: forget it so the next call gets a new one. A thread that went
        // because the server is closing is no crash: the job stays resumable as it is.
        if (!thread.dead || this.closed) throw err;
        if (this.client === thread) this.forget();
        const after = this.afterCrash(jobId, signal, err);
        if (after === 'resume') continue;
        if (after === 'queued') return 'queued';
        throw err; // failed (or no longer live): the caller logs the crash
      }
    }
  }

  /**
   * The job's record after its thread crashed under it: back to `queued` with one more crash (`resume` it now on
   * a new thread, or leave it `queued` for the next start when a shutdown is under way), or `failed` once it has
   * crashed MAX_JOB_THREAD_CRASHES times. `unchanged`: no store, or the job is no longer live (cancelled).
   */
  private afterCrash(jobId: string, signal: AbortSignal, err: unknown): 'resume' | 'queued' | 'failed' | 'unchanged' {
    const { store, logger } = this;
    const job = store?.isOpen ? store.getJob(jobId) : undefined;
    if (!store || !job) return 'unchanged';
    const crashes = job.crashes + 1;
    if (crashes < MAX_JOB_THREAD_CRASHES) {
      if (!store.transitionJob(jobId, ['queued', 'running'], 'queued', { crashes })) return 'unchanged';
      logger?.error({ err, job: jobId, crashes }, 'the job thread crashed under this job; it resumes from its stored tiles on a new thread');
      return signal.aborted ? 'queued' : 'resume';
    }
    return store.transitionJob(jobId, ['queued', 'running'], 'failed', { error: JOB_THREAD_CRASHED, crashes }) ? 'failed' : 'unchanged';
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
