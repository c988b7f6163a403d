/**
 * A scene file replaced (atomic rename) between two tile requests' stats, the request that stat'ed the old file
 * going on last: it must not close the newer open scene, reopen the file under its stale version, or answer
 * the new file's pixels under the old file's ETag. The order is forced, not timed: the first request's stat
 * is held (a hook in sceneFileIdentity) until the file is replaced and the second request has been answered.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, expect, it, vi } from 'vitest';
import request from 'supertest';
import { lonLatToTile } from '../../src/core/grid/webMercator.ts';
import type { AppContext } from '../../src/http/appContext.ts';
import { sceneFileIdentity, sceneFileKey } from '../../src/http/routes/sceneFileIdentity.ts';
import { OpenScenes } from '../../src/http/routes/tilesScenes.ts';
import { replaceSceneFile, sceneBytes } from './replacedSceneFile.ts';
import { addScene, startTestServer, type TestServer } from './tilesTestServer.ts';

const hooks = vi.hoisted(() => ({
  /** When set, the next stat is held: `reached` is called with its result, which returns once `release` resolves. */
  holdNextStat: null as null | { reached: () => void; release: Promise<void> },
  opened: 0,
  closed: 0,
}));

vi.mock('../../src/http/routes/sceneFileIdentity.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/http/routes/sceneFileIdentity.ts')>();
  return {
    ...real,
    sceneFileIdentity: async (path: string) => {
      const identity = await real.sceneFileIdentity(path);
      const hold = hooks.holdNextStat;
      if (hold) {
        hooks.holdNextStat = null;
        hold.reached();
        await hold.release;
      }
      return identity;
    },
  };
});

vi.mock('../../src/adapters/raster/openScene.ts', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/adapters/raster/openScene.ts')>();
  return {
    ...real,
    openScene: async (...args: Parameters<typeof real.openScene>) => {
      const scene = await real.openScene(...args);
      hooks.opened++;
      const close = scene.close.bind(scene);
      return { ...scene, close: () => (hooks.closed++, close()) };
    },
  };
});

let server: TestServer;
let fresh: TestServer | undefined;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await fresh?.stop();
  await server?.stop();
});
beforeEach(() => {
  hooks.holdNextStat = null;
});

it('a tile request that stat-ed the file before it was replaced and goes on last answers the new version under its own ETag, without reopening', async () => {
  const file = join(server.dataDir, 'race.tif');
  writeFileSync(file, sceneBytes(false));
  const id = addScene(server, file);
  const tj = (await request(server.url).get(`/scenes/${id}/tilejson.json`).expect(200)).body as { center: number[]; maxzoom: number };
  const t = lonLatToTile(tj.center[0], tj.center[1], tj.maxzoom);
  const path = `/scenes/${id}/tiles/${tj.maxzoom}/${t.x}/${t.y}.png`;

  // A: its stat of the old file is held.
  let release!: () => void;
  const reached = new Promise<void>((resolve) => {
    hooks.holdNextStat = { reached: resolve, release: new Promise<void>((r) => (release = r)) };
  });
  const a = request(server.url).get(path).buffer(true).then((r) => r);
  await reached;

  // The file is replaced; B stats the new file and is answered with its pixels.
  replaceSceneFile(file, true);
  const b = await request(server.url).get(path).buffer(true).expect(200);
  const opened = hooks.opened;

  // A goes on with its stale stat.
  release();
  const ra = await a;
  expect(ra.status).toBe(200);
  expect(Buffer.compare(ra.body as Buffer, b.body as Buffer)).toBe(0); // the file as it is now
  expect(ra.headers.etag).toBe(b.headers.etag); // under the new file's tag, not the old one's
  expect(hooks.opened).toBe(opened); // B's open scene was used, not closed and reopened

  // The new pixels and tag are what a server that never saw the old file answers.
  fresh = await startTestServer({}, { dataDir: server.dataDir });
  const reference = await request(fresh.url).get(path).buffer(true).expect(200);
  expect(Buffer.compare(reference.body as Buffer, b.body as Buffer)).toBe(0);
  expect(reference.headers.etag).toBe(b.headers.etag);
});

it('OpenScenes: a stale identity never replaces the entry of a newer file version', async () => {
  const file = join(server.dataDir, 'stale.tif');
  writeFileSync(file, sceneBytes(false));
  const id = addScene(server, file);
  const scenes = new OpenScenes({ store: server.deps.store } as unknown as AppContext);

  const old = await sceneFileIdentity(file);
  const first = await scenes.get(id, old);
  expect(first.fileKey).toBe(sceneFileKey(old));
  replaceSceneFile(file, true);
  const now = await sceneFileIdentity(file);
  const newer = await scenes.get(id, now);
  expect(newer.fileKey).toBe(sceneFileKey(now));
  expect(newer).not.toBe(first);

  const { opened, closed } = hooks;
  const late = await scenes.get(id, old); // a request that stat-ed the old file, going on last
  expect(late).toBe(newer);
  expect(hooks.opened).toBe(opened);
  expect(hooks.closed).toBe(closed);
});

it('OpenScenes: the version an entry carries is the one its handle opened, when the file is replaced between the stat and the open', async () => {
  const file = join(server.dataDir, 'between.tif');
  writeFileSync(file, sceneBytes(false));
  const id = addScene(server, file);
  const scenes = new OpenScenes({ store: server.deps.store } as unknown as AppContext);

  // The refresh's stat sees the old file; the file is replaced before the scene is opened.
  let release!: () => void;
  const reached = new Promise<void>((resolve) => {
    hooks.holdNextStat = { reached: resolve, release: new Promise<void>((r) => (release = r)) };
  });
  const got = scenes.get(id);
  await reached;
  replaceSceneFile(file, true);
  const now = await sceneFileIdentity(file);
  release();
  const entry = await got;
  expect(entry.fileKey).toBe(sceneFileKey(now));
  expect(entry.fileIdentity).toEqual(now);
});
