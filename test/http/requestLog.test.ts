/**
 * Request log levels: ordinary requests at info, tile / readiness successes at debug (high-rate map
 * traffic), errors at warn/error, /healthz not logged; every line and response carries the request id.
 */
import { Writable } from 'node:stream';
import express from 'express';
import pino from 'pino';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { requestLog } from '../../src/http/requestLog.ts';
import { problemHandler } from '../../src/http/problem.ts';
import { InputError } from '../../src/core/errors.ts';

function appWithLog() {
  let text = '';
  const logger = pino({ level: 'debug' }, new Writable({ write(c, _e, cb) { text += c.toString(); cb(); } }));
  const app = express();
  app.use(requestLog(logger));
  app.get('/healthz', (_q, r) => { r.json({ status: 'ok' }); });
  app.get('/readyz', (_q, r) => { r.json({ status: 'ready' }); });
  app.get('/scenes/:id/tiles/:z/:x/:y', (_q, r) => { r.type('png').send(Buffer.from([1, 2, 3])); });
  app.get('/jobs', (_q, r) => { r.json([]); });
  app.get('/boom', () => { throw new Error('boom'); });
  app.get('/missing/tiles/1/2/3.png', (_q, r) => { r.status(404).end(); });
  const lines = () => text.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { level: number; req: { id: string; url: string }; res: { statusCode: number } });
  return { app, lines };
}

describe('request log', () => {
  it('logs tile and readiness successes at debug, other requests at info, failures at warn/error, never /healthz', async () => {
    const { app, lines } = appWithLog();
    await request(app).get('/healthz').expect(200);
    await request(app).get('/healthz?probe=1').expect(200);
    await request(app).get('/readyz').expect(200);
    await request(app).get('/scenes/a/tiles/3/1/2.png').expect(200);
    await request(app).get('/jobs').expect(200);
    await request(app).get('/missing/tiles/1/2/3.png').expect(404);
    await request(app).get('/boom').expect(500);
    const byUrl = Object.fromEntries(lines().map((l) => [l.req.url, l.level]));
    expect(byUrl).toEqual({ '/readyz': 20, '/scenes/a/tiles/3/1/2.png': 20, '/jobs': 30, '/missing/tiles/1/2/3.png': 40, '/boom': 50 });
  });

  it('says which problem a request was answered with', async () => {
    const { app, lines } = appWithLog();
    app.get('/bad', () => {
      throw new InputError('bad_thing', 'the thing is bad', { hint: 'send a good one' });
    });
    app.use(problemHandler(pino({ level: 'silent' })));
    await request(app).get('/bad').expect(400);
    const line = lines().find((l) => l.req.url === '/bad') as unknown as { level: number; problem: { code: string; detail: string } };
    expect(line.level).toBe(40);
    expect(line.problem).toEqual({ code: 'bad_thing', detail: 'the thing is bad (send a good one)' });
  });

  it('keeps the request id in the response header and the log line', async () => {
    const { app, lines } = appWithLog();
    const res = await request(app).get('/scenes/a/tiles/3/1/2.png').set('X-Request-Id', 'tile-req-1').expect(200);
    expect(res.headers['x-request-id']).toBe('tile-req-1');
    expect(lines()[0].req.id).toBe('tile-req-1');
  });
});
