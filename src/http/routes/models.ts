/** `GET /models`: the model names a job or an on-demand request may ask for (built-ins and the models cache). */
import type { Router } from 'express';
import { DEFAULT_MODEL_NAME } from '../../core/model/modelNames.ts';
import type { AppContext } from '../appContext.ts';
import { jsonResponse } from '../openapiDocument.ts';

export function registerRoutes(router: Router, ctx: AppContext): void {
  router.get('/models', (_req, res) => {
    res.json({ models: ctx.models.names(), default: DEFAULT_MODEL_NAME, defaultModel: ctx.segmenters.info?.name ?? null });
  });
}

export const openapiPaths = {
  '/models': {
    get: {
      summary: 'Model names a job (`model`) or an on-demand request (`?model=`) may use; `auto` is the server default',
      responses: { '200': jsonResponse('model names', { type: 'object', properties: { models: { type: 'array', items: { type: 'string' } }, default: { type: 'string' }, defaultModel: { type: 'string', nullable: true } } }) },
    },
  },
};
