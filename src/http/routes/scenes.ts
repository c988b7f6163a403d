/**
 * Scenes: register a GeoTIFF already inside the data directory (`POST /scenes {path}`), or upload one
 * (`POST /scenes?name=x.tif`, raw `image/tiff` body streamed to disk under a size limit, validated with
 * the raster adapter before it is accepted and deleted when it is not); list and show them.
 */
import { createWriteStream, mkdirSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Request, Response, Router } from 'express';
import { InputError, NotFoundError, TooLargeError, WaterlineError } from '../../core/errors.ts';
import type { SceneRecord } from '../../core/jobRecords.ts';
import type { AppContext } from '../appContext.ts';
import { UPLOADS_SUBDIR, resolveInsideDataDir } from '../dataDir.ts';
import { concurrencyLimit } from '../security.ts';
import { claimBodyTimeout } from '../bodyRate.ts';
import { idSchema, parseInput, registerSceneBody, uploadSceneQuery } from '../validation.ts';
import { jsonResponse, problemResponses } from '../openapiDocument.ts';

const TIFF_TYPES = ['image/tiff', 'image/tif', 'application/octet-stream'];

/** The public view of a scene: no server paths. */
export function sceneBody(scene: SceneRecord): Record<string, unknown> {
  const info = scene.info && typeof scene.info === 'object' ? { ...(scene.info as Record<string, unknown>) } : scene.info;
  // The report names the file it was read from; show the data-directory-relative name, not a server path.
  for (const key of ['source', 'description']) {
    if (info && typeof info === 'object' && key in info) (info as Record<string, unknown>)[key] = scene.name;
  }
  return {
    id: scene.id,
    name: scene.name,
    info,
    createdAt: scene.createdAt,
    links: [{ rel: 'self', href: `/scenes/${scene.id}` }],
  };
}

export function findScene(ctx: AppContext, id: string): SceneRecord {
  const scene = idSchema.safeParse(id).success ? ctx.store.getScene(id) : undefined;
  if (!scene) throw new NotFoundError('scene_not_found', `scene ${id} does not exist`, { hint: 'list scenes with GET /scenes' });
  return scene;
}

/**
 * Admit a scene: its structure within the server's limits (--max-scene-pixels, --max-scene-blocks), then
 * readable and georeferenced. Errors name the scene as the client knows it (`name`), never the server path.
 */
async function inspect(ctx: AppContext, path: string, name: string): Promise<unknown> {
  try {
    return await ctx.inspectScene(path, { maxPixels: ctx.config.maxScenePixels, maxBlocks: ctx.config.maxSceneBlocks });
  } catch (err) {
    const named = (text: string): string => text.split(path).join(name);
    if (err instanceof WaterlineError && err.status < 500) {
      throw new WaterlineError(err.code, named(err.message), err.status, { hint: err.hint, cause: err });
    }
    throw new InputError('invalid_scene', `${name} could not be read as a georeferenced GeoTIFF: ${named((err as Error).message)}`, { hint: 'upload a GeoTIFF or COG with a geotransform and a CRS', cause: err });
  }
}

async function registerExisting(ctx: AppContext, req: Request, res: Response): Promise<void> {
  if (!req.is('application/json')) {
    throw new WaterlineError('unsupported_media_type', 'POST /scenes takes JSON {"path": ...} or, with ?name=file.tif, a raw image/tiff body', 415);
  }
  const body = parseInput(registerSceneBody, req.body, 'scene registration body');
  const { realPath, relativePath } = resolveInsideDataDir(ctx.dataRoot, body.path);
  const existing = ctx.store.findSceneByPath(realPath);
  if (existing) {
    res.status(200).location(`/scenes/${existing.id}`).json(sceneBody(existing));
    return;
  }
  const info = await inspect(ctx, realPath, relativePath);
  const scene = ctx.store.insertScene({ name: relativePath, path: realPath, info });
  res.status(201).location(`/scenes/${scene.id}`).json(sceneBody(scene));
}

