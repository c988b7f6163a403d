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

/** How long close() waits for Redis to answer before it disconnects without reporting the unit in flight. */
const CLOSE_WAIT_MS = 60_000;

export interface BullmqConsumerOptions {
  /** close() disconnects once Redis has not answered for this long (default 60 s). */
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
      const logError = throttledRedisErrors((fields) => logger.warn({ ...fields, queue: name }, 'worker: error (will retry)'));
      let lastError = -Infinity;
      worker.on('error', (err) => {
        lastError = Date.now();
        logError(err);
      });
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
        // Graceful: the units in flight finish and are reported, however long they take while Redis answers. With
        // Redis down the report never ends: once it has not answered for CLOSE_WAIT_MS the worker disconnects, and a
        // unit it held is handed on by the stalled check.
        async close() {
          const graceful = worker.close().then(() => true, () => true);
          const waitMs = consumer.closeWaitMs ?? CLOSE_WAIT_MS;
          for (;;) {
            let timer: NodeJS.Timeout | undefined;
            const done = await Promise.race([graceful, new Promise<boolean>((r) => (timer = setTimeout(() => r(false), waitMs)))]);
            clearTimeout(timer);
            if (done) return;
            // Redis reports its failures (a failed reconnect about once a second): none lately, so a long unit is still computing
            if (Date.now() - lastError > waitMs) continue;
            logger.warn({ queue: name, waitedMs: waitMs }, 'worker: Redis does not answer; closing without reporting the unit in flight (another worker takes it)');
            void worker.disconnect().catch(() => undefined);
            return;
          }
        },
      };
    },
  };
}
