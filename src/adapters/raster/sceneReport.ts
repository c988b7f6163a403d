/**
 * `waterline info` as data: a gdalinfo-style report of a scene, using gdalinfo's JSON key names for the
 * shared parts (size, bands, geoTransform, cornerCoordinates, wgs84Extent) plus crs, overviews,
 * blockSize and compression. The HTTP API serves the same object (`GET /scenes/{id}` → info).
 */
import type { Polygon } from 'geojson';
import { applyGeoTransform } from '../../core/grid/affine.ts';
import type { SceneInfo } from '../../core/scene.ts';
import { inferBandRoles, type BandRole, type RoleSource } from '../../core/bands/bandRoles.ts';
import { createCrsTransform } from './crs.ts';
import { openImagery, type OpenSceneOptions } from './openScene.ts';

export interface SceneReport {
  description: string;
  size: [number, number];
  geoTransform: number[];
  crs: { epsg: number | null; proj4: string; name: string | null; units: string | null };
  cornerCoordinates: {
    upperLeft: [number, number];
    lowerLeft: [number, number];
    lowerRight: [number, number];
    upperRight: [number, number];
    center: [number, number];
  };
  wgs84Extent: Polygon;
  /** The centre in WGS84 (lon, lat), as gdalinfo's text Center line shows it. */
  wgs84Center: [number, number];
  bands: {
    band: number;
    /** GDAL's band description (omitted when empty, as gdalinfo -json does). */
    description?: string;
    type: string;
    noDataValue?: number;
    colorInterpretation: string;
    block: [number, number];
    /** What the band measures (blue, green, nir, swir1...), inferred; null when unknown. */
    role: BandRole | null;
    /** Where the role came from: description, colorinterp, or band-count (a guess). */
    roleSource?: RoleSource;
  }[];
  blockSize: [number, number];
  overviews: { size: [number, number] }[];
  compression: string;
  hasMask: boolean;
  /** Present when the file declares no nodata but has a black collar, read as nodata 0 (SceneInfo.blackCollar). */
  blackCollar?: true;
}

/** gdalinfo rounds wgs84Extent to 7 decimals; so do we. */
function round7(v: number): number {
  return Math.round(v * 1e7) / 1e7;
}

export function sceneReport(info: SceneInfo): SceneReport {
  const gt = info.geoTransform;
  const { width: w, height: h } = info;
  const corner = (c: number, r: number) => applyGeoTransform(gt, c, r);
  const cornerCoordinates = {
    upperLeft: corner(0, 0),
    lowerLeft: corner(0, h),
    lowerRight: corner(w, h),
    upperRight: corner(w, 0),
    center: corner(w / 2, h / 2),
  };
  const t = createCrsTransform(info.crs);
  const roles = inferBandRoles(info.bands);
  const ring = [cornerCoordinates.upperLeft, cornerCoordinates.lowerLeft, cornerCoordinates.lowerRight, cornerCoordinates.upperRight]
    .map(([x, y]) => t.toWgs84(x, y).map(round7) as [number, number]);
  ring.push(ring[0]);
  return {
    description: info.source,
    size: [w, h],
    geoTransform: [...gt],
    crs: { epsg: info.crs.epsg, proj4: info.crs.proj4, name: info.crs.name ?? null, units: info.crs.units ?? null },
    cornerCoordinates,
    wgs84Extent: { type: 'Polygon', coordinates: [ring] },
    wgs84Center: t.toWgs84(...cornerCoordinates.center).map(round7) as [number, number],
    bands: info.bands.map((b, i) => ({
      band: b.band,
      ...(b.description ? { description: b.description } : {}),
      type: b.type,
      ...(b.noDataValue === null ? {} : { noDataValue: b.noDataValue }),
      colorInterpretation: b.colorInterpretation,
      block: [info.blockWidth, info.blockHeight],
      role: roles.byBand[i],
      ...(roles.byBand[i] ? { roleSource: roles.sources[roles.byBand[i] as BandRole] } : {}),
    })),
    blockSize: [info.blockWidth, info.blockHeight],
    overviews: info.overviews.map((o) => ({ size: [o.width, o.height] })),
    compression: info.compression,
    hasMask: info.hasMask,
    ...(info.blackCollar ? { blackCollar: true as const } : {}),
  };
}