async function upload(ctx: AppContext, req: Request, res: Response): Promise<void> {
  const { name } = parseInput(uploadSceneQuery, req.query, 'upload query');
  const type = (req.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
  if (!TIFF_TYPES.includes(type)) {
    throw new WaterlineError('unsupported_media_type', `an upload must be sent as Content-Type: image/tiff (got "${type || 'none'}")`, 415);
  }
  const limit = ctx.config.maxUploadBytes;
  const tooLarge = (): TooLargeError => new TooLargeError('upload_too_large', `the upload ${name} is larger than the server's limit of ${Math.round(limit / 1024 / 1024)} MB`, { hint: 'put the file in the data directory and register it, or raise --max-upload-mb' });
  const declared = Number(req.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    req.resume();
    res.setHeader('Connection', 'close');
    throw tooLarge();
  }

  const dir = join(ctx.dataRoot, UPLOADS_SUBDIR);
  mkdirSync(dir, { recursive: true });
  const id = randomUUID();
  const partial = join(dir, `.${id}.part`);
  const final = join(dir, `${id.slice(0, 8)}-${name}`);
  let received = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      received += chunk.length;
      if (received > limit) done(tooLarge());
      else done(null, chunk);
    },
  });
  try {
    const slow = claimBodyTimeout(res);
    await pipeline(req, counter, createWriteStream(partial, { flags: 'wx' }), slow ? { signal: slow } : {}).catch((err: unknown) => {
      throw slow?.aborted ? slow.reason : err;
    });
    if (received === 0) throw new InputError('empty_upload', `the upload ${name} is empty`, { hint: 'send the GeoTIFF bytes as the request body' });
    const info = await inspect(ctx, partial, name);
    await rename(partial, final);
    const scene = ctx.store.insertScene({ name: `${UPLOADS_SUBDIR}/${final.slice(dir.length + 1)}`, path: final, info });
    res.status(201).location(`/scenes/${scene.id}`).json(sceneBody(scene));
  } catch (err) {
    await rm(partial, { force: true });
    if (err instanceof TooLargeError) res.setHeader('Connection', 'close');
    throw err;
  }
}

export function registerRoutes(router: Router, ctx: AppContext): void {
  const uploads = concurrencyLimit(ctx.config.maxConcurrentUploads, 'uploads');
  router.post('/scenes', (req, res, next) => {
    if (req.query.name !== undefined) uploads(req, res, (err?: unknown) => (err ? next(err) : upload(ctx, req, res).catch(next)));
    else registerExisting(ctx, req, res).catch(next);
  });
  router.get('/scenes', (_req, res) => {
    res.json({ scenes: ctx.store.listScenes().map(sceneBody) });
  });
  router.get('/scenes/:id', (req, res) => {
    res.json(sceneBody(findScene(ctx, req.params.id)));
  });
}

const sceneSchema = { type: 'object', properties: { id: { type: 'string' }, name: { type: 'string' }, info: { type: 'object' }, createdAt: { type: 'string' } } };

export const openapiPaths = {
  '/scenes': {
    get: { summary: 'List scenes', responses: { '200': jsonResponse('scenes', { type: 'object', properties: { scenes: { type: 'array', items: sceneSchema } } }) } },
    post: {
      summary: 'Register a GeoTIFF inside the data directory (JSON {path}) or upload one (?name=x.tif, image/tiff body)',
      parameters: [{ name: 'name', in: 'query', required: false, schema: { type: 'string' }, description: 'file name for an upload' }],
      requestBody: {
        content: {
          'application/json': { schema: { type: 'object', required: ['path'], properties: { path: { type: 'string' } } } },
          'image/tiff': { schema: { type: 'string', format: 'binary' } },
        },
      },
      security: [{}, { apiKey: [] }, { bearer: [] }],
      responses: { '201': jsonResponse('the scene', sceneSchema), '200': jsonResponse('already registered', sceneSchema), '403': problemResponses['404'], ...problemResponses },
    },
  },
  '/scenes/{id}': {
    get: {
      summary: 'One scene with its `waterline info --json` metadata',
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
      responses: { '200': jsonResponse('the scene', sceneSchema), '404': problemResponses['404'] },
    },
  },
};
