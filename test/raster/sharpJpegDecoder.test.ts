import { execFileSync } from 'node:child_process';
import { expect, it } from 'vitest';
import { getDecoder } from 'geotiff';
import { openScene } from '../../src/adapters/raster/openScene.ts';
import { SharpJpegDecoder } from '../../src/adapters/raster/sharpJpegDecoder.ts';
import { describeShared, scenePath } from '../helpers/shared.ts';

function gdalRgb(file: string, x: number, y: number, w: number, h: number): number[][] | null {
  const code = `import sys,json\nfrom osgeo import gdal\nd=gdal.Open(sys.argv[1])\nprint(json.dumps([d.GetRasterBand(i+1).ReadAsArray(${x},${y},${w},${h}).flatten().tolist() for i in range(3)]))`;
  try {
    return JSON.parse(execFileSync('/usr/bin/python3', ['-c', code, file], { stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 26 }).toString());
  } catch {
    return null;
  }
}

describeShared('JPEG blocks through libjpeg (sharp)', () => {
  it('is the decoder geotiff.js uses for compression 7', async () => {
    expect(await getDecoder(7, { tileWidth: 1, tileHeight: 1, predictor: 1, bitsPerSample: 8, planarConfiguration: 1 } as never)).toBeInstanceOf(SharpJpegDecoder);
  });

  it('reads the YCbCr JPEG COG as RGB with GDAL\'s pixels (same decoder family), across block edges', async (t) => {
    const file = scenePath('aerial-korea-nowater-3857-cog.tif');
    const [x, y, w, h] = [400, 380, 300, 260];
    const ref = gdalRgb(file, x, y, w, h);
    if (!ref) return t.skip('python3-gdal not available');
    const scene = await openScene(file);
    const r = await scene.readWindow({ x, y, width: w, height: h }, { bands: [1, 2, 3] });
    await scene.close();
    let max = 0;
    let sum = 0;
    for (let b = 0; b < 3; b++) for (let p = 0; p < w * h; p++) {
      const d = Math.abs(r.bands[b][p] - ref[b][p]);
      sum += d;
      max = Math.max(max, d);
    }
    expect(sum / (3 * w * h)).toBeLessThan(0.05);
    expect(max).toBeLessThanOrEqual(2);
  });

  it('hands a stream libjpeg refuses to geotiff.js\'s decoder (its error)', async () => {
    const d = new SharpJpegDecoder({ tileWidth: 8, tileHeight: 8, predictor: 1, bitsPerSample: [8, 8, 8], planarConfiguration: 1 } as never);
    await expect(d.decodeBlock(new Uint8Array([0xff, 0xd8, 1, 2, 3]).buffer)).rejects.toThrow();
  });
});
