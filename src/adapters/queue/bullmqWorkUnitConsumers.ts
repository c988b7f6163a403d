/**
 * A worker's side of the work-unit broker on BullMQ (it satisfies `WorkUnitConsumers`,
 * src/pipeline/workUnitBroker.ts, checked where the worker is wired, src/cli/workerCommand.ts): a BullMQ
 * `Worker` per consumed queue. Its lock is renewed on this thread, so the processing it waits for must run
 * elsewhere (tileWorker.ts: an inference thread). A worker killed mid-unit stops renewing its lock: after
 * `lockDurationMs` the stalled check of any live worker puts the unit back to waiting.
 */
import { Worker, type Job } from 'bullmq';
import type { Logger } from '../../logger.ts';
import { QUEUE_PREFIX, type RedisConnectionOptions } from './redisConnection.ts';

export interface BullmqWorkUnitConsumersOptions {
  connection: RedisConnectionOptions;
  logger: Logger;
  /** BullMQ key prefix (default QUEUE_PREFIX). */
  prefix?: string;
}

export interface BullmqConsumerOptions {
  concurrency: number;
  lockDurationMs: number;
  stalledIntervalMs: number;
  maxStalledCount: number;
}

export function bullmqWorkUnitConsumers(options: BullmqWorkUnitConsumersOptions): {
  consume<D, R>(name: string, process: (unit: { id: string; data: D }) => Promise<R>, consumer: BullmqConsumerOptions): Promise<{ close(): Promise<void> }>;
} {
  const { connection, logger } = options;
  return {
    async consume<D, R>(name: string, process: (unit: { id: string; data: D }) => Promise<R>, consumer: BullmqConsumerOptions) {
      // The constructor throws on a bad option (after it started connecting): the caller releases what it holds.
      const worker = new Worker<D, R>(name, (job: Job<D, R>) => process({ id: job.id!, data: job.data }), {
        connection,
        prefix: options.prefix ?? QUEUE_PREFIX,
        concurrency: consumer.concurrency,
        lockDuration: consumer.lockDurationMs,
        stalledInterval: consumer.stalledIntervalMs,
        maxStalledCount: consumer.maxStalledCount,
      });
      worker.on('error', (err) => logger.warn({ err: err.message }, 'worker: redis error (will retry)'));
      worker.on('failed', (job, err) => logger.warn({ unit: job?.id, err: err.message }, 'work unit failed'));
      const waiting = setInterval(() => logger.warn({ host: connection.host, port: connection.port }, 'worker: still waiting for Redis'), 5000);
      try {
        await worker.waitUntilReady();
      } catch (err) {
        await worker.close().catch(() => undefined);
        throw err;
      } finally {
        clearInterval(waiting);
      }
      return { close: () => worker.close() };
    },
  };
}
