/**
 * Progress of a tiled segmentation: what `segmentScene` reports and what a server job persists and
 * serves (`progress` of `GET /jobs/{id}`). One shape, so the two cannot drift apart.
 */
export interface TileProgress {
  tilesDone: number;
  tilesTotal: number;
  tilesSkipped: number;
  tilesFailed: number;
  tilesPerSecond: number;
  /** Seconds left at the current rate; null until a rate is known. */
  etaSeconds: number | null;
}
