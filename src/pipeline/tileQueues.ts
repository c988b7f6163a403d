/**
 * Which broker queue a model's tile work goes to. Queues are keyed by the **weights** that run, so a job
 * reaches the workers that load them whatever name it uses: `waterline-unet`, its version
 * (`waterline-unet11`), `auto` and no model at all on a server without `--model` all mean the same weights
 * and the same queue, and a worker started with any of those names takes that queue. A worker whose default is
 * another version (a later release) takes another queue, since its weights would give other tiles. Upgrading from
 * the release before (queues `tiles-default`, `tiles-waterline-unet`): upgrade the server and the workers together;
 * the server still collects and removes units left in the old queues (DistributedJobQueue's legacy queues).
 */
import { DEFAULT_UNET_VERSION, builtinUnetVersion, usesDefaultLearnedModel } from '../core/model/modelNames.ts';

/** The weights a model name runs, as queues are keyed: a built-in U-Net name → its version; no name → the default U-Net. */
export function queueModel(model: string | null | undefined): string {
  if (usesDefaultLearnedModel(model)) return DEFAULT_UNET_VERSION;
  return builtinUnetVersion(model) ?? model;
}

/** The queue model of a job: its learned model, the server's (`serverModel`: its --model) for `auto` or none. */
export function jobQueueModel(jobModel: string | null, serverModel: string | undefined): string {
  return queueModel(usesDefaultLearnedModel(jobModel) ? serverModel : jobModel);
}

/** The broker queue of a queue model (workers listen on the queue of the model they loaded). */
export function tileQueueName(model: string): string {
  return `tiles-${model.replace(/[^A-Za-z0-9._-]/g, '_')}`;
}
