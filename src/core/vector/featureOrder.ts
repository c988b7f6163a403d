/**
 * Water features handed over as the tracer closes their polygons (MaskTracer `onPolygon`), numbered and put
 * in id order as tracedToFeatures would: ids 1, 2, ... by ascending `order`, a dropped polygon (null:
 * under the minimum area) still taking its number. The in-memory sink of segmentScene; a file writer does
 * the same on disk (adapters/geojson/waterFeatureWriter.ts).
 */
import { toWaterFeature, type CompactWaterFeature } from './compactWaterFeature.ts';
import type { WaterFeature } from './toGeoJson.ts';

/** Receives each traced polygon's feature (typed-array rings, no id yet) or null, with its order key. */
export interface WaterFeatureSink {
  add(order: number, feature: CompactWaterFeature | null): void;
}

export interface FeatureOrder extends WaterFeatureSink {
  /** Every feature added, numbered and sorted by id, as GeoJSON features. */
  features(): WaterFeature[];
}

export function createFeatureOrder(): FeatureOrder {
  const entries: { order: number; feature: CompactWaterFeature | null }[] = [];
  return {
    add(order, feature) {
      entries.push({ order, feature });
    },
    features() {
      entries.sort((a, b) => a.order - b.order);
      const out: WaterFeature[] = [];
      entries.forEach(({ feature }, i) => {
        if (feature) out.push(toWaterFeature(feature, i + 1));
      });
      return out;
    },
  };
}
