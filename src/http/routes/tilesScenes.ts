/**
 * Open scenes for the tile and on-demand routes: each registered scene is opened once (header only),
 * with its default bands, scene-wide stretch (the same as the model input, from src/pipeline/tileSource.ts)
 * and a Web Mercator tile renderer. A small LRU closes scenes nobody asked for lately.
 *
 * An open scene belongs to one version of its file (sceneFileIdentity.ts): a file replaced in place (same
 * path, new content, e.g. an atomic rename) is opened again and the old handle closed. The version an entry
 * carries is the one its handle opened (stat before and after opening agree), never the version a request
 * saw earlier, and the checks that replace an entry run one at a time per scene, each with a fresh stat: a
 * request that stat'ed the file before it was replaced (and comes late) gets the newer entry, never closes it
 * and never reopens the file under its stale version. Callers derive cache keys and ETags from the entry's
 * version. A request still reading an old handle when it closes fails (the file it read is gone); the next
 * one reads the new file.
 */
import { openImagery, openScene, type Scene } from '../../adapters/raster/openScene.ts';
import { createSceneTileRenderer, type SceneTileRenderer } from '../../adapters/raster/tileRenderer.ts';
import { computeSceneStretch, defaultBands } from '../../pipeline/tileSource.ts';
import type { BandStretch } from '../../core/grid/bandStretch.ts';
import type { SceneRecord } from '../../core/jobRecords.ts';
import type { AppContext } from '../appContext.ts';
import { WaterlineError } from '../../core/errors.ts';
import { Lru } from '../lru.ts';
import { findScene } from './scenes.ts';
import { sceneFileIdentity, sceneFileKey, type SceneFileIdentity } from './sceneFileIdentity.ts';

export interface OpenSceneEntry {
  record: SceneRecord;
  scene: Scene;
  bands: number[];
  stretch: BandStretch;
  renderer: SceneTileRenderer;
  /** The version of the file `scene` reads (its identity when it was opened): what its pixels belong to. */
  fileIdentity: SceneFileIdentity;
  /** sceneFileKey(fileIdentity): part of every cache key derived from its pixels. */
  fileKey: string;
}

interface CachedScene {
  record: SceneRecord;
  fileKey: string;
  entry: Promise<OpenSceneEntry>;
}

/** Opening a file that keeps changing under us gives up after this many tries. */
const OPEN_TRIES = 3;

const closeEntry = (entry: Promise<OpenSceneEntry>): void => {
  entry.then((e) => e.scene.close()).catch(() => undefined);
};

/** A file that cannot be stat'ed: answer as opening it answers (404 scene_not_found...), else with the stat's error. */
async function unreadable(path: string, err: unknown): Promise<never> {
  await (await openScene(path)).close();
  throw err; // it came back in between: the stat's error
}

/**
 * Open the scene's file (whose identity a stat just gave as `before`), with the identity of the version its
 * handle reads: the handle is opened between two stats of the path, so when they agree it reads that version
 * (a file replaced and put back with the same device, inode, size and mtime is that same version). When they
 * differ the file was replaced meanwhile: close and open again.
 */
async function openVersion(record: SceneRecord, before: SceneFileIdentity): Promise<{ scene: Scene; identity: SceneFileIdentity }> {
  for (let tries = 1; ; tries++) {
    const scene = await openImagery(record.path);
    let after: SceneFileIdentity;
    try {
      after = await sceneFileIdentity(record.path);
    } catch (err) {
      await scene.close();
      return unreadable(record.path, err);
    }
    if (sceneFileKey(after) === sceneFileKey(before)) return { scene, identity: after };
    await scene.close();
    if (tries === OPEN_TRIES) {
      throw new WaterlineError('scene_file_changing', `the file of scene ${record.name} changed while it was being opened, ${OPEN_TRIES} times`, 503, {
        hint: 'retry once the file has been written',
      });
    }
    before = after;
  }
}

export class OpenScenes {
  private readonly entries: Lru<string, CachedScene>;
  /** Per scene id, the end of the last refresh (stat, compare, reopen): refreshes of a scene run one at a time. */
  private readonly refreshes = new Map<string, Promise<unknown>>();

  constructor(private readonly ctx: AppContext, capacity = 8) {
    this.entries = new Lru(capacity, { onEvict: (_id, old) => closeEntry(old.entry) });
  }

  /**
   * The open scene `id`, as its file is now. `identity` (the caller's stat of the file) only saves a stat when
   * it is the open entry's; otherwise the file is stat'ed afresh, and the cached scene closed and the file
   * opened again only when that fresh stat differs from it. The entry's `fileIdentity` may thus be newer than
   * `identity` (the file was replaced after the caller's stat): derive keys from the entry's.
   */
  async get(id: string, identity?: SceneFileIdentity): Promise<OpenSceneEntry> {
    const cached = this.entries.get(id);
    if (cached && identity && cached.fileKey === sceneFileKey(identity)) return cached.entry;
    const record = cached?.record ?? findScene(this.ctx, id);
    const run = (this.refreshes.get(id) ?? Promise.resolve()).then(() => this.refresh(id, record));
    const done = run.then(() => undefined, () => undefined);
    this.refreshes.set(id, done);
    void done.then(() => {
      if (this.refreshes.get(id) === done) this.refreshes.delete(id);
    });
    return (await run).entry;
  }

  /** Reopen the scene if its file is no longer the cached one's. Returns without waiting for a new entry's stretch. */
  private async refresh(id: string, record: SceneRecord): Promise<{ entry: Promise<OpenSceneEntry> }> {
    let now: SceneFileIdentity;
    try {
      now = await sceneFileIdentity(record.path);
    } catch (err) {
      // A missing or unreadable file: drop what is open and answer as opening it answers.
      this.forget(id);
      return unreadable(record.path, err);
    }
    const cached = this.entries.get(id);
    if (cached?.fileKey === sceneFileKey(now)) return { entry: cached.entry };
    this.forget(id);
    const { scene, identity } = await openVersion(record, now);
    const entry = this.prepare(record, scene, identity);
    const mine: CachedScene = { record, fileKey: sceneFileKey(identity), entry };
    entry.catch(() => {
      if (this.entries.get(id) === mine) this.entries.delete(id);
    });
    this.entries.set(id, mine);
    return { entry };
  }

  private forget(id: string): void {
    const cached = this.entries.get(id);
    if (!cached) return;
    this.entries.delete(id);
    closeEntry(cached.entry);
  }

  private async prepare(record: SceneRecord, scene: Scene, fileIdentity: SceneFileIdentity): Promise<OpenSceneEntry> {
    try {
      const bands = defaultBands(scene.info);
      const stretch = await computeSceneStretch(scene, bands);
      return { record, scene, bands, stretch, renderer: createSceneTileRenderer(scene, { bands, stretch }), fileIdentity, fileKey: sceneFileKey(fileIdentity) };
    } catch (err) {
      await scene.close();
      throw err;
    }
  }
}

const registries = new WeakMap<AppContext, OpenScenes>();

/** One registry per app (the tile and on-demand routes share it). */
export function openScenesFor(ctx: AppContext): OpenScenes {
  let r = registries.get(ctx);
  if (!r) {
    r = new OpenScenes(ctx);
    registries.set(ctx, r);
  }
  return r;
}
