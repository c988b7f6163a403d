/**
 * Segmentation jobs: create (202 + Location), show with progress, list, cancel, and the result GeoJSON.
 * Jobs live in the store; the queue runs them.
 */
import { BandRoleError, parseBandRoles } from '../../core/bands/bandRoles.ts';
import type { Router } from 'express';
import { ConflictError, InputError, NotFoundError, WaterlineError } from '../../core/errors.ts';
import { JOB_KIND_SCENES, JOB_STATES, type JobKind, type JobRecord, type SceneRecord } from '../../core/jobRecords.ts';
import type { AppContext } from '../appContext.ts';
import { createJobBody, idSchema, listJobsQuery, parseInput } from '../validation.ts';
import { maxOverlap } from '../../core/grid/tileGrid.ts';
import { BUILTIN_MODEL_TILE_SIZE, isBuiltinModelName } from '../../core/model/modelNames.ts';
import { jsonResponse, problemResponses } from '../openapiDocument.ts';

export const DEFAULT_PROMPT = 'segment water';

/** A job as clients see it; `clientText` filters its error (no server paths or CLI flags). */
export function jobBody(job: JobRecord, clientText: (text: string) => string = (t) => t): Record<string, unknown> {
  const links: { rel: string; href: string; type?: string }[] = [
    { rel: 'self', href: `/jobs/${job.id}` },
    ...job.scenes.map((id) => ({ rel: 'scene', href: `/scenes/${id}` })),
  ];
  if (job.state === 'succeeded') {
    links.push({ rel: 'water', href: `/jobs/${job.id}/water.geojson`, type: 'application/geo+json' });
    links.push({ rel: 'collection', href: `/ogc/collections/water-${job.id}`, type: 'application/json' });
    if (job.kind === 'segment') links.push({ rel: 'report', href: `/jobs/${job.id}/report`, type: 'text/html' });
  }
  return {
    id: job.id,
    kind: job.kind,
    scene: job.scene,
    scenes: job.scenes,
    prompt: job.prompt,
    model: job.model,
    options: job.options,
    state: job.state,
    progress: job.progress,
    ...(job.error ? { error: clientText(job.error) } : {}),
    createdAt: job.createdAt,
    updatedAt: job.updatedAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    links,
  };
}

/** Why a job has no result to serve: not yet (poll), or never (it failed or was cancelled). */
export function noResult(job: JobRecord): ConflictError {
  if (job.state === 'queued' || job.state === 'running') {
    return new ConflictError('job_not_succeeded', `job ${job.id} has no result yet (state: ${job.state})`, { hint: 'poll GET /jobs/{id} until state is succeeded' });
  }
  return new ConflictError('job_not_succeeded', `job ${job.id} ${job.state === 'failed' ? 'failed' : `was ${job.state}`} and has no result`, {
    hint: job.state === 'failed' ? 'GET /jobs/{id} gives its error; fix that and submit the job again' : 'submit the job again to get one',
  });
}

export function findJob(ctx: AppContext, id: string): JobRecord {
  const job = idSchema.safeParse(id).success ? ctx.store.getJob(id) : undefined;
  if (!job) throw new NotFoundError('job_not_found', `job ${id} does not exist`, { hint: 'list jobs with GET /jobs' });
  return job;
}

/** WGS84 bounding box of a registered scene (from its stored `info`), or null when unknown. */
function sceneLonLatBox(scene: SceneRecord): [number, number, number, number] | null {
  const ring = (scene.info as { wgs84Extent?: { coordinates?: number[][][] } } | null)?.wgs84Extent?.coordinates?.[0];
  if (!Array.isArray(ring) || ring.length === 0) return null;
  const lons = ring.map((p) => p[0]);
  const lats = ring.map((p) => p[1]);
  return [Math.min(...lons), Math.min(...lats), Math.max(...lons), Math.max(...lats)];
}

