#!/usr/bin/python3
"""Where a model's validation error lives (reporting only; the fixed validation split, no held-out scene): each of the
205 validation pairs' wrong pixels, the worst chips first with their share of all wrong pixels and the pooled IoU
without them, and a picture of the worst (image | label | the model's water probability, a row each) to look at.

    /usr/bin/python3 models/unet2/worst_chips.py SPEC [--top 25] [--picture worst.png] [--json out.json]

SPEC: as rules.py takes it (a checkpoint, an ensemble A+B, an exported model directory). The picture is written
where you say, never into the repository by default: it shows the Kaggle chips (../shared/data), which stay out
of the project.
"""
import argparse
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data as D  # noqa: E402
from score_mosaic import load_predictor  # noqa: E402


def chip_errors(predict, images, masks, names, idx, batch=16):
    """[{name, tp, fp, fn, water}] for the chips `idx`, and their probabilities (for the picture)."""
    rows, probs = [], {}
    for s in range(0, len(idx), batch):
        b = idx[s:s + batch]
        p = predict(images[b].astype(np.float32) / 255.0)
        for k, j in enumerate(b):
            t, q = masks[j].astype(bool), p[k] >= 0.5
            rows.append({'name': names[j], 'index': int(j), 'tp': int((q & t).sum()), 'fp': int((q & ~t).sum()),
                         'fn': int((~q & t).sum()), 'water': round(float(t.mean()), 3)})
            probs[int(j)] = p[k]
    return rows, probs


def worst_first(rows):
    """The rows, most wrong pixels first, each with its cumulative share of all wrong pixels and the pooled IoU of
    the split without it and every worse chip."""
    tp = sum(r['tp'] for r in rows)
    wrong = sum(r['fp'] + r['fn'] for r in rows)
    out, cum = [], 0
    for r in sorted(rows, key=lambda r: -(r['fp'] + r['fn'])):
        cum += r['fp'] + r['fn']
        out.append({**r, 'share': round(cum / max(wrong, 1), 4), 'iou_without': round(tp / max(tp + wrong - cum, 1), 4)})
    return out


def picture(path, worst, images, masks, probs, columns=2):
    from PIL import Image
    def grey(a):
        return np.repeat(a[..., None], 3, -1)
    rows = []
    for r in worst:
        j = r['index']
        rows.append(np.concatenate([images[j], grey((masks[j] > 0).astype(np.uint8) * 255),
                                    grey((probs[j] * 255).astype(np.uint8))], 1))
    per = -(-len(rows) // columns)
    rows += [np.zeros_like(rows[0])] * (per * columns - len(rows))
    grid = np.concatenate([np.concatenate(rows[c * per:(c + 1) * per], 0) for c in range(columns)], 1)
    Image.fromarray(grid).save(path)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('spec')
    ap.add_argument('--shared', default=os.path.join(D.REPO, '..', 'shared', 'data'))
    ap.add_argument('--cache', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), 'runs', 'cache'))
    ap.add_argument('--top', type=int, default=25)
    ap.add_argument('--picture', help='write the worst 12 chips here (image | label | probability)')
    ap.add_argument('--json', help='also write every chip\'s row here')
    args = ap.parse_args()
    d = D.build(args.shared, args.cache, log=lambda m: None)
    _, val = D.split(len(d['names']))
    rows, probs = chip_errors(load_predictor(args.spec), d['images'], d['masks'], d['names'], val)
    worst = worst_first(rows)
    tp, wrong = sum(r['tp'] for r in rows), sum(r['fp'] + r['fn'] for r in rows)
    ious = [r['tp'] / max(r['tp'] + r['fp'] + r['fn'], 1) for r in rows]
    print(f'{args.spec}: pooled IoU {tp / max(tp + wrong, 1):.4f}, per-chip mean {np.mean(ious):.4f}, '
          f'median {np.median(ious):.4f} ({len(rows)} chips)')
    for k, r in enumerate(worst[:args.top], 1):
        print(f"{k:3d} {r['name']:24s} false water {r['fp']:6d} missed {r['fn']:6d} label water {r['water']:.2f}  "
              f"share {r['share']:.2f}  pooled IoU without these {r['iou_without']:.3f}")
    if args.picture:
        picture(args.picture, worst[:12], d['images'], d['masks'], probs)
        print(f'picture: {args.picture}')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump(worst, f, indent=1)


if __name__ == '__main__':
    main()
