/**
 * Liveness and readiness: `/healthz` (the process answers) and `/readyz` (model loaded). Both say which
 * execution provider the default model runs on (`provider`: `cpu`, `cuda`, `webgpu`; null until it is
 * loaded) and which ones this onnxruntime-node build offers (`providers`), so an operator can tell at a
 * glance whether the GPU is used.
 */
import type { Router } from 'express';
import { onnxRuntimeVersion, usableProviderNames } from '../../adapters/onnx/onnxSession.ts';
import type { AppContext } from '../appContext.ts';
import { jsonResponse } from '../openapiDocument.ts';

export function registerRoutes(router: Router, ctx: AppContext): void {
  const providers = usableProviderNames();
  const onnxruntime = onnxRuntimeVersion();
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok', provider: ctx.segmenters.info?.provider ?? null, providers });
  });
  router.get('/readyz', async (_req, res) => {
    const info = ctx.segmenters.info;
    const jobs = await ctx.queue.stats();
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
      summary: 'Readiness: the model is loaded; reports the execution provider in use and those available',
      responses: { '200': jsonResponse('ready'), '503': jsonResponse('model still loading or failed to load') },
    },
  },
};