/** The kind and scenes of a job body; every scene registered, the count right for the kind, change scenes overlapping. */
function jobScenes(ctx: AppContext, body: { kind?: JobKind; scene?: string; scenes?: string[] }): { kind: JobKind; scenes: SceneRecord[] } {
  if ((body.scene === undefined) === (body.scenes === undefined)) {
    throw new InputError('invalid_request', 'a job body names its scenes with either "scene" (one scene) or "scenes" (a list), not both and not neither', {
      hint: 'e.g. {"scene": "<id>"} or {"kind": "change", "scenes": ["<date A id>", "<date B id>"]}',
    });
  }
  const ids = body.scenes ?? [body.scene!];
  const kind = body.kind ?? 'segment';
  if (ids.length !== JOB_KIND_SCENES[kind]) {
    throw new InputError('invalid_request', `a ${kind} job takes ${JOB_KIND_SCENES[kind]} scene(s), got ${ids.length}`, {
      hint: kind === 'change' ? 'pass "scenes": [date A, date B]' : 'pass one "scene"',
    });
  }
  const scenes = ids.map((id) => {
    const scene = idSchema.safeParse(id).success ? ctx.store.getScene(id) : undefined;
    if (!scene) throw new InputError('unknown_scene', `scene ${id} is not registered`, { hint: 'register or upload it with POST /scenes first' });
    return scene;
  });
  if (kind === 'change') {
    const [a, b] = scenes.map(sceneLonLatBox);
    if (a && b && (a[2] < b[0] || b[2] < a[0] || a[3] < b[1] || b[3] < a[1])) {
      throw new InputError('scenes_do_not_overlap', `${scenes[0].name} and ${scenes[1].name} do not overlap: there is nothing to compare`, {
        hint: 'pass two images of the same place (any CRS and resolution)',
      });
    }
  }
  return { kind, scenes };
}

/**
 * An overlap the job's model cannot tile with is refused at submission when the model's tile size is known
 * without loading anything: a built-in model's, or the loaded default's. Otherwise (a cached PaliGemma not yet
 * loaded, the default still loading) the job itself stops with the same rule's message.
 */
function checkOverlap(ctx: AppContext, model: string | null, overlap: number | undefined): void {
  if (overlap === undefined) return;
  const tileSize = model === null ? ctx.segmenters.info?.inputSize : isBuiltinModelName(model) ? BUILTIN_MODEL_TILE_SIZE : undefined;
  if (tileSize === undefined || overlap <= maxOverlap(tileSize)) return;
  throw new InputError('bad_overlap', `options.overlap ${overlap} is too large: the model reads ${tileSize} px tiles, and an overlap must be less than half a tile`, {
    hint: `use an overlap between 0 and ${maxOverlap(tileSize)}, or leave it out for the model's own`,
  });
}

export function registerRoutes(router: Router, ctx: AppContext): void {
  router.post('/jobs', async (req, res) => {
    if (!req.is('application/json')) throw new WaterlineError('unsupported_media_type', 'POST /jobs takes a JSON body {"scene": ...}', 415);
    const body = parseInput(createJobBody, req.body, 'job body');
    const { kind, scenes } = jobScenes(ctx, body);
    if (ctx.queue.jobKinds && !ctx.queue.jobKinds.includes(kind)) {
      throw new WaterlineError('job_kind_unavailable', `${kind} jobs do not run on this server's workers yet (its jobs run on Redis workers)`, 501, {
        hint: `submit ${kind} jobs to a server that runs jobs itself (started without a queue)`,
      });
    }
    for (const scene of scenes) {
      const bandCount = (scene.info as { bands?: unknown[] } | null)?.bands?.length;
      const badBand = bandCount ? body.options?.bands?.find((b) => b > bandCount) : undefined;
      if (badBand !== undefined) {
        throw new InputError('bad_bands', `options.bands: band ${badBand} does not exist in scene ${scene.id} (it has ${bandCount})`, { hint: `use bands between 1 and ${bandCount}` });
      }
      if (bandCount && body.options?.bandRoles) {
        try {
          parseBandRoles(body.options.bandRoles, bandCount);
        } catch (err) {
          if (!(err instanceof BandRoleError)) throw err;
          throw new InputError('bad_band_roles', `options.bandRoles for scene ${scene.id}: ${err.message}`, { hint: 'e.g. "green=2,nir=4,swir1=5" (GET /scenes/{id} lists the bands and their roles)' });
        }
      }
    }
    const model = ctx.models.resolve(body.model);
    checkOverlap(ctx, model, body.options?.overlap);
    const { queued } = await ctx.queue.stats();
    if (queued >= ctx.config.maxQueuedJobs) {
      res.setHeader('Retry-After', '30');
      throw new WaterlineError('queue_full', `the job queue is full (${queued} jobs waiting)`, 503, { hint: 'retry later' });
    }
    const job = ctx.store.createJob({
      kind,
      scene: scenes[0].id,
      scenes: scenes.map((s) => s.id),
      prompt: body.prompt ?? DEFAULT_PROMPT,
      model,
      options: body.options ?? {},
    });
    await ctx.queue.enqueue(job.id);
    res.status(202).location(`/jobs/${job.id}`).json(jobBody(ctx.store.getJob(job.id) ?? job, ctx.clientText));
  });

  router.get('/jobs', (req, res) => {
    const query = parseInput(listJobsQuery, req.query, 'query');
    res.json({ jobs: ctx.store.listJobs(query).map((j) => jobBody(j, ctx.clientText)) });
  });

  router.get('/jobs/:id', (req, res) => {
    res.json(jobBody(findJob(ctx, req.params.id), ctx.clientText));
  });

  const cancel = async (id: string): Promise<JobRecord> => {
    const job = findJob(ctx, id);
    const cancelled = await ctx.queue.cancel(job.id);
    if (!cancelled) throw new ConflictError('job_finished', `job ${job.id} has already ${job.state === 'succeeded' ? 'succeeded' : `ended (${job.state})`} and cannot be cancelled`);
    return cancelled;
  };
  router.post('/jobs/:id/cancel', async (req, res) => {
    res.json(jobBody(await cancel(req.params.id), ctx.clientText));
  });
  router.delete('/jobs/:id', async (req, res) => {
    res.json(jobBody(await cancel(req.params.id), ctx.clientText));
  });

  router.get('/jobs/:id/water.geojson', (req, res) => {
    const job = findJob(ctx, req.params.id);
    const geojson = job.state === 'succeeded' ? ctx.store.getResult(job.id) : undefined;
    if (!geojson) throw noResult(job);
    res.type('application/geo+json').send(geojson);
  });
}

