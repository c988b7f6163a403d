/**
 * A change raster → WGS84 polygons, one set per mapped class (permanent, gained, lost, unknown), with
 * the same vectorizer as `segment` (core/vector: OGC-valid rings, holes, 4/8-connectivity, optional
 * simplification and minimum area). Every feature carries `class` plus the vectorizer's `area_m2`,
 * `perimeter_m`, `pixel_count`; ids run 1..n over all classes in the order of MAPPED_CHANGE_CLASSES.
 */
import type { Feature, FeatureCollection, MultiPolygon, Polygon } from 'geojson';
import { vectorizeMask, type VectorizeOptions } from '../vector/vectorizeMask.ts';
import type { WaterProvenance } from '../vector/waterCollection.ts';
import { classMask, MAPPED_CHANGE_CLASSES, type ChangeClass } from './changeClasses.ts';
import type { ChangeSummary } from './changeSummary.ts';

export interface ChangeProperties {
  id: number;
  class: ChangeClass;
  area_m2: number;
  perimeter_m: number;
  pixel_count: number;
}

export type ChangeFeature = Feature<Polygon | MultiPolygon, ChangeProperties> & { id: number };

export interface ChangeProvenance extends WaterProvenance {
  kind: 'change';
  summary: ChangeSummary;
}

export type ChangeCollection = FeatureCollection<Polygon | MultiPolygon, ChangeProperties> & {
  features: ChangeFeature[];
  waterline: ChangeProvenance;
};

export type ChangeVectorizeOptions = Omit<VectorizeOptions, 'values' | 'valueScale'>;

export function vectorizeChange(classes: Uint8Array, width: number, height: number, options: ChangeVectorizeOptions): ChangeFeature[] {
  const out: ChangeFeature[] = [];
  for (const cls of MAPPED_CHANGE_CLASSES) {
    const features = vectorizeMask(classMask(classes, cls), width, height, options);
    for (const f of features) {
      const id = out.length + 1;
      const { area_m2, perimeter_m, pixel_count } = f.properties;
      out.push({ type: 'Feature', id, properties: { id, class: cls, area_m2, perimeter_m, pixel_count }, geometry: f.geometry });
    }
  }
  return out;
}
