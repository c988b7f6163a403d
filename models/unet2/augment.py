"""Training samples of waterline-unet2: 224 px image, label and per-pixel loss weight, augmented.

- Pairs: the 224 px Kaggle chip; with p 0.3 a zoom-in (random 112-200 px window resized to 224: finer
  ground resolution than the 10 m chips, e.g. aerial sea texture).
- Scenes: a random 224 px window of a pipeline-rendered training scene (data.py), allowed to run past
  the scene edge by up to half a tile: those pixels are zero and invalid (weight 0), like the pipeline's
  padded edge tiles. Windows with < 25 % weighted pixels are redrawn.
- Geometry: flips and 90-degree rotations.
- Domain (p --domain-aug): what the pipeline makes of other sensors: haze, per-channel gain/offset, a
  per-channel percentile stretch of the whole window, gamma, greyscale (single-band scenes), then after the
  hard negatives down-up-sampling and noise.
- Hard negatives (synthetic, on land = label 0 pixels unless said): black collar (a corner cut off along a
  random line, rendered black, valid, not water), cloud (bright soft blob over anything; opaque parts are
  not water), snow (land brightened to white with its texture kept), dark fields / shadow (land darkened).
- High-resolution water texture (`sea_sample`, procedural): open water as an aerial or a sub-5 m sensor
  sees it (a water colour from deep ocean to turquoise shallows, lakes and silty rivers; wind waves as a few
  oriented wave trains, swell, sun glint specks, slow depth/colour gradients, sensor noise). Either a whole
  tile of it (an all-sea tile has no shore to anchor a decision) or a Kaggle chip whose water pixels are
  replaced by it (real shorelines around high-resolution water). With SHALLOW_BANK_P > 0 (run ft3: 0.35; off
  by default) some also brighten towards a shallow-bank or turbid-plume colour across the tile.
- Bright smooth land (`bright_sample`, procedural, label 0): what a water model must not call water although
  it is bright, smooth and low in texture once the pipeline stretches it: snow-covered terrain (hill-shaded
  white with blue shadows, forest patches, exposed rock on steep slopes, roads, buildings), snow replacing a
  Kaggle chip's land (its water kept: winter shorelines), a full cloud deck, and sand / salt flats / pavement.
  The older `snow` negative keeps the land's texture under the white; real snowfields are smooth.
- Always: mild brightness/contrast jitter and 8-bit quantisation.
"""
import numpy as np
import torch
import torch.nn.functional as F

SIZE = 224


def smooth_field(rng, size=SIZE, cells=None):
    """A smooth random field in [0, 1] (bilinear upsampling of coarse noise)."""
    cells = cells or int(rng.integers(3, 10))
    coarse = torch.from_numpy(rng.random((1, 1, cells, cells)).astype(np.float32))
    f = F.interpolate(coarse, size=(size, size), mode='bicubic', align_corners=False)[0, 0].numpy()
    f -= f.min()
    return f / max(float(f.max()), 1e-6)


def blob(rng, coverage, softness=0.08):
    """Soft mask (0..1) covering about `coverage` of the tile."""
    f = smooth_field(rng)
    t = np.quantile(f, 1 - coverage)
    return np.clip((f - t) / softness + 0.5, 0, 1).astype(np.float32)


def largest_square(m):
    """(row, col, side) of the largest square of True in a boolean mask (binary search over an integral image)."""
    ii = np.pad(m.astype(np.int32).cumsum(0).cumsum(1), ((1, 0), (1, 0)))
    lo, hi, at = 0, min(m.shape), (0, 0)
    while lo < hi:
        s = (lo + hi + 1) // 2
        full = (ii[s:, s:] - ii[:-s, s:] - ii[s:, :-s] + ii[:-s, :-s]) == s * s
        if full.any():
            lo, at = s, tuple(int(v) for v in np.argwhere(full)[0])
        else:
            hi = s - 1
    return at[0], at[1], lo


INTERIOR_MIN_SQUARE = 80


def chip_interior(image, mask, water, min_side=INTERIOR_MIN_SQUARE):
    """A chip's largest all-water (or all-land) square, at least min_side px, enlarged to a tile (HxWx3, 0..1), as a
    finer sensor would see the middle of that lake or field; None when the chip has no such square."""
    r, c, s = largest_square(mask > 0 if water else mask == 0)
    if s < min_side:
        return None
    return resize(image[r:r + s, c:c + s].astype(np.float32) / 255.0, SIZE, 'bilinear')


