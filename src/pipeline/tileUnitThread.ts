/**
 * The inference thread of a `waterline worker` (started by tileWorker.ts): loads the model once, keeps the
 * scenes it reads open, and does plan and tile units. Running here keeps the worker's main event loop free
 * to renew BullMQ locks however long a unit's model calls and tile reads take.
 */
import { openImagery, type Scene } from '../adapters/raster/openScene.ts';
import { serveThread, threadInit } from '../adapters/threads/threadRpc.ts';
import { importSegmenterLoader, type SegmenterModuleRef } from './segmenterModule.ts';
import { openJobTileSource, planTiles, segmentTileUnit, tileShapingOptions, type JobTileSource, type TileJobSpec, type TileUnit } from './tileWork.ts';

export interface TileUnitThreadInit {
  segmenter: SegmenterModuleRef;
  /** The model to load (null = the module's default). */
  model: string | null;
}

/** Open scenes kept (tile sources with their stretch), least recently used closed first. */
const KEEP_SCENES = 4;

serveThread(async () => {
  const init = threadInit<TileUnitThreadInit>();
  const load = await importSegmenterLoader(init.segmenter);
  const segmenter = await load(init.model);
  const open = new Map<string, Promise<{ scene: Scene } & JobTileSource>>();

  const sourceFor = async (spec: TileJobSpec, scenePath: string, signal: AbortSignal): Promise<JobTileSource & { scene: Scene }> => {
    const key = JSON.stringify([scenePath, spec.jobModel, ...tileShapingOptions(spec.options)]);
    let entry = open.get(key);
    if (entry) {
      open.delete(key);
    } else {
      entry = (async () => {
        const scene = await openImagery(scenePath, { signal });
        try {
          return { scene, ...(await openJobTileSource(scene, segmenter, spec, signal)) };
        } catch (err) {
          await scene.close();
          throw err;
        }
      })();
      entry.catch(() => open.delete(key));
    }
    open.set(key, entry);
    while (open.size > KEEP_SCENES) {
      const [oldKey, old] = open.entries().next().value!;
      open.delete(oldKey);
      void old.then((o) => o.scene.close()).catch(() => undefined);
    }
    const { segmenter: sceneSegmenter, source, scene } = await entry;
    return { segmenter: sceneSegmenter, source, scene };
  };

  return {
    info: async () => segmenter.info,
    plan: async ({ spec, scenePath }: { spec: TileJobSpec; scenePath: string }, signal) => {
      const { source, scene } = await sourceFor(spec, scenePath, signal);
      return planTiles(source, segmenter, scene.info);
    },
    tiles: async ({ unit, scenePath }: { unit: TileUnit; scenePath: string }, signal) => {
      const { segmenter: sceneSegmenter, source } = await sourceFor(unit, scenePath, signal);
      return segmentTileUnit(source, sceneSegmenter, unit, signal);
    },
    close: async () => {
      for (const entry of open.values()) await entry.then((o) => o.scene.close()).catch(() => undefined);
      open.clear();
      await segmenter.dispose();
    },
  };
});
