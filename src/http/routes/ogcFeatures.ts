/**
 * OGC API – Features (Part 1: Core, GeoJSON, OAS 3.0) under /ogc: one collection per succeeded job,
 * `water-{jobId}`, CRS84, and the always-present collection `water` — all finished water, filterable by job
 * (`items?job={jobId}`) — so a fresh server with no finished job still has a collection (GDAL's OAPIF driver,
 * and with it QGIS, refuses a service whose collection list is empty). QGIS and GDAL open it as
 * `OAPIF:http://host:port/ogc`.
 */
import { bbox as turfBbox } from '@turf/bbox';
import { featureIntersectsBox, type LonLatBox as BBox } from '../../core/vector/boxIntersection.ts';
import type { Feature, FeatureCollection } from 'geojson';
import type { Request, Router } from 'express';
import { NotFoundError } from '../../core/errors.ts';
import type { JobRecord } from '../../core/jobRecords.ts';
import type { AppContext } from '../appContext.ts';
import { baseUrl } from '../baseUrl.ts';
import { Lru } from '../lru.ts';
import { idSchema, itemsQuery, parseInput } from '../validation.ts';
import { InputError } from '../../core/errors.ts';
import { jsonResponse, problemResponses } from '../openapiDocument.ts';

const CRS84 = 'http://www.opengis.net/def/crs/OGC/1.3/CRS84';
const GEOJSON = 'application/geo+json';
export const CONFORMANCE = [
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson',
  'http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30',
];


interface CachedCollection {
  features: Feature[];
  bboxes: BBox[];
  extent: BBox | null;
}

/** Parsed job results, most recently used last (results are immutable once a job succeeded). */
const MAX_CACHED = 8;

