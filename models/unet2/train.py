#!/usr/bin/python3
"""Train waterline-unet2 (WaterMobileUNet, model.py) on CPU: long schedule, checkpoint every few minutes,
resumable. Data: data.py (Kaggle pairs with the fixed split + pipeline-rendered training scenes labelled
by OSM or the spectral index); augmentation: augment.py.

Start (or resume: the same command continues from RUN/last.pt if it exists):

    nice -n 19 /usr/bin/python3 models/unet2/train.py --run models/unet2/runs/main >> models/unet2/runs/main.log 2>&1 &

Export the best checkpoint (by the fixed validation split only) for the Waterline runtime:

    /usr/bin/python3 models/unet2/train.py --run models/unet2/runs/main --export DIR [--from CKPT]

writes unet2.onnx (or NAME minus "waterline-" .onnx with --name NAME) + manifest.json (+ metrics.json) into DIR (CKPT default RUN/best.pt; a committed light
checkpoint such as models/unet8/checkpoint.pt also exports).

Schedule: AdamW (weight decay 1e-4), batch --batch, linear warm-up over --warmup steps then cosine decay
to 2 % of --lr over --epochs epochs; an exponential moving average (EMA) of the weights (and BatchNorm
statistics) is what is validated, checkpointed as best and exported. Loss: per-pixel weighted BCE + soft
Dice over the batch. Validation: the 205 fixed-split pairs at 224 px, threshold 0.5, IoU micro-averaged
over all pixels (as models/unet/train.py and `waterline eval`); and, from epoch 15 of the main run, the
scene-validation parts of the training renderings (data.SCENE_VAL_FRACTION, the bottom quarter of each, never
trained on from then on), tiled as the pipeline tiles: `best.pt` is chosen on the pairs, `best-combined.pt`
on the mean of both IoUs.
"""
import argparse
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data as D  # noqa: E402
from augment import make_sample, overlapping_windows  # noqa: E402
from model import CONTEXT_CELLS, build, deepen_from, export_onnx, extra_blocks, write_manifest  # noqa: E402
from mosaic import evaluate_mosaics, mosaic_canvas, mosaic_val_set  # noqa: E402

MODEL_NAME = 'waterline-unet2'
# Generated samples drawn N times per epoch beside the pairs and scene windows (--KIND-per-epoch; augment.make_sample),
# in the order they join an epoch's list (the order the permutation of earlier runs saw).
GENERATED_KINDS = ('sea', 'bright', 'mosaic', 'alone')


def per_epoch(args, kind):
    return getattr(args, f'{kind}_per_epoch')


def scene_weight_arg(text):
    sub, _, w = text.rpartition('=')
    try:
        if sub and float(w) >= 0:
            return sub, float(w)
    except ValueError:
        pass
    raise argparse.ArgumentTypeError(f'{text!r}: write TEXT=W, e.g. rgb344=6 (W >= 0)')


def scene_draws(rng, scenes, args):
    """The renderings an epoch's scene windows come from: uniform (the draw every run before --scene-weight made), or
    weighted by --scene-weight (a rendering matching several TEXTs takes the last one's weight)."""
    if not args.scene_weight:
        return rng.integers(0, len(scenes), args.scene_per_epoch)
    w = np.ones(len(scenes))
    for k, s in enumerate(scenes):
        for sub, weight in args.scene_weight:
            if sub in s['name']:
                w[k] = weight
    if w.sum() <= 0:
        raise SystemExit(f'--scene-weight {args.scene_weight}: every rendering weighs 0')
    return rng.choice(len(scenes), size=args.scene_per_epoch, p=w / w.sum())


def make_batch(batch, rng, args, images, masks, train_idx, scenes):
    """One step's samples: (x N x 224 x 224 x 3, y N x 224 x 224, w N x 224 x 224, corners, label_only N bool) — the
    batch's items (augment.make_sample), then args.consistency_pairs pairs of overlapping windows (their corners), all
    drawn from `rng` in that order (the order every run before session 8 drew them in, from the run's one generator).
    label_only: the sample comes from a rendering named by --label-only (its label replaces the teacher; no hard
    negatives painted on), or is a training pair under --pairs-label-only (its label replaces the teacher)."""
    xs, ys, ws, only = [], [], [], []
    for kind, i in batch:
        src = ('pair', images, masks, i, train_idx, args.pair_shift) if kind == 'pair' else \
            ('alone', images, masks, train_idx, args.alone_land_share) if kind == 'alone' else \
            (kind, images, masks, train_idx) if kind in GENERATED_KINDS else ('scene', scenes[i])
        label_only = kind == 'scene' and is_label_only(scenes[i], args)
        f, y, w = make_sample(src, rng, args.domain_aug, args.edge_pad, hard_negatives=not label_only)
        xs.append(f)
        ys.append(y)
        ws.append(w)
        only.append(label_only or (kind == 'pair' and args.pairs_label_only))
    corners = []
    for _ in range(args.consistency_pairs):
        # one draw decides the source (none when every pair is a chip canvas, as runs before ft10 drew)
        u = rng.random() if args.consistency_scenes or args.consistency_mosaics else 1.0
        scene = scenes[int(rng.integers(len(scenes)))] if u < args.consistency_scenes else None
        canvas = mosaic_canvas(images, masks, train_idx, rng) \
            if scene is None and u < args.consistency_scenes + args.consistency_mosaics else None
        windows, where = overlapping_windows(images, masks, train_idx, rng, scene=scene, canvas=canvas)
        corners.append(where)
        for f, y, w in windows:
            xs.append(f)
            ys.append(y)
            ws.append(w)
            only.append(scene is not None and is_label_only(scene, args))
    return np.stack(xs), np.stack(ys), np.stack(ws), corners, np.array(only, bool)


