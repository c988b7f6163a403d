/**
 * The Waterline HTTP app (express 5). `createApp(deps)` builds it from injected dependencies so tests run
 * it in-process on port 0; `startServer` (src/http/server.ts) adds listening and graceful shutdown.
 *
 * Order: request id + log → CORS → API key on writes → minimum body rate → JSON body parser (size-limited) → route modules →
 * 404 → problem+json error mapping.
 */
import express, { type Express } from 'express';
import { NotFoundError, WaterlineError } from '../core/errors.ts';
import { allowedMethods, methodTable } from './allowedMethods.ts';
import { realDataDir } from './dataDir.ts';
import { problemHandler } from './problem.ts';
import { requestLog } from './requestLog.ts';
import { cors, requireApiKey } from './security.ts';
import { bodyRateLimit } from './bodyRate.ts';
import { createClientText } from './clientText.ts';
import { buildOpenApiDocument } from './openapiDocument.ts';
import type { AppContext, AppDeps, RouteModule } from './appContext.ts';

/**
 * Every route module, one per resource, in the order they are matched. Adding a resource is one line
 * here: `() => import('./routes/<name>.ts')`, a module exporting `registerRoutes(router, ctx)` and,
 * optionally, `openapiPaths` (merged into /openapi.json).
 * Part B (tiles, on-demand segmentation, viewer): add `tiles.ts`, `onDemand.ts`, `viewer.ts` here.
 */
const routeModules: (() => Promise<RouteModule>)[] = [
  () => import('./routes/health.ts'),
  () => import('./routes/models.ts'),
  () => import('./routes/openapi.ts'),
  () => import('./routes/scenes.ts'),
  () => import('./routes/jobs.ts'),
  () => import('./routes/reports.ts'),
  () => import('./routes/ogcFeatures.ts'),
  () => import('./routes/tiles.ts'),
  () => import('./routes/onDemand.ts'),
  () => import('./routes/viewer.ts'),
];

export async function createApp(deps: AppDeps): Promise<Express> {
  const modules = await Promise.all(routeModules.map((load) => load()));
  const dataRoot = realDataDir(deps.config.dataDir);
  const ctx: AppContext = {
    ...deps,
    dataRoot,
    openapi: buildOpenApiDocument(Object.assign({}, ...modules.map((m) => m.openapiPaths ?? {}))),
    clientText: createClientText({ dataDirs: [dataRoot, deps.config.dataDir], serverDirs: deps.models.modelsDir ? [deps.models.modelsDir] : [] }),
  };

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.set('query parser', 'simple');
  app.use(requestLog(deps.logger));
  app.use(cors(deps.config.corsOrigins));
  app.use(requireApiKey(deps.config.apiKey));
  app.use(bodyRateLimit({ minBytesPerSecond: deps.config.minBodyBytesPerSecond, graceMs: deps.config.bodyGraceMs }));
  app.use(express.json({ limit: deps.config.maxJsonBytes, type: ['application/json', 'application/*+json'] }));

  const router = express.Router();
  for (const m of modules) m.registerRoutes(router, ctx);
  app.use(router);

  const methods = methodTable((ctx.openapi as { paths: Record<string, unknown> }).paths);
  app.use((req, res, next) => {
    const allow = allowedMethods(methods, req.path);
    if (allow && !allow.includes(req.method)) {
      res.setHeader('Allow', allow.join(', '));
      next(new WaterlineError('method_not_allowed', `${req.method} is not allowed on ${req.path}; it takes ${allow.join(', ')}`, 405, { hint: 'see /openapi.json for the API' }));
      return;
    }
    next(new NotFoundError('not_found', `no resource at ${req.method} ${req.path}`, { hint: 'see /openapi.json for the API' }));
  });
  app.use(problemHandler(deps.logger, ctx.clientText));
  return app;
}