def flip_rotate(rng, *arrays):
    if rng.random() < 0.5:
        arrays = [a[:, ::-1] for a in arrays]
    if rng.random() < 0.5:
        arrays = [a[::-1] for a in arrays]
    rot = int(rng.integers(0, 4))
    return [np.ascontiguousarray(np.rot90(a, rot)) for a in arrays]


def resize(a, size, mode):
    t = torch.from_numpy(np.ascontiguousarray(a, dtype=np.float32))
    t = t.permute(2, 0, 1)[None] if t.dim() == 3 else t[None, None]
    kw = {} if mode in ('nearest', 'area') else {'align_corners': False}
    r = F.interpolate(t, size=(size, size), mode=mode, **kw)[0]
    return r.permute(1, 2, 0).numpy() if a.ndim == 3 else r[0].numpy()


def pair_sample(images, masks, i, rng, zoom_p=0.3):
    f = images[i].astype(np.float32) / 255.0
    y = masks[i].astype(np.float32)
    w = np.ones_like(y)
    if rng.random() < zoom_p:
        s = int(rng.integers(112, 201))
        r, c = rng.integers(0, SIZE - s + 1, 2)
        f = resize(f[r:r + s, c:c + s], SIZE, 'bilinear')
        y = resize(y[r:r + s, c:c + s], SIZE, 'nearest')
        w = np.ones_like(y)
    return f, y, w


def shifted_pair(images, masks, i, train_idx, rng):
    """Chip i in a random quadrant of a 2 x 2 canvas of training chips at their own scale, and a random 224 px
    window of it: water bodies cut by the tile border anywhere, as the pipeline's tile grid cuts them. The Kaggle
    chips are mostly centred on one lake; trained on whole chips only, a network with a tile-wide receptive field
    can learn 'water sits in the middle of the tile' and decide per tile (session 4: the answer then changes when
    the tile grid shifts)."""
    f, y = chip_canvas(images, masks, train_idx, rng, first=i)
    r, c = rng.integers(0, SIZE + 1, 2)
    return f[r:r + SIZE, c:c + SIZE], y[r:r + SIZE, c:c + SIZE], np.ones((SIZE, SIZE), np.float32)


def chip_canvas(images, masks, train_idx, rng, first=None):
    """A 448 px canvas of 2 x 2 training chips at their own scale (chip `first`, if given, in a random quadrant)."""
    f = np.zeros((2 * SIZE, 2 * SIZE, 3), np.float32)
    y = np.zeros((2 * SIZE, 2 * SIZE), np.float32)
    here = int(rng.integers(0, 4))
    for q in range(4):
        j = first if q == here and first is not None else int(train_idx[rng.integers(0, len(train_idx))])
        img, m = flip_rotate(rng, images[j].astype(np.float32) / 255.0, masks[j].astype(np.float32))
        r, c = divmod(q, 2)
        f[r * SIZE:(r + 1) * SIZE, c * SIZE:(c + 1) * SIZE] = img
        y[r * SIZE:(r + 1) * SIZE, c * SIZE:(c + 1) * SIZE] = m
    return f, y


def scene_canvas(scene, rng):
    """A 448 px region of a training rendering's training rows (never its scene-validation part), with its label and
    weight; black and unweighted where the region reaches past the rendering."""
    rgb, lab, wt = scene['rgb'], scene['label'], scene['weight']
    h, w, c2 = scene.get('train_rows', lab.shape[0]), lab.shape[1], 2 * SIZE
    r, c = int(rng.integers(0, max(h - c2, 0) + 1)), int(rng.integers(0, max(w - c2, 0) + 1))
    f = np.zeros((c2, c2, 3), np.float32)
    y = np.zeros((c2, c2), np.float32)
    v = np.zeros((c2, c2), np.float32)
    part = rgb[r:min(r + c2, h), c:c + c2]
    f[:part.shape[0], :part.shape[1]] = part / 255.0
    y[:part.shape[0], :part.shape[1]] = lab[r:r + part.shape[0], c:c + part.shape[1]]
    v[:part.shape[0], :part.shape[1]] = wt[r:r + part.shape[0], c:c + part.shape[1]]
    return f, y, v