def is_label_only(scene, args):
    return any(text in scene['name'] for text in (args.label_only or ()))


# --workers: the data each sample-making process reads (set before the processes fork, shared copy-on-write)
_WORKER_DATA = {}


def _worker_init():
    torch.set_num_threads(1)  # augment's interpolation: one thread per process


def _worker_batch(task):
    """A step's batch made in a worker, from a generator seeded by (run seed, epoch, step): the same batch whatever
    the number of workers, and again after a resume."""
    batch, seed = task
    d = _WORKER_DATA
    return make_batch(batch, np.random.default_rng(seed), d['args'], d['images'], d['masks'], d['train_idx'], d['scenes'])


class OnDevice(torch.nn.Module):
    """A network on `device` that takes and returns CPU tensors (what the validation code passes and reads)."""

    def __init__(self, net, device):
        super().__init__()
        self.net, self.device = net, device

    def forward(self, x):
        return self.net(x.to(self.device)).float().cpu()


def on_cpu(tree):
    """Tensors of a state dict (nested dicts and lists too: an optimizer's) on the CPU, so that a checkpoint written on
    a GPU machine loads anywhere."""
    if torch.is_tensor(tree):
        return tree.detach().cpu()
    if isinstance(tree, dict):
        return {k: on_cpu(v) for k, v in tree.items()}
    if isinstance(tree, (list, tuple)):
        return type(tree)(on_cpu(v) for v in tree)
    return tree


def to_tensor(x, mean, std):
    t = torch.from_numpy(np.ascontiguousarray(x)).permute(0, 3, 1, 2)
    return (t - mean.view(1, 3, 1, 1)) / std.view(1, 3, 1, 1)


def consistency_loss(logits, corners):
    """Mean squared difference of the water probability two windows of one canvas give the pixels they share
    (logits: 2 per pair, in order; corners: (ra, ca, rb, cb) per pair)."""
    terms = []
    for k, (ra, ca, rb, cb) in enumerate(corners):
        pa, pb = torch.sigmoid(logits[2 * k, 0]), torch.sigmoid(logits[2 * k + 1, 0])
        r0, r1 = max(ra, rb), min(ra, rb) + D.SIZE
        c0, c1 = max(ca, cb), min(ca, cb) + D.SIZE
        terms.append(((pa[r0 - ra:r1 - ra, c0 - ca:c1 - ca] - pb[r0 - rb:r1 - rb, c0 - cb:c1 - cb]) ** 2).mean())
    return torch.stack(terms).mean()


def loss_fn(logits, y, w):
    bce = (F.binary_cross_entropy_with_logits(logits, y, reduction='none') * w).sum() / w.sum().clamp_min(1e-6)
    p = torch.sigmoid(logits)
    inter = (p * y * w).sum()
    dice = 1 - (2 * inter + 1) / ((p * w).sum() + (y * w).sum() + 1)
    return bce + dice


def distill_loss(logits, soft, w):
    """Weighted BCE of the student's logits against the teacher's water probabilities (the label loss's weights)."""
    return (F.binary_cross_entropy_with_logits(logits, soft, reduction='none') * w).sum() / w.sum().clamp_min(1e-6)


def load_teacher(spec, mean, std, device, log, weights=None):
    """The --teacher network (eval mode, on `device`); it must normalise its input as this run does (one input).
    weights: the members' shares of an ensemble teacher's probability (--teacher-weights; default equal)."""
    from model import MeanProbability
    from score_mosaic import load_net  # imported here: score_mosaic imports this module
    net, t_mean, t_std = load_net(spec)
    if weights is not None:
        if not isinstance(net, MeanProbability):
            raise SystemExit(f'--teacher-weights {weights}: the teacher {spec} is one network, not an ensemble A+B')
        try:
            net = MeanProbability(list(net.members), weights)
        except ValueError as e:
            raise SystemExit(f'--teacher-weights: {e}')
    if not (np.allclose(t_mean, mean.tolist(), atol=1e-6) and np.allclose(t_std, std.tolist(), atol=1e-6)):
        raise SystemExit(f'--teacher {spec}: it normalises its input with mean {t_mean} / std {t_std}, this run with '
                         f'{mean.tolist()} / {std.tolist()}; a teacher must see the same input as the student')
    for p in net.parameters():
        p.requires_grad_(False)
    log(f'distilling from {spec} ({sum(p.numel() for p in net.parameters())} parameters)'
        + (f', member weights {net.weights.flatten().tolist()}' if weights is not None else ''))
    return net.to(device).eval()


