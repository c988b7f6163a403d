/**
 * The affine geotransform in GDAL's order: [originX, pixelWidth, rowRotation, originY, colRotation, pixelHeight].
 * Pixel (col, row) → scene CRS: x = gt0 + col*gt1 + row*gt2, y = gt3 + col*gt4 + row*gt5.
 * Pixel coordinates are continuous: (0,0) is the top-left corner of the top-left pixel.
 */
export type GeoTransform = readonly [number, number, number, number, number, number];

export function applyGeoTransform(gt: GeoTransform, col: number, row: number): [number, number] {
  return [gt[0] + col * gt[1] + row * gt[2], gt[3] + col * gt[4] + row * gt[5]];
}

export function invertGeoTransform(gt: GeoTransform): GeoTransform {
  const det = gt[1] * gt[5] - gt[2] * gt[4];
  if (det === 0 || !Number.isFinite(det)) throw new RangeError('geotransform is not invertible');
  const inv1 = gt[5] / det;
  const inv2 = -gt[2] / det;
  const inv4 = -gt[4] / det;
  const inv5 = gt[1] / det;
  return [
    -gt[0] * inv1 - gt[3] * inv2,
    inv1,
    inv2,
    -gt[0] * inv4 - gt[3] * inv5,
    inv4,
    inv5,
  ];
}

/** Area of one pixel in scene CRS units squared (absolute determinant). */
export function pixelArea(gt: GeoTransform): number {
  return Math.abs(gt[1] * gt[5] - gt[2] * gt[4]);
}
