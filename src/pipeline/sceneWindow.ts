/**
 * A rectangle of a scene seen as a scene of its own: pixel (0, 0) is the rectangle's top-left pixel, the
 * geotransform is shifted to match, and reads are forwarded to the whole scene. Lets the pipeline segment,
 * stitch and vectorize only part of a scene (on-demand segmentation) with no code of its own.
 */
import type { Scene } from '../adapters/raster/openScene.ts';
import type { PixelWindow } from '../core/scene.ts';
import { InputError } from '../core/errors.ts';

export function sceneWindow(scene: Scene, window: PixelWindow): Scene {
  const { info } = scene;
  const { x, y, width, height } = window;
  if (![x, y, width, height].every(Number.isInteger) || x < 0 || y < 0 || width <= 0 || height <= 0 || x + width > info.width || y + height > info.height) {
    throw new InputError('bad_window', `${info.source}: window ${JSON.stringify(window)} is not inside the ${info.width}x${info.height} scene`, { hint: 'pick a window of whole pixels inside the scene' });
  }
  const gt = info.geoTransform;
  return {
    info: {
      ...info,
      width,
      height,
      geoTransform: [gt[0] + x * gt[1] + y * gt[2], gt[1], gt[2], gt[3] + x * gt[4] + y * gt[5], gt[4], gt[5]],
      // Overview sizes describe the whole scene; reads of the window still use them through `scene`.
      overviews: [],
    },
    readWindow: (w, opts) => scene.readWindow({ x: w.x + x, y: w.y + y, width: w.width, height: w.height }, opts),
    close: async () => undefined,
  };
}
