/** `/openapi.json`: the API description (also the OGC API – Features `service-desc`). */
import type { Router } from 'express';
import type { AppContext } from '../appContext.ts';
import { jsonResponse } from '../openapiDocument.ts';

export function registerRoutes(router: Router, ctx: AppContext): void {
  const body = JSON.stringify(ctx.openapi);
  router.get('/openapi.json', (_req, res) => {
    res.type('application/vnd.oai.openapi+json;version=3.0').send(body);
  });
}

export const openapiPaths = {
  '/openapi.json': { get: { summary: 'This OpenAPI 3 document', responses: { '200': jsonResponse('OpenAPI document', { type: 'object' }, 'application/vnd.oai.openapi+json;version=3.0') } } },
};
