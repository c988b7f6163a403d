/**
 * Which broker queue a job's tile work goes to: by the weights that run, so a job naming the server's default model
 * in any of its spellings reaches the workers started without --model (and a worker named either way takes it).
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_UNET_VERSION } from '../../src/core/model/modelNames.ts';
import { jobQueueModel, queueModel, tileQueueName } from '../../src/pipeline/tileQueues.ts';
import { planSceneMismatch, type TilePlan } from '../../src/pipeline/tileWork.ts';

describe('tile queues', () => {
  it('key the default model by its weights, whatever the name', () => {
    for (const name of [null, undefined, 'auto', 'waterline-spectral', 'waterline-unet', DEFAULT_UNET_VERSION]) expect(queueModel(name)).toBe(DEFAULT_UNET_VERSION);
    expect(queueModel('waterline-unet5')).toBe('waterline-unet5');
    expect(queueModel('acme/paligemma-water')).toBe('acme/paligemma-water');
  });

  it('send a job to the queue of the workers that load its weights', () => {
    // a server without --model: no model, auto and the default's names share the queue of workers without --model
    const defaultWorkers = tileQueueName(queueModel(null));
    for (const job of [null, 'auto', 'waterline-unet', DEFAULT_UNET_VERSION]) expect(tileQueueName(jobQueueModel(job, undefined))).toBe(defaultWorkers);
    expect(tileQueueName(jobQueueModel('waterline-unet5', undefined))).toBe('tiles-waterline-unet5');
    // a server with --model: its default jobs go to the workers started with the same --model, in any spelling
    expect(tileQueueName(jobQueueModel(null, 'waterline-unet9'))).toBe(tileQueueName(queueModel('waterline-unet9')));
    expect(tileQueueName(jobQueueModel('auto', 'acme/paligemma-water'))).toBe('tiles-acme_paligemma-water');
    expect(tileQueueName(jobQueueModel(null, 'waterline-unet'))).toBe(tileQueueName(queueModel(undefined)));
  });
});

describe('a worker\'s plan against the registered scene', () => {
  const plan = (sceneSize?: { width: number; height: number }): TilePlan => ({ tileIds: ['r0c0'], tileSize: 224, segmenter: { name: 'm', kind: 'test', inputSize: 224, provider: 'cpu', usesPrompt: false }, sceneSize });
  it('names the size a worker saw when it is not the server\'s', () => {
    expect(planSceneMismatch({ width: 3000, height: 3000 }, plan({ width: 5000, height: 4000 }))).toBe('5000 x 4000 px (the server\'s is 3000 x 3000)');
    expect(planSceneMismatch({ width: 3000, height: 3000 }, plan({ width: 3000, height: 3000 }))).toBeUndefined();
    // a plan from a worker of the release before sceneSize, or a scene registered without info: nothing to compare
    expect(planSceneMismatch({ width: 3000, height: 3000 }, plan())).toBeUndefined();
    expect(planSceneMismatch(null, plan({ width: 1, height: 1 }))).toBeUndefined();
  });
});
