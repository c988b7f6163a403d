/**
 * Open scenes for the tile and on-demand routes: each registered scene is opened once (header only),
 * with its default bands, scene-wide stretch (the same as the model input, from src/pipeline/tileSource.ts)
 * and a Web Mercator tile renderer. A small LRU closes scenes nobody asked for lately.
 */
import { openScene, type Scene } from '../../adapters/raster/openScene.ts';
import { createSceneTileRenderer, type SceneTileRenderer } from '../../adapters/raster/tileRenderer.ts';
import { computeSceneStretch, defaultBands } from '../../pipeline/tileSource.ts';
import type { BandStretch } from '../../core/grid/bandStretch.ts';
import type { SceneRecord } from '../../core/jobRecords.ts';
import type { AppContext } from '../appContext.ts';
import { Lru } from '../lru.ts';
import { findScene } from './scenes.ts';

export interface OpenSceneEntry {
  record: SceneRecord;
  scene: Scene;
  bands: number[];
  stretch: BandStretch;
  renderer: SceneTileRenderer;
}

export class OpenScenes {
  private readonly entries: Lru<string, Promise<OpenSceneEntry>>;

  constructor(private readonly ctx: AppContext, capacity = 8) {
    this.entries = new Lru(capacity, {
      onEvict: (_id, old) => {
        old.then((e) => e.scene.close()).catch(() => undefined);
      },
    });
  }

  get(id: string): Promise<OpenSceneEntry> {
    let entry = this.entries.get(id);
    if (entry) return entry;
    const rec = findScene(this.ctx, id);
    entry = (async () => {
      const scene = await openScene(rec.path);
      try {
        const bands = defaultBands(scene.info);
        const stretch = await computeSceneStretch(scene, bands);
        return { record: rec, scene, bands, stretch, renderer: createSceneTileRenderer(scene, { bands, stretch }) };
      } catch (err) {
        await scene.close();
        throw err;
      }
    })();
    entry.catch(() => this.entries.delete(id));
    this.entries.set(id, entry);
    return entry;
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