def overlapping_windows(images, masks, train_idx, rng, min_overlap=64, scene=None, canvas=None):
    """Two 224 px windows of one chip canvas — or, with `scene`, of a region of that training rendering
    (scene_canvas), or of `canvas` (f, y: a 448 px region already rendered, e.g. mosaic.mosaic_canvas; no further
    domain augmentation) — (domain augmentation applied to the canvas, so the overlap holds the same pixels in both),
    overlapping by at least `min_overlap` px each way: for a consistency loss — the water found in the overlap
    should not depend on where the window (the pipeline's tile) falls.
    Returns [(f, y, w), (f, y, w)] and (ra, ca, rb, cb), the windows' corners on the canvas."""
    if canvas is not None:
        f, y = canvas
        v = np.ones(y.shape, np.float32)
    elif scene is None:
        f, y = chip_canvas(images, masks, train_idx, rng)
        v = np.ones(y.shape, np.float32)
    else:
        f, y, v = scene_canvas(scene, rng)
    outside = (v == 0) & (f.max(-1) == 0)  # past the rendering: stays black, as the pipeline pads
    if canvas is None and rng.random() < 0.5:
        f = photometric(f, rng)
        f[outside] = 0
    f = np.round(np.clip(f, 0, 1) * 255) / 255
    ra, ca = (int(k) for k in rng.integers(0, SIZE + 1, 2))
    reach = SIZE - min_overlap
    rb = int(np.clip(ra + rng.integers(-reach, reach + 1), 0, SIZE))
    cb = int(np.clip(ca + rng.integers(-reach, reach + 1), 0, SIZE))
    out = [(f[r:r + SIZE, c:c + SIZE].astype(np.float32), y[r:r + SIZE, c:c + SIZE], v[r:r + SIZE, c:c + SIZE])
           for r, c in ((ra, ca), (rb, cb))]
    return out, (ra, ca, rb, cb)


def scene_sample(scene, rng, tries=10):
    """A window of a training rendering; rows from scene['train_rows'] down (its scene-validation part) are
    blanked like padding."""
    rgb, lab, wt = scene['rgb'], scene['label'], scene['weight']
    h = scene.get('train_rows', lab.shape[0])
    rgb, lab, wt = rgb[:h], lab[:h], wt[:h]
    w = lab.shape[1]
    half = SIZE // 2
    for _ in range(tries):
        r = int(rng.integers(-half, max(h - half, -half + 1)))
        c = int(rng.integers(-half, max(w - half, -half + 1)))
        f = np.zeros((SIZE, SIZE, 3), np.float32)
        y = np.zeros((SIZE, SIZE), np.float32)
        v = np.zeros((SIZE, SIZE), np.float32)
        r0, c0 = max(r, 0), max(c, 0)
        r1, c1 = min(r + SIZE, h), min(c + SIZE, w)
        if r1 <= r0 or c1 <= c0:
            continue
        f[r0 - r:r1 - r, c0 - c:c1 - c] = rgb[r0:r1, c0:c1] / 255.0
        y[r0 - r:r1 - r, c0 - c:c1 - c] = lab[r0:r1, c0:c1]
        v[r0 - r:r1 - r, c0 - c:c1 - c] = wt[r0:r1, c0:c1]
        if (v > 0).mean() >= 0.25:
            break
    return f, y, v


def photometric(f, rng):
    if rng.random() < 0.3:  # haze
        h = rng.uniform(0.05, 0.45)
        colour = rng.uniform(0.55, 1.0) + rng.uniform(-0.08, 0.08, 3)
        f = f * (1 - h) + h * colour
    if rng.random() < 0.6:  # colour balance
        f = f * rng.uniform(0.7, 1.3, 3) + rng.uniform(-0.06, 0.06, 3)
    if rng.random() < 0.6:  # per-channel percentile stretch of the whole window
        lo_p = np.clip(rng.uniform(0, 8) + rng.uniform(-1.5, 1.5, 3), 0, 20)
        hi_p = np.clip(rng.uniform(92, 100) + rng.uniform(-1.5, 1.5, 3), 80, 100)
        sub = f[::4, ::4].reshape(-1, 3)
        lo = np.array([np.percentile(sub[:, ch], lo_p[ch]) for ch in range(3)])
        hi = np.array([np.percentile(sub[:, ch], hi_p[ch]) for ch in range(3)])
        f = (f - lo) / np.maximum(hi - lo, 1e-3)
    f = np.clip(f, 0, 1)
    if rng.random() < 0.5:  # gamma
        f = f ** (rng.uniform(0.6, 1.6) * rng.uniform(0.92, 1.08, 3))
    if rng.random() < 0.2:  # single-band scene as grey RGB
        f = np.repeat((f @ rng.dirichlet(np.ones(3)))[..., None], 3, axis=2)
    return f.astype(np.float32)


