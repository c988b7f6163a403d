/**
 * Runs jobs in a worker thread (jobThread.ts) for the job queue: the queue's AbortSignal (cancel, or
 * shutdown after the tile in flight) is forwarded to the thread. If the thread dies under a job (an exception
 * nothing catches in it, the thread's own heap running out, a terminate(), or it exited), the next job or
 * on-demand request starts a fresh thread, and the job — given a store — is put back in the queue with its crash
 * count, keeping its stored tiles, and resumes at once on a new thread: a crash mid-job loses nothing. (A native
 * fault — a SIGSEGV or abort() in onnxruntime — is not survived: it ends the whole process; the jobs resume from
 * their stored tiles when the server is started again.)
 *
 * A job fails once the thread crashed under it MAX_JOB_THREAD_CRASHES times in a row without it storing a new tile
 * in between: a job that crashes every thread before it gets anywhere must not loop, while a job that keeps
 * storing tiles always gets further (its tiles are finite). With several jobs running in one thread, a crash
 * cannot be pinned on one of them: this rule charges it to each, but a job that was storing tiles (an innocent
 * one beside the one that crashes the thread) is never failed for it. If no thread can be started for a job
 * (also a new one after a crash), the job fails with a message naming no server path, rather than staying
 * `queued` with nothing left to run it. After close() no thread is started again.
 */
import { UnavailableError } from '../core/errors.ts';
import type { JobState } from '../core/jobRecords.ts';
import type { Logger } from '../logger.ts';
import { startThread, type ThreadClient } from '../adapters/threads/threadRpc.ts';
import type { JobExecutor } from '../pipeline/jobQueue.ts';
import type { JobStorePort } from '../pipeline/jobStorePort.ts';
import type { JobThreadInit } from './jobThread.ts';

/**
 * Crashes of the job thread under one job, in a row with no tile stored in between, before the job fails; each
 * one before that resumes it on a new thread.
 */
export const MAX_JOB_THREAD_CRASHES = 2;

/** The error of a job its thread crashed under too often; the details (which may name server paths) go to the log. */
export const JOB_THREAD_CRASHED = `the job thread crashed ${MAX_JOB_THREAD_CRASHES} times in a row while running this job, with no tile stored in between, so it was stopped (the server log has the details); submit it again to retry`;

/** The error of a job no thread could be started for; the details go to the log. */
export const JOB_THREAD_NOT_STARTED = 'the job thread could not be started to run this job (the server log has the details); submit it again to retry';

export class ThreadJobExecutor implements JobExecutor {
  private thread: Promise<ThreadClient> | undefined;
  private client: ThreadClient | undefined;
  private closed = false;
  /** Tiles each job had stored when the thread last crashed under it (this process only). */
  private readonly storedAtCrash = new Map<string, number>();

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
    try {
      return await this.runOnThreads(jobId, signal);
    } finally {
      this.storedAtCrash.delete(jobId);
    }
  }

  private async runOnThreads(jobId: string, signal: AbortSignal): Promise<JobState> {
    for (;;) {
      let thread: ThreadClient;
      try {
        thread = await this.start();
      } catch (err) {
        // closing: the job stays queued for the next start; otherwise it must not stay queued with no runner
        if (this.closed || !this.failUnstarted(jobId, err)) throw err;
        return 'failed';
      }
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

  /** Fail a live job no thread could be started for; false without a store or when the job is no longer live. */
  private failUnstarted(jobId: string, err: unknown): boolean {
    const { store, logger } = this;
    if (!store?.isOpen) return false;
    const failed = store.transitionJob(jobId, ['queued', 'running'], 'failed', { error: JOB_THREAD_NOT_STARTED });
    if (failed) logger?.error({ err, job: jobId }, 'the job thread could not be started; the job failed');
    return failed !== undefined;
  }

  /**
   * The job's record after its thread crashed under it: back to `queued` with its crash count (`resume` it now on
   * a new thread, or leave it `queued` for the next start when a shutdown is under way), or `failed` once it has
   * crashed MAX_JOB_THREAD_CRASHES times in a row with no new tile stored. The count starts again at 1 when the job
   * stored a tile since its last crash (in this process; a count from before a restart is carried on).
   * `unchanged`: no store, or the job is no longer live (cancelled).
   */
  private afterCrash(jobId: string, signal: AbortSignal, err: unknown): 'resume' | 'queued' | 'failed' | 'unchanged' {
    const { store, logger } = this;
    const job = store?.isOpen ? store.getJob(jobId) : undefined;
    if (!store || !job) return 'unchanged';
    const { settled, skipped, failed } = store.settledTiles(jobId);
    const stored = settled.size - skipped - failed;
    const before = this.storedAtCrash.get(jobId);
    this.storedAtCrash.set(jobId, stored);
    const crashes = before !== undefined && stored > before ? 1 : job.crashes + 1;
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