/**
 * Open a scene (path or http(s) URL) as imagery, report it and close it: `waterline info` and the server's scene
 * validation (both about imagery, so a black collar is reported as the pipeline will read it).
 */
export async function readSceneReport(source: string, options: Omit<OpenSceneOptions, 'detectBlackCollar'> = {}): Promise<SceneReport> {
  const scene = await openImagery(source, options);
  try {
    return sceneReport(scene.info);
  } finally {
    await scene.close();
  }
}

function fmt(v: number, degrees: boolean): string {
  return degrees ? v.toFixed(7) : v.toFixed(3);
}

/** The report as gdalinfo-like text. */
export function formatSceneReport(r: SceneReport): string {
  const degrees = r.crs.units === 'degree';
  const lines: string[] = [];
  lines.push(`Scene: ${r.description}`);
  lines.push(`Size is ${r.size[0]}, ${r.size[1]}`);
  lines.push(`Coordinate System: ${r.crs.epsg !== null ? `EPSG:${r.crs.epsg} ` : ''}${r.crs.name ?? 'user-defined'}${r.crs.units ? ` (${r.crs.units})` : ''}`);
  lines.push(`  proj4: ${r.crs.proj4}`);
  const gt = r.geoTransform;
  lines.push(`Origin = (${gt[0].toFixed(15)},${gt[3].toFixed(15)})`);
  lines.push(`Pixel Size = (${gt[1].toFixed(15)},${gt[5].toFixed(15)})`);
  if (gt[2] !== 0 || gt[4] !== 0) lines.push(`Rotation = (${gt[2]}, ${gt[4]})`);
  lines.push(`Compression: ${r.compression}; Block = ${r.blockSize[0]}x${r.blockSize[1]}`);
  lines.push('Corner Coordinates:');
  const ring = r.wgs84Extent.coordinates[0];
  const names: [string, keyof SceneReport['cornerCoordinates'], number | null][] = [
    ['Upper Left', 'upperLeft', 0], ['Lower Left', 'lowerLeft', 1], ['Upper Right', 'upperRight', 3], ['Lower Right', 'lowerRight', 2], ['Center', 'center', null],
  ];
  for (const [label, key, idx] of names) {
    const [x, y] = r.cornerCoordinates[key];
    const [lon, lat] = idx === null ? r.wgs84Center : ring[idx];
    const ll = ` (${lon.toFixed(7)}, ${lat.toFixed(7)})`;
    lines.push(`${label.padEnd(12)}(${fmt(x, degrees)}, ${fmt(y, degrees)})${ll}`);
  }
  for (const b of r.bands) {
    lines.push(`Band ${b.band} Block=${b.block[0]}x${b.block[1]} Type=${b.type}, ColorInterp=${b.colorInterpretation}`);
    if (b.description) lines.push(`  Description = ${b.description}`);
    lines.push(`  Role: ${b.role ?? 'unknown'}${b.roleSource === 'band-count' ? ' (guessed from the band count; set --band-roles if wrong)' : b.roleSource ? ` (from ${b.roleSource})` : ''}`);
    if (b.noDataValue !== undefined) lines.push(`  NoData Value=${b.noDataValue}${r.blackCollar ? ' (black collar: the file declares none; its corners are 0 in every band)' : ''}`);
    if (r.overviews.length) lines.push(`  Overviews: ${r.overviews.map((o) => `${o.size[0]}x${o.size[1]}`).join(', ')}`);
    if (r.hasMask) lines.push('  Mask: per-dataset mask or alpha band');
  }
  return `${lines.join('\n')}\n`;
}