def collar(f, y, w, rng):
    """Black collar along a random line through a corner region: rendered 0, valid, not water."""
    yy, xx = np.mgrid[0:SIZE, 0:SIZE].astype(np.float32)
    angle = rng.uniform(0, 2 * np.pi)
    d = np.cos(angle) * (xx - SIZE / 2) + np.sin(angle) * (yy - SIZE / 2)
    cut = d > rng.uniform(0.15, 0.9) * SIZE / 2
    f = f.copy()
    f[cut] = 0
    return f, np.where(cut, 0, y), np.where(cut, 1.0, w)


def cloud(f, y, w, rng):
    a = blob(rng, rng.uniform(0.1, 0.6), softness=rng.uniform(0.05, 0.3)) * rng.uniform(0.7, 1.0)
    tone = rng.uniform(0.75, 1.0) + rng.uniform(-0.03, 0.03, 3)
    tex = 0.1 * (smooth_field(rng, cells=int(rng.integers(8, 20))) - 0.5)
    f = f * (1 - a[..., None]) + a[..., None] * np.clip(tone + tex[..., None], 0, 1)
    opaque = a > 0.6
    return f, np.where(opaque, 0, y), w


def snow(f, y, w, rng):
    land = (y == 0).astype(np.float32)
    a = np.clip(blob(rng, rng.uniform(0.4, 1.0)) * rng.uniform(0.6, 1.0), 0, 1) * land
    white = rng.uniform(0.82, 1.0) + np.array([0, 0.01, 0.03]) * rng.uniform(0, 1)
    snowy = np.clip(white + 0.35 * (f - f.mean((0, 1))), 0, 1)
    return f * (1 - a[..., None]) + snowy * a[..., None], y, w


def dark_land(f, y, w, rng):
    land = (y == 0).astype(np.float32)
    a = blob(rng, rng.uniform(0.1, 0.5)) * land
    k = rng.uniform(0.15, 0.55) * rng.uniform(0.85, 1.15, 3)
    return f * (1 - a[..., None]) + (f * k) * a[..., None], y, w


HARD_NEGATIVES = ((collar, 0.05), (cloud, 0.10), (snow, 0.07), (dark_land, 0.08))


def degrade(f, rng):
    if rng.random() < 0.35:  # coarser sensor
        k = rng.uniform(1.5, 3.5)
        t = torch.from_numpy(np.ascontiguousarray(f, dtype=np.float32)).permute(2, 0, 1)[None]
        small = F.interpolate(t, size=(int(SIZE / k), int(SIZE / k)), mode='area')
        f = F.interpolate(small, size=(SIZE, SIZE), mode='bilinear', align_corners=False)[0].permute(1, 2, 0).numpy()
    if rng.random() < 0.25:
        f = f + rng.normal(0, rng.uniform(0.005, 0.03), f.shape).astype(np.float32)
    return f


def jitter(f, rng):
    m = f.mean()
    return (f - m) * rng.uniform(0.8, 1.2) + m + rng.uniform(-0.08, 0.08)


# Water colours (linear 0..1 RGB, before the pipeline's stretch): deep ocean, open sea, turquoise shallows,
# coastal green-blue, dark lake, silty river, glacial milky blue.
WATER_COLOURS = np.array([
    (0.04, 0.10, 0.22), (0.08, 0.20, 0.35), (0.16, 0.46, 0.55), (0.12, 0.30, 0.30),
    (0.07, 0.09, 0.10), (0.33, 0.29, 0.20), (0.35, 0.50, 0.58)], np.float32)
WATER_COLOUR_P = np.array([0.2, 0.25, 0.15, 0.15, 0.12, 0.06, 0.07])


# Share of procedural water tiles brightened towards a shallow-bank / turbid colour: 0.35 in run ft3 (session 3), which
# transferred worse to the held-out scenes than the shipped ft2 (trained without it) — off by default.
SHALLOW_BANK_P = 0.0


