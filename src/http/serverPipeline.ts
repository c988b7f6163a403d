/**
 * The pipeline as the HTTP layer receives it: one object in the app context (`AppDeps.pipeline`), used by
 * the jobs (the JobRunner's JobPipeline: `segmentScene`, `changeScenes`) and by on-demand segmentation
 * (`segmentWindow`). The real one is `scenePipeline` (pipelineBinding.ts); tests inject their own.
 */
import type { FeatureCollection } from 'geojson';
import type { Scene } from '../adapters/raster/openScene.ts';
import type { BandStretch } from '../core/grid/bandStretch.ts';
import type { Segmenter } from '../core/model/segmenter.ts';
import type { PixelWindow } from '../core/scene.ts';
import type { JobPipeline } from '../pipeline/jobRunner.ts';

/** What on-demand segmentation asks of the pipeline: segment, stitch and vectorize one window of an open scene. */
export interface SegmentWindowRequest {
  /** The open scene (the server keeps scenes open between requests). */
  scene: Scene;
  /** The rectangle to segment, in the scene's pixels; its tiles are the window's own grid (`r0c0` at its corner). */
  window: PixelWindow;
  /** The model, already chosen for the scene (band roles, water index, fusion). */
  segmenter: Segmenter;
  prompt: string;
  overlap: number;
  bands: number[];
  /** The scene-wide stretch of `bands` (the window must look as it does in the whole scene). */
  stretch: BandStretch;
  /** Window tiles already known (cached): tile id → water probability; never run again. */
  completed: ReadonlyMap<string, Float32Array>;
  /** Each newly segmented window tile, as soon as it is done. */
  onTileDone: (tileId: string, probability: Float32Array) => void;
  /** The scene's name for provenance (never a server path). */
  sceneName: string;
  signal: AbortSignal;
}

export type SegmentWindowFn = (request: SegmentWindowRequest) => Promise<{ geojson: FeatureCollection }>;

export interface ServerPipeline extends Required<JobPipeline> {
  segmentWindow: SegmentWindowFn;
}
