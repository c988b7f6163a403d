/**
 * The distributed job queue against an in-memory broker: units left in the previous release's queues
 * (`tiles-default`, `tiles-waterline-unet`) when the server was upgraded are still collected into the job and
 * removed from the broker; a job whose queue has no worker is logged once, naming the worker to start.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { JobStore } from '../../src/adapters/store/jobStore.ts';
import type { Logger } from '../../src/logger.ts';
import { silentLogger } from '../../src/logger.ts';
import { DistributedJobQueue, type WorkUnitData, type WorkUnitResult } from '../../src/pipeline/distributedJobQueue.ts';
import type { CompletedUnit, FailedUnit, WorkUnit, WorkUnitQueue, WorkUnitQueues } from '../../src/pipeline/workUnitBroker.ts';
import type { TilePlan, TileUnitResult } from '../../src/pipeline/tileWork.ts';
import { waitFor } from '../http/serverHarness.ts';

type Units = WorkUnitQueue<WorkUnitData, WorkUnitResult>;

/** One in-memory queue: added units wait; `complete` settles one with a result, as a worker would. */
class MemoryQueue implements Units {
  waiting = new Map<string, WorkUnit<WorkUnitData>>();
  done = new Map<string, { data: WorkUnitData; result: WorkUnitResult }>();
  workerCount = 0;
  async add(units: WorkUnit<WorkUnitData>[]): Promise<void> {
    for (const u of units) if (!this.waiting.has(u.id) && !this.done.has(u.id)) this.waiting.set(u.id, u);
  }
  complete(id: string, data: WorkUnitData, result: WorkUnitResult): void {
    this.waiting.delete(id);
    this.done.set(id, { data, result });
  }
  async completed(limit: number): Promise<CompletedUnit<WorkUnitData, WorkUnitResult>[]> {
    return [...this.done].slice(0, limit).map(([id, u]) => ({ id, data: u.data, result: u.result, remove: async () => void this.done.delete(id) }));
  }
  async failed(): Promise<FailedUnit<WorkUnitData>[]> {
    return [];
  }
  async remove(id: string): Promise<void> {
    this.waiting.delete(id);
    this.done.delete(id);
  }
  async workers(): Promise<number> {
    return this.workerCount;
  }
  async close(): Promise<void> {}
  disconnect(): void {}
}

const dataDir = mkdtempSync(join(tmpdir(), 'waterline-legacy-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function setup(logger: Logger = silentLogger) {
  const queues = new Map<string, MemoryQueue>();
  const units: WorkUnitQueues = {
    open: <D, R>(name: string) => {
      if (!queues.has(name)) queues.set(name, new MemoryQueue());
      return queues.get(name)! as unknown as WorkUnitQueue<D, R>;
    },
  };
  const store = JobStore.open(mkdtempSync(join(dataDir, 'store-')));
  const finished: string[] = [];
  const queue = new DistributedJobQueue({
    store, units, logger, pollMs: 10, reconcileMs: 50,
    finisher: { run: async (jobId) => { finished.push(jobId); store.transitionJob(jobId, ['queued', 'running'], 'succeeded'); return 'succeeded'; } },
  });
  const scene = store.insertScene({ name: 's.tif', path: join(dataDir, 's.tif'), info: { width: 300, height: 200 } });
  return { queues, store, queue, scene, finished };
}

const plan: TilePlan = { tileIds: ['r0c0', 'r0c1'], tileSize: 224, segmenter: { name: 'm', kind: 'test', inputSize: 224, provider: 'cpu', usesPrompt: false }, sceneSize: { width: 300, height: 200 } };
const tiles = (ids: string[]): TileUnitResult => ({ tiles: ids.map((tileId) => ({ tileId, probability: Buffer.alloc(224 * 224, 200).toString('base64'), defects: [] })), skipped: [], failed: [], segmenter: plan.segmenter });

describe('the distributed job queue, upgraded', () => {
  it('collects units left in the previous release\'s queues into the job and removes them', async () => {
    const { queues, store, queue, scene, finished } = setup();
    try {
      const job = store.createJob({ scene: scene.id, prompt: '', model: null, options: {} });
      store.putPlan(job.id, plan);
      store.transitionJob(job.id, ['queued'], 'running');
      await queue.enqueue(job.id);
      // the new release adds its units under the weights' queue
      await waitFor(async () => (queues.get('tiles-waterline-unet11')?.waiting.size ? true : undefined), 'units under tiles-waterline-unet11');
      // an old worker finished the job's tiles under the old queue name, before the upgrade
      const legacy = queues.get('tiles-default')!;
      const spec = { jobId: job.id, scenePath: scene.path, sceneName: scene.name, model: 'default', jobModel: null, prompt: '', options: {} };
      legacy.complete('old-unit', { kind: 'tiles', unit: { ...spec, from: 0, to: 2, tileIds: plan.tileIds } }, tiles(plan.tileIds));
      await waitFor(async () => (finished.includes(job.id) ? true : undefined), 'the job to be finished from the old queue\'s tiles');
      expect(store.countTiles(job.id)).toBe(2);
      expect(legacy.done.size).toBe(0);
    } finally {
      await queue.close();
      store.close();
    }
  });

  it('logs once when no worker takes a job\'s queue, naming the worker to start', async () => {
    const lines: { fields: Record<string, unknown>; msg: string }[] = [];
    const logger = { ...silentLogger, warn: (fields: Record<string, unknown>, msg: string) => void lines.push({ fields, msg }) } as unknown as Logger;
    const { store, queue, scene } = setup(logger);
    try {
      const job = store.createJob({ scene: scene.id, prompt: '', model: 'waterline-unet5', options: {} });
      await queue.enqueue(job.id);
      const realNow = Date.now;
      Date.now = () => realNow() + 20_000; // past the 15 s a job may wait for its plan unremarked
      try {
        await waitFor(async () => (lines.length ? true : undefined), 'the warning');
        await new Promise((r) => setTimeout(r, 200));
      } finally {
        Date.now = realNow;
      }
      expect(lines).toHaveLength(1);
      expect(lines[0].fields).toMatchObject({ job: job.id, queue: 'tiles-waterline-unet5' });
      expect(lines[0].msg).toContain('waterline worker --model waterline-unet5');
    } finally {
      await queue.close();
      store.close();
    }
  });
});
