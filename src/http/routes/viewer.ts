/**
 * The map viewer: `GET /` serves src/http/public/index.html (MapLibre GL, scenes, water layer, job
 * progress, a button to start a job); `/viewer/*` its script and style; `/viewer/maplibre/*` the
 * maplibre-gl distribution straight from node_modules (no CDN: the viewer works offline).
 */
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { type Router } from 'express';
import type { AppContext } from '../appContext.ts';

const publicDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'public');
const maplibreDist = join(dirname(createRequire(import.meta.url).resolve('maplibre-gl/package.json')), 'dist');

export function registerRoutes(router: Router, _ctx: AppContext): void {
  router.get(['/', '/index.html'], (_req, res) => {
    res.set('Cache-Control', 'no-cache');
    res.sendFile(join(publicDir, 'index.html'));
  });
  router.use('/viewer/maplibre', express.static(maplibreDist, { maxAge: '1d', index: false, fallthrough: true }));
  router.use('/viewer', express.static(publicDir, { maxAge: 0, index: false, fallthrough: true }));
}

export const openapiPaths = {
  '/': { get: { summary: 'The map viewer (HTML page)', responses: { '200': { description: 'HTML', content: { 'text/html': {} } } } } },
};
