/**
 * What a scene is, as plain data: the raster adapter fills it, everything downstream reads it.
 */
import type { GeoTransform } from './grid/affine.ts';

/** GDAL's data type names, as gdalinfo prints them. */
export type SampleType = 'Byte' | 'Int8' | 'UInt16' | 'Int16' | 'UInt32' | 'Int32' | 'Float32' | 'Float64';

export interface BandInfo {
  /** 1-based band number, as in GDAL. */
  band: number;
  type: SampleType;
  noDataValue: number | null;
  /** GDAL colour interpretation name: Red, Green, Blue, Alpha, Gray, Undefined... */
  colorInterpretation: string;
  /** GDAL band description (GDAL_METADATA `DESCRIPTION` or the `.aux.xml`), e.g. `B8A`, `nir`; '' when none. */
  description: string;
  /** GDAL per-band scale and offset (value = raw · scale + offset); 1 and 0 when the file gives none. */
  scale: number;
  offset: number;
}

export interface CrsInfo {
  /** EPSG code when the GeoKeys name one; null for user-defined CRSs. */
  epsg: number | null;
  /** proj4 definition string used for all reprojection. */
  proj4: string;
  /** Human-readable name, if known. */
  name?: string;
  /** Linear unit of the CRS ("metre", "US survey foot", "degree"). */
  units?: string;
}

/** A rectangle of whole pixels: column/row offset and size. */
export interface PixelWindow {
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface SceneInfo {
  /** File path or URL it was opened from. */
  source: string;
  width: number;
  height: number;
  bands: BandInfo[];
  geoTransform: GeoTransform;
  crs: CrsInfo;
  blockWidth: number;
  blockHeight: number;
  /** Reduced-resolution levels, largest first (not counting full resolution). */
  overviews: { width: number; height: number }[];
  compression: string;
  /** True when the file has an internal (per-dataset) mask or an alpha band. */
  hasMask: boolean;
  /**
   * True when the file declares no nodata value, mask or alpha band, yet its corners are exactly 0 in every band
   * (core/bands/blackCollar.ts): every band's `noDataValue` is then 0, as if the file had declared it. Only imagery
   * opened as imagery (openImagery) is checked; absent otherwise.
   */
  blackCollar?: true;
}
