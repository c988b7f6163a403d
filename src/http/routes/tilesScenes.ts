/**
 * Open scenes for the tile and on-demand routes: each registered scene is opened once (header only),
 * with its default bands, scene-wide stretch (the same as the model input, from src/pipeline/tileSource.ts)
 * and a Web Mercator tile renderer. A small LRU closes scenes nobody asked for lately.
 *
 * An open scene belongs to one version of its file (sceneFileIdentity.ts, checked on every get): a file
 * replaced in place (same path, new content, e.g. an atomic rename) is opened again and the old handle
 * closed, so tiles never render the old pixels under the new ETag. A request still reading the old handle
 * when it closes fails (the file it read is gone); the next one reads the new file.
 */
import { openScene, type Scene } from '../../adapters/raster/openScene.ts';
import { createSceneTileRenderer, type SceneTileRenderer } from '../../adapters/raster/tileRenderer.ts';
import { computeSceneStretch, defaultBands } from '../../pipeline/tileSource.ts';
import type { BandStretch } from '../../core/grid/bandStretch.ts';
import type { SceneRecord } from '../../core/jobRecords.ts';
import type { AppContext } from '../appContext.ts';
import { Lru } from '../lru.ts';
import { findScene } from './scenes.ts';
import { sceneFileIdentity, sceneFileKey, type SceneFileIdentity } from './sceneFileIdentity.ts';

export interface OpenSceneEntry {
  record: SceneRecord;
  scene: Scene;
  bands: number[];
  stretch: BandStretch;
  renderer: SceneTileRenderer;
  /** The version of the file this entry opened (sceneFileKey): part of every cache key derived from its pixels. */
  fileKey: string;
}

interface CachedScene {
  record: SceneRecord;
  fileKey: string;
  entry: Promise<OpenSceneEntry>;
}

const closeEntry = (entry: Promise<OpenSceneEntry>): void => {
  entry.then((e) => e.scene.close()).catch(() => undefined);
};

export class OpenScenes {
  private readonly entries: Lru<string, CachedScene>;

  constructor(private readonly ctx: AppContext, capacity = 8) {
    this.entries = new Lru(capacity, { onEvict: (_id, old) => closeEntry(old.entry) });
  }

  /**
   * The open scene `id`, as its file is now (`identity`: the caller's fresh stat of it, else stat here). A
   * cached scene whose file has another identity is closed and the file opened again.
   */
  async get(id: string, identity?: SceneFileIdentity): Promise<OpenSceneEntry> {
    const record = this.entries.get(id)?.record ?? findScene(this.ctx, id);
    let fileKey: string;
    try {
      fileKey = sceneFileKey(identity ?? await sceneFileIdentity(record.path));
    } catch (err) {
      // A missing or unreadable file: drop what is open and answer as opening it answers.
      this.forget(id);
      await (await openScene(record.path)).close();
      throw err; // it came back in between: the stat's error
    }
    const cached = this.entries.get(id);
    if (cached?.fileKey === fileKey) return cached.entry;
    if (cached) this.forget(id);
    const entry = this.open(record, fileKey);
    const mine: CachedScene = { record, fileKey, entry };
    entry.catch(() => {
      if (this.entries.get(id) === mine) this.entries.delete(id);
    });
    this.entries.set(id, mine);
    return entry;
  }

  private forget(id: string): void {
    const cached = this.entries.get(id);
    if (!cached) return;
    this.entries.delete(id);
    closeEntry(cached.entry);
  }

  private async open(record: SceneRecord, fileKey: string): Promise<OpenSceneEntry> {
    const scene = await openScene(record.path);
    try {
      const bands = defaultBands(scene.info);
      const stretch = await computeSceneStretch(scene, bands);
      return { record, scene, bands, stretch, renderer: createSceneTileRenderer(scene, { bands, stretch }), fileKey };
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
