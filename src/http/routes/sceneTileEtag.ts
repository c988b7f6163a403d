/**
 * The ETag of a scene imagery tile, decided before any pixel is read (as linz/basemaps does): a hash of
 * the scene file's identity (sceneFileIdentity.ts: device, inode, size, modification time — a rewritten file gets new tags),
 * the tile address and format, and the render parameters. The bands and the scene-wide stretch are a
 * function of the file's content and of this code, so `SCENE_TILE_RENDER_VERSION` stands for them: bump it
 * whenever the renderer, the default bands or the stretch change what a tile looks like. A conditional
 * request whose tag matches is answered 304 without opening the scene or rendering.
 */
import { createHash } from 'node:crypto';
import type { SceneFileIdentity } from './sceneFileIdentity.ts';

/** Version of how imagery tiles are drawn (renderer, default bands, scene-wide stretch). */
export const SCENE_TILE_RENDER_VERSION = 'imagery-v1;bands=default;stretch=scene;256px;nearest';

/** Strong ETag of the tile z/x/y.format of the scene `sceneId` whose file has `identity`. */
export function sceneTileEtag(sceneId: string, identity: SceneFileIdentity, z: number, x: number, y: number, format: string): string {
  const key = [SCENE_TILE_RENDER_VERSION, sceneId, identity.dev, identity.ino, identity.size, identity.mtimeNs, z, x, y, format].join('|');
  return `"${createHash('sha1').update(key).digest('base64url')}"`;
}
