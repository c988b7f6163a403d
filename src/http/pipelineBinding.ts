/** The job runner's `segmentScene`: opens the stored scene and runs the pipeline on it. */
import { openScene } from '../adapters/raster/openScene.ts';
import { AUTO_MODEL_NAME, segmenterForScene } from '../pipeline/sceneSegmenter.ts';
import { segmentScene } from '../pipeline/segmentScene.ts';
import type { SegmentSceneFn } from '../pipeline/jobRunner.ts';

export const pipelineSegmentScene: SegmentSceneFn = async (req) => {
  const scene = await openScene(req.scenePath, { signal: req.signal });
  try {
    // Band roles, water index calibration and fusion are per scene; the learned model is the server's (cached).
    const { segmenter, bands } = await segmenterForScene(scene, {
      model: req.model ?? AUTO_MODEL_NAME,
      fusion: req.options.fusion !== 'none',
      bandRoles: req.options.bandRoles,
      bands: req.options.bands,
      signal: req.signal,
    }, async () => req.segmenter);
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