def water_texture(rng, size=SIZE):
    """A procedural high-resolution open-water texture, HxWx3 in 0..1."""
    base = WATER_COLOURS[rng.choice(len(WATER_COLOURS), p=WATER_COLOUR_P)] * rng.uniform(0.7, 1.3) \
        + rng.uniform(-0.03, 0.03, 3)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    waves = np.zeros((size, size), np.float32)
    main = rng.uniform(0, np.pi)
    for _ in range(int(rng.integers(3, 8))):  # wind waves: a few trains around one direction
        a = main + rng.normal(0, 0.35)
        k = 2 * np.pi / rng.uniform(3, 28)
        waves += rng.uniform(0.3, 1.0) * np.sin(k * (np.cos(a) * xx + np.sin(a) * yy) + rng.uniform(0, 2 * np.pi))
    waves /= max(float(np.abs(waves).max()), 1e-6)
    waves *= 0.4 + 0.6 * smooth_field(rng, size)  # patchy wind
    amp = rng.uniform(0.005, 0.04)
    f = np.broadcast_to(base, (size, size, 3)) * (1 + 0.15 * (smooth_field(rng, size) - 0.5))[..., None]  # depth, colour
    if SHALLOW_BANK_P and rng.random() < SHALLOW_BANK_P:  # shallow banks / turbid plumes: brightening across the tile
        shallow = WATER_COLOURS[rng.choice([2, 3, 5])] * rng.uniform(1.0, 1.6) + rng.uniform(-0.03, 0.03, 3)
        bank = np.clip((smooth_field(rng, size, cells=int(rng.integers(2, 5))) - rng.uniform(0.3, 0.7))
                       / rng.uniform(0.4, 1.2) + 0.5, 0, 1)
        f = f * (1 - bank[..., None]) + np.clip(shallow, 0, 1) * bank[..., None]
    f = f + amp * waves[..., None] * rng.uniform(0.7, 1.3, 3)
    if rng.random() < 0.3:  # sun glint on crests
        crest = waves > rng.uniform(0.6, 0.9)
        glint = crest & (rng.random((size, size)) < rng.uniform(0.05, 0.5))
        f = np.where(glint[..., None], np.clip(f + rng.uniform(0.2, 0.6), 0, 1), f)
    f = f + rng.normal(0, rng.uniform(0.002, 0.015), (size, size, 3))
    return np.clip(f, 0, 1).astype(np.float32)


def sea_sample(images, masks, train_idx, rng):
    """A whole tile of high-resolution water, or a training chip whose water is replaced by it."""
    tex = water_texture(rng)
    if rng.random() < 0.5:
        return tex, np.ones((SIZE, SIZE), np.float32), np.ones((SIZE, SIZE), np.float32)
    f, y, w = pair_sample(images, masks, int(train_idx[rng.integers(0, len(train_idx))]), rng, zoom_p=0.7)
    return np.where(y[..., None] > 0, tex, f).astype(np.float32), y, w


def height_field(rng, size=SIZE):
    """Terrain: smooth fields at several scales, 0..1."""
    h = np.zeros((size, size), np.float32)
    for cells, amp in ((3, 1.0), (7, 0.5), (16, 0.25), (40, 0.1)):
        h += amp * rng.uniform(0.5, 1.5) * smooth_field(rng, size, cells=int(cells * rng.uniform(0.7, 1.4)))
    h -= h.min()
    return h / max(float(h.max()), 1e-6)


def hillshade(h, rng, relief):
    gy, gx = np.gradient(h * relief)
    az, alt = rng.uniform(0, 2 * np.pi), rng.uniform(0.3, 1.1)
    sun = np.array([np.cos(az) * np.cos(alt), np.sin(az) * np.cos(alt), np.sin(alt)])
    n = np.stack([-gx, -gy, np.ones_like(gx)], -1)
    n /= np.linalg.norm(n, axis=-1, keepdims=True)
    return np.clip(n @ sun, 0, 1).astype(np.float32), np.hypot(gx, gy)


def speckle(rng, density, size=SIZE):
    """Scattered dark dots (tree crowns seen from above): 1 where a crown is."""
    pts = rng.random((size, size)) < density
    r = int(rng.integers(1, 4))
    t = torch.from_numpy(pts.astype(np.float32))[None, None]
    return (F.max_pool2d(t, 2 * r + 1, stride=1, padding=r)[0, 0].numpy() > 0)


