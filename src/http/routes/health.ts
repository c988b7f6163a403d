/** Liveness and readiness: `/healthz` (the process answers) and `/readyz` (model loaded, provider in use). */
import type { Router } from 'express';
import type { AppContext } from '../appContext.ts';
import { jsonResponse } from '../openapiDocument.ts';

export function registerRoutes(router: Router, ctx: AppContext): void {
  router.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  router.get('/readyz', (_req, res) => {
    const info = ctx.segmenters.info;
    const jobs = ctx.queue.stats();
    if (!info) {
      const failed = ctx.segmenters.loadError;
      res.status(503).json({ status: failed ? 'failed' : 'loading', model: null, ...(failed ? { error: failed } : {}), jobs });
      return;
    }
    res.json({
      status: 'ready',
      model: { name: info.name, kind: info.kind, inputSize: info.inputSize, provider: info.provider },
      jobs,
    });
  });
}

export const openapiPaths = {
  '/healthz': { get: { summary: 'Liveness', responses: { '200': jsonResponse('the process is up') } } },
  '/readyz': {
    get: {
      summary: 'Readiness: the model is loaded; reports the execution provider in use',
      responses: { '200': jsonResponse('ready'), '503': jsonResponse('model still loading or failed to load') },
    },
  },
};
