"""Scene mosaics: Kaggle chips shrunk onto one 672 px canvas (a coarser sensor, several landscapes in a tile),
often with a large open-sea region, then ONE per-band 2/98 percentile stretch over the whole canvas, as the
pipeline stretches a whole scene (src/core/grid/bandStretch.ts) — for training (`mosaic_sample`, training-split
chips) and as a validation set (`mosaic_val_set`, the 205 validation-split chips only, fixed seed).

Also here, as they build on the same scene stretch: `mosaic_canvas` (a 448 px region of a rendered mosaic, for
consistency pairs, train.py --consistency-mosaics) and `alone_sample` (a scene with nothing else in it, only water or
only land, stretched on itself; train.py --alone-per-epoch; session 7).

Why: the held-out Landsat true-colour scenes are read at 30-300 m, with sea filling most of a scene, and the
pipeline's scene-wide stretch then spreads the sea over most of the 0..255 range. The chips are 10 m
close-ups, each stretched on its own. Nothing here was designed from a held-out scene's pixels.
"""
import numpy as np
import torch
import torch.nn.functional as F

import data as D
from augment import SIZE, blob, chip_interior, flip_rotate, resize, smooth_field, water_texture

CANVAS = 3 * SIZE  # 672 px: a 3 x 3 tile scene
VAL_COUNT = 48
VAL_SEED = 20261129


