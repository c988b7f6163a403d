/**
 * The real pipeline behind the server (`scenePipeline`): the job runner's `segmentScene` and `changeScenes`
 * open the stored scenes and run the pipeline on them; on-demand segmentation's `segmentWindow` runs it on
 * a window of an open scene.
 */
import { openImagery } from '../adapters/raster/openScene.ts';
import { jobSceneModelRequest, segmenterForScene } from '../pipeline/sceneSegmenter.ts';
import { segmentScene } from '../pipeline/segmentScene.ts';
import { sceneWindow } from '../pipeline/sceneWindow.ts';
import type { ChangeScenesFn, SegmentSceneFn } from '../pipeline/jobRunner.ts';
import { changeScenes } from '../pipeline/changeScenes.ts';
import type { SegmentWindowFn, ServerPipeline } from './serverPipeline.ts';

export const pipelineSegmentScene: SegmentSceneFn = async (req) => {
  const scene = await openImagery(req.scenePath, { signal: req.signal });
  try {
    // Band roles, water index calibration and fusion are per scene; the learned model is the server's (cached).
    const { segmenter, bands } = await segmenterForScene(scene, jobSceneModelRequest(req.model, req.options, req.signal), async () => req.segmenter);
    const result = await segmentScene(scene, segmenter, {
      prompt: req.prompt,
      overlap: req.options.overlap,
      bands,
      threshold: req.options.threshold,
      minAreaM2: req.options.minArea,
      simplify: req.options.simplify,
      signal: req.signal,
      completed: req.completed,
      onTileDone: req.onTileDone,
      onProgress: req.onProgress,
      sceneName: req.sceneName,
    });
    return { geojson: result.collection };
  } finally {
    await scene.close();
  }
};

/** A change job: date A then date B, each mapped as a segment job would map it (same model, band roles, fusion). */
export const pipelineChangeScenes: ChangeScenesFn = async (req) => {
  const { options } = req;
  const result = await changeScenes(
    { kind: 'scene', path: req.scenes[0].path, name: req.scenes[0].name },
    { kind: 'scene', path: req.scenes[1].path, name: req.scenes[1].name },
    {
      model: {
        options: { prompt: req.prompt, overlap: options.overlap },
        forScene: (scene) => segmenterForScene(scene, jobSceneModelRequest(req.model, options, req.signal), async () => req.segmenter),
      },
      threshold: options.threshold,
      minAreaM2: options.minArea,
      simplify: options.simplify,
      signal: req.signal,
      completed: [req.completed[0], req.completed[1]],
      onTileDone: (dateIndex, tileId, probability, defects) => req.onTileDone(dateIndex, tileId, probability, defects),
      onProgress: req.onProgress,
    },
  );
  return { geojson: result.collection };
};

/** On-demand: the window as a scene of its own (sceneWindow), segmented, stitched and vectorized like a whole scene. */
export const pipelineSegmentWindow: SegmentWindowFn = async (req) => {
  const result = await segmentScene(sceneWindow(req.scene, req.window), req.segmenter, {
    prompt: req.prompt,
    overlap: req.overlap,
    bands: req.bands,
    stretch: req.stretch,
    completed: req.completed,
    signal: req.signal,
    onTileDone: req.onTileDone,
    sceneName: req.sceneName,
  });
  return { geojson: result.collection };
};

export const scenePipeline: ServerPipeline = {
  segmentScene: pipelineSegmentScene,
  changeScenes: pipelineChangeScenes,
  segmentWindow: pipelineSegmentWindow,
};