const idParam = [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }];
const jobSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    kind: { type: 'string', enum: ['segment', 'change'] },
    scene: { type: 'string', description: 'the first of scenes' },
    scenes: { type: 'array', items: { type: 'string' }, description: 'one scene (segment), or date A then date B (change)' },
    prompt: { type: 'string' },
    state: { type: 'string', enum: [...JOB_STATES] },
    progress: {
      type: 'object',
      properties: {
        tilesDone: { type: 'integer' }, tilesTotal: { type: 'integer' }, tilesSkipped: { type: 'integer' },
        tilesFailed: { type: 'integer' }, tilesPerSecond: { type: 'number' }, etaSeconds: { type: 'number', nullable: true },
      },
    },
    error: { type: 'string' },
  },
};
const writeSecurity = [{}, { apiKey: [] }, { bearer: [] }];

export const openapiPaths = {
  '/jobs': {
    get: {
      summary: 'List jobs',
      parameters: [{ name: 'state', in: 'query', required: false, schema: { type: 'string' } }],
      responses: { '200': jsonResponse('jobs', { type: 'object', properties: { jobs: { type: 'array', items: jobSchema } } }) },
    },
    post: {
      summary: 'Start a job: segment one scene ({"scene"}), or map water change between two ({"kind": "change", "scenes": [A, B]})',
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              properties: {
                kind: { type: 'string', enum: ['segment', 'change'], default: 'segment' },
                scene: { type: 'string', description: 'a segment job\'s scene (or use scenes)' },
                scenes: { type: 'array', items: { type: 'string' }, minItems: 1, maxItems: 2, description: 'change: [date A, date B] (polygons on A\'s grid)' },
                prompt: { type: 'string' }, model: { type: 'string' },
                options: { type: 'object', properties: { threshold: { type: 'number' }, minArea: { type: 'number' }, simplify: { type: 'number' }, overlap: { type: 'integer' }, bands: { type: 'array', items: { type: 'integer' } } } },
              },
            },
          },
        },
      },
      security: writeSecurity,
      responses: { '202': { ...jsonResponse('the job, queued', jobSchema), headers: { Location: { schema: { type: 'string' } } } }, ...problemResponses },
    },
  },
  '/jobs/{id}': {
    get: { summary: 'One job with its progress', parameters: idParam, responses: { '200': jsonResponse('the job', jobSchema), '404': problemResponses['404'] } },
    delete: { summary: 'Cancel a job', parameters: idParam, security: writeSecurity, responses: { '200': jsonResponse('the cancelled job', jobSchema), '404': problemResponses['404'] } },
  },
  '/jobs/{id}/cancel': {
    post: { summary: 'Cancel a queued or running job', parameters: idParam, security: writeSecurity, responses: { '200': jsonResponse('the cancelled job', jobSchema), '404': problemResponses['404'] } },
  },
  '/jobs/{id}/water.geojson': {
    get: { summary: "The job's water polygons (RFC 7946)", parameters: idParam, responses: { '200': jsonResponse('FeatureCollection', { type: 'object' }, 'application/geo+json'), '404': problemResponses['404'] } },
  },
};