@torch.no_grad()
def evaluate(model, images, masks, idx, mean, std, batch=16):
    model.eval()
    total = D.Confusion()
    for s in range(0, len(idx), batch):
        b = idx[s:s + batch]
        pred = (torch.sigmoid(model(to_tensor(images[b].astype(np.float32) / 255.0, mean, std)))[:, 0] >= 0.5).numpy()
        total += D.Confusion.of(pred, masks[b].astype(bool))
    return {'iou': total.iou(), 'f1': total.f1(), 'precision': total.precision(), 'recall': total.recall(),
            'accuracy': total.accuracy(), 'count': int(len(idx))}


@torch.no_grad()
def evaluate_scenes(model, scenes, mean, std, batch=8):
    """IoU over the scene-validation parts (rows from scene['train_rows']) of the training renderings, tiled as
    the pipeline tiles (224 px, edge tiles padded black and not scored); labelled pixels (weight > 0) only."""
    model.eval()
    total = D.Confusion()
    per_scene = {}
    for s in scenes:
        scene = D.Confusion()
        rgb, lab, wt = s['rgb'], s['label'], s['weight']
        h, w = lab.shape
        tiles = []
        for r in range(s['train_rows'], h, D.SIZE):
            for c in range(0, w, D.SIZE):
                f = np.zeros((D.SIZE, D.SIZE, 3), np.float32)
                part = rgb[r:r + D.SIZE, c:c + D.SIZE]
                f[:part.shape[0], :part.shape[1]] = part / 255.0
                tiles.append((f, lab[r:r + D.SIZE, c:c + D.SIZE].astype(bool), wt[r:r + D.SIZE, c:c + D.SIZE] > 0))
        for k in range(0, len(tiles), batch):
            chunk = tiles[k:k + batch]
            prob = torch.sigmoid(model(to_tensor(np.stack([t[0] for t in chunk]), mean, std)))[:, 0].numpy()
            for p, (_, truth, scored) in zip(prob, chunk):
                scene += D.Confusion.of(p[:truth.shape[0], :truth.shape[1]] >= 0.5, truth, scored)
        total += scene
        per_scene[s['name']] = {'iou': round(scene.iou(), 4), 'union': scene.union()}
    # micro-averaged (large renderings weigh most), and per rendering (to see which one moves the total)
    scored = [v['iou'] for v in per_scene.values() if v['union'] > 0]
    return {'scene_iou': total.iou(), 'scene_precision': total.precision(),
            'scene_recall': total.recall(), 'scene_ious': per_scene,
            'scene_iou_macro': sum(scored) / max(len(scored), 1)}


@torch.no_grad()
def validation_metrics(net, images, masks, val_idx, scenes, mosaics, mean, std):
    """What each epoch logs (and ensemble.py scores): IoU on the validation chips, on the renderings' scene-validation
    parts (scenes with 'train_rows') and on the validation mosaics (mosaic_val_set)."""
    def predict(x):
        return torch.sigmoid(net(to_tensor(x, mean, std)))[:, 0].numpy()
    net.eval()
    return {**evaluate(net, images, masks, val_idx, mean, std), **evaluate_scenes(net, scenes, mean, std),
            **evaluate_mosaics(predict, mosaics)}


def transfer_score(m):
    """Chosen before run ft4 (session 4): chips, the pipeline's renderings (each counts the same) and mosaic scenes,
    one third each."""
    return (m['iou'] + m['scene_iou_macro'] + m['mosaic_iou']) / 3


@torch.no_grad()
def ema_update(ema, model, decay):
    msd = model.state_dict()
    for k, v in ema.state_dict().items():
        if v.dtype.is_floating_point:
            v.mul_(decay).add_(msd[k].detach(), alpha=1 - decay)
        else:
            v.copy_(msd[k])


def lr_at(step, total, args):
    if step < args.warmup:
        return args.lr * (step + 1) / args.warmup
    t = min(1.0, (step - args.warmup) / max(1, total - args.warmup))
    return args.lr * (0.02 + 0.98 * 0.5 * (1 + math.cos(math.pi * t)))


def save(path, state):
    tmp = path + '.tmp'
    torch.save(state, tmp)
    os.replace(tmp, path)


def light_checkpoint(ckpt):
    """The light form of a checkpoint (EMA weights in fp16, schedule position, settings, history): what a run writes
    at each epoch end and a model directory commits as checkpoint.pt."""
    ema = ckpt['ema']
    return {'arch': ckpt['arch'], 'epoch': ckpt['epoch'], 'history': ckpt['history'], 'args': ckpt['args'],
            'best_iou': ckpt.get('best_iou', max((h['iou'] for h in ckpt['history'] if h['epoch'] >= 1), default=-1.0)),
            'mean': ckpt['mean'], 'std': ckpt['std'],
            'ema': {k: v.half() if v.dtype == torch.float32 else v for k, v in ema.items()}}