def coarse_sea(rng, size=CANVAS):
    """Open water as a 30-300 m sensor sees it: the procedural texture made at a third of the size and
    enlarged (waves become a faint swell), a broad depth/colour gradient across the scene."""
    tex = resize(water_texture(rng, size // 3), size, 'bilinear')
    grad = smooth_field(rng, size, cells=int(rng.integers(2, 5)))
    depth = 1 + rng.uniform(0.05, 0.35) * (grad - 0.5)
    return np.clip(tex * depth[..., None], 0, 1).astype(np.float32)


def scene_stretch(f, valid=None, lo_p=2.0, hi_p=98.0):
    """One per-band percentile stretch over the whole canvas (valid pixels), like the pipeline's scene stretch;
    8-bit bands already spanning >= 200 of 255 pass through unchanged, as there."""
    px = f[valid] if valid is not None else f.reshape(-1, 3)
    out = np.empty_like(f)
    for ch in range(3):
        lo, hi = np.percentile(px[::7, ch], [lo_p, hi_p])
        if hi - lo >= 200 / 255:
            out[..., ch] = f[..., ch]
        else:
            out[..., ch] = (f[..., ch] - lo) / max(hi - lo, 1 / 255)
    return np.clip(out, 0, 1)


def canvas(images, masks, idx, rng):
    """A mosaic scene: n x n chips (n in 2..4, each shrunk by 1.5-4x), with p 0.6 a large sea region (30-95 %
    of the scene, a smooth coastline; chip water under it stays water). Returns f (0..1), y."""
    n = int(rng.choice([2, 3, 4]))
    cell = CANVAS // n
    f = np.zeros((CANVAS, CANVAS, 3), np.float32)
    y = np.zeros((CANVAS, CANVAS), np.float32)
    for r in range(n):
        for c in range(n):
            i = int(idx[rng.integers(0, len(idx))])
            img, m = flip_rotate(rng, images[i].astype(np.float32) / 255.0, masks[i].astype(np.float32))
            f[r * cell:(r + 1) * cell, c * cell:(c + 1) * cell] = resize(img, cell, 'area')
            y[r * cell:(r + 1) * cell, c * cell:(c + 1) * cell] = resize(m, cell, 'area') >= 0.5
    if rng.random() < 0.6:
        t = torch.from_numpy(rng.random((1, 1, 6, 6)).astype(np.float32))
        field = F.interpolate(t, size=(CANVAS, CANVAS), mode='bicubic', align_corners=False)[0, 0].numpy()
        field += 0.08 * (smooth_field(rng, CANVAS, cells=int(rng.integers(12, 30))) - 0.5)  # a ragged coast
        sea = field > np.quantile(field, 1 - rng.uniform(0.3, 0.95))
        f = np.where(sea[..., None], coarse_sea(rng), f)
        y = np.maximum(y, sea)
    return f, y


def haze_and_balance(f, rng, haze=True):
    """What the sensor does before the pipeline's stretch: haze (p 0.5) and a per-band colour balance (p 0.5)."""
    if haze and rng.random() < 0.5:
        h = rng.uniform(0.05, 0.4)
        f = f * (1 - h) + h * (rng.uniform(0.55, 1.0) + rng.uniform(-0.08, 0.08, 3))
    if rng.random() < 0.5:
        f = f * rng.uniform(0.75, 1.25, 3) + rng.uniform(-0.05, 0.05, 3)
    return f


def render(f, rng, haze=True):
    """What the sensor and the pipeline make of a canvas: haze and colour balance before, then one scene stretch."""
    f = haze_and_balance(f, rng, haze)
    if rng.random() < 0.3:  # thin cloud patches over part of the scene (not labelled: thin)
        a = blob(rng, rng.uniform(0.05, 0.3), softness=0.3)
        a = resize(a, CANVAS, 'bilinear') * rng.uniform(0.2, 0.5)
        f = f * (1 - a[..., None]) + a[..., None] * rng.uniform(0.8, 1.0)
    return scene_stretch(np.clip(f, 0, 1))


def mosaic_sample(images, masks, train_idx, rng):
    """A 224 px window of a rendered mosaic scene (training chips only)."""
    f, y = canvas(images, masks, train_idx, rng)
    f = render(f, rng)
    r, c = rng.integers(0, CANVAS - SIZE + 1, 2)
    return (f[r:r + SIZE, c:c + SIZE].astype(np.float32), y[r:r + SIZE, c:c + SIZE].astype(np.float32),
            np.ones((SIZE, SIZE), np.float32))


def mosaic_canvas(images, masks, train_idx, rng):
    """A 448 px region of a rendered mosaic scene (training chips only), (f, y): two overlapping tiles of it make a
    consistency pair (augment.overlapping_windows) where open sea is as common as in the mosaics."""
    f, y = canvas(images, masks, train_idx, rng)
    f = render(f, rng)
    r, c = rng.integers(0, CANVAS - 2 * SIZE + 1, 2)
    return f[r:r + 2 * SIZE, c:c + 2 * SIZE].astype(np.float32), y[r:r + 2 * SIZE, c:c + 2 * SIZE].astype(np.float32)


def alone_sample(images, masks, train_idx, rng, tries=8, land=0.3):
    """A scene with nothing else in it, as the pipeline renders it: one tile of only water or only land, haze and
    colour balance, then ONE stretch over the tile itself (src/core/grid/bandStretch.ts stretches a whole scene;
    in an all-sea scene the sea's small range is spread over 0..255, waves and all). Water: procedural open water
    (p 0.4) or the largest all-water square (>= 80 px) of a training chip, enlarged; land (p 0.3): the largest
    all-land square of a training chip, enlarged — so that a uniform stretched tile does not come to mean water.
    The shares are nominal: after `tries` chips without such a square the tile is procedural open water (about
    one chip-water draw in eight, one chip-land draw in 270, with the training split's chips). `land`: the land share
    (session 8: train.py --alone-land-share); the water shares keep their 4 : 3 ratio, and 0.3 draws as before."""
    u = rng.random()
    f, water = None, u < 1 - land
    if u >= 0.4 / 0.7 * (1 - land):
        for _ in range(tries):
            i = int(train_idx[rng.integers(0, len(train_idx))])
            f = chip_interior(images[i], masks[i], water)
            if f is not None:
                break
    if f is None:
        f, water = water_texture(rng), True
    f = haze_and_balance(f, rng)
    ones = np.ones((SIZE, SIZE), np.float32)
    return scene_stretch(np.clip(f, 0, 1)).astype(np.float32), ones if water else 0 * ones, ones


def mosaic_val_set(images, masks, val_idx, count=VAL_COUNT, seed=VAL_SEED):
    """Fixed validation scenes from validation-split chips: list of (rgb uint8 672x672x3, label bool)."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        f, y = canvas(images, masks, val_idx, rng)
        f = render(f, rng)
        out.append((np.round(f * 255).astype(np.uint8), y.astype(bool)))
    return out


# corners (rows and columns alike) of the pipeline's 3 x 3 tile grid on a canvas, and of a grid shifted half a tile
GRID = tuple(range(0, CANVAS, SIZE))
SHIFTED_GRID = (SIZE // 2, SIZE // 2 + SIZE)


def grid_mask(predict, rgb, starts):
    """Water (probability >= 0.5) found on a canvas by the tiles with corners `starts` x `starts`; False elsewhere.
    predict: float tiles NHWC 0..1 -> probabilities NHW."""
    x = rgb.astype(np.float32) / 255.0
    corners = [(r, c) for r in starts for c in starts]
    prob = predict(np.stack([x[r:r + SIZE, c:c + SIZE] for r, c in corners]))
    mask = np.zeros(rgb.shape[:2], bool)
    for (r, c), p in zip(corners, prob):
        mask[r:r + SIZE, c:c + SIZE] = p >= 0.5
    return mask


@torch.no_grad()
def grid_masks(predict, scenes):
    """Each mosaic's water on the pipeline's 3 x 3 grid (what both measures below start from)."""
    return [grid_mask(predict, rgb, GRID) for rgb, _ in scenes]


@torch.no_grad()
def evaluate_mosaics(predict, scenes, on_grid=None):
    """IoU over the validation mosaics, each tiled 3 x 3 as the pipeline tiles. Returns micro IoU, precision, recall
    and the mean IoU over scenes. on_grid: grid_masks(predict, scenes) when already made."""
    total = D.Confusion()
    per = []
    for (rgb, lab), pred in zip(scenes, on_grid or grid_masks(predict, scenes)):
        scene = D.Confusion.of(pred, lab)
        total += scene
        if scene.union():
            per.append(scene.iou())
    return {'mosaic_iou': total.iou(), 'mosaic_precision': total.precision(),
            'mosaic_recall': total.recall(), 'mosaic_iou_macro': float(np.mean(per)) if per else 0.0}


@torch.no_grad()
def shift_disagreement(predict, scenes, on_grid=None):
    """How much the water found depends on where the tile grid falls: each validation mosaic predicted on the
    pipeline's 3 x 3 grid and on a grid shifted by half a tile; 1 - IoU of the two masks over the part both grids
    cover (rows and columns 112..560). 0 = the same answer wherever the tiles fall; a model that decides for a whole
    tile at once scores high (tile-shaped water in a stitched scene). on_grid: grid_masks(predict, scenes) when
    already made."""
    lo, hi = SHIFTED_GRID[0], SHIFTED_GRID[-1] + SIZE
    inter = union = 0
    for (rgb, _), on in zip(scenes, on_grid or grid_masks(predict, scenes)):
        a = on[lo:hi, lo:hi]
        b = grid_mask(predict, rgb, SHIFTED_GRID)[lo:hi, lo:hi]
        inter += int(np.sum(a & b))
        union += int(np.sum(a | b))
    return {'shift_disagreement': 1 - inter / max(union, 1)}
