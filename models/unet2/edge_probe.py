#!/usr/bin/python3
"""How models do on the pipeline's edge tiles (reporting only; no held-out scene): the scene-validation quarter of
every training rendering (data.py; never trained on by the unet2 family — v1 did train on 101 whole-scene tiles of
Pucallpa, Chicago, Riverside and Atlanta, so for v1 and ensembles holding it those renderings are partly in-sample)
tiled as the pipeline tiles, non-overlapping
224 px tiles from the top-left, and the edge tiles' model input made three ways:

- `zero`: the part past the scene edge black (what the pipeline feeds the model today),
- `reflect`: that part filled by mirroring the scene's pixels across the edge,
- `flush`: the edge tile moved inward so that it ends at the scene edge (only real pixels; where the scene is
  smaller than a tile, zero padding as before).

IoU is counted on the same pixels in all three (labelled pixels of the edge tiles' scene part), micro over all
renderings and as the mean over renderings.

    /usr/bin/python3 models/unet2/edge_probe.py CKPT [CKPT ...]
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data as D  # noqa: E402
from score_mosaic import load_predictor  # noqa: E402

S = D.SIZE


def edge_tiles(rgb, top):
    """(row, col, h, w) of the non-overlapping grid's tiles over rows top.. that reach past the scene edge."""
    H, W = rgb.shape[:2]
    for r in range(top, H, S):
        for c in range(0, W, S):
            h, w = min(S, H - r), min(S, W - c)
            if h < S or w < S:
                yield r, c, h, w


def tile_input(rgb, top, r, c, h, w, mode):
    """The 224 px model input for edge tile (r, c) and where its scene part sits in it: (tile, (y, x))."""
    H, W = rgb.shape[:2]
    if mode == 'flush':
        r0 = max(top if H - top >= S else 0, min(r, H - S)) if H >= S else r
        c0 = max(0, min(c, W - S)) if W >= S else c
        f = np.zeros((S, S, 3), np.float32)
        part = rgb[r0:r0 + S, c0:c0 + S]
        f[:part.shape[0], :part.shape[1]] = part / 255.0
        return f, (r - r0, c - c0)
    part = rgb[r:r + h, c:c + w].astype(np.float32) / 255.0
    if mode == 'zero':
        f = np.zeros((S, S, 3), np.float32)
        f[:h, :w] = part
    else:
        f = np.pad(part, ((0, S - h), (0, S - w), (0, 0)), mode='symmetric' if min(h, w) < S / 2 else 'reflect')
        if f.shape[0] < S or f.shape[1] < S:  # a part under half a tile: mirror again until it fills
            f = np.pad(f, ((0, S - f.shape[0]), (0, S - f.shape[1]), (0, 0)), mode='wrap')
    return f, (0, 0)


def edge_figures(predict, scenes):
    """{mode: {'iou', 'iou_macro', 'precision', 'recall'}} of `predict` (score_mosaic.load_predictor) on the edge
    tiles of the scene-validation quarter of `scenes` (data.build's renderings), for the three ways of making them."""
    out = {}
    for mode in ('zero', 'reflect', 'flush'):
        total = D.Confusion()
        per = []
        for s in scenes:
            rgb, lab, wt = s['rgb'], s['label'].astype(bool), s['weight'] > 0
            top = D.scene_val_cut(lab.shape[0])
            scene = D.Confusion()
            for r, c, h, w in edge_tiles(rgb, top):
                f, (y, x) = tile_input(rgb, top, r, c, h, w, mode)
                p = predict(f[None])[0][y:y + h, x:x + w] >= 0.5
                scene += D.Confusion.of(p, lab[r:r + h, c:c + w], wt[r:r + h, c:c + w])
            total += scene
            if scene.union():
                per.append(scene.iou())
        out[mode] = {'iou': round(total.iou(), 4), 'iou_macro': round(float(np.mean(per)), 4),
                     'precision': round(total.precision(), 4), 'recall': round(total.recall(), 4)}
    return out


def main():
    d = D.build(os.path.join(D.REPO, '..', 'shared', 'data'), D.DEFAULT_CACHE, log=lambda m: None)
    torch.set_num_threads(2)
    for ckpt in sys.argv[1:]:
        out = edge_figures(load_predictor(ckpt), d['scenes'])
        print(json.dumps({'checkpoint': os.path.relpath(os.path.abspath(ckpt), D.REPO), **out}), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
