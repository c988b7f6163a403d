#!/usr/bin/python3
"""Training data of waterline-unet2, produced at training time from ../shared/data (never committed).

Two sources, both cached as one .npz under --cache (default models/unet2/runs/cache, git-ignored):

1. **Pairs**: the Kaggle "Satellite Images of Water Bodies" image/mask pairs (`water-bodies/`), each
   stretched to 224x224 (PIL bilinear), masks thresholded at 128: exactly as models/unet/train.py, with the
   same fixed split (sorted names permuted by numpy.random.default_rng(20240611), first 15 % = 205 pairs are
   validation; `split()`).

2. **Scenes**: the TRAINING shared scenes rendered exactly as the pipeline renders them: `waterline tiles`
   (default band choice, one scene-wide stretch, zero padding with valid = 0) with overlap 0; the tiles are
   stitched back into one scene-wide 8-bit RGB image + valid mask (the rendering is per-pixel given the
   scene-wide stretch, so training can draw random 224 px windows anywhere, padded like the pipeline's edge
   tiles). Each scene is also rendered from a 2x-downsampled copy (GDAL average), like a coarser sensor.
   Labels, on the scene's own grid:
   - `osm:PREFIX`: OpenStreetMap water (seas10m + waterbodies10m GeoJSON) rasterised with GDAL; coarse, so
     loss weight 0.5;
   - `mndwi:G,SWIR` / `ndwi:G,NIR`: the spectral water index from the raw bands (1-based), thresholded by
     Otsu over the valid pixels (threshold clamped to [-0.3, 0.3]); pixels within 0.05 of the threshold get
     weight 0 (uncertain); weight 0.8 elsewhere. This self-labels the RGB rendering of multispectral scenes.
   Pixels outside the scene / nodata have weight 0. Pixels that the pipeline renders as valid but whose raw
   bands are all 0 (a black collar without a nodata value, e.g. Atlanta) are not water, weight 1: a hard
   negative.

The HELD-OUT scenes (Ottawa, Bahamas, Recife, Grenada, Guadeloupe all-sea aerial, Korea snow aerial) are
refused: they are for reporting only, never for training or any choice.

    /usr/bin/python3 models/unet2/data.py --shared ../shared/data   # builds (or checks) the cache
"""
import argparse
import io
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

SPLIT_SEED = 20240611
VAL_FRACTION = 0.15
SIZE = 224
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
DEFAULT_CACHE = os.path.join(HERE, 'runs', 'cache')

# scene file in DATA/scenes -> label source
TRAIN_SCENES = {
    'landsat8-pucallpa-2020-4326.tif': 'mndwi:4,1',   # SWIR1,NIR,Red,Green: MNDWI = (G - SWIR1) / (G + SWIR1)
    'landsat5-pucallpa-1985-4326.tif': 'mndwi:4,1',
    'naip-dakota-2009-rgbn-cog.tif': 'ndwi:2,4',      # R,G,B,NIR: NDWI = (G - NIR) / (G + NIR)
    'naip-dakota-2015-rgbn-cog.tif': 'ndwi:2,4',
    'spot-chicago-pan-stateplane-ft.tif': 'osm:spot-chicago',
    'riverside-pan-equal-area.tif': 'osm:riverside',
    'atlanta-pan-stateplane-collar.tif': 'osm:atlanta',
}
# Pseudo-true-colour renderings (appended after TRAIN_SCENES, so runs that started without them keep their scene
# indices): a 3-band copy of the scene as R, G, B = the given 1-based bands, rendered by the pipeline like any RGB
# scene, labelled from the ORIGINAL bands. No training scene is otherwise rendered in true colour by the pipeline
# (Pucallpa renders SWIR1/NIR/red, the pan scenes grey), while Landsat true colour is common. Pucallpa has no
# blue band: its green stands in for it (a standard pseudo-natural colour for sensors without blue).
TRUE_COLOUR_SCENES = {
    'landsat8-pucallpa-2020-4326.tif': ('mndwi:4,1', (3, 4, 4)),
    'landsat5-pucallpa-1985-4326.tif': ('mndwi:4,1', (3, 4, 4)),
}
# A true-colour rendering's name ends in this tag and its bands, after the scale: 'scene.tif@x1-rgb344'.
TRUE_COLOUR_TAG = '-rgb'


