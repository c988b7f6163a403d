/**
 * The FeatureCollection Waterline writes: water polygons plus run provenance in a foreign member
 * `waterline` (RFC 7946 §6.1 allows foreign members; readers that do not know it ignore it).
 */
import type { FeatureCollection, MultiPolygon, Polygon } from 'geojson';
import type { SegmentationDefect } from '../model/segmenter.ts';
import type { WaterFeature, WaterProperties } from './toGeoJson.ts';

export interface TileDefectReport extends SegmentationDefect {
  tileId: string;
}

export interface WaterProvenance {
  /** Scene path or name. */
  scene: string;
  model?: string;
  prompt?: string;
  threshold?: number;
  connectivity: 4 | 8;
  simplify: number;
  minAreaM2: number;
  /** ISO 8601 time the collection was created. */
  created: string;
  tilesTotal?: number;
  /** Tiles that were all nodata and not sent to the model. */
  skippedTiles?: string[];
  /** Tiles whose inference failed twice: their area is missing from the result. */
  failedTiles?: { tileId: string; error: string }[];
  /** Problems found in model outputs and how they were handled. */
  defects?: TileDefectReport[];
  [key: string]: unknown;
}

export type WaterCollection = FeatureCollection<Polygon | MultiPolygon, WaterProperties> & {
  features: WaterFeature[];
  waterline: WaterProvenance;
};

export function waterCollection(features: WaterFeature[], provenance: WaterProvenance): WaterCollection {
  return { type: 'FeatureCollection', features, waterline: provenance };
}
