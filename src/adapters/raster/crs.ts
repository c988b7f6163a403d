/**
 * CRS from GeoTIFF GeoKeys, and reprojection to/from WGS84 (proj4js).
 *
 * - EPSG codes: the proj4 definition comes from `epsg-index` (one small JSON file per code).
 * - User-defined CRSs (ProjectedCSTypeGeoKey 32767, or an EPSG code whose linear units are overridden,
 *   e.g. a state plane in US feet): built from the GeoKeys with `geotiff-geokeys-to-proj4`.
 * - Datum shifts follow what PROJ/GDAL do when no grid files are installed: NAD27 uses the CONUS
 *   Helmert (EPSG:1173, towgs84=-8,160,176); NAD83/SIRGAS/GRS80 datums are treated as WGS84.
 */
import { createRequire } from 'node:module';
import proj4 from 'proj4';
import type geokeysToProj4Module from 'geotiff-geokeys-to-proj4';
import type { CrsInfo } from '../../core/scene.ts';
import { InputError, UnsupportedError } from '../../core/errors.ts';

const require = createRequire(import.meta.url);
const WGS84 = '+proj=longlat +datum=WGS84 +no_defs';
const USER_DEFINED = 32767;
/**
 * NAD27 → WGS84 Helmert shifts, matching what PROJ (and so gdalinfo) picks when the NADCON grids are not
 * installed: for an EPSG CRS with a CONUS area of use, EPSG:1173 (-8,160,176); for a user-defined CRS,
 * which has no area of use, PROJ's default NAD27 operation (-8,159,175). Both verified against gdalinfo.
 */
const NAD27_TOWGS84_EPSG = '+towgs84=-8,160,176,0,0,0,0';
const NAD27_TOWGS84_USER = '+towgs84=-8,159,175,0,0,0,0';
const LINEAR_UNITS: Record<number, string> = { 9001: 'metre', 9002: 'foot', 9003: 'US survey foot' };

interface EpsgEntry {
  code: string;
  kind: string;
  name: string;
  wkt: string;
  proj4: string;
  unit: string;
}

export type GeoKeys = Record<string, unknown>;

function lookupEpsg(code: number): EpsgEntry | null {
  if (!Number.isInteger(code) || code <= 0 || code >= USER_DEFINED) return null;
  try {
    return require(`epsg-index/s/${code}.json`) as EpsgEntry;
  } catch {
    return null;
  }
}

function isNad27(def: string, geoKeys: GeoKeys, wkt = ''): boolean {
  return (
    geoKeys.GeographicTypeGeoKey === 4267 ||
    geoKeys.GeogGeodeticDatumGeoKey === 6267 ||
    /North_American_Datum_1927/.test(wkt) ||
    /\+datum=NAD27\b/.test(def)
  );
}

/** Drop parameters proj4js handles differently from PROJ (grid files, axis order, metadata). */
function normaliseDefinition(def: string, nad27: string | null): string {
  let out = def
    .replace(/\s\+type=crs\b/g, '')
    .replace(/\s\+axis=\w+/g, '')
    .replace(/\s\+wktext\b/g, '');
  if (!/\+nadgrids=@null\b/.test(out)) out = out.replace(/\s\+nadgrids=\S+/g, '');
  if (nad27) {
    out = out.replace(/\s\+datum=NAD27\b/g, ' +ellps=clrk66');
    if (!/\+towgs84=/.test(out)) out = `${out} ${nad27}`;
  }
  return out.replace(/\s+/g, ' ').trim();
}

function assertUsable(def: string, source: string): void {
  try {
    proj4(def, WGS84).forward([0, 0]);
  } catch (err) {
    throw new UnsupportedError('unsupported_crs', `${source}: its CRS (${def}) cannot be used for reprojection`, {
      hint: 'reproject it first, e.g. gdalwarp -t_srs EPSG:4326',
      cause: err,
    });
  }
}

function unitOfEpsg(entry: EpsgEntry): string {
  return entry.unit.replace(/\s*\(.*\)\s*$/, '');
}

/**
 * The scene CRS from its GeoKeys. Throws InputError when the file has no GeoKeys (not georeferenced) and
 * UnsupportedError when the CRS is unknown or cannot be expressed in proj4.
 */
