/**
 * `waterline worker` that fails to start (a bad option, Redis refusing it) must not keep its inference
 * thread (the loaded model) running: the process would hang after printing the error.
 */
import { expect, it, vi } from 'vitest';
import { silentLogger } from '../../src/logger.ts';
import { startTileWorker } from '../../src/pipeline/tileWorker.ts';
import { bullmqWorkUnitConsumers } from '../../src/adapters/queue/bullmqWorkUnitConsumers.ts';
import { darkWaterModuleUrl } from '../http/fixtures/darkWaterModule.ts';

const workerThreads = (): number => (process.report.getReport() as unknown as { workers: unknown[] }).workers.length;

it('a worker whose BullMQ worker cannot be created closes its inference thread', async () => {
  const before = workerThreads();
  // BullMQ connects in the constructor before it checks the options: one refused attempt, which it prints
  const quiet = vi.spyOn(console, 'error').mockImplementation(() => undefined);
  await expect(startTileWorker({
    units: bullmqWorkUnitConsumers({ connection: { host: '127.0.0.1', port: 1, retryStrategy: () => null }, logger: silentLogger }),
    model: null,
    segmenter: { module: darkWaterModuleUrl, options: {} },
    maxStalledCount: -1, // BullMQ's Worker constructor refuses it, after the model has loaded
    logger: silentLogger,
  })).rejects.toThrow(/maxStalledCount/);
  expect(workerThreads()).toBe(before);
  await new Promise((r) => setTimeout(r, 200));
  quiet.mockRestore();
}, 30_000);
