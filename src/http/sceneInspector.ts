/** The server's scene validation: open the file with the raster adapter and return its `info --json` report. */
import { openScene } from '../adapters/raster/openScene.ts';
import { sceneReport } from '../adapters/raster/sceneReport.ts';
import type { SceneInspector } from './appContext.ts';

export const inspectSceneFile: SceneInspector = async (path) => {
  const scene = await openScene(path);
  try {
    return sceneReport(scene.info);
  } finally {
    await scene.close();
  }
};
