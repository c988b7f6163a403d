/**
 * A worker's side of the work-unit broker on BullMQ (it satisfies `WorkUnitConsumers`,
 * src/pipeline/workUnitBroker.ts, checked where the worker is wired, src/cli/workerCommand.ts): a BullMQ
 * `Worker` per consumed queue. Its lock is renewed on this thread, so the processing it waits for must run
 * elsewhere (tileWorker.ts: an inference thread). A worker killed mid-unit stops renewing its lock: after
 * `lockDurationMs` the stalled check of any live worker puts the unit back to waiting.
 */
import { UnrecoverableError, Worker, type Job } from 'bullmq';
import type { Logger } from '../../logger.ts';
import { QUEUE_PREFIX, throttledRedisErrors, type RedisConnectionOptions } from './redisConnection.ts';

export interface BullmqWorkUnitConsumersOptions {
  connection: RedisConnectionOptions;
  logger: Logger;
  /** BullMQ key prefix (default QUEUE_PREFIX). */
  prefix?: string;
}

/** How long close() waits for the units in flight and Redis before it closes by force. */
const CLOSE_WAIT_MS = 60_000;

export interface BullmqConsumerOptions {
  /** close() waits this long before closing by force (default 60 s). */
  closeWaitMs?: number;
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
      // A processor error flagged `permanent` (workUnitBroker.ts PermanentUnitError) fails the unit without retries.
      const run = async (job: Job<D, R>): Promise<R> => {
        try {
          return await process({ id: job.id!, data: job.data });
        } catch (err) {
          if ((err as { permanent?: unknown } | null)?.permanent === true) throw new UnrecoverableError((err as Error).message);
          throw err;
        }
      };
      const worker = new Worker<D, R>(name, run, {
        connection,
        prefix: options.prefix ?? QUEUE_PREFIX,
        concurrency: consumer.concurrency,
        lockDuration: consumer.lockDurationMs,
        stalledInterval: consumer.stalledIntervalMs,
        maxStalledCount: consumer.maxStalledCount,
      });
      worker.on('error', throttledRedisErrors((fields) => logger.warn({ ...fields, queue: name }, 'worker: redis error (will retry)')));
      const waiting = setInterval(() => logger.warn({ host: connection.host, port: connection.port }, 'worker: still waiting for Redis'), 5000);
      try {
        await worker.waitUntilReady();
      } catch (err) {
        await worker.close().catch(() => undefined);
        throw err;
      } finally {
        clearInterval(waiting);
      }
      return {
        // Graceful: the units in flight finish and are reported. With Redis down that never ends (the report waits
        // for it): after CLOSE_WAIT_MS the worker is closed by force; a unit it held is handed on by the stalled check.
        async close() {
          let timer: NodeJS.Timeout | undefined;
          const graceful = worker.close().then(() => true, () => true);
          const done = await Promise.race([graceful, new Promise<boolean>((r) => (timer = setTimeout(() => r(false), consumer.closeWaitMs ?? CLOSE_WAIT_MS)))]);
          clearTimeout(timer);
          if (done) return;
          logger.warn({ queue: name, waitedMs: consumer.closeWaitMs ?? CLOSE_WAIT_MS }, 'worker: Redis did not let the worker close in time; closing by force (a unit in flight goes to another worker)');
          void worker.close(true).catch(() => undefined);
          void worker.disconnect().catch(() => undefined);
        },
      };
    },
  };
}
