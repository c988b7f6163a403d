/** The shared scenes that have truth (OpenStreetMap water), for `bench quality` and the quality tests. */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export interface QualityScene {
  name: string;
  scene: string;
  /** Files in ../shared/data/osm-water, united. */
  truth: string[];
  /** Roles a user must give (the file does not describe its bands). */
  bandRoles?: string;
  /** Kept out of every choice of threshold rule and fusion weights (held out). */
  heldOut: boolean;
}

export function sharedDataDir(): string {
  return process.env.WATERLINE_SHARED_DIR ? join(process.env.WATERLINE_SHARED_DIR, 'data') : resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', 'shared', 'data');
}

const PUCALLPA_ROLES = 'swir1=1,nir=2,red=3,green=4';

export const QUALITY_SCENES: QualityScene[] = [
  { name: 'recife (L7, 6 bands)', scene: 'landsat7-recife-6band-utm25s.tif', truth: ['landsat7-recife.osm_seas10m.geojson', 'landsat7-recife.osm_waterbodies10m.geojson'], heldOut: true },
  { name: 'pucallpa 1985 (L5)', scene: 'landsat5-pucallpa-1985-4326.tif', truth: ['landsat-pucallpa.osm_waterbodies10m.geojson'], bandRoles: PUCALLPA_ROLES, heldOut: false },
  { name: 'pucallpa 2020 (L8)', scene: 'landsat8-pucallpa-2020-4326.tif', truth: ['landsat-pucallpa.osm_waterbodies10m.geojson'], bandRoles: PUCALLPA_ROLES, heldOut: false },
  { name: 'ottawa (RGB)', scene: 'landsat8-ottawa-rgb16-utm18-cog.tif', truth: ['landsat8-ottawa.osm_waterbodies10m.geojson'], heldOut: true },
  { name: 'bahamas (RGB)', scene: 'landsat7-bahamas-rgb-utm18.tif', truth: ['landsat7-bahamas.osm_seas10m.geojson', 'landsat7-bahamas.osm_waterbodies10m.geojson'], heldOut: true },
  { name: 'grenada (RGB)', scene: 'landsat8-grenada-rgb16-utm20.tif', truth: ['landsat8-grenada.osm_seas10m.geojson', 'landsat8-grenada.osm_waterbodies10m.geojson'], heldOut: true },
  { name: 'guadeloupe all-sea (RGB)', scene: 'aerial-guadeloupe-allwater-3857.tif', truth: ['aerial-guadeloupe.osm_seas10m.geojson', 'aerial-guadeloupe.osm_waterbodies10m.geojson'], heldOut: true },
];
