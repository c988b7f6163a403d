/**
 * What distributed jobs ask of a message broker, declared with its consumers so neither depends on one:
 * the server's DistributedJobQueue adds work units to a named queue and collects their results
 * (`WorkUnitQueues`), a `waterline worker` (tileWorker.ts) takes units of one queue and answers them
 * (`WorkUnitConsumers`). The implementation is BullMQ on Redis (src/adapters/queue/), wired where the
 * server and the worker start (src/http/server.ts, src/cli/workerCommand.ts).
 *
 * The broker only holds work in flight: a unit id is unique in its queue (adding one that exists is a
 * no-op), a unit stays in the completed / failed set with its result until the collector removes it, and a
 * unit whose worker dies (its lease not renewed) is handed to another worker.
 */

/** A unit to add to a queue. */
export interface WorkUnit<D> {
  /** Unique in the queue: adding an id that exists leaves the unit as it is. */
  id: string;
  /** What kind of unit it is (for the broker's tools). */
  name: string;
  data: D;
}

/** A unit that left the workers: its data and how to drop it from the broker once collected. */
export interface SettledUnit<D> {
  id: string;
  data: D;
  remove(): Promise<void>;
}

export interface CompletedUnit<D, R> extends SettledUnit<D> {
  /** What the worker returned. */
  result: R;
}

export interface FailedUnit<D> extends SettledUnit<D> {
  /** The worker's error message (of the last attempt). */
  reason: string;
}

/** The producer side of one named queue. */
export interface WorkUnitQueue<D, R> {
  add(units: WorkUnit<D>[]): Promise<void>;
  /** Up to `limit` completed units, oldest first. */
  completed(limit: number): Promise<CompletedUnit<D, R>[]>;
  /** Up to `limit` units that failed on every attempt. */
  failed(limit: number): Promise<FailedUnit<D>[]>;
  /** Remove a waiting or settled unit (a unit being computed finishes; nothing happens for an unknown id). */
  remove(id: string): Promise<void>;
  /** How many workers take units of this queue now. */
  workers(): Promise<number>;
  /** Close gracefully (may wait for the broker). */
  close(): Promise<void>;
  /** Drop the connection now (after close() gave up waiting). */
  disconnect(): void;
}

export interface WorkUnitQueueOptions {
  /** Times a unit that throws is tried before it fails. */
  attempts: number;
  /** Wait between two attempts. */
  retryDelayMs: number;
}

/** Opens the producer side of named queues (the server: one queue per model). */
export interface WorkUnitQueues {
  open<D, R>(name: string, options: WorkUnitQueueOptions): WorkUnitQueue<D, R>;
}

export interface WorkUnitConsumerOptions {
  /** Units processed at once. */
  concurrency: number;
  /** A unit's lease lives this long without renewal before another worker may take it. */
  lockDurationMs: number;
  /** How often this consumer looks for units whose worker died. */
  stalledIntervalMs: number;
  /** Times a unit may lose its worker before it fails. */
  maxStalledCount: number;
  /** How long close() waits for a broker that does not answer before it disconnects (the unit in flight goes to another worker). */
  closeWaitMs?: number;
}

/** A consumer taking units; close() stops taking them and lets the ones in flight finish and be reported. */
export interface WorkUnitConsumer {
  close(): Promise<void>;
}

/**
 * What a processor throws for a unit that would fail the same way on every attempt and on every worker (the
 * job's own input: bands, roles, a model the scene cannot run): the broker fails the unit at once instead of
 * trying it again. A worker's own trouble (a scene it cannot read) is an ordinary error, tried again.
 * Recognised by its `permanent` flag (the broker adapter does not import pipeline code).
 */
export class PermanentUnitError extends Error {
  readonly permanent = true;
}

/** The worker side: take units of a named queue and answer each with `process`'s result (a throw fails the attempt). */
export interface WorkUnitConsumers {
  /** Resolves once the consumer is connected and taking units; rejects (having closed it) when it cannot start. */
  consume<D, R>(name: string, process: (unit: { id: string; data: D }) => Promise<R>, options: WorkUnitConsumerOptions): Promise<WorkUnitConsumer>;
}
