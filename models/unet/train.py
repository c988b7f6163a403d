#!/usr/bin/python3
"""Train the Waterline default water model: a compact U-Net on the shared water-bodies pairs.

Reproducible recipe (PyTorch CPU is enough; Debian `python3-torch`):

    nice -n 5 /usr/bin/python3 models/unet/train.py \
        --data ../shared/data/water-bodies --out models/unet --epochs 24 --budget-min 32

The published model was trained in four stages (each `--init` the previous stage's unet.pt; stages 3-4 with
`--osm-data ../shared/data --domain-aug P`); the exact flags are in MODEL_CARD.md and metrics.json.

Data: every image/mask pair in DATA/images + DATA/masks (same file name). Images are RGB JPEGs of various
sizes; each is stretched to 224x224 (PIL bilinear), the same size the Waterline pipeline feeds the model.
Masks are resized the same way and thresholded at 128 (white = water; the JPEG masks are noisy).

Split: the sorted file names are shuffled with numpy.random.default_rng(SPLIT_SEED) and the first
VAL_FRACTION become the fixed validation set (written to val_split.txt next to the model).

Domain augmentation (--domain-aug P, per sample): imitates what the Waterline pipeline makes of Landsat,
aerial and panchromatic scenes (one scene-wide 2-98 % per-band stretch to 8 bit): haze (add a constant,
lower contrast), per-channel gain/offset (colour balance), a per-channel random percentile stretch
computed on the whole 224 px image, gamma, random greyscale (single-band scenes become grey RGB),
down-up-sampling (coarser sensors) and noise, then 8-bit quantisation. Geometric aug (crops, flips,
90-degree rotations) as before.

OSM extras (--osm-scenes SCENE:PREFIX ..., default the TRAIN_SCENES below): tiles cut from a few shared
GeoTIFF scenes exactly as the pipeline feeds them (`node bin/waterline.mjs tiles`), labelled with the
OpenStreetMap water polygons (seas10m + waterbodies10m) rasterised onto the scene grid with GDAL;
pixels outside the scene / nodata / black collar are ignored. Generated into --osm-cache (a /tmp cache,
never committed). OSM is coarse, so these pixels get --osm-weight in the loss; --osm-per-epoch of them
are mixed into every epoch. The scenes of the published OSM comparison (Ottawa, Bahamas, Guadeloupe,
Recife, Grenada, Korea) are never used for training (HELD_OUT_SCENES).

Input normalisation: x = (rgb / 255 - mean) / std per channel, mean/std from the training split,
written to manifest.json (the runtime reads them from there). Output: water probability (sigmoid is
inside the exported graph).

Outputs in --out: unet.onnx (opset 17, input `image` float32 [N,3,H,W], output `probability`
float32 [N,1,H,W]; dynamic N, H, W with H and W multiples of 8), unet.pt (state_dict, for the PyTorch
bench), manifest.json, metrics.json, val_split.txt, train_log.txt.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

SPLIT_SEED = 20240611
VAL_FRACTION = 0.15
SIZE = 224
REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# Scenes (file in DATA/scenes : prefix in DATA/osm-water) whose OSM-labelled tiles are training extras.
TRAIN_SCENES = [
    'landsat8-pucallpa-2020-4326.tif:landsat-pucallpa',
    'landsat5-pucallpa-1985-4326.tif:landsat-pucallpa',
    'spot-chicago-pan-stateplane-ft.tif:spot-chicago',
    'riverside-pan-equal-area.tif:riverside',
    'atlanta-pan-stateplane-collar.tif:atlanta',
]
# Never trained on: the scenes of the OSM comparison in MODEL_CARD.md.
HELD_OUT_SCENES = [
    'landsat8-ottawa-rgb16-utm18-cog.tif', 'landsat7-bahamas-rgb-utm18.tif', 'aerial-guadeloupe-allwater-3857.tif',
    'landsat7-recife-6band-utm25s.tif', 'landsat8-grenada-rgb16-utm20.tif', 'aerial-korea-nowater-3857-cog.tif',
]


class Block(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
            nn.Conv2d(cout, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True),
        )

    def forward(self, x):
        return self.net(x)


class WaterUNet(nn.Module):
    """3-level U-Net: c, 2c, 4c, bottleneck 8c; transposed-conv upsampling; logits out."""

    def __init__(self, c=16):
        super().__init__()
        self.e1 = Block(3, c)
        self.e2 = Block(c, 2 * c)
        self.e3 = Block(2 * c, 4 * c)
        self.b = Block(4 * c, 8 * c)
        self.u3 = nn.ConvTranspose2d(8 * c, 4 * c, 2, stride=2)
        self.d3 = Block(8 * c, 4 * c)
        self.u2 = nn.ConvTranspose2d(4 * c, 2 * c, 2, stride=2)
        self.d2 = Block(4 * c, 2 * c)
        self.u1 = nn.ConvTranspose2d(2 * c, c, 2, stride=2)
        self.d1 = Block(2 * c, c)
        self.head = nn.Conv2d(c, 1, 1)

    def forward(self, x):
        e1 = self.e1(x)
        e2 = self.e2(F.max_pool2d(e1, 2))
        e3 = self.e3(F.max_pool2d(e2, 2))
        b = self.b(F.max_pool2d(e3, 2))
        d3 = self.d3(torch.cat([self.u3(b), e3], 1))
        d2 = self.d2(torch.cat([self.u2(d3), e2], 1))
        d1 = self.d1(torch.cat([self.u1(d2), e1], 1))
        return self.head(d1)


class WithSigmoid(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return torch.sigmoid(self.net(x))


def load_pairs(data_dir, cache):
    if cache and os.path.exists(cache):
        z = np.load(cache)
        return list(z['names']), z['images'], z['masks']
    names = sorted(f for f in os.listdir(os.path.join(data_dir, 'images'))
                   if os.path.exists(os.path.join(data_dir, 'masks', f)))
    images = np.zeros((len(names), SIZE, SIZE, 3), np.uint8)
    masks = np.zeros((len(names), SIZE, SIZE), np.uint8)
    for i, n in enumerate(names):
        im = Image.open(os.path.join(data_dir, 'images', n)).convert('RGB').resize((SIZE, SIZE), Image.BILINEAR)
        m = Image.open(os.path.join(data_dir, 'masks', n)).convert('L').resize((SIZE, SIZE), Image.BILINEAR)
        images[i] = np.asarray(im)
        masks[i] = (np.asarray(m) >= 128).astype(np.uint8)
    if cache:
        np.savez(cache, names=np.array(names), images=images, masks=masks)
    return names, images, masks


def split(names):
    order = np.random.default_rng(SPLIT_SEED).permutation(len(names))
    nval = int(round(len(names) * VAL_FRACTION))
    return np.sort(order[nval:]), np.sort(order[:nval])


def flip_rotate(rng, *arrays):
    """The same random horizontal/vertical flip and 90-degree rotation applied to every array."""
    if rng.random() < 0.5:
        arrays = [a[:, ::-1] for a in arrays]
    if rng.random() < 0.5:
        arrays = [a[::-1] for a in arrays]
    rot = rng.integers(0, 4)
    return [np.rot90(a, rot) for a in arrays]


def jitter(f, rng):
    """Mild global contrast (x0.75-1.25 about the mean) and brightness (+-0.1) jitter, clipped to [0, 1]."""
    contrast = rng.uniform(0.75, 1.25)
    bright = rng.uniform(-0.1, 0.1)
    return np.clip((f - f.mean()) * contrast + f.mean() + bright, 0, 1)


def augment_batch(images, masks, idx, crop, rng):
    """Random crop, flips, 90-degree rotations and mild brightness/contrast jitter."""
    n = len(idx)
    x = np.empty((n, crop, crop, 3), np.float32)
    y = np.empty((n, crop, crop), np.float32)
    for k, i in enumerate(idx):
        r, c = rng.integers(0, SIZE - crop + 1, 2)
        im = images[i, r:r + crop, c:c + crop]
        m = masks[i, r:r + crop, c:c + crop]
        im, m = flip_rotate(rng, im, m)
        x[k] = jitter(im.astype(np.float32) / 255.0, rng)
        y[k] = m
    return x, y


def load_osm_tiles(data_root, specs, cache, overlap, log):
    """Pipeline tiles of the given scenes + OSM water labels: (images uint8 [K,224,224,3], masks uint8,
    valid uint8, scene name per tile)."""
    import subprocess
    from osgeo import gdal
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from compare_osm import osm_water_files, rasterise
    import tempfile
    gdal.UseExceptions()
    ims, ms, vs, owners = [], [], [], []
    for spec in specs:
        scene, prefix = spec.split(':')
        if scene in HELD_OUT_SCENES:
            raise SystemExit(f'{scene} is a held-out scene; it must not be used for training')
        path = os.path.join(data_root, 'scenes', scene)
        out = os.path.join(cache, f'{scene}.o{overlap}')
        if not os.path.exists(os.path.join(out, 'index.json')):
            subprocess.run(['node', os.path.join(REPO, 'bin', 'waterline.mjs'), 'tiles', path, '--out', out,
                            '--overlap', str(overlap)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        with open(os.path.join(out, 'index.json')) as f:
            index = json.load(f)
        ds = gdal.Open(path)
        arr = np.stack([ds.GetRasterBand(b + 1).ReadAsArray() for b in range(ds.RasterCount)])
        nodata = ds.GetRasterBand(1).GetNoDataValue()
        valid = (arr != 0).any(0)  # black collars (atlanta has no nodata value)
        if nodata is not None:
            valid &= arr[0] != nodata
        with tempfile.TemporaryDirectory() as tmp:
            osm = rasterise(osm_water_files(data_root, prefix), ds, tmp)
        n0 = len(ims)
        for t in index['tiles']:
            w = t['window']
            x0, y0, ww, hh = w['x'], w['y'], w['width'], w['height']
            rgba = np.asarray(Image.open(os.path.join(out, t['file'])).convert('RGBA'))
            m = np.zeros((SIZE, SIZE), np.uint8)
            v = np.zeros((SIZE, SIZE), np.uint8)
            m[:hh, :ww] = osm[y0:y0 + hh, x0:x0 + ww]
            v[:hh, :ww] = valid[y0:y0 + hh, x0:x0 + ww]
            v &= (rgba[..., 3] > 0).astype(np.uint8)
            if v.sum() < 0.2 * SIZE * SIZE:
                continue
            ims.append(rgba[..., :3].copy())
            ms.append(m)
            vs.append(v)
            owners.append(scene)
        sel = np.array(vs[n0:], bool)
        frac = float(np.array(ms[n0:])[sel].mean()) if sel.any() else 0.0
        log(f'osm extras: {scene} ({prefix}): {len(ims) - n0} tiles, bands {index["bands"]}, '
            f'OSM water fraction {frac:.3f}')
    return np.array(ims), np.array(ms), np.array(vs), owners


def photometric(full, rng):
    """Domain augmentation on a whole 224 px image (float32 HxWx3 in [0,1]); see the module docstring."""
    f = full
    if rng.random() < 0.3:  # haze: add a bright constant, lower contrast
        h = rng.uniform(0.05, 0.45)
        colour = rng.uniform(0.55, 1.0) + rng.uniform(-0.08, 0.08, 3)
        f = f * (1 - h) + h * colour
    if rng.random() < 0.6:  # sensor / colour balance: per-channel gain and offset
        f = f * rng.uniform(0.7, 1.3, 3) + rng.uniform(-0.06, 0.06, 3)
    if rng.random() < 0.7:  # scene-wide per-band percentile stretch (stats of the whole image, not the crop)
        lo_p = np.clip(rng.uniform(0, 8) + rng.uniform(-1.5, 1.5, 3), 0, 20)
        hi_p = np.clip(rng.uniform(92, 100) + rng.uniform(-1.5, 1.5, 3), 80, 100)
        sub = f[::4, ::4].reshape(-1, 3)
        for ch in range(3):
            lo, hi = np.percentile(sub[:, ch], [lo_p[ch], hi_p[ch]])
            f[..., ch] = (f[..., ch] - lo) / max(hi - lo, 1e-3)
    f = np.clip(f, 0, 1)
    if rng.random() < 0.5:  # gamma
        g = rng.uniform(0.6, 1.6) * rng.uniform(0.92, 1.08, 3)
        f = f ** g
    if rng.random() < 0.15:  # single-band scene replicated to grey RGB
        wts = rng.dirichlet(np.ones(3))
        f = np.repeat((f @ wts)[..., None], 3, axis=2)
    return f.astype(np.float32)


def degrade(f, rng):
    """Coarser sensor (down-up-sampling) and noise on a crop, then 8-bit quantisation."""
    if rng.random() < 0.35:
        t = torch.from_numpy(np.ascontiguousarray(f)).permute(2, 0, 1)[None]
        k = rng.uniform(1.5, 3.5)
        h, w = f.shape[:2]
        small = F.interpolate(t, size=(max(8, int(h / k)), max(8, int(w / k))), mode='area')
        f = F.interpolate(small, size=(h, w), mode='bilinear', align_corners=False)[0].permute(1, 2, 0).numpy()
    if rng.random() < 0.25:
        f = f + rng.normal(0, rng.uniform(0.005, 0.03), f.shape).astype(np.float32)
    return np.round(np.clip(f, 0, 1) * 255) / 255


def augment_mixed(sources, idx, crop, rng, domain_p, osm_weight):
    """Like augment_batch, for samples (source, index) of sources = ((images, masks, valid), ...): pairs
    (valid None) and OSM tiles; returns x, y and per-pixel loss weights.
    With probability domain_p a sample gets the domain augmentation (photometric + degrade)."""
    n = len(idx)
    x = np.empty((n, crop, crop, 3), np.float32)
    y = np.empty((n, crop, crop), np.float32)
    w = np.empty((n, crop, crop), np.float32)
    for k, (src, i) in enumerate(idx):
        img, msk, val = sources[src]
        full = img[i].astype(np.float32) / 255.0
        dom = rng.random() < domain_p
        if dom:
            full = photometric(full, rng)
        r, c = rng.integers(0, SIZE - crop + 1, 2)
        im = full[r:r + crop, c:c + crop]
        m = msk[i, r:r + crop, c:c + crop]
        v = val[i, r:r + crop, c:c + crop].astype(np.float32) * osm_weight if val is not None \
            else np.ones((crop, crop), np.float32)
        im, m, v = flip_rotate(rng, im, m, v)
        f = np.ascontiguousarray(im)
        if dom:
            f = degrade(f, rng)
        x[k] = jitter(f, rng)
        y[k] = m
        w[k] = v
    return x, y, w


def to_tensor(x, mean, std):
    t = torch.from_numpy(np.ascontiguousarray(x)).permute(0, 3, 1, 2)
    return (t - mean.view(1, 3, 1, 1)) / std.view(1, 3, 1, 1)


def dice_loss(logits, target, weight=None):
    p = torch.sigmoid(logits)
    if weight is None:
        weight = torch.ones_like(target)
    inter = (p * target * weight).sum((1, 2, 3))
    denom = (p * weight).sum((1, 2, 3)) + (target * weight).sum((1, 2, 3))
    per = 1 - (2 * inter + 1) / (denom + 1)
    wsum = weight.mean((1, 2, 3))
    return (per * wsum).sum() / wsum.sum().clamp_min(1e-6)


@torch.no_grad()
def evaluate(model, images, masks, idx, mean, std, batch=16):
    """Pixel-level, micro-averaged over all validation pixels at 224x224, threshold 0.5."""
    model.eval()
    tp = fp = fn = tn = 0
    for s in range(0, len(idx), batch):
        b = idx[s:s + batch]
        x = to_tensor(images[b].astype(np.float32) / 255.0, mean, std)
        pred = (torch.sigmoid(model(x))[:, 0] >= 0.5).numpy()
        truth = masks[b].astype(bool)
        tp += int(np.sum(pred & truth))
        fp += int(np.sum(pred & ~truth))
        fn += int(np.sum(~pred & truth))
        tn += int(np.sum(~pred & ~truth))
    precision = tp / max(tp + fp, 1)
    recall = tp / max(tp + fn, 1)
    return {
        'iou': tp / max(tp + fp + fn, 1),
        'f1': 2 * tp / max(2 * tp + fp + fn, 1),
        'precision': precision,
        'recall': recall,
        'accuracy': (tp + tn) / max(tp + fp + fn + tn, 1),
        'count': int(len(idx)),
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--data', default='../shared/data/water-bodies')
    ap.add_argument('--out', default='models/unet')
    ap.add_argument('--cache', default='/tmp/waterline-unet-pairs.npz')
    ap.add_argument('--channels', type=int, default=16)
    ap.add_argument('--epochs', type=int, default=24)
    ap.add_argument('--crop', type=int, default=128)
    ap.add_argument('--batch', type=int, default=16)
    ap.add_argument('--lr', type=float, default=3e-3)
    ap.add_argument('--budget-min', type=float, default=32, help='stop after this many minutes of training')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--seed', type=int, default=7)
    ap.add_argument('--domain-aug', type=float, default=0.0,
                    help='probability that a training sample gets the domain augmentation (0 = the old recipe)')
    ap.add_argument('--osm-data', default=None, help='shared data root (scenes/, osm-water/); enables OSM extras')
    ap.add_argument('--osm-scenes', nargs='*', default=TRAIN_SCENES, help='SCENE:PREFIX of the training scenes')
    ap.add_argument('--osm-cache', default='/tmp/waterline-unet-osm')
    ap.add_argument('--osm-overlap', type=int, default=96, help='tile overlap when cutting the extras')
    ap.add_argument('--osm-weight', type=float, default=0.5, help='loss weight of OSM-labelled pixels')
    ap.add_argument('--osm-per-epoch', type=int, default=160, help='OSM tiles drawn (with replacement) per epoch')
    ap.add_argument('--export-only', action='store_true', help='re-export unet.pt to ONNX')
    ap.add_argument('--init', help='stage 2: start from this checkpoint (e.g. a copy of unet.pt from stage 1) '
                    'and keep its validation IoU as the bar a new checkpoint must beat')
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    os.makedirs(args.out, exist_ok=True)
    log_file = open(os.path.join(args.out, 'train_log.txt'), 'a' if args.export_only or args.init else 'w')

    def log(msg):
        line = f'[{time.strftime("%H:%M:%S")}] {msg}'
        print(line, flush=True)
        log_file.write(line + '\n')
        log_file.flush()

    t0 = time.time()
    names, images, masks = load_pairs(args.data, args.cache)
    train_idx, val_idx = split(names)
    log(f'loaded {len(names)} pairs in {time.time() - t0:.1f}s; train {len(train_idx)}, val {len(val_idx)}')
    with open(os.path.join(args.out, 'val_split.txt'), 'w') as f:
        f.write(''.join(names[i] + '\n' for i in val_idx))

    tr = images[train_idx].reshape(-1, 3).astype(np.float64) / 255.0
    mean = torch.tensor(tr.mean(0), dtype=torch.float32)
    std = torch.tensor(tr.std(0), dtype=torch.float32)
    del tr
    water_fraction = float(masks[train_idx].mean())
    log(f'mean {mean.tolist()} std {std.tolist()} train water fraction {water_fraction:.3f}')

    osm = None
    if args.osm_data and not args.export_only:
        os.makedirs(args.osm_cache, exist_ok=True)
        oi, om, ov, owners = load_osm_tiles(args.osm_data, args.osm_scenes, args.osm_cache, args.osm_overlap, log)
        osm = (oi, om, ov)
        log(f'osm extras: {len(oi)} tiles from {len(set(owners))} scenes, weight {args.osm_weight}, '
            f'{args.osm_per_epoch} per epoch; held out: {", ".join(HELD_OUT_SCENES)}')

    model = WaterUNet(args.channels)
    nparams = sum(p.numel() for p in model.parameters())
    log(f'WaterUNet(c={args.channels}): {nparams} parameters')
    pt_path = os.path.join(args.out, 'unet.pt')

    history = []
    best = None
    epochs_run = 0
    stage1 = None
    if args.init:
        init = torch.load(args.init)
        model.load_state_dict(init['state_dict'])
        metrics_path = os.path.join(args.out, 'metrics.json')
        if os.path.exists(metrics_path):
            with open(metrics_path) as f:
                stage1 = json.load(f)
            best = {'epoch': 0, **stage1['validation']}
        log(f'stage 2: initialised from {args.init}' + (f' (val iou {best["iou"]:.4f})' if best else ''))
    if not args.export_only:
        opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
        steps_per_epoch = math.ceil((len(train_idx) + (args.osm_per_epoch if osm is not None else 0)) / args.batch)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, epochs=args.epochs,
                                                    steps_per_epoch=steps_per_epoch, pct_start=0.15)
        start = time.time()
        for epoch in range(1, args.epochs + 1):
            model.train()
            perm = [(0, int(i)) for i in rng.permutation(train_idx)]
            if osm is not None:
                perm += [(1, int(i)) for i in rng.integers(0, len(osm[0]), args.osm_per_epoch)]
                perm = [perm[j] for j in rng.permutation(len(perm))]
            te = time.time()
            total = 0.0
            for s in range(0, len(perm), args.batch):
                b = perm[s:s + args.batch]
                if osm is None and args.domain_aug == 0:
                    x, y = augment_batch(images, masks, [i for _, i in b], args.crop, rng)
                    w = np.ones_like(y)
                else:
                    sources = ((images, masks, None), osm)
                    x, y, w = augment_mixed(sources, b, args.crop, rng, args.domain_aug, args.osm_weight)
                xt = to_tensor(x, mean, std)
                yt = torch.from_numpy(y).unsqueeze(1)
                wt = torch.from_numpy(w).unsqueeze(1)
                logits = model(xt)
                bce_px = F.binary_cross_entropy_with_logits(logits, yt, reduction='none')
                loss = (bce_px * wt).sum() / wt.sum().clamp_min(1e-6) + dice_loss(logits, yt, wt)
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
                total += float(loss) * len(b)
            m = evaluate(model, images, masks, val_idx, mean, std)
            epochs_run = epoch
            history.append({'epoch': epoch, 'loss': total / len(perm), **m, 'seconds': time.time() - te})
            log(f'epoch {epoch}/{args.epochs} loss {total / len(perm):.4f} val iou {m["iou"]:.4f} f1 {m["f1"]:.4f} '
                f'p {m["precision"]:.4f} r {m["recall"]:.4f} ({time.time() - te:.0f}s)')
            if best is None or m['iou'] > best['iou']:
                best = {'epoch': epoch, **m}
                torch.save({'state_dict': model.state_dict(), 'channels': args.channels,
                            'mean': mean.tolist(), 'std': std.tolist()}, pt_path)
            if (time.time() - start) / 60 > args.budget_min:
                log(f'time budget of {args.budget_min} min reached after epoch {epoch}; stopping')
                break
        train_minutes = (time.time() - start) / 60
    ckpt = torch.load(pt_path)
    model = WaterUNet(ckpt['channels'])
    model.load_state_dict(ckpt['state_dict'])
    model.eval()
    final = evaluate(model, images, masks, val_idx, mean, std)
    log(f'best checkpoint on the validation split: {json.dumps(final)}')

    onnx_path = os.path.join(args.out, 'unet.onnx')
    torch.onnx.export(WithSigmoid(model), torch.zeros(1, 3, SIZE, SIZE), onnx_path, opset_version=17,
                      input_names=['image'], output_names=['probability'],
                      dynamic_axes={'image': {0: 'batch', 2: 'height', 3: 'width'},
                                    'probability': {0: 'batch', 2: 'height', 3: 'width'}},
                      do_constant_folding=True)
    log(f'exported {onnx_path} ({os.path.getsize(onnx_path)} bytes)')

    manifest = {
        'name': 'waterline-unet',
        'kind': 'unet',
        'file': 'unet.onnx',
        'input': {'name': 'image', 'layout': 'NCHW', 'dtype': 'float32', 'channels': ['red', 'green', 'blue'],
                  'size': SIZE, 'sizeMultiple': 8, 'scale': 1 / 255, 'mean': ckpt['mean'], 'std': ckpt['std']},
        'output': {'name': 'probability', 'kind': 'probability', 'layout': 'NCHW', 'channels': 1, 'threshold': 0.5},
        'parameters': nparams,
        'architecture': f'WaterUNet(c={ckpt["channels"]}) in models/unet/train.py',
    }
    with open(os.path.join(args.out, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=2)
        f.write('\n')
    if not args.export_only:
        metrics = {
            'validation': final, 'best_epoch': best['epoch'], 'epochs_run': epochs_run,
            'train_minutes': round(train_minutes, 1), 'train_pairs': int(len(train_idx)),
            'val_pairs': int(len(val_idx)), 'split_seed': SPLIT_SEED, 'val_fraction': VAL_FRACTION,
            'settings': {k: v for k, v in vars(args).items() if k not in ('cache', 'export_only')},
            'history': history,
        }
        if stage1 is not None:
            metrics['stage1'] = stage1
        with open(os.path.join(args.out, 'metrics.json'), 'w') as f:
            json.dump(metrics, f, indent=2)
            f.write('\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