export function crsFromGeoKeys(geoKeys: GeoKeys | null | undefined, source: string): CrsInfo {
  if (!geoKeys || Object.keys(geoKeys).length === 0) {
    throw new InputError('not_georeferenced', `${source}: no CRS (the file has no GeoTIFF GeoKeys)`, {
      hint: 'georeference it first, e.g. gdal_translate -a_srs EPSG:xxxx -a_ullr ...',
    });
  }
  const modelType = geoKeys.GTModelTypeGeoKey;
  if (modelType !== 1 && modelType !== 2) {
    throw new UnsupportedError('unsupported_crs', `${source}: unsupported GeoTIFF model type ${String(modelType)} (only projected and geographic CRSs are supported)`, {
      hint: 'reproject it first, e.g. gdalwarp -t_srs EPSG:4326',
    });
  }
  const codeKey = modelType === 1 ? 'ProjectedCSTypeGeoKey' : 'GeographicTypeGeoKey';
  const rawCode = geoKeys[codeKey];
  const code = typeof rawCode === 'number' ? rawCode : USER_DEFINED;
  const entry = code !== USER_DEFINED ? lookupEpsg(code) : null;
  if (code !== USER_DEFINED && !entry) {
    throw new UnsupportedError('unknown_crs', `${source}: unknown CRS code EPSG:${code} in ${codeKey}`, {
      hint: 'reproject it to a known CRS, e.g. gdalwarp -t_srs EPSG:4326',
    });
  }
  const unitKey = geoKeys.ProjLinearUnitsGeoKey;
  const overriddenUnits =
    entry && modelType === 1 && typeof unitKey === 'number' && LINEAR_UNITS[unitKey] !== undefined && LINEAR_UNITS[unitKey] !== unitOfEpsg(entry);

  if (entry && !overriddenUnits) {
    const def = normaliseDefinition(entry.proj4, isNad27(entry.proj4, geoKeys, entry.wkt) ? NAD27_TOWGS84_EPSG : null);
    assertUsable(def, source);
    return { epsg: code, proj4: def, name: entry.name, units: unitOfEpsg(entry) };
  }

  // User-defined: build the definition from the individual GeoKeys (its tables are loaded only here: 60 ms at start).
  const geokeysToProj4 = require('geotiff-geokeys-to-proj4') as typeof geokeysToProj4Module;
  let converted: ReturnType<typeof geokeysToProj4.toProj4>;
  try {
    converted = geokeysToProj4.toProj4(geoKeys as unknown as Parameters<typeof geokeysToProj4.toProj4>[0]);
  } catch (err) {
    throw new UnsupportedError('unknown_crs', `${source}: unknown or unsupported user-defined CRS in the GeoKeys`, {
      hint: 'reproject it to a known CRS, e.g. gdalwarp -t_srs EPSG:4326',
      cause: err,
    });
  }
  // Warnings (both GCS and PCS keys present, vertical CS keys) do not affect the horizontal CRS.
  const errors = Object.keys((converted as unknown as { errors?: Record<string, unknown> }).errors ?? {})
    .filter((k) => k !== 'bothGCSAndPCSAreSet' && !k.startsWith('vertical'));
  if (!converted.proj4 || errors.length > 0) {
    throw new UnsupportedError('unknown_crs', `${source}: unknown or unsupported user-defined CRS in the GeoKeys (${errors.join(', ') || 'no definition'})`, {
      hint: 'reproject it to a known CRS, e.g. gdalwarp -t_srs EPSG:4326',
    });
  }
  let def = converted.proj4;
  const { x: cx, y: cy } = converted.coordinatesConversionParameters;
  if (cx !== 1 && cx === cy && !/\+(to_meter|units)=/.test(def)) def = `${def} +to_meter=${cx}`;
  def = normaliseDefinition(def, isNad27(def, geoKeys) ? NAD27_TOWGS84_USER : null);
  assertUsable(def, source);
  const toMeter = /\+to_meter=([\d.]+)/.exec(def)?.[1];
  let units = modelType === 2 ? 'degree' : 'metre';
  if (toMeter) units = Math.abs(Number(toMeter) - 0.3048006096) < 1e-6 ? 'US survey foot' : Math.abs(Number(toMeter) - 0.3048) < 1e-9 ? 'foot' : `${toMeter} m`;
  const citation = typeof geoKeys.GTCitationGeoKey === 'string' ? geoKeys.GTCitationGeoKey : undefined;
  const name = entry ? entry.name : citation && citation.length < 80 && !citation.includes('\n') ? citation : 'user-defined';
  return { epsg: null, proj4: def, name, units };
}

export interface CrsTransform {
  toWgs84(x: number, y: number): [number, number];
  fromWgs84(lon: number, lat: number): [number, number];
}

/** Scene CRS ↔ WGS84 lon/lat. */
export function createCrsTransform(crs: CrsInfo): CrsTransform {
  const converter = proj4(crs.proj4, WGS84);
  return {
    toWgs84(x, y) {
      const [lon, lat] = converter.forward([x, y]);
      return [lon, lat];
    },
    fromWgs84(lon, lat) {
      const [x, y] = converter.inverse([lon, lat]);
      return [x, y];
    },
  };
}
