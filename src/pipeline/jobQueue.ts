/**
 * The job queue: the seam between the HTTP API (which stores jobs) and the workers that run them.
 * `InProcessJobQueue` runs jobs on this machine (its executor: a JobRunner, in a worker thread for the
 * server), at most `maxRunning` at once, in creation order. `RedisJobQueue` (redisJobQueue.ts) implements
 * the same interface with BullMQ workers on any number of machines. Both keep job state in a JobStorePort
 * (the server's SQLite database); the queue methods are async so a queue may ask a remote broker.
 */
import type { Logger } from '../logger.ts';
import type { JobKind, JobRecord, JobState } from '../core/jobRecords.ts';
import type { JobStorePort } from './jobStorePort.ts';
import { ABORT_CANCEL, ABORT_SHUTDOWN } from './jobRunner.ts';

/** Runs one stored job to its end (JobRunner in this thread, or in a worker thread); resolves with its final state. */
export interface JobExecutor {
  run(jobId: string, signal: AbortSignal): Promise<JobState>;
  /** Release what it holds (a thread, models); called by the queue's close() once its jobs have stopped. */
  close?(): Promise<void>;
}

export interface JobQueueStats {
  running: number;
  queued: number;
}

export interface BrokerState {
  reachable: boolean;
  /** Workers connected per queue (each queue the server sends work to); empty when the broker does not answer. */
  workers: Record<string, number>;
  /** Queues that hold unfinished jobs and have no worker: those jobs wait. */
  idleQueues: string[];
}

export interface JobQueue {
  /** The job kinds this queue runs (absent: every kind); the server refuses others at submission. */
  readonly jobKinds?: readonly JobKind[];
  /** Hand a stored job (state `queued`) to the workers. */
  enqueue(jobId: string): Promise<void>;
  /** Cancel a queued or running job. Resolves with the job after the change, or undefined if it had already finished. */
  cancel(jobId: string): Promise<JobRecord | undefined>;
  /** Pick up jobs left `queued` or `running` in the store (a restart after a crash or a shutdown). */
  resume(): Promise<void>;
  stats(): Promise<JobQueueStats>;
  /** Jobs on workers through a broker (`serve --queue`): whether it answers, and the workers on each queue (readiness). */
  brokerState?(): Promise<BrokerState>;
  /**
   * Stop taking jobs and interrupt the running ones after the tile in flight (they stay resumable);
   * resolves when they have stopped.
   */
  close(): Promise<void>;
}

export interface InProcessJobQueueOptions {
  store: JobStorePort;
  runner: JobExecutor;
  logger: Logger;
  /** Jobs run at the same time (default 1: one model, a few CPU cores). */
  maxRunning?: number;
}

export class InProcessJobQueue implements JobQueue {
  private readonly pending: string[] = [];
  private readonly running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  private closed = false;
  private readonly maxRunning: number;

  constructor(private readonly options: InProcessJobQueueOptions) {
    this.maxRunning = Math.max(1, options.maxRunning ?? 1);
  }

  async enqueue(jobId: string): Promise<void> {
    if (this.closed || this.pending.includes(jobId) || this.running.has(jobId)) return;
    this.pending.push(jobId);
    this.pump();
  }

  async resume(): Promise<void> {
    for (const job of this.options.store.unfinishedJobs()) await this.enqueue(job.id);
  }

  async cancel(jobId: string): Promise<JobRecord | undefined> {
    const { store } = this.options;
    const job = store.transitionJob(jobId, ['queued', 'running'], 'cancelled');
    if (!job) return undefined;
    const index = this.pending.indexOf(jobId);
    if (index >= 0) this.pending.splice(index, 1);
    this.running.get(jobId)?.controller.abort(ABORT_CANCEL);
    return job;
  }

  async stats(): Promise<JobQueueStats> {
    return { running: this.running.size, queued: this.pending.length };
  }

  async close(): Promise<void> {
    this.closed = true;
    this.pending.length = 0;
    const stopping = [...this.running.values()];
    for (const r of stopping) r.controller.abort(ABORT_SHUTDOWN);
    await Promise.all(stopping.map((r) => r.done));
    await this.options.runner.close?.();
  }

  private pump(): void {
    while (!this.closed && this.running.size < this.maxRunning && this.pending.length > 0) {
      const jobId = this.pending.shift()!;
      const controller = new AbortController();
      const done = this.options.runner.run(jobId, controller.signal)
        .then(() => undefined)
        .catch((err: unknown) => this.options.logger.error({ err, job: jobId }, 'job runner crashed'))
        .finally(() => {
          this.running.delete(jobId);
          this.pump();
        });
      this.running.set(jobId, { controller, done });
    }
  }
}
