/**
 * What the run report of `segment --report` / `GET /jobs/{id}/report` shows, computed from the output
 * collection alone (so the CLI and the server render the same page for the same result): water area and
 * polygon count, the polygon-size histogram, the probability histogram and timings recorded in the
 * provenance, tiles skipped and failed with where they are, the run settings, and every provenance member
 * as a table (rendered generically, so members added later show up without changes here).
 */
import type { PixelWindow } from '../scene.ts';
import type { TileGrid } from '../grid/tileGrid.ts';
import type { WaterCollection } from '../vector/waterCollection.ts';
import { logHistogram, type Histogram } from './histogram.ts';

/** A tile on the scene: its pixel window and, when the CRS allows, the lon/lat of its centre. */
export interface TilePlace {
  tileId: string;
  window: PixelWindow;
  lonLat: [number, number] | null;
  error?: string;
}

export interface RunReportScene {
  name: string;
  width: number;
  height: number;
  crs: string;
}

export interface RunReport {
  title: string;
  scene: RunReportScene;
  created: string | null;
  model: string | null;
  provider: string | null;
  bands: string | null;
  threshold: number | null;
  minAreaM2: number | null;
  polygons: number;
  waterAreaM2: number;
  /** Polygon areas (m²), log bins. */
  polygonSizes: Histogram;
  /** Blended probability of the valid pixels (from the provenance's probabilityHistogram), when recorded. */
  probability: Histogram | null;
  tilesTotal: number | null;
  skipped: TilePlace[];
  failed: TilePlace[];
  /** Phase timings (label, seconds), when recorded. */
  timings: { label: string; seconds: number }[];
  /** Every provenance member, flattened to text rows. */
  provenance: { key: string; value: string }[];
}

const MAX_LIST = 12;
const MAX_TEXT = 400;

function clip(text: string): string {
  return text.length > MAX_TEXT ? `${text.slice(0, MAX_TEXT - 1)}…` : text;
}

function valueText(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'number') return Number.isInteger(v) ? String(v) : String(Number(v.toPrecision(6)));
  if (typeof v === 'string') return clip(v);
  if (typeof v === 'boolean') return v ? 'yes' : 'no';
  if (Array.isArray(v)) {
    if (v.length === 0) return 'none';
    if (v.every((x) => typeof x !== 'object' || x === null)) {
      const shown = v.slice(0, MAX_LIST).map(valueText).join(', ');
      return v.length > MAX_LIST ? `${shown}, … (${v.length} in all)` : shown;
    }
    const shown = v.slice(0, 3).map((x) => JSON.stringify(x)).join('; ');
    return clip(`${v.length} entr${v.length === 1 ? 'y' : 'ies'}: ${shown}${v.length > 3 ? '; …' : ''}`);
  }
  return clip(JSON.stringify(v));
}

/** Provenance as rows: nested objects become dotted keys (two levels), anything deeper is shown as JSON. */
export function provenanceRows(provenance: Record<string, unknown>): { key: string; value: string }[] {
  const rows: { key: string; value: string }[] = [];
  const walk = (prefix: string, obj: Record<string, unknown>, depth: number): void => {
    for (const [k, v] of Object.entries(obj)) {
      const key = prefix ? `${prefix}.${k}` : k;
      if (v && typeof v === 'object' && !Array.isArray(v) && depth < 2) walk(key, v as Record<string, unknown>, depth + 1);
      else rows.push({ key, value: valueText(v) });
    }
  };
  walk('', provenance, 0);
  return rows;
}

/** Where the listed tiles are: their windows from the grid and the lon/lat of their centres. */
export function placeTiles(ids: readonly string[], grid: TileGrid, lonLatOf: (x: number, y: number) => [number, number] | null): TilePlace[] {
  const byId = new Map(grid.tiles.map((t) => [t.id, t]));
  const places: TilePlace[] = [];
  for (const id of ids) {
    const tile = byId.get(id);
    if (!tile) continue;
    const w = tile.window;
    places.push({ tileId: id, window: w, lonLat: lonLatOf(w.x + w.width / 2, w.y + w.height / 2) });
  }
  return places;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

function recordedHistogram(v: unknown): Histogram | null {
  const h = v as Histogram | undefined;
  if (!h || !Array.isArray(h.edges) || !Array.isArray(h.counts) || h.edges.length !== h.counts.length + 1) return null;
  return { edges: h.edges.map(Number), counts: h.counts.map(Number) };
}

const TIMING_LABELS: Record<string, string> = {
  tilesSeconds: 'tiles (read, model, blend)',
  vectorizeSeconds: 'vectorizing',
  totalSeconds: 'in all',
};

export function buildRunReport(collection: WaterCollection, scene: RunReportScene, tiles: { skipped: TilePlace[]; failed: TilePlace[] }): RunReport {
  const p = collection.waterline;
  const areas = collection.features.map((f) => f.properties.area_m2);
  const timings = Object.entries((p.timings ?? {}) as Record<string, unknown>)
    .filter(([k, v]) => k.endsWith('Seconds') && num(v) !== null)
    .map(([k, v]) => ({ label: TIMING_LABELS[k] ?? k, seconds: v as number }));
  const bands = Array.isArray(p.bands) ? (p.bands as unknown[]).join(',') : typeof p.bands === 'string' ? p.bands : null;
  const name = scene.name.split(/[\\/]/).pop() || scene.name;
  return {
    title: `Water in ${name}`,
    scene,
    created: typeof p.created === 'string' ? p.created : null,
    model: typeof p.model === 'string' ? p.model : null,
    provider: typeof p.provider === 'string' ? p.provider : null,
    bands,
    threshold: num(p.threshold),
    minAreaM2: num(p.minAreaM2),
    polygons: collection.features.length,
    waterAreaM2: areas.reduce((s, a) => s + a, 0),
    polygonSizes: logHistogram(areas, 2),
    probability: recordedHistogram(p.probabilityHistogram),
    tilesTotal: num(p.tilesTotal),
    skipped: tiles.skipped,
    failed: tiles.failed,
    timings,
    provenance: provenanceRows(p as Record<string, unknown>),
  };
}
