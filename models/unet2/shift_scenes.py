#!/usr/bin/python3
"""How much `waterline segment` depends on where the tile grid falls, through the whole pipeline and without
labels: each scene is segmented as it is and cropped by (112, 112) px (half a tile), and the two water masks are
compared on the crop's grid (1 - IoU). The mean is over a FIXED list of scenes (MEAN_SCENES: those with water in
view), the same for every model, so two models' means compare like for like (until session 7 the mean left out any
scene where neither run found water on 0.1 % of the grid, and St Lawrence — no water in OSM, a speck found by some
models — came and went between models); a scene of the list where neither run finds any water counts 1.0, so that
finding no water cannot pass for steadiness. St Lawrence is still segmented and reported, outside the mean. Scenes:
shared scenes that are NOT held out (some are training scenes: this measures consistency, not accuracy).

    /usr/bin/python3 models/unet2/shift_scenes.py MODEL[,MODEL...] [OVERLAP[,OVERLAP...]]   (default overlap 32)
"""
import json
import os
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data as D  # noqa: E402

SCENES = ['spot-chicago-pan-stateplane-ft.tif', 'landsat8-stlawrence-rgb16-4326-cog.tif', 'naip-dakota-2015-rgbn-cog.tif',
          'riverside-pan-equal-area.tif', 'world-rgb-4326.tif', 'naip-dakota-2009-rgbn-cog.tif']
assert not set(SCENES) & set(D.HELD_OUT_SCENES)
MEAN_SCENES = [s for s in SCENES if 'stlawrence' not in s]


def tile_grid(models, overlaps=(32,), report=lambda line: None, shared=os.path.join(D.REPO, '..', 'shared', 'data')):
    """{f'{model} overlap {ov}': {scene: disagreement}} over MEAN_SCENES, for `models` (what `--model` takes: a name
    or a model directory); `report` gets one dict per scene segmented (St Lawrence's included)."""
    from osgeo import gdal
    gdal.UseExceptions()
    shared = os.path.join(shared, 'scenes')
    res = {}
    with tempfile.TemporaryDirectory() as tmp:
        for sc in SCENES:
            src = os.path.join(shared, sc)
            ds = gdal.Open(src)
            crop = os.path.join(tmp, 'crop-' + sc)
            gdal.Translate(crop, ds, srcWin=[112, 112, ds.RasterXSize - 112, ds.RasterYSize - 112])
            cds = gdal.Open(crop)
            bands = ['--bands', '1,2,3'] if 'naip' in sc else []  # RGB of the RGBN scenes: what the learned model sees
            for m in models:
                for ov in overlaps:
                    masks = []
                    for p in (src, crop):  # the last rows/columns dropped: edge rounding
                        masks.append(D.segment_mask(p, m, cds, tmp, '--overlap', str(ov), *bands)[:-2, :-2])
                    a, b = masks
                    union = int((a | b).sum())
                    # neither run finds water: 1.0, not 0 — in a mean over scenes with water, finding none must not
                    # pass for steadiness
                    d = 1 - int((a & b).sum()) / union if union else 1.0
                    if sc in MEAN_SCENES:
                        res.setdefault(f'{m} overlap {ov}', {})[sc.rsplit('.', 1)[0]] = round(d, 4)
                    report({'model': m, 'overlap': ov, 'scene': sc, 'disagreement': round(d, 4),
                            'water': round(float(a.mean()), 4)})
    return res


def main():
    models = sys.argv[1].split(',')
    overlaps = [int(x) for x in (sys.argv[2] if len(sys.argv) > 2 else '32').split(',')]
    res = tile_grid(models, overlaps, report=lambda line: print(json.dumps(line), flush=True))
    for k, v in res.items():
        print(f'{k}: mean disagreement {sum(v.values()) / len(v):.4f} over the {len(v)} scenes with water', json.dumps(v))
    return 0


if __name__ == '__main__':
    sys.exit(main())
