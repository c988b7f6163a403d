/**
 * A scene file replaced in place (same path, new content, by an atomic rename) while the server has it open:
 * the next imagery tile shows the new file's pixels under a new ETag, and the handle of the old file is closed.
 */
import { readdirSync, readlinkSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import request from 'supertest';
import { lonLatToTile } from '../../src/core/grid/webMercator.ts';
import { sceneBytes } from './replacedSceneFile.ts';
import { addScene, startTestServer, type TestServer } from './tilesTestServer.ts';

/** This process's open descriptors on a file that has been deleted (or renamed over) at `path`. */
function openDeleted(path: string): string[] {
  const fds = readdirSync('/proc/self/fd');
  return fds.flatMap((fd) => {
    try {
      const target = readlinkSync(join('/proc/self/fd', fd));
      return target === `${path} (deleted)` ? [target] : [];
    } catch {
      return [];
    }
  });
}

let server: TestServer;
let fresh: TestServer | undefined;

beforeAll(async () => {
  server = await startTestServer();
});
afterAll(async () => {
  await fresh?.stop();
  await server?.stop();
});

it('after an atomic replace of the scene file, the next tile has the new pixels and a new ETag; the old handle is closed', async () => {
  const file = join(server.dataDir, 'scene.tif');
  writeFileSync(file, sceneBytes(false));
  const id = addScene(server, file);

  const tj = (await request(server.url).get(`/scenes/${id}/tilejson.json`).expect(200)).body as { center: number[]; maxzoom: number };
  const t = lonLatToTile(tj.center[0], tj.center[1], tj.maxzoom);
  const path = `/scenes/${id}/tiles/${tj.maxzoom}/${t.x}/${t.y}.png`;

  const before = await request(server.url).get(path).buffer(true).expect(200);
  const tagBefore = before.headers.etag as string;
  expect((before.body as Buffer).length).toBeGreaterThan(0);

  // Replace the file the way tools do: write a sibling, rename it over the scene (new inode, same path).
  const tmp = join(server.dataDir, 'scene.tif.tmp');
  writeFileSync(tmp, sceneBytes(true));
  renameSync(tmp, file);
  expect(openDeleted(file)).toHaveLength(1); // the server still holds the replaced file

  const after = await request(server.url).get(path).buffer(true).expect(200);
  expect(after.headers.etag).not.toBe(tagBefore);
  expect(Buffer.compare(after.body as Buffer, before.body as Buffer)).not.toBe(0);

  // The new pixels: byte for byte what a server that never saw the old file renders.
  fresh = await startTestServer({}, { dataDir: server.dataDir });
  const reference = await request(fresh.url).get(path).buffer(true).expect(200);
  expect(Buffer.compare(after.body as Buffer, reference.body as Buffer)).toBe(0);
  expect(reference.headers.etag).toBe(after.headers.etag);

  // The old file's handle is closed (it is closed in the background once the new one is in place).
  await vi.waitFor(() => expect(openDeleted(file)).toEqual([]));
  // A revalidation with the new tag is a 304 again.
  await request(server.url).get(path).set('If-None-Match', after.headers.etag as string).expect(304);
});
