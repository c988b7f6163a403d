#!/usr/bin/python3
"""An ensemble of built-in U-Nets as one model (model.MeanProbability: the mean of the members' water probabilities):
score it as training scores a checkpoint, or export it as a model directory the pipeline loads.

    /usr/bin/python3 models/unet2/ensemble.py score A.pt+B.pt
    /usr/bin/python3 models/unet2/ensemble.py export A.pt+B.pt DIR --name waterline-unet6

export writes DIR/manifest.json, the ONNX graph (both members inside) and metrics.json (the score figures).

score prints the validation figures train.py logs per epoch (val IoU on the chips, scene-val over the training
renderings, mosaic-val) and the transfer score; no held-out scene is read. A member that is v1 (models/unet/unet.pt)
trained on whole-scene tiles of Pucallpa, Chicago, Riverside and Atlanta, scene-val quarters included: for it the
scene-val figures of those renderings are in-sample (the NAIP renderings are not).
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data as D  # noqa: E402
from model import export_onnx  # noqa: E402
from mosaic import evaluate_mosaics, mosaic_val_set  # noqa: E402
from score_mosaic import load_net  # noqa: E402
from train import evaluate, evaluate_scenes, to_tensor, transfer_score  # noqa: E402


def score(spec, shared, cache):
    net, mean, std = load_net(spec)
    mean, std = torch.tensor(mean), torch.tensor(std)
    d = D.build(shared, cache, log=lambda m: None)
    _, val_idx = D.split(len(d['names']))
    for s in d['scenes']:
        s['train_rows'] = D.scene_val_cut(s['label'].shape[0])

    @torch.no_grad()
    def predict(x):
        return torch.sigmoid(net(to_tensor(x, mean, std)))[:, 0].numpy()
    m = {**evaluate(net, d['images'], d['masks'], val_idx, mean, std), **evaluate_scenes(net, d['scenes'], mean, std),
         **evaluate_mosaics(predict, mosaic_val_set(d['images'], d['masks'], val_idx))}
    return {**m, 'transfer_score': transfer_score(m)}


def export(spec, out, name, shared, cache):
    m = score(spec, shared, cache)  # first: a failed score leaves no model directory without its metrics
    net, mean, std = load_net(spec)
    os.makedirs(out, exist_ok=True)
    file = name.removeprefix('waterline-') + '.onnx'
    export_onnx(net, os.path.join(out, file))
    members = spec.split('+')
    manifest = {
        'name': name, 'kind': 'unet', 'file': file,
        'input': {'name': 'image', 'layout': 'NCHW', 'dtype': 'float32', 'channels': ['red', 'green', 'blue'],
                  'size': D.SIZE, 'sizeMultiple': 8, 'scale': 1 / 255, 'mean': mean, 'std': std},
        'output': {'name': 'probability', 'kind': 'probability', 'layout': 'NCHW', 'channels': 1, 'threshold': 0.5},
        'parameters': sum(p.numel() for p in net.parameters()),
        'architecture': 'MeanProbability(' + ', '.join(os.path.relpath(os.path.abspath(p), D.REPO) for p in members)
                        + ') in models/unet2/model.py: the mean of the members\' water probabilities',
    }
    with open(os.path.join(out, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=2)
        f.write('\n')
    with open(os.path.join(out, 'metrics.json'), 'w') as f:
        json.dump({'members': [os.path.relpath(os.path.abspath(p), D.REPO) for p in members],
                   'validation': {k: round(v, 4) if isinstance(v, float) else v for k, v in m.items()},
                   'split_seed': D.SPLIT_SEED}, f, indent=2)
        f.write('\n')
    print(f'transfer score {m["transfer_score"]:.4f} (val {m["iou"]:.4f}); exported {out}/{file} ({os.path.getsize(os.path.join(out, file))} bytes), {len(members)} members')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('command', choices=['score', 'export'])
    ap.add_argument('spec', help='member checkpoints joined by +')
    ap.add_argument('out', nargs='?', help='with export: the model directory to write')
    ap.add_argument('--name', default='waterline-unet-ensemble')
    ap.add_argument('--shared', default=os.path.join(D.REPO, '..', 'shared', 'data'))
    ap.add_argument('--cache', default=D.DEFAULT_CACHE)
    args = ap.parse_args()
    torch.set_num_threads(2)
    if args.command == 'export':
        export(args.spec, args.out, args.name, args.shared, args.cache)
        return 0
    m = score(args.spec, args.shared, args.cache)
    print(json.dumps({'spec': args.spec, **{k: round(v, 4) for k, v in m.items() if isinstance(v, float)},
                      'scene_ious': m['scene_ious']}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
