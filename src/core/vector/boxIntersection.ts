/**
 * Whether a feature meets a lon/lat box, as OGC API – Features' `bbox` means it (fc-bbox-response: the geometry
 * intersects the box), not merely its bounding box: a sea polygon whose holes are islands does not meet a box that
 * lies inside one of them, though its bounding box does. A box with minLon > maxLon crosses the antimeridian.
 */
import { booleanIntersects } from '@turf/boolean-intersects';
import type { Feature, Polygon } from 'geojson';

export type LonLatBox = [number, number, number, number];

/** Whether two boxes overlap (the second may cross the antimeridian): the cheap test to run first. */
export function boxesIntersect(a: LonLatBox, b: LonLatBox): boolean {
  if (b[0] > b[2]) return boxesIntersect(a, [b[0], b[1], 180, b[3]]) || boxesIntersect(a, [-180, b[1], b[2], b[3]]);
  return a[0] <= b[2] && a[2] >= b[0] && a[1] <= b[3] && a[3] >= b[1];
}

function boxPolygon([w, s, e, n]: LonLatBox): Feature<Polygon> {
  return { type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[[w, s], [e, s], [e, n], [w, n], [w, s]]] } };
}

/**
 * Whether `feature` (its bounding box `featureBox`) meets `box`: for each half of a box across the antimeridian, the
 * boxes first, then the geometry.
 */
export function featureIntersectsBox(feature: Feature, featureBox: LonLatBox, box: LonLatBox): boolean {
  const parts: LonLatBox[] = box[0] > box[2] ? [[box[0], box[1], 180, box[3]], [-180, box[1], box[2], box[3]]] : [box];
  return parts.some((part) => boxesIntersect(featureBox, part) && booleanIntersects(feature, boxPolygon(part)));
}