def is_true_colour_rendering(name):
    """Whether a rendering's name (build()'s 'name', the key of the per-rendering scores) is a TRUE_COLOUR_SCENES
    one: the tag is looked for after '@' only (NAIP's file name itself holds '-rgbn')."""
    return TRUE_COLOUR_TAG in name.rsplit('@', 1)[-1]


# Never trained on, never used for a choice: the scenes of the OSM comparison in the model cards.
HELD_OUT_SCENES = [
    'landsat8-ottawa-rgb16-utm18-cog.tif', 'landsat7-bahamas-rgb-utm18.tif', 'aerial-guadeloupe-allwater-3857.tif',
    'landsat7-recife-6band-utm25s.tif', 'landsat8-grenada-rgb16-utm20.tif', 'aerial-korea-nowater-3857-cog.tif',
]
SCALES = (1, 2)  # render the scene itself and a 2x-downsampled copy
# The bottom quarter of every training rendering is never trained on: a scene-level validation set in the
# pipeline's own rendering (the pair split measures chips, which is a weak guide to whole scenes).
SCENE_VAL_FRACTION = 0.25


class Confusion:
    """Pixel counts of a predicted water mask against the truth (true/false positives, false/true negatives), summed
    over tiles, scenes or parts; `scored` limits a count to the pixels that carry a label."""

    def __init__(self, tp=0, fp=0, fn=0, tn=0):
        self.tp, self.fp, self.fn, self.tn = tp, fp, fn, tn

    @classmethod
    def of(cls, pred, truth, scored=None):
        if scored is None:
            return cls(int(np.sum(pred & truth)), int(np.sum(pred & ~truth)), int(np.sum(~pred & truth)),
                       int(np.sum(~pred & ~truth)))
        return cls(int(np.sum(pred & truth & scored)), int(np.sum(pred & ~truth & scored)),
                   int(np.sum(~pred & truth & scored)), int(np.sum(~pred & ~truth & scored)))

    def __iadd__(self, other):
        self.tp, self.fp, self.fn, self.tn = self.tp + other.tp, self.fp + other.fp, self.fn + other.fn, self.tn + other.tn
        return self

    def union(self):
        return self.tp + self.fp + self.fn

    def iou(self):
        return self.tp / max(self.union(), 1)

    def precision(self):
        return self.tp / max(self.tp + self.fp, 1)

    def recall(self):
        return self.tp / max(self.tp + self.fn, 1)

    def f1(self):
        return 2 * self.tp / max(2 * self.tp + self.fp + self.fn, 1)

    def accuracy(self):
        return (self.tp + self.tn) / max(self.union() + self.tn, 1)


def scene_val_cut(height):
    """First row of a training rendering's scene-validation part (rows above it are for training)."""
    return int(height * (1 - SCENE_VAL_FRACTION))
OSM_WEIGHT = 0.5
SPECTRAL_WEIGHT = 0.8
SPECTRAL_MARGIN = 0.05


def load_pairs(data_dir):
    names = sorted(f for f in os.listdir(os.path.join(data_dir, 'images'))
                   if os.path.exists(os.path.join(data_dir, 'masks', f)))
    images = np.zeros((len(names), SIZE, SIZE, 3), np.uint8)
    masks = np.zeros((len(names), SIZE, SIZE), np.uint8)
    for i, n in enumerate(names):
        im = Image.open(os.path.join(data_dir, 'images', n)).convert('RGB').resize((SIZE, SIZE), Image.BILINEAR)
        m = Image.open(os.path.join(data_dir, 'masks', n)).convert('L').resize((SIZE, SIZE), Image.BILINEAR)
        images[i] = np.asarray(im)
        masks[i] = (np.asarray(m) >= 128).astype(np.uint8)
    return names, images, masks


