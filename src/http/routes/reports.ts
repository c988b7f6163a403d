/**
 * The run report of a finished segmentation job: `GET /jobs/{id}/report` — the same self-contained HTML
 * page as `waterline segment --report` (src/pipeline/runReport.ts), rendered from the job's stored result
 * and its scene. Pages are kept in a small LRU (a result never changes once the job succeeded).
 */
import type { Router } from 'express';
import { openImagery } from '../../adapters/raster/openScene.ts';
import { ConflictError } from '../../core/errors.ts';
import type { WaterCollection } from '../../core/vector/waterCollection.ts';
import { renderRunReport } from '../../pipeline/runReport.ts';
import type { AppContext } from '../appContext.ts';
import { Lru } from '../lru.ts';
import { problemResponses } from '../openapiDocument.ts';
import { findJob, noResult } from './jobs.ts';
import { findScene } from './scenes.ts';

export function registerRoutes(router: Router, ctx: AppContext): void {
  const pages = new Lru<string, string>(32 * 1024 * 1024, { weigh: (html) => html.length });
  router.get('/jobs/:id/report', async (req, res) => {
    const job = findJob(ctx, req.params.id);
    if (job.kind !== 'segment') throw new ConflictError('no_run_report', `job ${job.id} is a ${job.kind} job; run reports are made for segment jobs`);
    const geojson = job.state === 'succeeded' ? ctx.store.getResult(job.id) : undefined;
    if (!geojson) throw noResult(job);
    let html = pages.get(job.id);
    if (html === undefined) {
      const record = findScene(ctx, job.scene);
      const scene = await openImagery(record.path);
      try {
        html = await renderRunReport(scene, JSON.parse(geojson) as WaterCollection, { sceneName: record.name, clientText: ctx.clientText });
      } finally {
        await scene.close();
      }
      pages.set(job.id, html);
    }
    res.type('text/html; charset=utf-8').send(html);
  });
}

export const openapiPaths = {
  '/jobs/{id}/report': {
    get: {
      summary: "The job's run report: one self-contained HTML page (quicklook of the scene with the water, water area and polygon count, polygon-size and probability histograms, skipped and failed tiles with where they are, model, bands, threshold, timings, provenance) — the page `waterline segment --report` writes",
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      responses: {
        '200': { description: 'the report', content: { 'text/html': { schema: { type: 'string' } } } },
        '404': problemResponses['404'],
        '409': { description: 'the job has not succeeded yet, or is not a segment job', content: { 'application/problem+json': { schema: { type: 'object' } } } },
      },
    },
  },
};
