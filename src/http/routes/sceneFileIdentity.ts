/**
 * What identifies one version of a scene file without reading it: device, inode, size and modification time
 * (nanoseconds). A file rewritten in place or replaced by a rename (same path, new content) gets a new
 * identity, so the imagery tile ETag (sceneTileEtag.ts) and the open-scene cache (tilesScenes.ts) follow it.
 */
import { stat } from 'node:fs/promises';

export interface SceneFileIdentity {
  dev: number;
  ino: number;
  size: number;
  mtimeNs: bigint;
}

export async function sceneFileIdentity(path: string): Promise<SceneFileIdentity> {
  const s = await stat(path, { bigint: true });
  return { dev: Number(s.dev), ino: Number(s.ino), size: Number(s.size), mtimeNs: s.mtimeNs };
}

/** The identity as a short string, for cache keys. */
export function sceneFileKey(identity: SceneFileIdentity): string {
  return `${identity.dev}:${identity.ino}:${identity.size}:${identity.mtimeNs}`;
}