def split(n):
    """(train indices, validation indices) of the fixed split over n sorted pair names."""
    order = np.random.default_rng(SPLIT_SEED).permutation(n)
    nval = int(round(n * VAL_FRACTION))
    return np.sort(order[nval:]), np.sort(order[:nval])


def otsu(values, bins=256):
    hist, edges = np.histogram(values, bins=bins)
    centres = (edges[:-1] + edges[1:]) / 2
    w0 = np.cumsum(hist)
    w1 = w0[-1] - w0
    m0 = np.cumsum(hist * centres)
    mu0 = m0 / np.maximum(w0, 1)
    mu1 = (m0[-1] - m0) / np.maximum(w1, 1)
    between = w0 * w1 * (mu0 - mu1) ** 2
    return float(centres[int(np.argmax(between))])


def spectral_label(arr, valid, a, b):
    """Water (index > Otsu threshold) and weights for index = (band a - band b) / (a + b), 1-based bands."""
    x = arr[a - 1].astype(np.float64)
    y = arr[b - 1].astype(np.float64)
    idx = (x - y) / np.maximum(x + y, 1e-6)
    t = float(np.clip(otsu(idx[valid]), -0.3, 0.3))
    water = (idx > t) & valid
    weight = np.where(valid & (np.abs(idx - t) >= SPECTRAL_MARGIN), SPECTRAL_WEIGHT, 0.0)
    return water, weight, t


def rasterise(vectors, ds, tmp):
    """Burn the union of WGS84 GeoJSON files onto ds's grid; a 0/1 array."""
    from osgeo import gdal, ogr, osr
    srs = osr.SpatialReference(wkt=ds.GetProjection())
    out = gdal.GetDriverByName('MEM').Create('', ds.RasterXSize, ds.RasterYSize, 1, gdal.GDT_Byte)
    out.SetGeoTransform(ds.GetGeoTransform())
    out.SetProjection(ds.GetProjection())
    for i, path in enumerate(vectors):
        if not os.path.exists(path):
            continue
        reproj = os.path.join(tmp, f'v{i}.gpkg')
        gdal.VectorTranslate(reproj, path, dstSRS=srs.ExportToWkt(), format='GPKG', reproject=True)
        v = ogr.Open(reproj)
        gdal.RasterizeLayer(out, [1], v.GetLayer(0), burn_values=[1])
        v = None
    return out.GetRasterBand(1).ReadAsArray().astype(bool)