export function registerRoutes(router: Router, ctx: AppContext): void {
  const cache = new Lru<string, CachedCollection>(MAX_CACHED);
  /**
   * Each loaded result's extent (null: no features; 4 numbers per succeeded job), kept after its features
   * leave `cache`, so listing collections parses each result once, not on every request.
   */
  const extents = new Map<string, BBox | null>();

  const load = (job: JobRecord): CachedCollection => {
    const hit = cache.get(job.id);
    if (hit) return hit;
    const fc = JSON.parse(ctx.store.getResult(job.id) ?? '{"type":"FeatureCollection","features":[]}') as FeatureCollection;
    const features = fc.features.map((f, i) => ({ ...f, id: f.id ?? i + 1 }));
    const bboxes = features.map((f) => turfBbox(f) as BBox);
    let extent: BBox | null = null;
    for (const b of bboxes) {
      extent = extent ? [Math.min(extent[0], b[0]), Math.min(extent[1], b[1]), Math.max(extent[2], b[2]), Math.max(extent[3], b[3])] : [...b];
    }
    const entry = { features, bboxes, extent };
    cache.set(job.id, entry);
    extents.set(job.id, extent);
    return entry;
  };

  /** The `water` collection: every succeeded job's water, oldest job first, feature ids `{jobId}.{id}`. */
  const ALL = 'water';
  const allCollection = (req: Request): Record<string, unknown> => {
    const base = `${baseUrl(req)}/ogc/collections/${ALL}`;
    let extent: BBox | null = null;
    for (const job of ctx.store.listJobs({ state: 'succeeded' }).filter((j) => j.kind === 'segment')) {
      const e = extents.has(job.id) ? extents.get(job.id)! : load(job).extent;
      if (e) extent = extent ? [Math.min(extent[0], e[0]), Math.min(extent[1], e[1]), Math.max(extent[2], e[2]), Math.max(extent[3], e[3])] : [...e];
    }
    return {
      id: ALL,
      title: 'Water — all finished jobs',
      description: 'Water polygons of every succeeded job (filter one job with items?job={jobId}); empty until a job succeeds.',
      extent: { spatial: { bbox: [extent ?? [-180, -90, 180, 90]], crs: CRS84 } },
      itemType: 'feature',
      crs: [CRS84],
      links: [
        { rel: 'self', href: base, type: 'application/json', title: 'this collection' },
        { rel: 'items', href: `${base}/items`, type: GEOJSON, title: 'water polygons' },
      ],
    };
  };
  /** Jobs whose water the `water` collection serves for a request: all succeeded ones, or the one in `?job=`. */
  const allJobs = (job: unknown): JobRecord[] => {
    // change jobs' polygons are classes (lost, unknown...), not water: they have their own collections only
    if (job === undefined) return [...ctx.store.listJobs({ state: 'succeeded' })].filter((j) => j.kind === 'segment').sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
    if (typeof job !== 'string' || !idSchema.safeParse(job).success) throw new InputError('invalid_request', 'invalid items query: job: must be a job id', { hint: 'e.g. items?job=<id from GET /jobs>' });
    const found = ctx.store.getJob(job);
    return found && found.state === 'succeeded' && found.kind === 'segment' ? [found] : [];
  };
  const withJob = (job: JobRecord, f: Feature): Feature => ({ ...f, id: `${job.id}.${f.id}`, properties: { ...f.properties, job: job.id } });

  const collectionJob = (cid: string): JobRecord => {
    const id = cid.startsWith('water-') ? cid.slice('water-'.length) : '';
    const job = idSchema.safeParse(id).success ? ctx.store.getJob(id) : undefined;
    if (!job || job.state !== 'succeeded') throw new NotFoundError('collection_not_found', `collection ${cid} does not exist`, { hint: 'list collections at /ogc/collections' });
    return job;
  };

  const collection = (req: Request, job: JobRecord): Record<string, unknown> => {
    const base = `${baseUrl(req)}/ogc/collections/water-${job.id}`;
    const scene = ctx.store.getScene(job.scene);
    const known = extents.get(job.id);
    const extent = known !== undefined ? known : load(job).extent;
    const compareTo = job.kind === 'change' ? ctx.store.getScene(job.scenes[1]) : undefined;
    return {
      id: `water-${job.id}`,
      title: job.kind === 'change' ? `Water change — ${scene?.name ?? job.scene} → ${compareTo?.name ?? job.scenes[1]}` : `Water — ${scene?.name ?? job.scene}`,
      description: job.kind === 'change'
        ? `Water change polygons from job ${job.id}: property class = permanent, gained, lost or unknown, with area_m2; per-class areas in the job's water.geojson (waterline.summary).`
        : `Water polygons from job ${job.id} (prompt "${job.prompt}"${job.model ? `, model ${job.model}` : ''}).`,
      extent: {
        spatial: { bbox: [extent ?? [-180, -90, 180, 90]], crs: CRS84 },
        temporal: { interval: [[job.createdAt, job.finishedAt ?? job.updatedAt]], trs: 'http://www.opengis.net/def/uom/ISO-8601/0/Gregorian' },
      },
      itemType: 'feature',
      crs: [CRS84],
      links: [
        { rel: 'self', href: base, type: 'application/json', title: 'this collection' },
        { rel: 'items', href: `${base}/items`, type: GEOJSON, title: 'water polygons' },
        { rel: 'alternate', href: `${baseUrl(req)}/jobs/${job.id}/water.geojson`, type: GEOJSON, title: 'the whole result' },
      ],
    };
  };

  router.get(['/ogc', '/ogc/'], (req, res) => {
    const b = baseUrl(req);
    res.json({
      title: 'Waterline',
      description: 'Surface water polygons mapped by Waterline segmentation jobs.',
      links: [
        { rel: 'self', href: `${b}/ogc`, type: 'application/json', title: 'this document' },
        { rel: 'service-desc', href: `${b}/openapi.json`, type: 'application/vnd.oai.openapi+json;version=3.0', title: 'the API definition' },
        { rel: 'conformance', href: `${b}/ogc/conformance`, type: 'application/json', title: 'conformance classes' },
        { rel: 'data', href: `${b}/ogc/collections`, type: 'application/json', title: 'collections' },
      ],
    });
  });

  router.get('/ogc/conformance', (_req, res) => {
    res.json({ conformsTo: CONFORMANCE });
  });

  router.get('/ogc/collections', (req, res) => {
    const jobs = ctx.store.listJobs({ state: 'succeeded' });
    res.json({
      links: [{ rel: 'self', href: `${baseUrl(req)}/ogc/collections`, type: 'application/json' }],
      collections: [allCollection(req), ...jobs.map((job) => collection(req, job))],
    });
  });

  router.get('/ogc/collections/:cid', (req, res) => {
    res.json(req.params.cid === ALL ? allCollection(req) : collection(req, collectionJob(req.params.cid)));
  });

  router.get('/ogc/collections/:cid/items', (req, res) => {
    const { job: jobFilter, ...query } = req.query;
    const q = parseInput(itemsQuery, query, 'items query');
    let features: Feature[];
    let bboxes: BBox[];
    // a feature's time is its job's run, as the collection's temporal extent says
    const ranThen = (job: JobRecord): boolean => {
      if (!q.datetime) return true;
      const [from, to] = q.datetime;
      return (to === null || Date.parse(job.createdAt) <= to) && (from === null || Date.parse(job.finishedAt ?? job.updatedAt) >= from);
    };
    if (req.params.cid === ALL) {
      features = [];
      bboxes = [];
      for (const job of allJobs(jobFilter).filter(ranThen)) {
        const c = load(job);
        for (let i = 0; i < c.features.length; i++) {
          if (q.bbox && !featureIntersectsBox(c.features[i], c.bboxes[i], q.bbox)) continue;
          features.push(withJob(job, c.features[i]));
          bboxes.push(c.bboxes[i]);
        }
      }
    } else {
      const job = collectionJob(req.params.cid);
      ({ features, bboxes } = ranThen(job) ? load(job) : { features: [], bboxes: [] });
    }
    const matching = q.bbox && req.params.cid !== ALL ? features.filter((f, i) => featureIntersectsBox(f, bboxes[i], q.bbox!)) : features;
    const page = matching.slice(q.offset, q.offset + q.limit);
    const self = new URL(`${baseUrl(req)}/ogc/collections/${req.params.cid}/items`);
    const link = (rel: string, offset: number) => {
      const u = new URL(self);
      if (q.bbox) u.searchParams.set('bbox', q.bbox.join(','));
      if (typeof query.datetime === 'string') u.searchParams.set('datetime', query.datetime);
      if (typeof jobFilter === 'string') u.searchParams.set('job', jobFilter);
      u.searchParams.set('limit', String(q.limit));
      u.searchParams.set('offset', String(offset));
      return { rel, href: u.toString(), type: GEOJSON };
    };
    const links = [link('self', q.offset), { rel: 'collection', href: `${baseUrl(req)}/ogc/collections/${req.params.cid}`, type: 'application/json' }];
    if (q.offset + page.length < matching.length) links.push(link('next', q.offset + q.limit));
    if (q.offset > 0) links.push(link('prev', Math.max(0, q.offset - q.limit)));
    res.type(GEOJSON).send(JSON.stringify({
      type: 'FeatureCollection',
      features: page,
      numberMatched: matching.length,
      numberReturned: page.length,
      timeStamp: new Date().toISOString(),
      links,
    }));
  });

  router.get('/ogc/collections/:cid/items/:fid', (req, res) => {
    let feature: Feature | undefined;
    if (req.params.cid === ALL) {
      const [jobId, fid] = req.params.fid.split('.');
      const job = idSchema.safeParse(jobId).success ? ctx.store.getJob(jobId) : undefined;
      // the all-water collection holds segmentation jobs only (change jobs have their own collections)
      const found = job && job.state === 'succeeded' && job.kind !== 'change' ? load(job).features.find((f) => String(f.id) === fid) : undefined;
      feature = found && job ? withJob(job, found) : undefined;
    } else {
      feature = load(collectionJob(req.params.cid)).features.find((f) => String(f.id) === req.params.fid);
    }
    if (!feature) throw new NotFoundError('feature_not_found', `feature ${req.params.fid} does not exist in ${req.params.cid}`);
    const b = `${baseUrl(req)}/ogc/collections/${req.params.cid}`;
    res.type(GEOJSON).send(JSON.stringify({
      ...feature,
      links: [
        { rel: 'self', href: `${b}/items/${encodeURIComponent(req.params.fid)}`, type: GEOJSON },
        { rel: 'collection', href: b, type: 'application/json' },
      ],
    }));
  });
}