def snow_landscape(rng, size=SIZE):
    """Snow-covered terrain, HxWx3 in 0..1: smooth, bright, hill-shaded, blue in the shade."""
    h = height_field(rng, size)
    shade, slope = hillshade(h, rng, relief=rng.uniform(20, 200))
    white = rng.uniform(0.8, 1.0)
    tint = np.array([0.0, 0.02, 0.06]) * rng.uniform(0.5, 2.0)
    lit = white * (rng.uniform(0.55, 0.8) + rng.uniform(0.2, 0.45) * shade)
    f = lit[..., None] * (1 - tint) + (1 - shade)[..., None] * tint * white  # blue shadows
    f = f + rng.normal(0, rng.uniform(0.002, 0.012), f.shape)  # smooth: grain only
    if rng.random() < 0.6:  # exposed rock on steep slopes
        rock = slope > np.quantile(slope, rng.uniform(0.85, 0.98))
        f = np.where(rock[..., None], f * rng.uniform(0.3, 0.6), f)
    if rng.random() < 0.6:  # forest patches
        stand = blob(rng, rng.uniform(0.05, 0.5), softness=0.2)
        crowns = speckle(rng, rng.uniform(0.01, 0.06), size) & (rng.random((size, size)) < stand)
        dark = np.array([0.10, 0.13, 0.11]) * rng.uniform(0.6, 1.6)
        f = np.where(crowns[..., None], dark, f)
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    for _ in range(int(rng.integers(0, 4))):  # roads (ploughed: grey) and tracks
        a, off = rng.uniform(0, np.pi), rng.uniform(-size / 2, size / 2)
        bend = rng.uniform(0, 25) * np.sin(rng.uniform(0.005, 0.03) * (np.sin(a) * xx - np.cos(a) * yy))
        d = np.abs(np.cos(a) * (xx - size / 2) + np.sin(a) * (yy - size / 2) - off + bend)
        road = d < rng.uniform(0.7, 3.0)
        f = np.where(road[..., None], rng.uniform(0.35, 0.75) + rng.uniform(-0.03, 0.03, 3), f)
    for _ in range(int(rng.integers(0, 12))):  # buildings: snowy or dark roofs with a shadow
        r0, c0 = rng.integers(0, size - 8, 2)
        hh, ww = rng.integers(3, 12, 2)
        roof = rng.uniform(0.75, 1.0) if rng.random() < 0.5 else rng.uniform(0.15, 0.45)
        f[r0 + 1:r0 + hh + 1, c0 + 1:c0 + ww + 1] *= 0.6
        f[r0:r0 + hh, c0:c0 + ww] = roof + rng.uniform(-0.03, 0.03, 3)
    return np.clip(f, 0, 1).astype(np.float32)


def flat_bright(rng, size=SIZE):
    """Sand, salt flat or pavement: bright, nearly uniform, faint streaks."""
    base = np.array([[0.85, 0.78, 0.62], [0.93, 0.92, 0.90], [0.62, 0.62, 0.63], [0.78, 0.70, 0.58]][rng.integers(0, 4)])
    f = base * rng.uniform(0.8, 1.1) * (1 + 0.12 * (smooth_field(rng, size) - 0.5))[..., None]
    yy, xx = np.mgrid[0:size, 0:size].astype(np.float32)
    a = rng.uniform(0, np.pi)
    streak = np.sin(2 * np.pi / rng.uniform(4, 40) * (np.cos(a) * xx + np.sin(a) * yy))
    f = f + rng.uniform(0, 0.03) * streak[..., None] + rng.normal(0, rng.uniform(0.002, 0.01), (size, size, 3))
    return np.clip(f, 0, 1).astype(np.float32)


