/**
 * Fuzz target `http`: random requests against a real server (random methods, paths built from the API's
 * routes with real, random and hostile ids, tile coordinates, query parameters, headers and bodies).
 * Rules: no 5xx, every 4xx is problem+json, no answer names a server path, no request hangs.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { startHarness, waitFor, type Harness } from '../../http/serverHarness.ts';
import { repeatedTileGeoTiff } from '../../raster/hostileTiff.ts';
import { Rng, caseSeed } from '../rng.ts';
import type { CaseOutcome, FuzzTarget } from '../target.ts';
import { tiffCase } from '../tiffCases.ts';

const METHODS = ['GET', 'GET', 'GET', 'POST', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS', 'HEAD'];
const ROUTES = [
  '/', '/healthz', '/readyz', '/openapi.json', '/models', '/scenes', '/scenes/{id}', '/scenes/{id}/tilejson.json',
  '/scenes/{id}/tiles/{z}/{x}/{y}.{ext}', '/scenes/{id}/water.geojson', '/jobs', '/jobs/{job}', '/jobs/{job}/cancel',
  '/jobs/{job}/water.geojson', '/jobs/{job}/tilejson.json', '/jobs/{job}/tiles/{z}/{x}/{y}.{ext}', '/ogc', '/ogc/',
  '/ogc/conformance', '/ogc/collections', '/ogc/collections/{cid}', '/ogc/collections/{cid}/items',
  '/ogc/collections/{cid}/items/{fid}', '/viewer/{x}', '/viewer/maplibre/{x}', '/{x}', '/{x}/{x}/{x}',
];
const HOSTILE = ['..', '%2e%2e', '..%2f..%2fetc%2fpasswd', '%00', '%ff', '%', 'a'.repeat(3000), '\u00e9\u4e2d', '-1', '0', '1e309', 'NaN', '{id}', ' ', '%20', '/etc/passwd', 'water', 'water-', 'null', 'undefined', '__proto__', 'constructor'];
const QUERY_KEYS = ['bbox', 'limit', 'offset', 'model', 'prompt', 'state', 'job', 'f', 'format', 'name', 'x', 'bbox', 'bbox'];
const CONTENT_TYPES = ['application/json', 'application/json; charset=utf-16', 'image/tiff', 'text/plain', 'application/octet-stream', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', '', 'application/json; charset=latin1', 'application/merge-patch+json'];

export function httpTarget(): FuzzTarget {
  let h: Harness;
  const ids = { scene: '', job: '' };
  let rng: Rng;

  const value = (): string => rng.pick([
    () => rng.pick(HOSTILE),
    () => String(rng.int(-5, 40)),
    () => String(rng.next() * 400 - 200),
    () => Array.from({ length: rng.int(0, 7) }, () => (rng.chance(0.8) ? (rng.next() * 400 - 200).toFixed(rng.int(0, 6)) : rng.pick(HOSTILE))).join(','),
    () => rng.string(rng.int(0, 40), 'abcxyz0123456789-_./%,;:&=?#'),
    () => rng.pick(['waterline-unet', 'auto', 'waterline-spectral', 'succeeded', 'json', 'mvt', 'png', ids.job, ids.scene]),
  ])();

  const path = (): string => {
    const tpl = rng.chance(0.05) ? `/${rng.string(rng.int(0, 30), 'abc/%.-_~')}` : rng.pick(ROUTES);
    return tpl.replace(/\{(\w+)\}/g, (_m, k: string) => {
      if (k === 'id') return rng.chance(0.6) ? ids.scene : rng.chance(0.5) ? crypto.randomUUID() : encodeURIComponent(rng.pick(HOSTILE)).slice(0, 3000);
      if (k === 'job') return rng.chance(0.6) ? ids.job : rng.chance(0.5) ? crypto.randomUUID() : encodeURIComponent(rng.pick(HOSTILE));
      if (k === 'cid') return rng.pick(['water', `water-${ids.job}`, `water-${crypto.randomUUID()}`, encodeURIComponent(rng.pick(HOSTILE))]);
      if (k === 'fid') return rng.pick(['1', '0', '-1', `${ids.job}.1`, `${ids.job}.999999`, '999999', encodeURIComponent(rng.pick(HOSTILE))]);
      if (k === 'z' || k === 'x' || k === 'y') return rng.chance(0.7) ? String(rng.int(0, k === 'z' ? 24 : 40)) : rng.pick(['-1', '25', '1.5', '99999999999', 'a', '']);
      if (k === 'ext') return rng.pick(['png', 'webp', 'mvt', 'jpg', 'png.png', '']);
      return encodeURIComponent(rng.pick(HOSTILE)).slice(0, 200);
    });
  };

  const body = (method: string): { body?: Uint8Array<ArrayBuffer>; type?: string } => {
    if (method === 'GET' || method === 'HEAD' || rng.chance(0.2)) return {};
    const type = rng.pick(CONTENT_TYPES);
    const json = (): unknown => rng.pick([
      () => ({ scene: rng.chance(0.5) ? ids.scene : value(), prompt: rng.chance(0.5) ? value() : undefined, model: rng.chance(0.5) ? value() : undefined, options: rng.chance(0.5) ? { threshold: rng.next() * 3 - 1, bands: [rng.int(-2, 6)], overlap: rng.int(-5, 300), minArea: rng.next() * 1e9, simplify: value() } : undefined }),
      () => ({ path: rng.pick(['scene.tif', '../scene.tif', '/etc/passwd', 'uploads', '', 'nope.tif', value()]) }),
      () => ({ [value()]: value(), __proto__: { polluted: true } }),
      () => [value(), rng.int(0, 9)],
      () => value(),
      () => null,
    ])();
    const bytes = rng.pick([
      () => Buffer.from(JSON.stringify(json()) ?? 'null'),
      () => Buffer.from(rng.bytes(rng.int(0, 600))),
      () => Buffer.from(`{"scene": ${'['.repeat(rng.int(1, 5000))}`),
      () => tiffCase(rng).bytes,
    ])();
    return { body: new Uint8Array(bytes), type };
  };

  return {
    name: 'http',
    async setup() {
      h = await startHarness({ maxConcurrentUploads: 4, maxJsonKb: 64 });
      writeFileSync(join(h.dataDir, 'scene.tif'), repeatedTileGeoTiff(500, 400, (b) => deflateSync(b)));
      const scene = (await (await fetch(`${h.url}/scenes`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ path: 'scene.tif' }) })).json()) as { id: string };
      ids.scene = scene.id;
      const job = (await (await fetch(`${h.url}/jobs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ scene: scene.id }) })).json()) as { id: string };
      ids.job = job.id;
      await waitFor(async () => ((await (await fetch(`${h.url}/jobs/${job.id}`)).json()) as { state: string }).state === 'succeeded' || undefined, 'the fuzz job');
    },
    async teardown() {
      await h.stop();
    },
    async run(seed, index): Promise<CaseOutcome> {
      rng = new Rng(caseSeed(seed, index));
      const method = rng.pick(METHODS);
      let url = `${h.url}${path()}`;
      if (rng.chance(0.6)) {
        const q = Array.from({ length: rng.int(1, 4) }, () => `${rng.pick(QUERY_KEYS)}=${encodeURIComponent(value())}`).join('&');
        url += `?${q}`;
      }
      const { body: payload, type } = body(method);
      const headers: Record<string, string> = {};
      if (type) headers['content-type'] = type;
      if (rng.chance(0.1)) headers['x-request-id'] = value().slice(0, 200);
      if (rng.chance(0.1)) headers['if-none-match'] = value().slice(0, 100);
      if (rng.chance(0.1)) headers.origin = rng.pick(['https://evil.example', 'null', value().slice(0, 50)]);
      if (rng.chance(0.05)) headers['accept-encoding'] = 'gzip, br, deflate';
      let res: Response;
      try {
        res = await fetch(url, { method, headers, body: payload, redirect: 'manual' });
      } catch (err) {
        // an invalid URL or header built by the fuzzer is the client's own failure
        if (err instanceof TypeError && !/fetch failed/.test(err.message)) return { outcome: 'client-refused' };
        return { outcome: 'connection', finding: `${method} ${url.slice(0, 200)}: ${err instanceof Error ? `${err.message} ${String((err as { cause?: unknown }).cause ?? '')}` : String(err)}` };
      }
      const text = method === 'HEAD' ? '' : await res.text();
      if (res.status >= 500) return { outcome: String(res.status), finding: `${method} ${url.slice(0, 200)} answered ${res.status}: ${text.slice(0, 300)}` };
      if (res.status >= 400 && method !== 'HEAD' && !/problem\+json/.test(res.headers.get('content-type') ?? '')) {
        return { outcome: String(res.status), finding: `${method} ${url.slice(0, 200)}: ${res.status} without problem+json: ${text.slice(0, 200)}` };
      }
      if (text.includes(h.dataDir)) return { outcome: 'leak', finding: `${method} ${url.slice(0, 200)} answer names the data directory: ${text.slice(0, 300)}` };
      const code = res.status >= 400 && method !== 'HEAD' ? ((JSON.parse(text) as { code?: string }).code ?? '?') : '';
      return { outcome: `${res.status}${code ? ` ${code}` : ''}` };
    },
  };
}
