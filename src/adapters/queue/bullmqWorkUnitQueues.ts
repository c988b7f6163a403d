/**
 * The server's side of the work-unit broker on BullMQ (it satisfies `WorkUnitQueues`,
 * src/pipeline/workUnitBroker.ts, checked where the server wires it, src/http/server.ts):
 * one BullMQ `Queue` per name, units added with their id as BullMQ job id (an existing id is ignored),
 * completed and failed units kept until collected (`removeOnComplete` / `removeOnFail` off). Redis errors are
 * logged and retried by ioredis (`maxRetriesPerRequest: null`, redisConnection.ts), so a restarted Redis only
 * pauses the collector.
 */
import { Queue, type Job } from 'bullmq';
import type { Logger } from '../../logger.ts';
import { QUEUE_PREFIX, throttledRedisErrors, type RedisConnectionOptions } from './redisConnection.ts';

export interface BullmqWorkUnitQueuesOptions {
  connection: RedisConnectionOptions;
  logger: Logger;
  /** BullMQ key prefix (default QUEUE_PREFIX). */
  prefix?: string;
}

export interface BullmqUnitOptions {
  /** Times a unit that throws is tried before it fails. */
  attempts: number;
  /** Wait between two attempts. */
  retryDelayMs: number;
}

export function bullmqWorkUnitQueues(options: BullmqWorkUnitQueuesOptions): { open<D, R>(name: string, unitOptions: BullmqUnitOptions): BullmqWorkUnitQueue<D, R> } {
  return {
    open<D, R>(name: string, unitOptions: BullmqUnitOptions): BullmqWorkUnitQueue<D, R> {
      const queue = new Queue<D, R>(name, {
        connection: options.connection,
        prefix: options.prefix ?? QUEUE_PREFIX,
        defaultJobOptions: { attempts: unitOptions.attempts, backoff: { type: 'fixed', delay: unitOptions.retryDelayMs }, removeOnComplete: false, removeOnFail: false },
      });
      queue.on('error', throttledRedisErrors((fields) => options.logger.warn({ ...fields, queue: name }, 'redis queue error (will retry)')));
      return new BullmqWorkUnitQueue<D, R>(queue);
    },
  };
}

/** A unit that left the workers; remove() drops it from Redis once collected. */
interface SettledJob<D> {
  id: string;
  data: D;
  remove(): Promise<void>;
}

/** One named BullMQ queue: a unit's id is its BullMQ job id. */
export class BullmqWorkUnitQueue<D, R> {
  constructor(private readonly queue: Queue<D, R>) {}

  /** Add units; an id that exists is left as it is (BullMQ ignores a duplicate job id). */
  async add(units: { id: string; name: string; data: D }[]): Promise<void> {
    if (units.length === 1) {
      const [u] = units;
      await (this.queue as Queue).add(u.name, u.data, { jobId: u.id });
    } else if (units.length > 1) {
      await (this.queue as Queue).addBulk(units.map((u) => ({ name: u.name, data: u.data, opts: { jobId: u.id } })));
    }
  }

  async completed(limit: number): Promise<(SettledJob<D> & { result: R })[]> {
    const jobs = (await this.queue.getCompleted(0, limit - 1)) as Job<D, R>[];
    return jobs.map((job) => ({ id: job.id!, data: job.data, result: job.returnvalue, remove: () => job.remove() }));
  }

  async failed(limit: number): Promise<(SettledJob<D> & { reason: string })[]> {
    const jobs = (await this.queue.getFailed(0, limit - 1)) as Job<D, R>[];
    return jobs.map((job) => ({ id: job.id!, data: job.data, reason: job.failedReason, remove: () => job.remove() }));
  }

  async remove(id: string): Promise<void> {
    await this.queue.remove(id);
  }

  workers(): Promise<number> {
    return this.queue.getWorkersCount();
  }

  close(): Promise<void> {
    return this.queue.close();
  }

  disconnect(): void {
    void this.queue.disconnect().catch(() => undefined);
  }
}