def export(ckpt_path, out, log, name=MODEL_NAME, with_checkpoint=False, tile_overlap=None):
    ckpt = torch.load(ckpt_path, map_location='cpu', weights_only=False)
    model = build(ckpt['arch'])
    model.load_state_dict({k: v.float() if v.dtype == torch.float16 else v for k, v in ckpt['ema'].items()})
    os.makedirs(out, exist_ok=True)
    file = name.removeprefix('waterline-') + '.onnx'
    onnx_path = os.path.join(out, file)
    export_onnx(model, onnx_path)
    write_manifest(out, name, file, ckpt['mean'], ckpt['std'], sum(p.numel() for p in model.parameters()),
                   f'WaterMobileUNet({json.dumps(ckpt["arch"])}) in models/unet2/model.py', D.SIZE, tile_overlap)
    val = ckpt.get('val') or next((h for h in ckpt['history'] if h['epoch'] == ckpt['epoch']), None)
    # settings without this machine's paths (the shared data and cache directories, the export itself)
    settings = {k: v for k, v in ckpt['args'].items() if k not in ('shared', 'cache', 'export', 'from_ckpt', 'name')}
    metrics = {'epoch': ckpt['epoch'], 'validation': val, 'arch': ckpt['arch'],
               'checkpoint': os.path.relpath(os.path.abspath(ckpt_path), D.REPO),
               'settings': settings, 'history': ckpt['history'], 'split_seed': D.SPLIT_SEED}
    with open(os.path.join(out, 'metrics.json'), 'w') as f:
        json.dump(metrics, f, indent=2)
        f.write('\n')
    if with_checkpoint:
        torch.save(light_checkpoint(ckpt), os.path.join(out, 'checkpoint.pt'))
    log(f'exported {onnx_path} ({os.path.getsize(onnx_path)} bytes) from {ckpt_path}, epoch {ckpt["epoch"]}'
        + (f' (val iou {val["iou"]:.4f})' if val else '') + (' + checkpoint.pt' if with_checkpoint else ''))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--run', default=os.path.join(D.HERE, 'runs', 'main'), help='checkpoint directory')
    ap.add_argument('--shared', default=os.path.join(D.REPO, '..', 'shared', 'data'))
    ap.add_argument('--cache', default=D.DEFAULT_CACHE)
    ap.add_argument('--arch', default='mobile')
    ap.add_argument('--width', type=float, default=1.25)
    ap.add_argument('--expand', type=int, default=4)
    ap.add_argument('--context', choices=tuple(CONTEXT_CELLS),
                    help="the bottleneck's context pooling (model.py; default global); with --init it replaces the "
                         "start checkpoint's (the weights fit either)")
    ap.add_argument('--epochs', type=int, default=50)
    ap.add_argument('--batch', type=int, default=8)
    ap.add_argument('--lr', type=float, default=2e-3)
    ap.add_argument('--warmup', type=int, default=300)
    ap.add_argument('--ema', type=float, default=0.998)
    ap.add_argument('--domain-aug', type=float, default=0.5)
    ap.add_argument('--scene-per-epoch', type=int, default=400, help='scene windows per epoch (beside the pairs)')
    ap.add_argument('--label-only', action='append', metavar='TEXT',
                    help='renderings whose name contains TEXT are learnt from their labels alone: with --teacher, the '
                         'label replaces the teacher\'s probability on their windows, and no snow, cloud, dark-land or '
                         'collar is painted on them (repeatable)')
    ap.add_argument('--pairs-label-only', action='store_true',
                    help='with --teacher: the Kaggle training pairs are learnt from their labels alone (the label '
                         'replaces the teacher\'s probability on them; their synthetic hard negatives are still '
                         'painted, with the label they imply); the teacher still speaks on every other sample')
    ap.add_argument('--scene-weight', action='append', metavar='TEXT=W', type=scene_weight_arg,
                    help='draw the scene windows of renderings whose name contains TEXT (e.g. rgb344: the '
                         'pseudo-true-colour renderings) W times as often as the others (repeatable; default: all alike)')
    ap.add_argument('--sea-per-epoch', type=int, default=150,
                    help='procedural high-resolution water tiles per epoch (augment.sea_sample)')
    ap.add_argument('--bright-per-epoch', type=int, default=0,
                    help='procedural bright smooth land tiles per epoch (augment.bright_sample: snow, cloud deck, sand)')
    ap.add_argument('--mosaic-per-epoch', type=int, default=0,
                    help='mosaic scene windows per epoch (mosaic.mosaic_sample: chips shrunk onto one canvas, often '
                         'with open sea, one scene-wide stretch)')
    ap.add_argument('--alone-per-epoch', type=int, default=0,
                    help='tiles per epoch of a scene with nothing else in it (mosaic.alone_sample: only water or only '
                         'land, one stretch over the tile itself, as the pipeline stretches an all-sea scene)')
    ap.add_argument('--alone-land-share', type=float, default=0.3,
                    help='share of the lone-scene tiles that are land (mosaic.alone_sample; the rest open water and '
                         'chip lake interiors, 4 : 3)')
    ap.add_argument('--pair-shift', type=float, default=0.0,
                    help='share of chips trained as a random window across a 2 x 2 canvas of chips '
                         '(augment.shifted_pair: water cut by the tile border anywhere)')
    ap.add_argument('--consistency-pairs', type=int, default=0,
                    help='per step, this many pairs of overlapping windows of one chip canvas join the batch '
                         '(augment.overlapping_windows), with a loss on how differently they call the shared pixels')
    ap.add_argument('--consistency', type=float, default=1.0, help='weight of that consistency loss')
    ap.add_argument('--consistency-scenes', type=float, default=0.0,
                    help='share of those pairs cut from the training renderings (augment.scene_canvas: the '
                         "pipeline's own rendering of real land, training rows only) instead of chip canvases")
    ap.add_argument('--consistency-mosaics', type=float, default=0.0,
                    help='share of those pairs cut from rendered mosaic scenes (mosaic.mosaic_canvas: open sea as '
                         'common as in the mosaics), after the --consistency-scenes share')
    ap.add_argument('--edge-pad', type=float, default=0.0,
                    help="share of samples cut as the pipeline's edge tiles are: a band past the scene edge along the "
                         'right and/or bottom, black and not scored (augment.edge_pad)')
    ap.add_argument('--init', metavar='CKPT',
                    help='a new run (no RUN/last.pt yet) starts from the EMA weights of CKPT with the schedule of this '
                         'command line (fine-tuning), instead of from random weights or --light')
    ap.add_argument('--deepen', metavar='A,B,C,D',
                    help='with --init: add this many residual blocks to each of the four encoder stages, started at '
                         'zero so the network first computes exactly what CKPT did (model.deepen_from)')
    ap.add_argument('--extra-lr-mult', type=float, default=1.0,
                    help="learning-rate factor for the encoder blocks beyond the arch's base stages (the added ones)")
    ap.add_argument('--teacher', metavar='SPEC',
                    help='distil: a checkpoint or an ensemble A+B[+...] (score_mosaic.load_net; e.g. the default\'s members '
                         'models/unet/unet.pt+models/unet8/checkpoint.pt) whose water probabilities on each batch join the '
                         'labels as soft targets (weight --distill)')
    ap.add_argument('--teacher-weights', metavar='W1,W2[,...]', type=lambda v: [float(x) for x in v.split(',')],
                    help='with an ensemble --teacher: the members\' shares of its probability, in --teacher\'s order '
                         '(normalised to sum 1; default equal)')
    ap.add_argument('--distill', type=float, default=0.5,
                    help='with --teacher: share of the loss that is the weighted BCE against the teacher\'s '
                         'probabilities (the rest is the label loss)')
    ap.add_argument('--reschedule', action='store_true',
                    help='on resume, take --epochs and --sea-per-epoch from the command line instead of the run')
    ap.add_argument('--ckpt-min', type=float, default=4.0, help='minutes between checkpoints')
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--device', default='cpu', help="where the network trains: cpu, or cuda on a GPU machine "
                    '(samples are made on the CPU either way; checkpoints are written CPU-loadable)')
    ap.add_argument('--workers', type=int, default=0,
                    help='processes making the samples (0: the training process, from the run\'s one random generator, '
                         'as every run before session 8; N > 0: each step\'s batch from a generator seeded by (seed, '
                         'epoch, step), so the run is the same for any N > 0 but not the same as with 0)')
    ap.add_argument('--stop-after', type=float, metavar='MIN',
                    help='write last.pt and stop after this many minutes (the same command resumes): for a machine '
                         'lent for a fixed time')
    ap.add_argument('--seed', type=int, default=13)
    ap.add_argument('--light', help='small checkpoint (EMA weights in fp16 + schedule position), written at every '
                         'epoch end (default RUN/light.pt; until session 8 models/unet2/checkpoint.pt, now retired); '
                         'a run without RUN/last.pt starts from it (fresh optimizer state)')
    ap.add_argument('--no-light', action='store_true', help='neither read nor write --light')
    ap.add_argument('--export', metavar='DIR', help='export a checkpoint (--from) to DIR and exit')
    ap.add_argument('--name', default=MODEL_NAME, help='with --export: the model name the manifest gives '
                    '(a built-in version name, e.g. waterline-unet8; the ONNX file is named after it)')
    ap.add_argument('--with-checkpoint', action='store_true',
                    help='with --export: also write the light checkpoint of those weights as DIR/checkpoint.pt '
                         '(what a model directory commits, to continue training from)')
    ap.add_argument('--tile-overlap', type=int, metavar='PX',
                    help="with --export: the tile overlap the model's manifest asks the pipeline for (`tiling.overlap`; "
                         'used wherever the user gives none; default: none, the pipeline\'s 32)')
    ap.add_argument('--from', dest='from_ckpt', help='with --export: checkpoint to export (default RUN/best.pt; '
                    'the light checkpoint works too)')
    args = ap.parse_args()
    os.makedirs(args.run, exist_ok=True)
    args.light = args.light or os.path.join(args.run, 'light.pt')
    # how a step's batch is drawn (kept by a resumed run, whatever --workers it resumes with): from the run's one
    # generator (every run before session 8), or from a generator seeded by (seed, epoch, step), which --workers needs
    args.seeded_batches = args.workers > 0

    def log(msg):
        print(f'[{time.strftime("%Y-%m-%d %H:%M:%S")}] {msg}', flush=True)

    torch.set_num_threads(args.threads)
    if args.export:
        export(args.from_ckpt or os.path.join(args.run, "best.pt"), args.export, log, args.name, args.with_checkpoint,
               args.tile_overlap)
        return 0

    d = D.build(args.shared, args.cache, log)
    images, masks = d['images'], d['masks']
    train_idx, val_idx = D.split(len(d['names']))
    mean, std = (torch.tensor(v, dtype=torch.float32)  # a pack's: the original chips'
                 for v in d['normalisation'] or D.train_normalisation(images, d['names']))
    scenes = d['scenes']
    for s in scenes:
        s['train_rows'] = D.scene_val_cut(s['label'].shape[0])

    last_path = os.path.join(args.run, 'last.pt')
    arch = {'name': args.arch, 'width': args.width, 'expand': args.expand, 'context': args.context or 'global'}
    state = torch.load(last_path, map_location='cpu', weights_only=False) if os.path.exists(last_path) else None
    light = None
    if state is None and args.init and not args.no_light and os.path.exists(args.light):
        raise SystemExit(f'both --init and the light checkpoint {args.light} would start this run: drop --init to continue '
                         'from the light checkpoint, or remove it to start from --init')
    init = torch.load(args.init, map_location='cpu', weights_only=False) if state is None and args.init else None
    if state is None and init is None and not args.no_light and os.path.exists(args.light):
        light = torch.load(args.light, map_location='cpu', weights_only=False)
        state = light
    if state is not None:
        arch = state['arch']
        saved = state['args']
        # a resumed run keeps its schedule; options added after a run started are off for it (their value here)
        added_later = {**{f'{k}_per_epoch': 0 for k in GENERATED_KINDS}, 'init': None, 'pair_shift': 0,
                       'consistency_pairs': 0, 'edge_pad': 0, 'consistency_scenes': 0, 'consistency_mosaics': 0,
                       'seeded_batches': False, 'alone_land_share': 0.3, 'extra_lr_mult': 1.0,
                       'teacher': None, 'distill': 0.5, 'teacher_weights': None, 'scene_weight': None, 'label_only': None,
                       'pairs_label_only': False}
        kept = ('batch', 'lr', 'warmup', 'ema', 'domain_aug', 'scene_per_epoch', 'seed', 'init', 'pair_shift',
                'consistency_pairs', 'consistency', 'edge_pad', 'consistency_scenes', 'consistency_mosaics', 'seeded_batches', 'alone_land_share', 'extra_lr_mult', 'teacher', 'distill', 'teacher_weights', 'scene_weight', 'label_only',
                'pairs_label_only') + \
            (() if args.reschedule else ('epochs',) + tuple(f'{k}_per_epoch' for k in GENERATED_KINDS))
        for k in kept:
            if k in saved:
                setattr(args, k, saved[k])
            elif k in added_later:
                setattr(args, k, added_later[k])
        if args.reschedule:
            log(f'rescheduled: {args.epochs} epochs, {args.sea_per_epoch} water tiles, '
                f'{args.bright_per_epoch} bright land tiles per epoch')
    elif init is not None:
        arch = {**init['arch'], **({'context': args.context} if args.context else {})}
        if args.deepen:
            add = [int(v) for v in args.deepen.split(',')]
            if len(add) != 4 or min(add) < 0:
                raise SystemExit(f'--deepen {args.deepen}: four counts, one per encoder stage (e.g. 0,1,2,2)')
            before = arch.get('extra') or [0] * len(add)
            arch['extra'] = [a + b for a, b in zip(before, add)]
    elif args.deepen:
        raise SystemExit('--deepen adds blocks to the network of --init; give --init (a run that continues keeps its network)')
    if light is not None:  # a light start begins an epoch with a fresh generator: either way of drawing batches fits
        args.seeded_batches = args.workers > 0
    pool = None
    if args.workers:
        if not args.seeded_batches:
            raise SystemExit(f'{args.run} was started without --workers (batches from one generator); resume it without')
        import multiprocessing
        _WORKER_DATA.update(args=args, images=images, masks=masks, train_idx=train_idx, scenes=scenes)
        # forked before the network touches the GPU: the workers only make samples, on the CPU
        pool = multiprocessing.get_context('fork').Pool(args.workers, initializer=_worker_init)
    device = torch.device(args.device)
    if state is None and init is None:
        torch.manual_seed(args.seed)  # a fresh run's initial weights from its seed (before session 8: unseeded)
    model = build(arch).to(device)
    ema = build(arch).to(device)
    extra_params = {id(p) for b in extra_blocks(model) for p in b.parameters()}
    opt = torch.optim.AdamW(
        [g for g in ({'params': [p for p in model.parameters() if id(p) not in extra_params], 'lr_mult': 1.0},
                     {'params': [p for p in model.parameters() if id(p) in extra_params],
                      'lr_mult': args.extra_lr_mult}) if g['params']],
        lr=args.lr, weight_decay=1e-4)
    teacher = load_teacher(args.teacher, mean, std, device, log, args.teacher_weights) if args.teacher else None
    n_per_epoch = len(train_idx) + args.scene_per_epoch + sum(per_epoch(args, k) for k in GENERATED_KINDS)
    mosaics = mosaic_val_set(images, masks, val_idx)

    def validate(net):
        net = net if device.type == 'cpu' else OnDevice(net, device)
        return validation_metrics(net, images, masks, val_idx, scenes, mosaics, mean, std)

    steps_per_epoch = math.ceil(n_per_epoch / args.batch)
    total_steps = args.epochs * steps_per_epoch
    if init is not None:
        new = deepen_from(model, init['ema'])  # without --deepen nothing is new: a plain load
        ema.load_state_dict(model.state_dict())
        if new:
            log(f'deepened: {len(new)} residual blocks added at zero ({", ".join(new)}); '
                f'lr x{args.extra_lr_mult} for the blocks beyond the base stages')
        torch.manual_seed(args.seed)
        rng = np.random.default_rng(args.seed)
        epoch, step, order, history, best_iou = 1, 0, None, [], -1.0
        log(f'fine-tuning from the EMA weights of {args.init} (epoch {init["epoch"]}); fresh optimizer and schedule')
        m0 = validate(ema)
        history.append({'epoch': 0, 'init': os.path.relpath(os.path.abspath(args.init), D.REPO), **m0})
        log(f'start weights: val iou {m0["iou"]:.4f}, scene-val mean over renderings {m0["scene_iou_macro"]:.4f}, '
            f'mosaic-val iou {m0["mosaic_iou"]:.4f}; transfer score {transfer_score(m0):.4f}')
    elif light is not None:
        weights = {k: v.float() if v.dtype == torch.float16 else v for k, v in light['ema'].items()}
        model.load_state_dict(weights)
        ema.load_state_dict(weights)
        rng = np.random.default_rng(args.seed + 1000 * light['epoch'])
        torch.manual_seed(args.seed + 1000 * light['epoch'])
        epoch, step, order, history, best_iou = light['epoch'] + 1, 0, None, light['history'], light['best_iou']
        log(f'started from the light checkpoint {args.light} (end of epoch {light["epoch"]}, EMA weights, '
            f'fresh optimizer state); best val iou {best_iou:.4f}')
    elif state is not None:
        model.load_state_dict(state['model'])
        ema.load_state_dict(state['ema'])
        opt.load_state_dict(state['opt'])
        rng = np.random.default_rng()
        rng.bit_generator.state = state['rng']
        torch.set_rng_state(state['torch_rng'])
        epoch, step, order, history, best_iou = (state['epoch'], state['step'], state['order'], state['history'],
                                                 state['best_iou'])
        if order is not None and len(order) != n_per_epoch:
            order, step = None, 0  # rescheduled mid-epoch: this epoch starts again with the new mix
        log(f'resumed {last_path}: epoch {epoch}, step {step}/{steps_per_epoch}, best val iou {best_iou:.4f}')
    else:
        torch.manual_seed(args.seed)
        rng = np.random.default_rng(args.seed)
        ema.load_state_dict(model.state_dict())
        epoch, step, order, history, best_iou = 1, 0, None, [], -1.0
    nparams = sum(p.numel() for p in model.parameters())
    log(f'{MODEL_NAME}: WaterMobileUNet {arch}, {nparams} parameters; {len(train_idx)} train pairs + '
        f'{args.scene_per_epoch} scene windows + {args.sea_per_epoch} water tiles + {args.bright_per_epoch} bright land '
        f'tiles + {args.mosaic_per_epoch} mosaic windows + {args.alone_per_epoch} lone-scene tiles/epoch from {len(scenes)} renderings, '
        f'{steps_per_epoch} steps/epoch, '
        f'{args.epochs} epochs; val {len(val_idx)} pairs; held out: {", ".join(D.HELD_OUT_SCENES)}')

    def checkpoint():
        save(last_path, {'arch': arch, 'model': on_cpu(model.state_dict()), 'ema': on_cpu(ema.state_dict()),
                         'opt': on_cpu(opt.state_dict()),
                         'rng': rng.bit_generator.state, 'torch_rng': torch.get_rng_state(), 'epoch': epoch,
                         'step': step, 'order': order, 'history': history, 'best_iou': best_iou,
                         'args': vars(args), 'mean': mean.tolist(), 'std': std.tolist()})

    last_ckpt = run_start = time.time()
    while epoch <= args.epochs:
        if order is None:
            items = [('pair', int(i)) for i in train_idx] + \
                    [('scene', int(i)) for i in scene_draws(rng, scenes, args)] + \
                    [(k, 0) for k in GENERATED_KINDS for _ in range(per_epoch(args, k))]
            order = [items[j] for j in rng.permutation(len(items))]
            ep_start, ep_loss, ep_n = time.time(), 0.0, 0
        else:
            ep_start, ep_loss, ep_n = time.time(), 0.0, 0
        model.train()
        batches = pool.imap(_worker_batch, [(order[k * args.batch:(k + 1) * args.batch], [args.seed, epoch, k])
                                            for k in range(step, steps_per_epoch)]) if pool else None
        while step < steps_per_epoch:
            batch = order[step * args.batch:(step + 1) * args.batch]
            if batches is not None:
                xs, ys, ws, corners, label_only = next(batches)
            else:
                xs, ys, ws, corners, label_only = make_batch(
                    batch, np.random.default_rng([args.seed, epoch, step]) if args.seeded_batches else rng,
                    args, images, masks, train_idx, scenes)
            x = to_tensor(xs, mean, std).to(device)
            y = torch.from_numpy(ys).unsqueeze(1).to(device)
            w = torch.from_numpy(ws).unsqueeze(1).to(device)
            for g in opt.param_groups:
                g['lr'] = lr_at((epoch - 1) * steps_per_epoch + step, total_steps, args) * g.get('lr_mult', 1.0)
            logits = model(x)
            loss = loss_fn(logits, y, w)
            if teacher is not None:
                with torch.no_grad():
                    soft = torch.sigmoid(teacher(x))
                    if label_only.any():  # --label-only renderings, --pairs-label-only: the label stands in for the teacher
                        soft[torch.from_numpy(label_only)] = y[torch.from_numpy(label_only)]
                loss = (1 - args.distill) * loss + args.distill * distill_loss(logits, soft, w)
            if corners:
                loss = loss + args.consistency * consistency_loss(logits[len(batch):], corners)
            opt.zero_grad()
            loss.backward()
            opt.step()
            ema_update(ema, model, min(args.ema, (1 + (epoch - 1) * steps_per_epoch + step) /
                                       (10 + (epoch - 1) * steps_per_epoch + step)))
            ep_loss += float(loss) * len(batch)
            ep_n += len(batch)
            step += 1
            if step % 25 == 0:
                log(f'epoch {epoch} step {step}/{steps_per_epoch} loss {ep_loss / ep_n:.4f} '
                    f'lr {opt.param_groups[0]["lr"]:.2e} ({(time.time() - ep_start) / ep_n:.2f} s/sample)')
            if time.time() - last_ckpt > args.ckpt_min * 60:
                checkpoint()
                last_ckpt = time.time()
            if args.stop_after is not None and time.time() - run_start > args.stop_after * 60 and step < steps_per_epoch:
                checkpoint()
                if pool:
                    pool.terminate()
                log(f'stopped after {args.stop_after} min (--stop-after) at epoch {epoch} step {step}; last.pt written, '
                    'the same command resumes')
                return 0
        m = validate(ema)
        rec = {'epoch': epoch, 'loss': ep_loss / max(ep_n, 1), **m, 'minutes': round((time.time() - ep_start) / 60, 1),
               'finished': time.strftime('%Y-%m-%d %H:%M:%S')}
        history.append(rec)
        log(f'epoch {epoch}/{args.epochs} done: loss {rec["loss"]:.4f} val (EMA) iou {m["iou"]:.4f} f1 {m["f1"]:.4f} '
            f'p {m["precision"]:.4f} r {m["recall"]:.4f}; scene-val iou {m["scene_iou"]:.4f} p {m["scene_precision"]:.4f} '
            f'r {m["scene_recall"]:.4f}, mean over renderings {m["scene_iou_macro"]:.4f}; mosaic-val iou {m["mosaic_iou"]:.4f} '
            f'p {m["mosaic_precision"]:.4f} r {m["mosaic_recall"]:.4f}; transfer score {transfer_score(m):.4f} '
            f'({rec["minutes"]} min, partial if resumed)')
        def keep(file, what, value):
            save(os.path.join(args.run, file), {'arch': arch, 'ema': on_cpu(ema.state_dict()), 'epoch': epoch, 'val': m,
                                                'history': history, 'args': vars(args), 'mean': mean.tolist(),
                                                'std': std.tolist()})
            log(f'new best {what} = {value:.4f} saved as {file}')

        def is_best(score, needs):  # the best of this run's epochs (not its start weights, epoch 0) so far
            return score(m) > max(score(h) for h in history if needs in h and h['epoch'] > 0) - 1e-12

        if m['iou'] > best_iou:
            best_iou = m['iou']
            keep('best.pt', 'val iou', best_iou)

        def combined(h):  # chips and pipeline renderings alike
            return (h['iou'] + h['scene_iou']) / 2

        def macro(h):  # every rendering counts the same (no one lake decides)
            return (h['iou'] + h['scene_iou_macro']) / 2
        if is_best(combined, 'scene_iou'):
            keep('best-combined.pt', '(val iou + scene-val iou) / 2', combined(m))
        if is_best(macro, 'scene_iou_macro'):
            keep('best-macro.pt', '(val iou + mean scene-val iou over renderings) / 2', macro(m))
        if is_best(transfer_score, 'mosaic_iou'):
            keep('best-transfer.pt', 'transfer score (val + scene-val mean + mosaic-val) / 3', transfer_score(m))
        if not args.no_light:
            save(args.light, light_checkpoint({'arch': arch, 'epoch': epoch, 'history': history, 'best_iou': best_iou,
                                               'args': vars(args), 'mean': mean.tolist(), 'std': std.tolist(),
                                               'ema': on_cpu(ema.state_dict())}))
        epoch += 1
        step = 0
        order = None
        checkpoint()
        last_ckpt = time.time()
    if pool:
        pool.terminate()
    log('training finished')
    return 0


if __name__ == '__main__':
    sys.exit(main())
