/**
 * Liveness and readiness: `/healthz` (the process answers) and `/readyz` (model loaded). Both say which
 * execution provider the default model runs on (`provider`: `cpu`, `cuda`, `webgpu`; null until it is
 * loaded) and which ones this onnxruntime-node build offers (`providers`), so an operator can tell at a
 * glance whether the GPU is used.
 */
import type { Router } from 'express';
import { onnxRuntimeVersion, usableProviderNames } from '../../adapters/onnx/onnxSession.ts';
import type { AppContext } from '../appContext.ts';
import type { BrokerState } from '../../pipeline/jobQueue.ts';
import { jsonResponse } from '../openapiDocument.ts';

/** Why queued jobs cannot move on (no broker, or a queue nobody takes), for an operator reading /readyz. */
function waiting(broker: BrokerState): { waiting?: string[] } {
  if (!broker.reachable) return { waiting: ['the Redis queue does not answer: jobs are stored and wait for it'] };
  const idle = broker.idleQueues.map((queue) => `no worker takes ${queue}: its jobs wait for one`);
  return idle.length ? { waiting: idle } : {};
}

export function registerRoutes(router: Router, ctx: AppContext): void {
  const providers = usableProviderNames();
  const onnxruntime = onnxRuntimeVersion();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', provider: ctx.segmenters.info?.provider ?? null, providers });
  });
  router.get('/readyz', async (_req, res) => {
    const info = ctx.segmenters.info;
    const [stats, broker] = await Promise.all([ctx.queue.stats(), ctx.queue.brokerState?.()]);
    // With workers (serve --queue): whether Redis answers and who takes each queue. Jobs are still accepted and
    // stored when it does not, or when no worker runs; they wait, and `waiting` says why.
    const jobs = broker ? { ...stats, broker, ...waiting(broker) } : stats;
    if (!info) {
      const failed = ctx.segmenters.loadError;
      res.status(503).json({ status: failed ? 'failed' : 'loading', model: null, provider: null, providers, onnxruntime, ...(failed ? { error: ctx.clientText(failed) } : {}), jobs });
      return;
    }
    res.json({
      status: 'ready',
      model: { name: info.name, kind: info.kind, inputSize: info.inputSize, provider: info.provider },
      provider: info.provider,
      providers,
      onnxruntime,
      jobs,
    });
  });
}

export const openapiPaths = {
  '/healthz': {
    get: {
      summary: 'Liveness; `provider` is the execution provider of the default model (null while it loads), `providers` those this build offers',
      responses: { '200': jsonResponse('the process is up') },
    },
  },
  '/readyz': {
    get: {
      summary: 'Readiness: the model is loaded; reports the execution provider in use and those available, and with workers (serve --queue) whether Redis answers, the workers on each queue and why jobs wait (`jobs.broker`, `jobs.waiting`)',
      responses: { '200': jsonResponse('ready'), '503': jsonResponse('model still loading or failed to load') },
    },
  },
};