def segment_mask(scene, model, grid, tmp, *extra):
    """The water `waterline segment` finds in a scene with the model alone and every polygon kept (`--fusion none
    --min-area 0`, plus `extra` flags), burnt onto the raster of `grid` (a GDAL dataset): a 0/1 array."""
    gj = os.path.join(tmp, 'segment-mask.geojson')
    subprocess.run(['node', os.path.join(REPO, 'bin', 'waterline.mjs'), 'segment', scene, '-o', gj, '--model', model,
                    '--fusion', 'none', '--min-area', '0', *extra], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        return rasterise([gj], grid, tmp)
    finally:
        os.remove(gj)


def render(path, out):
    """The scene as the pipeline renders it: (rgb uint8 HxWx3, valid bool HxW, index.json)."""
    if not os.path.exists(os.path.join(out, 'index.json')):
        subprocess.run(['node', os.path.join(REPO, 'bin', 'waterline.mjs'), 'tiles', path, '--out', out,
                        '--overlap', '0', '--size', str(SIZE)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(os.path.join(out, 'index.json')) as f:
        index = json.load(f)
    h = max(t['window']['y'] + t['window']['height'] for t in index['tiles'])
    w = max(t['window']['x'] + t['window']['width'] for t in index['tiles'])
    rgb = np.zeros((h, w, 3), np.uint8)
    valid = np.zeros((h, w), bool)
    for t in index['tiles']:
        win = t['window']
        x0, y0, ww, hh = win['x'], win['y'], win['width'], win['height']
        rgba = np.asarray(Image.open(os.path.join(out, t['file'])).convert('RGBA'))
        rgb[y0:y0 + hh, x0:x0 + ww] = rgba[:hh, :ww, :3]
        valid[y0:y0 + hh, x0:x0 + ww] = rgba[:hh, :ww, 3] > 0
    return rgb, valid, index


def scene_arrays(shared, scene, label, scale, work, log, rgb_bands=None):
    """(rgb, label uint8, weight float16) for one training scene at one scale; with rgb_bands, the pipeline's
    rendering of a 3-band copy made of those bands (labels still from all the original bands)."""
    from osgeo import gdal
    gdal.UseExceptions()
    if scene in HELD_OUT_SCENES:
        raise SystemExit(f'{scene} is a held-out scene; it must not be used for training')
    path = os.path.join(shared, 'scenes', scene)
    if scale != 1:
        small = os.path.join(work, f'{scene}.x{scale}.tif')
        if not os.path.exists(small):
            gdal.Translate(small, path, widthPct=100 / scale, heightPct=100 / scale, resampleAlg='average')
        path = small
    tag = f'{scene}.x{scale}'
    render_path = path
    if rgb_bands:
        tag += '.rgb' + ''.join(str(b) for b in rgb_bands)
        render_path = os.path.join(work, f'{tag}.tif')
        if not os.path.exists(render_path):
            gdal.Translate(render_path, path, bandList=list(rgb_bands), options=['-colorinterp', 'red,green,blue'])
    rgb, rendered_valid, index = render(render_path, os.path.join(work, f'{tag}.tiles'))
    ds = gdal.Open(path)
    arr = np.stack([ds.GetRasterBand(b + 1).ReadAsArray() for b in range(ds.RasterCount)])
    h, w = rgb.shape[:2]
    arr = arr[:, :h, :w]
    valid = rendered_valid[:arr.shape[1], :arr.shape[2]]
    nodata = ds.GetRasterBand(1).GetNoDataValue()
    if nodata is not None:
        valid &= arr[0] != nodata
    collar = valid & (arr == 0).all(0)   # rendered black, raw all zero: a collar without a nodata value
    data = valid & ~collar
    kind, spec = label.split(':')
    if kind == 'osm':
        with tempfile.TemporaryDirectory() as tmp:
            files = [os.path.join(shared, 'osm-water', f'{spec}.osm_{k}10m.geojson') for k in ('seas', 'waterbodies')]
            water = rasterise(files, ds, tmp)[:h, :w] & data
        weight = np.where(data, OSM_WEIGHT, 0.0)
        detail = 'OSM'
    else:
        a, b = (int(v) for v in spec.split(','))
        water, weight, t = spectral_label(arr, data, a, b)
        detail = f'{kind.upper()} > {t:.3f} (Otsu)'
    weight = np.where(collar, 1.0, weight)
    lab = np.zeros((h, w), np.uint8)
    wt = np.zeros((h, w), np.float16)
    lab[:water.shape[0], :water.shape[1]] = water
    wt[:weight.shape[0], :weight.shape[1]] = weight
    log(f'scene {scene} x1/{scale}: {w}x{h} px, bands {index["bands"]}, label {detail}, '
        f'water {lab[wt > 0].mean() if (wt > 0).any() else 0:.3f}, weighted px {(wt > 0).mean():.2f}, '
        f'collar px {int(collar.sum())}')
    return rgb, lab, wt


# pack_data.py's form of the pairs (WebP chips, bit-packed masks), read when the cache has no pairs.npz
PAIRS_PACK = 'pairs-pack.npz'


def train_normalisation(images, names):
    """(mean, std) per channel of the training split's chips, scaled 0..1: what every built-in U-Net normalises its
    input by (float64 sums, as train.py has always computed them)."""
    train_idx, _ = split(len(names))
    tr = images[train_idx].reshape(-1, 3).astype(np.float64) / 255.0
    return [float(v) for v in np.float32(tr.mean(0))], [float(v) for v in np.float32(tr.std(0))]


def unpack_pairs(path):
    """(names, images N x 224 x 224 x 3 uint8, masks N x 224 x 224 uint8 0/1, (mean, std) of the original chips) from
    a pack_data.py pack: the lossy chips would give a slightly different normalisation, and then no model trained on
    them could be averaged with v1 (score_mosaic.load_net refuses members that normalise differently)."""
    z = np.load(path)
    encoded, offsets = z['encoded'], z['offsets']
    images = np.stack([np.asarray(Image.open(io.BytesIO(encoded[offsets[i]:offsets[i + 1]].tobytes())).convert('RGB'))
                       for i in range(len(offsets) - 1)])
    shape = tuple(int(v) for v in z['shape'])
    masks = np.unpackbits(z['masks'], axis=-1, count=shape[-1]).astype(np.uint8)
    return list(z['names']), images, masks, ([float(v) for v in z['mean']], [float(v) for v in z['std']])


def build(shared, cache, log=print, scenes=None):
    """Build (or load) the cache: dict with pair arrays and a list of scene dicts (a pack_data.py pack in `cache`
    stands in for ../shared/data; then 'normalisation' is the pack's (mean, std) of the original chips, else None)."""
    os.makedirs(cache, exist_ok=True)
    pairs_path = os.path.join(cache, 'pairs.npz')
    normalisation = None
    if os.path.exists(pairs_path):
        z = np.load(pairs_path)
        names, images, masks = list(z['names']), z['images'], z['masks']
    elif os.path.exists(os.path.join(cache, PAIRS_PACK)):
        names, images, masks, normalisation = unpack_pairs(os.path.join(cache, PAIRS_PACK))
        log(f'pairs unpacked from {PAIRS_PACK} (pack_data.py: WebP chips)')
    else:
        names, images, masks = load_pairs(os.path.join(shared, 'water-bodies'))
        np.savez(pairs_path, names=np.array(names), images=images, masks=masks)
    log(f'pairs: {len(names)}')
    out = []
    sources = [(scene, label, None) for scene, label in (TRAIN_SCENES if scenes is None else scenes).items()]
    if scenes is None:
        sources += [(scene, label, bands) for scene, (label, bands) in TRUE_COLOUR_SCENES.items()]
    for scene, label, bands in sources:
        for scale in SCALES:
            suffix = '' if bands is None else TRUE_COLOUR_TAG + ''.join(str(b) for b in bands)
            p = os.path.join(cache, f'scene-{scene}-x{scale}{suffix}.npz')
            if os.path.exists(p):
                z = np.load(p)
                rgb, lab, wt = z['rgb'], z['label'], z['weight']
            else:
                rgb, lab, wt = scene_arrays(shared, scene, label, scale, cache, log, bands)
                np.savez(p, rgb=rgb, label=lab, weight=wt)
            out.append({'name': f'{scene}@x{scale}{suffix}', 'rgb': rgb, 'label': lab, 'weight': wt,
                        'file': os.path.basename(p)})
    # a pack's stored normalisation, else None: train_normalisation costs seconds and GBs, so only its callers pay
    return {'names': names, 'images': images, 'masks': masks, 'scenes': out, 'normalisation': normalisation}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--shared', default=os.path.join(REPO, '..', 'shared', 'data'))
    ap.add_argument('--cache', default=DEFAULT_CACHE)
    ap.add_argument('--preview', help='write a PNG per scene (rendering | label) into this directory')
    args = ap.parse_args()
    d = build(args.shared, args.cache)
    tr, va = split(len(d['names']))
    print(f'train pairs {len(tr)}, val pairs {len(va)}; scenes {len(d["scenes"])}')
    if args.preview:
        os.makedirs(args.preview, exist_ok=True)
        for s in d['scenes']:
            lab = np.repeat((s['label'] * 255)[..., None], 3, 2)
            lab[s['weight'] == 0] = (255, 0, 0)
            Image.fromarray(np.concatenate([s['rgb'], lab], 1)).save(os.path.join(args.preview, s['name'] + '.png'))
    return 0


if __name__ == '__main__':
    sys.exit(main())
