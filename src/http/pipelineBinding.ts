/** The job runner's `segmentScene`: opens the stored scene and runs the pipeline on it. */
import { openScene } from '../adapters/raster/openScene.ts';
import { segmentScene } from '../pipeline/segmentScene.ts';
import type { SegmentSceneFn } from '../pipeline/jobRunner.ts';

export const pipelineSegmentScene: SegmentSceneFn = async (req) => {
  const scene = await openScene(req.scenePath, { signal: req.signal });
  try {
    const result = await segmentScene(scene, req.segmenter, {
      prompt: req.prompt,
      overlap: req.options.overlap,
      bands: req.options.bands,
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