def bright_sample(images, masks, train_idx, rng):
    """Bright smooth land (label 0 unless a kept chip's water): snow terrain, snow around a chip's water,
    a cloud deck, sand / salt / pavement."""
    ones = np.ones((SIZE, SIZE), np.float32)
    u = rng.random()
    if u < 0.55:
        return snow_landscape(rng), np.zeros_like(ones), ones
    if u < 0.75:
        f, y, w = pair_sample(images, masks, int(train_idx[rng.integers(0, len(train_idx))]), rng, zoom_p=0.5)
        return np.where(y[..., None] > 0, f, snow_landscape(rng)).astype(np.float32), y, w
    if u < 0.88:
        tone = rng.uniform(0.75, 1.0) + rng.uniform(-0.03, 0.03, 3)
        deck = tone * (1 - 0.2 * smooth_field(rng, cells=int(rng.integers(4, 30))))[..., None]
        return np.clip(deck, 0, 1).astype(np.float32), np.zeros_like(ones), ones
    return flat_bright(rng), np.zeros_like(ones), ones


def edge_pad(f, y, w, rng):
    """The pipeline's edge tile: a band along the right and/or bottom (16–200 px) past the scene edge, black and
    not scored (weight 0), as `waterline tiles` pads a tile that reaches past the scene."""
    f, y, w = f.copy(), y.copy(), w.copy()
    side = rng.random()
    if side < 0.6:
        k = int(rng.integers(16, 201))
        f[:, SIZE - k:], y[:, SIZE - k:], w[:, SIZE - k:] = 0, 0, 0
    if side >= 0.4:
        k = int(rng.integers(16, 201))
        f[SIZE - k:], y[SIZE - k:], w[SIZE - k:] = 0, 0, 0
    return f, y, w


def make_sample(source, rng, domain_p, edge_p=0.0, hard_negatives=True):
    """source: ('pair', images, masks, i[, train_idx, shift_p]), ('sea' | 'bright' | 'mosaic' | 'alone', images, masks,
    train_idx[, land share: 'alone' only])
    or ('scene', scene dict). With shift_p, a pair is a window across it and three other chips (`shifted_pair`).
    edge_p: the share of samples (scene windows aside: they reach past their scene's edge already) cut as the
    pipeline's edge tiles are (`edge_pad`). hard_negatives=False: no collar, cloud, snow or dark land painted on (a
    rendering whose water is itself pale or dark, trained with train.py --label-only). Returns f HxWx3, y HxW, w HxW
    float32."""
    if source[0] == 'pair' and len(source) > 5 and rng.random() < source[5]:
        f, y, w = shifted_pair(source[1], source[2], source[3], source[4], rng)
    elif source[0] == 'pair':
        f, y, w = pair_sample(source[1], source[2], source[3], rng)
    elif source[0] == 'sea':
        f, y, w = sea_sample(source[1], source[2], source[3], rng)
        domain_p = max(domain_p, 0.8)  # the pipeline stretches an all-water scene hard, per band
    elif source[0] == 'bright':
        f, y, w = bright_sample(source[1], source[2], source[3], rng)
        domain_p = max(domain_p, 0.8)  # ... and a snowfield, which it saturates
    elif source[0] == 'mosaic':
        from mosaic import mosaic_sample  # mosaic.py builds on this module
        f, y, w = mosaic_sample(source[1], source[2], source[3], rng)
    elif source[0] == 'alone':
        from mosaic import alone_sample
        f, y, w = alone_sample(source[1], source[2], source[3], rng, **({'land': source[4]} if len(source) > 4 else {}))
    else:
        f, y, w = scene_sample(source[1], rng)
    f, y, w = flip_rotate(rng, f, y, w)
    dom = rng.random() < domain_p
    if source[0] in ('mosaic', 'alone'):  # already rendered with one scene-wide stretch: no second, per-window one
        dom, degraded = False, rng.random() < 0.5
    else:
        degraded = dom
    if dom:
        valid = w > 0
        g = photometric(f, rng)
        f = np.where(valid[..., None], g, f) if source[0] == 'scene' else g
    if source[0] != 'scene' and rng.random() < edge_p:
        f, y, w = edge_pad(f, y, w, rng)
    padding = f.max(2) == 0
    for fn, p in HARD_NEGATIVES if hard_negatives else ():
        if rng.random() < p:
            f, y, w = fn(f, y, w, rng)
    black = padding | (f.max(2) == 0)  # padding and collars stay exactly 0, as the pipeline renders them
    if degraded:
        f = degrade(f, rng)
    f = jitter(f, rng)
    f = np.round(np.clip(f, 0, 1) * 255) / 255
    f[black] = 0
    return f.astype(np.float32), y.astype(np.float32), w.astype(np.float32)
