/**
 * One call from a 0/1 mask to WGS84 water polygons: traceMask (pixel rings, holes, 4/8-connectivity)
 * then tracedToFeatures (simplify, project, orient, measure, filter).
 */
import { traceMask, type Connectivity } from './traceMask.ts';
import { tracedToFeatures, type ToGeoJsonOptions, type WaterFeature } from './toGeoJson.ts';

export interface VectorizeOptions extends ToGeoJsonOptions {
  connectivity?: Connectivity;
  /** Per-pixel values (e.g. quantized probability) averaged per polygon into mean_probability / valueScale. */
  values?: Uint8Array;
}

export function vectorizeMask(mask: Uint8Array, width: number, height: number, options: VectorizeOptions): WaterFeature[] {
  const trace = traceMask(mask, width, height, { connectivity: options.connectivity ?? 4, values: options.values });
  return tracedToFeatures(trace, options);
}
