#!/usr/bin/python3
"""A picture of what U-Net models find on the held-out scenes (reporting only): per scene a row of the
pipeline's rendering, OpenStreetMap water, then each model's water (`waterline segment --fusion none
--min-area 0`, model alone) over the darkened rendering — water blue where OSM agrees, orange where OSM has
none, red where OSM water was missed.

    /usr/bin/python3 models/unet2/picture_heldout.py OUT.png MODEL_DIR_OR_NAME [...] [--width 220]
"""
import argparse
import os
import sys
import tempfile

import numpy as np
from PIL import Image, ImageDraw

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data as D  # noqa: E402
from eval_heldout import HELD_OUT  # noqa: E402


def overlay(rgb, valid, pred, truth):
    base = (rgb.astype(np.float32) * 0.45).astype(np.uint8)
    out = base.copy()
    out[pred & truth] = (40, 120, 255)
    out[pred & ~truth] = (255, 150, 0)
    out[~pred & truth & valid] = (220, 30, 30)
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('out')
    ap.add_argument('models', nargs='+')
    ap.add_argument('--shared', default=os.path.join(D.REPO, '..', 'shared', 'data'))
    ap.add_argument('--width', type=int, default=220)
    args = ap.parse_args()
    from osgeo import gdal
    gdal.UseExceptions()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for scene, prefix in HELD_OUT.items():
            path = os.path.join(args.shared, 'scenes', scene)
            rgb, valid, _ = D.render(path, os.path.join(tmp, scene + '.tiles'))
            ds = gdal.Open(path)
            h, w = ds.RasterYSize, ds.RasterXSize
            rgb, valid = rgb[:h, :w], valid[:h, :w]
            truth = np.zeros((h, w), bool) if prefix is None else D.rasterise(
                [os.path.join(args.shared, 'osm-water', f'{prefix}.osm_{k}10m.geojson') for k in ('seas', 'waterbodies')],
                ds, tmp)
            cells = [rgb, overlay(rgb, valid, truth, truth)]
            for model in args.models:
                cells.append(overlay(rgb, valid, D.segment_mask(path, model, ds, tmp), truth))
            size = (args.width, int(round(args.width * h / w)))
            rows.append([Image.fromarray(c).resize(size, Image.BILINEAR) for c in cells])
    labels = ['rendering', 'OSM water'] + [os.path.basename(m.rstrip('/')) for m in args.models]
    pad, head = 4, 18
    width = len(labels) * (args.width + pad) + pad
    height = head + sum(r[0].size[1] + pad for r in rows) + pad
    sheet = Image.new('RGB', (width, height), (255, 255, 255))
    draw = ImageDraw.Draw(sheet)
    for k, label in enumerate(labels):
        draw.text((pad + k * (args.width + pad), 3), label, fill=(0, 0, 0))
    y = head
    for r in rows:
        for k, im in enumerate(r):
            sheet.paste(im, (pad + k * (args.width + pad), y))
        y += r[0].size[1] + pad
    sheet.save(args.out, optimize=True)
    print(f'wrote {args.out} ({width}x{height})')
    return 0


if __name__ == '__main__':
    sys.exit(main())
