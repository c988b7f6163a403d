#!/usr/bin/python3
"""Score checkpoints on the mosaic validation scenes (mosaic.py; validation-split chips only) in PyTorch: IoU, and
how much the answer changes when the tile grid shifts by half a tile (`shift_disagreement`).

    /usr/bin/python3 models/unet2/score_mosaic.py CKPT [CKPT ...] [--preview DIR]

CKPT: a unet2 checkpoint (runs/*/best*.pt, checkpoint.pt) or models/unet/unet.pt (v1); A+B[+...] is the ensemble
of those checkpoints (model.MeanProbability: the mean of their water probabilities); or an exported model directory
(models/unet9: its ONNX graphs, through onnxruntime's Python package).
"""
import argparse
import json
import os
import sys

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data as D  # noqa: E402
from model import build, mean_of  # noqa: E402
from onnx_net import is_model_dir, load_model_dir  # noqa: E402
from mosaic import evaluate_mosaics, grid_masks, mosaic_val_set, shift_disagreement  # noqa: E402
from train import to_tensor  # noqa: E402  (train.py imports this module only inside load_teacher)


def v1_module():
    """models/unet/train.py under its own module name (unet2 has a train.py of its own)."""
    if 'unet_v1_train' not in sys.modules:
        import importlib.util
        spec = importlib.util.spec_from_file_location('unet_v1_train', os.path.join(D.REPO, 'models', 'unet', 'train.py'))
        sys.modules['unet_v1_train'] = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(sys.modules['unet_v1_train'])
    return sys.modules['unet_v1_train']


def load_net(path):
    """(network returning logits, in eval mode; normalization mean; std) of a checkpoint, or of the ensemble
    `A+B[+...]` (members with one normalization, as every built-in U-Net has), or of an exported model directory
    (onnx_net.py: its ONNX graphs run; an int8 copy has no checkpoint)."""
    if is_model_dir(path):
        return load_model_dir(path)
    if '+' in path:
        return mean_of([load_net(p) for p in path.split('+')], path)
    ckpt = torch.load(path, map_location='cpu', weights_only=False)  # ours; written on a GPU machine too
    if 'state_dict' in ckpt:  # v1 (models/unet/unet.pt)
        net = v1_module().WaterUNet(ckpt['channels'])
        net.load_state_dict(ckpt['state_dict'])
    else:
        net = build(ckpt['arch'])
        net.load_state_dict({k: v.float() if v.dtype == torch.float16 else v for k, v in ckpt['ema'].items()})
    return net.eval(), [float(v) for v in ckpt['mean']], [float(v) for v in ckpt['std']]


def load_predictor(path):
    """float tiles NHWC 0..1 -> water probabilities NHW, normalised as training normalises (train.to_tensor)."""
    return predictor(*load_net(path))


def predictor(net, mean, std):
    """load_predictor for a network already loaded (load_net's result)."""
    mean, std = torch.tensor(mean, dtype=torch.float32), torch.tensor(std, dtype=torch.float32)

    @torch.no_grad()
    def predict(x):
        return torch.sigmoid(net(to_tensor(x, mean, std)))[:, 0].numpy()
    return predict


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('ckpts', nargs='+')
    ap.add_argument('--shared', default=os.path.join(D.REPO, '..', 'shared', 'data'))
    ap.add_argument('--cache', default=D.DEFAULT_CACHE)
    ap.add_argument('--preview', help='write the first 8 validation mosaics (image | label) as PNGs here')
    args = ap.parse_args()
    torch.set_num_threads(2)
    d = D.build(args.shared, args.cache, log=lambda m: None, scenes={})
    _, val_idx = D.split(len(d['names']))
    scenes = mosaic_val_set(d['images'], d['masks'], val_idx)
    if args.preview:
        from PIL import Image
        os.makedirs(args.preview, exist_ok=True)
        for k, (rgb, lab) in enumerate(scenes[:8]):
            Image.fromarray(np.concatenate([rgb, np.repeat(lab[..., None] * 255, 3, 2).astype(np.uint8)], 1)) \
                .save(os.path.join(args.preview, f'mosaic-{k}.png'))
    for p in args.ckpts:
        predict = load_predictor(p)
        on_grid = grid_masks(predict, scenes)
        r = {**evaluate_mosaics(predict, scenes, on_grid), **shift_disagreement(predict, scenes, on_grid)}
        print(json.dumps({'checkpoint': os.path.relpath(os.path.abspath(p), D.REPO),
                          **{k: round(v, 4) for k, v in r.items()}}), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
