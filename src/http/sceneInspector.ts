/** The server's scene validation: open the file with the raster adapter and return its `info --json` report. */
import { readSceneReport } from '../adapters/raster/sceneReport.ts';
import type { SceneInspector } from './appContext.ts';

export const inspectSceneFile: SceneInspector = (path, limits) => readSceneReport(path, { limits });
