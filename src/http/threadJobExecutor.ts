/**
 * Runs jobs in a worker thread (jobThread.ts) for the job queue: the queue's AbortSignal (cancel, or
 * shutdown after the tile in flight) is forwarded to the thread. If the thread dies, the job is left
 * resumable in the store and the next job starts a fresh thread.
 */
import type { JobState } from '../adapters/store/records.ts';
import { startThread, type ThreadClient } from '../adapters/threads/threadRpc.ts';
import type { JobExecutor } from '../pipeline/jobQueue.ts';
import type { JobThreadInit } from './jobThread.ts';

export class ThreadJobExecutor implements JobExecutor {
  private thread: Promise<ThreadClient> | undefined;

  constructor(private readonly init: JobThreadInit) {}

  /** Start the thread now (e.g. to load the model at server start) instead of with the first job. */
  start(): Promise<ThreadClient> {
    if (!this.thread) {
      this.thread = startThread(new URL('./jobThread.ts', import.meta.url), this.init, 'waterline-jobs');
      this.thread.catch(() => (this.thread = undefined));
    }
    return this.thread;
  }

  async run(jobId: string, signal: AbortSignal): Promise<JobState> {
    const thread = await this.start();
    try {
      return await thread.call<JobState>('run', { jobId }, signal);
    } catch (err) {
      // A dead thread rejects every call: forget it so the next job gets a new one.
      if (err instanceof Error && /^thread .* exited/.test(err.message)) this.thread = undefined;
      throw err;
    }
  }

  async close(): Promise<void> {
    const pending = this.thread;
    this.thread = undefined;
    if (!pending) return;
    const thread = await pending.catch(() => undefined);
    if (!thread) return;
    await thread.call('close', null).catch(() => undefined);
    await thread.close();
  }
}
