/**
 * A black collar without a nodata value: the exact-zero border that a reprojected or rotated scene gets around its
 * footprint when the file was written without declaring 0 as nodata (the shared Atlanta scene; many Landsat and
 * scanned-map exports). Read as image, the collar is flat and black — what every water model calls water — so a
 * scene whose corners are exactly 0 in every band reads 0 as nodata (GDAL's `nearblack` idea, decided from the
 * corners instead of a scan of every row).
 *
 * The decision is made once, when imagery is opened (the raster adapter's openImagery), from a small window at each
 * of the four corners: the scene has a collar when at least COLLAR_MIN_CORNERS of them hold nothing but exact zeros
 * in every band. Natural dark ground (shadow, deep water) is not exactly 0 in every band over a whole corner window;
 * a file that declares any nodata value, a mask or an alpha band is never guessed at (its author said what is
 * nodata). To keep zeros as data, declare another nodata value in the file (`gdal_edit.py -a_nodata 255 scene.tif`).
 */
import type { RasterWindow } from '../rasterWindow.ts';

/** Side of the window read at each corner, in pixels (at full resolution). */
export const COLLAR_CORNER_PX = 8;

/** Corners (of four) that must be all zeros. Two: a collar may cover only one side of a strip-shaped footprint. */
export const COLLAR_MIN_CORNERS = 2;

/** Whether every sample of every band of a corner window is exactly 0 (and the window is not empty). */
export function isBlackCorner(corner: RasterWindow): boolean {
  if (corner.width * corner.height === 0 || corner.bands.length === 0) return false;
  return corner.bands.every((band) => band.every((v) => v === 0));
}

/** Whether a scene with these four corner windows has a black collar (see the module comment). */
export function hasBlackCollar(corners: readonly RasterWindow[]): boolean {
  return corners.filter(isBlackCorner).length >= COLLAR_MIN_CORNERS;
}
