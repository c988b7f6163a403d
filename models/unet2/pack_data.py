#!/usr/bin/python3
"""Pack the training cache small enough to travel to a lent GPU machine (which has no ../shared/data, and takes at
most 64 MiB of checkout and carried files together): the 1364 chips as lossy WebP (quality --quality; the Kaggle chips
are JPEGs already, so this adds a little more of the same kind of noise: a mean absolute change of 1.7 levels of 255
at 90, the default, as JPEG at 90, in 20.5 MB where JPEG needs 25 and lossless WebP 55; pack 29 MB, checkout 33 MB), their
masks bit-packed, and the pipeline renderings' arrays (data.build's scene-*.npz) compressed. data.build reads a pack
in place of the cache: `train.py --cache DIR` with DIR holding only the pack works without ../shared/data.

    /usr/bin/python3 models/unet2/pack_data.py models/unet2/runs/pack [--quality 90]

Never commit a pack (runs/ is git-ignored): it is derived from ../shared/data, which must not enter the project.
"""
import argparse
import io
import json
import os
import sys

import numpy as np
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data as D  # noqa: E402


def pack(out, shared, cache, quality):
    d = D.build(shared, cache, log=lambda m: None)
    os.makedirs(out, exist_ok=True)
    blobs, errors = [], []
    for img in d['images']:
        buf = io.BytesIO()
        Image.fromarray(img).save(buf, 'WEBP', quality=quality)
        blobs.append(np.frombuffer(buf.getvalue(), np.uint8))
        back = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert('RGB'), np.int16)
        errors.append(float(np.abs(back - img).mean()))
    offsets = np.cumsum([0] + [len(b) for b in blobs]).astype(np.int64)
    mean, std = D.train_normalisation(d['images'], d['names'])  # what a model trained on the pack must normalise by
    np.savez(os.path.join(out, D.PAIRS_PACK), names=np.array(d['names']), encoded=np.concatenate(blobs), offsets=offsets,
             masks=np.packbits(d['masks'].astype(bool), axis=-1), shape=np.array(d['masks'].shape),
             mean=np.array(mean), std=np.array(std))
    for s in d['scenes']:
        np.savez_compressed(os.path.join(out, s['file']), rgb=s['rgb'], label=s['label'],
                            weight=s['weight'])
    size = sum(os.path.getsize(os.path.join(out, f)) for f in os.listdir(out))
    info = {'pairs': len(d['names']), 'scenes': len(d['scenes']), 'webp_quality': quality,
            'mean_abs_change': round(float(np.mean(errors)), 3), 'bytes': size}
    with open(os.path.join(out, 'PACK.json'), 'w') as f:
        json.dump(info, f, indent=2)
        f.write('\n')
    print(json.dumps(info))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('out')
    ap.add_argument('--quality', type=int, default=90)
    ap.add_argument('--shared', default=os.path.join(D.REPO, '..', 'shared', 'data'))
    ap.add_argument('--cache', default=D.DEFAULT_CACHE)
    args = ap.parse_args()
    pack(args.out, args.shared, args.cache, args.quality)
    return 0


if __name__ == '__main__':
    sys.exit(main())
