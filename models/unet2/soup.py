#!/usr/bin/python3
"""A weight soup: one checkpoint whose weights are the mean of several fine-tunes of the same network (Wortsman et
al. 2022, "Model soups"). Unlike an ensemble (ensemble.py, averaged probabilities, k times the compute), a soup runs at
the speed of one member; it only makes sense for checkpoints fine-tuned from one starting point, which stay in one
basin of the loss.

    /usr/bin/python3 models/unet2/soup.py OUT.pt A.pt B.pt [C.pt ...]

Every input must have the same architecture (`arch`), normalisation and parameter names; floating-point tensors of
their `ema` weights (BatchNorm running statistics included) are averaged in float32 and written in the first input's
dtype; integer buffers (BatchNorm's batch counters) come from the first input. OUT is read by everything that reads a
checkpoint (rules.py, eval_heldout.py, train.py --export --from OUT).
"""
import argparse
import os
import sys

import torch


def soup(checkpoints):
    """The first checkpoint with its `ema` weights replaced by the mean over all of them."""
    first = checkpoints[0]
    for i, c in enumerate(checkpoints[1:], 1):
        if c['arch'] != first['arch']:
            raise ValueError(f'input {i + 1}: architecture {c["arch"]} differs from the first input\'s {first["arch"]}')
        if list(c['mean']) != list(first['mean']) or list(c['std']) != list(first['std']):
            raise ValueError(f'input {i + 1}: another input normalisation than the first input\'s')
        if set(c['ema']) != set(first['ema']):
            raise ValueError(f'input {i + 1}: other parameter names than the first input\'s')
    ema = {}
    for name, value in first['ema'].items():
        if value.is_floating_point():
            total = sum(c['ema'][name].float() for c in checkpoints)
            ema[name] = (total / len(checkpoints)).to(value.dtype)
        else:
            ema[name] = value.clone()
    out = {k: v for k, v in first.items() if k not in ('ema', 'history', 'val', 'best_iou')}
    out['ema'] = ema
    out['history'] = []  # the inputs' training histories do not describe the soup; its figures come from rules.py
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('out')
    ap.add_argument('inputs', nargs='+')
    args = ap.parse_args()
    if len(args.inputs) < 2:
        sys.exit('soup.py: give at least two checkpoints to average')
    checkpoints = [torch.load(p, map_location='cpu', weights_only=False) for p in args.inputs]
    out = soup(checkpoints)
    out['soup'] = [os.path.relpath(p) for p in args.inputs]
    torch.save(out, args.out)
    print(f'{args.out}: mean of {len(checkpoints)} checkpoints ({", ".join(out["soup"])})')


if __name__ == '__main__':
    main()
