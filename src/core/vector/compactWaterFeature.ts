/**
 * A water feature whose rings are closed lon/lat rings in interleaved Float64Arrays ([lon0, lat0, lon1, lat1,
 * ..., lon0, lat0]) instead of a `[lon, lat]` array per vertex: what the feature maker builds, so a polygon
 * spanning a whole scene (hundreds of thousands of vertices) costs 16 bytes per vertex. It becomes a GeoJSON
 * WaterFeature (toWaterFeature) when features are collected, or is written as JSON text straight into a byte
 * buffer (writeCompactFeatureTail) when they are streamed — the same text as JSON.stringify of the WaterFeature.
 */
import type { MultiPolygon, Polygon, Position } from 'geojson';
import { writeAscii, type AsciiSink } from './asciiSink.ts';
import { writeJsonNumber } from './jsonNumberBytes.ts';
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

/**
 * JSON.stringify(toWaterFeature(compact, id)) after its ids — what follows `"properties":{"id":N` — written as
 * ASCII into `sink` (numbers by writeJsonNumber), so a huge polygon is never one string nor a string per vertex.
 */
export function writeCompactFeatureTail(compact: CompactWaterFeature, sink: AsciiSink): void {
  const p = compact.properties;
  const multi = compact.polygons.length !== 1;
  const number = (v: number): void => {
    sink.room(NUMBER_ROOM);
    sink.at = writeJsonNumber(v, sink.bytes, sink.at);
  };
  writeAscii(sink, ',"area_m2":');
  number(p.area_m2);
  writeAscii(sink, ',"perimeter_m":');
  number(p.perimeter_m);
  writeAscii(sink, ',"mean_probability":');
  if (p.mean_probability === null) writeAscii(sink, 'null');
  else number(p.mean_probability);
  writeAscii(sink, ',"pixel_count":');
  number(p.pixel_count);
  writeAscii(sink, `},"geometry":{"type":"${multi ? 'MultiPolygon' : 'Polygon'}","coordinates":${multi ? '[' : ''}`);
  for (let r = 0; r < compact.polygons.length; r++) {
    const rings = compact.polygons[r];
    writeAscii(sink, r > 0 ? ',[' : '[');
    for (let k = 0; k < rings.length; k++) {
      const ring = rings[k];
      writeAscii(sink, k > 0 ? ',[' : '[');
      for (let i = 0; i < ring.length; i += 2) {
        sink.room(VERTEX_ROOM);
        const { bytes } = sink;
        let at = sink.at;
        if (i > 0) bytes[at++] = COMMA;
        bytes[at++] = OPEN;
        at = writeJsonNumber(ring[i], bytes, at);
        bytes[at++] = COMMA;
        at = writeJsonNumber(ring[i + 1], bytes, at);
        bytes[at++] = CLOSE;
        sink.at = at;
      }
      writeAscii(sink, ']');
    }
    writeAscii(sink, ']');
  }
  writeAscii(sink, `${multi ? ']' : ''}}}`);
}

/** Room for one number's text (writeJsonNumber needs at most 24 bytes), and for `,[x,y]`. */
const NUMBER_ROOM = 24;
const VERTEX_ROOM = 2 * NUMBER_ROOM + 4;
const COMMA = 44;
const OPEN = 91;
const CLOSE = 93;
