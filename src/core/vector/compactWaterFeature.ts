/**
 * A water feature whose rings are closed lon/lat rings in interleaved Float64Arrays ([lon0, lat0, lon1, lat1,
 * ..., lon0, lat0]) instead of a `[lon, lat]` array per vertex: what the feature maker builds, so a polygon
 * spanning a whole scene (hundreds of thousands of vertices) costs 16 bytes per vertex. It becomes a GeoJSON
 * WaterFeature (toWaterFeature) when features are collected, or is written as JSON text piece by piece
 * (compactFeatureTailPieces) when they are streamed — the same text as JSON.stringify of the WaterFeature.
 */
import type { MultiPolygon, Polygon, Position } from 'geojson';
import type { WaterFeature, WaterProperties } from './toGeoJson.ts';

export interface CompactWaterFeature {
  /** The properties but the id (numbered later). */
  properties: Omit<WaterProperties, 'id'>;
  /** One entry (a Polygon) or several (a MultiPolygon): rings, shell first, each closed and interleaved. */
  polygons: Float64Array[][];
}

function ringPositions(ring: Float64Array): Position[] {
  const out: Position[] = new Array(ring.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = [ring[2 * i], ring[2 * i + 1]];
  return out;
}

/** The GeoJSON feature with id `id` (as the feature maker returned before rings were typed arrays). */
export function toWaterFeature(compact: CompactWaterFeature, id: number): WaterFeature {
  const polygons = compact.polygons.map((rings) => rings.map(ringPositions));
  const geometry: Polygon | MultiPolygon =
    polygons.length === 1 ? { type: 'Polygon', coordinates: polygons[0] } : { type: 'MultiPolygon', coordinates: polygons };
  const { area_m2, perimeter_m, mean_probability, pixel_count } = compact.properties;
  return { type: 'Feature', id, properties: { id, area_m2, perimeter_m, mean_probability, pixel_count }, geometry };
}

/** JSON.stringify of a number (finite doubles print as Number#toString, others as null). */
function jsonNumber(v: number): string {
  return Number.isFinite(v) ? String(v) : 'null';
}

/**
 * JSON.stringify(toWaterFeature(compact, id)) after its ids — what follows `"properties":{"id":N` — in pieces of
 * about `pieceChars` characters (the text is ASCII), so a huge polygon is never one string.
 */
export function* compactFeatureTailPieces(compact: CompactWaterFeature, pieceChars = 1 << 16): Generator<string> {
  const p = compact.properties;
  const multi = compact.polygons.length !== 1;
  let text =
    `,"area_m2":${jsonNumber(p.area_m2)},"perimeter_m":${jsonNumber(p.perimeter_m)}` +
    `,"mean_probability":${p.mean_probability === null ? 'null' : jsonNumber(p.mean_probability)}` +
    `,"pixel_count":${jsonNumber(p.pixel_count)}},"geometry":{"type":"${multi ? 'MultiPolygon' : 'Polygon'}","coordinates":${multi ? '[' : ''}`;
  for (let r = 0; r < compact.polygons.length; r++) {
    const rings = compact.polygons[r];
    text += r > 0 ? ',[' : '[';
    for (let k = 0; k < rings.length; k++) {
      const ring = rings[k];
      text += k > 0 ? ',[' : '[';
      for (let i = 0; i < ring.length; i += 2) {
        text += `${i > 0 ? ',' : ''}[${jsonNumber(ring[i])},${jsonNumber(ring[i + 1])}]`;
        if (text.length >= pieceChars) {
          yield text;
          text = '';
        }
      }
      text += ']';
    }
    text += ']';
  }
  text += `${multi ? ']' : ''}}}`;
  yield text;
}
