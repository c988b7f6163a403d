/**
 * Water features handed over as the tracer closes their polygons (MaskTracer `onPolygon`), numbered and put
 * in id order as tracedToFeatures would: ids 1, 2, ... by ascending `order`, a dropped polygon (null:
 * under the minimum area) still taking its number. The in-memory sink of segmentScene; a file writer does
 * the same on disk (adapters/geojson/waterFeatureWriter.ts).
 */
import type { WaterFeature } from './toGeoJson.ts';

/** Receives each traced polygon's feature (ids 0 until numbered) or null, with its order key. */
export interface WaterFeatureSink {
  add(order: number, feature: WaterFeature | null): void;
}

export interface FeatureOrder extends WaterFeatureSink {
  /** Every feature added, numbered and sorted by id. */
  features(): WaterFeature[];
}

export function createFeatureOrder(): FeatureOrder {
  const entries: { order: number; feature: WaterFeature | null }[] = [];
  return {
    add(order, feature) {
      entries.push({ order, feature });
    },
    features() {
      entries.sort((a, b) => a.order - b.order);
      const out: WaterFeature[] = [];
      entries.forEach(({ feature }, i) => {
        if (!feature) return;
        feature.id = i + 1;
        feature.properties.id = i + 1;
        out.push(feature);
      });
      return out;
    },
  };
}
