/**
 * What a file that is not a TIFF is, from its first bytes: so "not a TIFF" can say "this is a PNG image" and how to
 * turn it into a GeoTIFF, instead of the TIFF parser's "Invalid byte order value".
 */
import { InputError } from './errors.ts';

/** A format recognised by its signature, and what to do with it. */
export interface FileKind {
  /** e.g. "a PNG image" */
  name: string;
  hint: string;
}

const GEOREFERENCE = 'georeference it into a GeoTIFF: gdal_translate -of GTiff -a_srs EPSG:4326 -a_ullr WEST NORTH EAST SOUTH in.png out.tif, or just gdal_translate -of GTiff in.png out.tif when its world file lies beside it';

const SIGNATURES: { bytes: number[]; kind: FileKind }[] = [
  { bytes: [0x89, 0x50, 0x4e, 0x47], kind: { name: 'a PNG image', hint: GEOREFERENCE } },
  { bytes: [0xff, 0xd8, 0xff], kind: { name: 'a JPEG image', hint: GEOREFERENCE.replaceAll('in.png', 'in.jpg') } },
  { bytes: [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20], kind: { name: 'a JPEG 2000 image (e.g. a Sentinel-2 band)', hint: 'convert it: gdal_translate -of COG in.jp2 out.tif' } },
  { bytes: [0x47, 0x49, 0x46, 0x38], kind: { name: 'a GIF image', hint: GEOREFERENCE.replaceAll('in.png', 'in.gif') } },
  { bytes: [0x50, 0x4b, 0x03, 0x04], kind: { name: 'a ZIP archive', hint: 'unzip it and pass the GeoTIFF inside; convert the band files of a Sentinel-2 .SAFE with gdalbuildvrt and gdal_translate' } },
  { bytes: [0x1f, 0x8b], kind: { name: 'a gzip archive', hint: 'decompress it (gunzip, tar -xzf) and pass the GeoTIFF inside' } },
  { bytes: [0x89, 0x48, 0x44, 0x46], kind: { name: 'an HDF5 / NetCDF-4 file', hint: 'extract a band as a GeoTIFF: gdalinfo in.h5 lists the subdatasets, gdal_translate HDF5:"in.h5"://path out.tif converts one' } },
  { bytes: [0x43, 0x44, 0x46], kind: { name: 'a NetCDF file', hint: 'extract a variable as a GeoTIFF: gdal_translate NETCDF:"in.nc":variable out.tif' } },
  { bytes: [0x25, 0x50, 0x44, 0x46], kind: { name: 'a PDF document', hint: 'export the map as a GeoTIFF; gdal_translate in.pdf out.tif converts a GeoPDF' } },
];

/** The `not_tiff` error naming what `name` is instead, from its first bytes; null when they name no known kind. */
export function notTiffError(name: string, header: Uint8Array, cause?: unknown): InputError | null {
  const kind = nonTiffKind(header);
  return kind ? new InputError('not_tiff', `${name}: ${kind.name}, not a TIFF/GeoTIFF`, { hint: kind.hint, cause }) : null;
}

/** The kind of a non-TIFF file from its first bytes (16 suffice for every signature), or null when unknown. */
export function nonTiffKind(header: Uint8Array): FileKind | null {
  for (const { bytes, kind } of SIGNATURES) {
    if (header.length >= bytes.length && bytes.every((b, i) => header[i] === b)) return kind;
  }
  const text = String.fromCharCode(...header).trimStart().toLowerCase();
  if (text.startsWith('<!doctype html') || text.startsWith('<html') || text.startsWith('<head')) {
    return { name: 'a web page (HTML)', hint: 'point at the GeoTIFF itself: its download link, not the page that shows it (a login or error page answers like this too)' };
  }
  if (header.length > 0 && header.every((b) => b === 0x09 || b === 0x0a || b === 0x0d || (b >= 0x20 && b < 0x7f))) {
    return { name: 'a text file', hint: 'pass the GeoTIFF itself; GeoJSON water polygons go to waterline change or eval --truth' };
  }
  return null;
}
