#!/usr/bin/python3
"""Whole tiles of open water, no shore in view (reporting and rules only; no held-out scene): how much of such a
tile a model calls water, beside how much of a whole tile of land it calls water. The mosaic validation scenes
always show a shore somewhere and no training rendering has a tile of open water in its scene-validation quarter,
so until session 7 no measure outside the held-out scenes said whether a model still finds open sea when the
tile holds nothing else (the held-out all-sea aerial showed that two qualified models did not).

Tiles, all from the validation split or a fixed seed (never a held-out scene):
- `mosaic-sea`: the tiles of the validation mosaics' 3 x 3 grid (mosaic.py) that are >= 99 % sea: a 30-300 m
  sensor's open sea after one scene-wide stretch (procedural texture; the unet2 family trains on other draws of
  the same generator, v1 never did);
- `lake-interior`: the largest all-water square (>= 80 px) inside each validation chip, enlarged to 224 px: real
  Sentinel-2 water seen as a finer sensor would, no shore;
- `procedural-sea`: high-resolution open-water tiles (augment.water_texture, fixed seed), as an aerial sees sea
  (the unet2 family trains on other draws of this generator; v1 never did);
- `land-interior` (the other side): the largest all-land square (>= 80 px) of each validation chip, enlarged the
  same way; its figure is false water, and a model that calls every uniform tile water scores well above;
- `lake-alone`, `sea-alone`, `land-alone`: the lake interiors, procedural sea and land interiors as a scene with
  nothing else in it — one per-band 2/98 % stretch over the tile itself (mosaic.scene_stretch), as the pipeline
  stretches an all-sea scene: the sea's narrow range is spread over 0..255, waves and all. This is the case that
  separates the models (session 7: every model found > 0.93 of the unstretched sources; v1 finds 0.05 of
  `sea-alone`). Designed after the held-out all-sea aerial's figures were known, from what the pipeline does,
  not from that scene's pixels.

- `snow-land`, `snow-land-alone` (session 7, after run ft12 showed that the chip-land sources say nothing about
  snow): 48 procedural snow-covered landscapes (augment.snow_landscape, its own fixed seed) as a tile of a larger
  scene and as a scene of their own; false water, like the land sources. The unet2 family trains on other draws of
  this generator (bright_sample), v1 never did — so it measures whether a model learned that snow is dry, not how it
  does on real snow.

Per source: the mean share of each tile called water (probability >= 0.5) and the share of tiles mostly missed
(< 50 % called water; for land: mostly called water). Summaries: `open_water` (mean of the five water sources),
`open_water_alone` (mean of `lake-alone` and `sea-alone`), `land_false_water` (mean of the two land sources),
`snow_false_water` (mean of the two snow sources).

    /usr/bin/python3 models/unet2/open_water.py CKPT [CKPT ...]      (CKPT as score_mosaic.py: A+B = ensemble)
"""
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data as D  # noqa: E402
from augment import chip_interior, snow_landscape, water_texture  # noqa: E402
from mosaic import GRID, mosaic_val_set, scene_stretch  # noqa: E402
from score_mosaic import load_predictor  # noqa: E402

S = D.SIZE
PROCEDURAL_COUNT = 48
PROCEDURAL_SEED = 20261130
SNOW_SEED = 20261131
ALONE_SOURCES = ('lake-alone', 'sea-alone')
WATER_SOURCES = ('mosaic-sea', 'lake-interior', 'procedural-sea') + ALONE_SOURCES
LAND_SOURCES = ('land-interior', 'land-alone')
SNOW_SOURCES = ('snow-land', 'snow-land-alone')


def interiors(images, masks, idx, water):
    """Tiles (N x 224 x 224 x 3, 0..1): each chip's largest all-water (or all-land) square, enlarged (chip_interior)."""
    return np.stack([t for t in (chip_interior(images[i], masks[i], water) for i in idx) if t is not None])


def probe_tiles(d):
    """{source: (tiles N x 224 x 224 x 3 float 0..1, is_water)}, fixed for every model."""
    _, val_idx = D.split(len(d['names']))
    sea = []
    for rgb, lab in mosaic_val_set(d['images'], d['masks'], val_idx):
        for r in GRID:
            for c in GRID:
                if lab[r:r + S, c:c + S].mean() >= 0.99:
                    sea.append(rgb[r:r + S, c:c + S].astype(np.float32) / 255.0)
    rng = np.random.default_rng(PROCEDURAL_SEED)
    procedural = np.stack([np.round(water_texture(rng) * 255) / 255 for _ in range(PROCEDURAL_COUNT)])
    srng = np.random.default_rng(SNOW_SEED)
    snow = np.stack([np.round(snow_landscape(srng) * 255) / 255 for _ in range(PROCEDURAL_COUNT)]).astype(np.float32)
    lake = interiors(d['images'], d['masks'], val_idx, True)
    land = interiors(d['images'], d['masks'], val_idx, False)

    def alone(x):  # each tile as a scene of its own: one stretch over itself, 8-bit as rendered
        return np.stack([np.round(scene_stretch(t) * 255) / 255 for t in x]).astype(np.float32)
    return {'mosaic-sea': (np.stack(sea), True), 'lake-interior': (lake, True),
            'procedural-sea': (procedural.astype(np.float32), True), 'land-interior': (land, False),
            'lake-alone': (alone(lake), True), 'sea-alone': (alone(procedural), True), 'land-alone': (alone(land), False),
            'snow-land': (snow, False), 'snow-land-alone': (alone(snow), False)}


def score(predict, tiles, batch=8):
    """{source: {'tiles', 'called_water', 'wrong_tiles'}} and the open-water summary."""
    out = {}
    for name, (x, water) in tiles.items():
        called = np.concatenate([(predict(x[k:k + batch]) >= 0.5).reshape(len(x[k:k + batch]), -1).mean(1)
                                 for k in range(0, len(x), batch)])
        wrong = called < 0.5 if water else called >= 0.5
        out[name] = {'tiles': len(x), 'called_water': round(float(called.mean()), 4),
                     'wrong_tiles': round(float(wrong.mean()), 4)}
    def mean(sources):
        return round(float(np.mean([out[s]['called_water'] for s in sources])), 4)
    out['open_water'], out['open_water_alone'] = mean(WATER_SOURCES), mean(ALONE_SOURCES)
    out['land_false_water'] = mean(LAND_SOURCES)
    out['snow_false_water'] = mean(SNOW_SOURCES)
    return out


def main():
    d = D.build(os.path.join(D.REPO, '..', 'shared', 'data'), D.DEFAULT_CACHE, log=lambda m: None, scenes={})
    torch.set_num_threads(2)
    tiles = probe_tiles(d)
    for ckpt in sys.argv[1:]:
        with torch.no_grad():
            r = score(load_predictor(ckpt), tiles)
        print(json.dumps({'checkpoint': '+'.join(os.path.relpath(os.path.abspath(p), D.REPO) for p in ckpt.split('+')),
                          **r}), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