const cidParam = { name: 'collectionId', in: 'path', required: true, schema: { type: 'string' } };
const json = (d: string) => jsonResponse(d);

export const openapiPaths = {
  '/ogc': { get: { summary: 'OGC API – Features landing page', responses: { '200': json('landing page') } } },
  '/ogc/conformance': { get: { summary: 'Conformance classes', responses: { '200': json('conformance') } } },
  '/ogc/collections': { get: { summary: 'Collections: `water` (all finished water) and one per succeeded job', responses: { '200': json('collections') } } },
  '/ogc/collections/{collectionId}': { get: { summary: 'One collection', parameters: [cidParam], responses: { '200': json('collection'), '404': problemResponses['404'] } } },
  '/ogc/collections/{collectionId}/items': {
    get: {
      summary: 'Water polygons, paged',
      parameters: [
        cidParam,
        { name: 'bbox', in: 'query', required: false, style: 'form', explode: false, schema: { type: 'array', minItems: 4, maxItems: 6, items: { type: 'number' } } },
        { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 10000, default: 100 } },
        { name: 'offset', in: 'query', required: false, schema: { type: 'integer', minimum: 0, default: 0 } },
        { name: 'datetime', in: 'query', required: false, schema: { type: 'string' }, description: 'RFC 3339 instant or interval (`a/b`, `../b`, `a/..`): the water of jobs that ran then (a feature\'s time is its job\'s, from creation to finish)' },
        { name: 'job', in: 'query', required: false, schema: { type: 'string' }, description: 'collection `water` only: the water of this job' },
      ],
      responses: { '200': jsonResponse('features', { type: 'object' }, GEOJSON), '400': problemResponses['400'], '404': problemResponses['404'] },
    },
  },
  '/ogc/collections/{collectionId}/items/{featureId}': {
    get: {
      summary: 'One water polygon',
      parameters: [cidParam, { name: 'featureId', in: 'path', required: true, schema: { type: 'string' } }],
      responses: { '200': jsonResponse('feature', { type: 'object' }, GEOJSON), '404': problemResponses['404'] },
    },
  },
};
