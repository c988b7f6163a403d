#!/usr/bin/python3
"""An ensemble of built-in U-Nets as one model (model.MeanProbability: the mean of the members' water probabilities):
score it as training scores a checkpoint, or export it as a model directory the pipeline loads.

    /usr/bin/python3 models/unet2/ensemble.py score A.pt+B.pt
    /usr/bin/python3 models/unet2/ensemble.py export A.pt+B.pt DIR --name waterline-unet9

export writes DIR/manifest.json naming the members' model directories (each member's checkpoint must sit in its
exported model directory, as models/unet/unet.pt and models/unet8/checkpoint.pt do; the pipeline averages the members'
probabilities at run time, so a member shared by two ensembles ships once) and metrics.json (the score figures);
`--one-graph` writes one ONNX graph holding every member instead (how unet6 and unet9 shipped until session 9).

score prints the validation figures train.py logs per epoch (val IoU on the chips, scene-val over the training
renderings, mosaic-val) and the transfer score; no held-out scene is read. A member that is v1 (models/unet/unet.pt)
trained on whole-scene tiles of Pucallpa, Chicago, Riverside and Atlanta, scene-val quarters included: for it the
scene-val figures of those renderings are in-sample (the NAIP renderings are not), so score also prints
`naip_transfer_score`: the transfer score with scene-val read on the four NAIP renderings only (what the rules for
v1-holding ensembles compare, since session 6).
"""
import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data as D  # noqa: E402
from model import export_onnx, write_manifest  # noqa: E402
from mosaic import mosaic_val_set  # noqa: E402
from score_mosaic import load_net  # noqa: E402
from train import transfer_score, validation_metrics  # noqa: E402


def score(net, mean, std, shared, cache, d=None):
    """The figures train.py logs per epoch, for a loaded network (load_net) and its normalisation (`d`: data.build's
    result, when the caller has it already)."""
    d = d or D.build(shared, cache, log=lambda m: None)
    _, val_idx = D.split(len(d['names']))
    for s in d['scenes']:
        s['train_rows'] = D.scene_val_cut(s['label'].shape[0])
    m = validation_metrics(net, d['images'], d['masks'], val_idx, d['scenes'],
                           mosaic_val_set(d['images'], d['masks'], val_idx), torch.tensor(mean), torch.tensor(std))
    naip = [v['iou'] for k, v in m['scene_ious'].items() if k.startswith('naip-') and v['union'] > 0]
    return {**m, 'transfer_score': transfer_score(m),
            'naip_transfer_score': transfer_score({**m, 'scene_iou_macro': sum(naip) / max(len(naip), 1)})}


def member_dirs(spec):
    """The exported model directory of each member checkpoint: the directory it sits in, which must hold the
    manifest.json and graph exported from it (as models/unet and models/unet8 do)."""
    dirs = []
    for p in spec.split('+'):
        d = os.path.dirname(os.path.abspath(p))
        manifest = os.path.join(d, 'manifest.json')
        if not os.path.exists(manifest):
            raise SystemExit(f'{p}: no manifest.json beside it; export the member first (train.py --export DIR --from '
                             f'{p} --with-checkpoint) and name DIR/checkpoint.pt, or use --one-graph')
        with open(manifest) as f:
            if json.load(f).get('kind') == 'ensemble':
                raise SystemExit(f'{p}: its directory holds an ensemble; a member is a single exported model')
        dirs.append(d)
    if len(dirs) < 2:
        raise SystemExit(f'{spec}: an ensemble needs two members or more (A.pt+B.pt)')
    return dirs


def export(spec, out, name, shared, cache, one_graph=False):
    """OUT/manifest.json naming the members' model directories (averaged at run time by the pipeline, each member's
    graph shipped once), or with `one_graph` one ONNX graph holding every member (as unet6 and unet9 were until
    session 9); and OUT/metrics.json either way."""
    dirs = None if one_graph else member_dirs(spec)
    if dirs and os.path.abspath(out) in dirs:
        raise SystemExit(f'{out} is a member\'s own directory: the ensemble\'s manifest would replace the member\'s')
    net, mean, std = load_net(spec)
    m = score(net, mean, std, shared, cache)  # first: a failed score leaves no model directory without its metrics
    os.makedirs(out, exist_ok=True)
    members = [os.path.relpath(os.path.abspath(p), D.REPO) for p in spec.split('+')]
    parameters = sum(p.numel() for p in net.parameters())
    if one_graph:
        file = name.removeprefix('waterline-') + '.onnx'
        export_onnx(net, os.path.join(out, file))
        write_manifest(out, name, file, mean, std, parameters,
                       f'MeanProbability({", ".join(members)}) in models/unet2/model.py: the mean of the members\' water '
                       'probabilities', D.SIZE)
        what = f'{out}/{file} ({os.path.getsize(os.path.join(out, file))} bytes)'
    else:
        rel = [os.path.relpath(d, os.path.abspath(out)) for d in dirs]
        with open(os.path.join(out, 'manifest.json'), 'w') as f:
            json.dump({'name': name, 'kind': 'ensemble', 'combine': 'mean-probability', 'members': rel,
                       'parameters': parameters,
                       'architecture': f'the mean of the water probabilities of {", ".join(rel)} (each its own graph)'},
                      f, indent=2)
            f.write('\n')
        what = f'{out}/manifest.json (members {", ".join(rel)})'
    with open(os.path.join(out, 'metrics.json'), 'w') as f:
        json.dump({'members': members,
                   'validation': {k: round(v, 4) if isinstance(v, float) else v for k, v in m.items()},
                   'split_seed': D.SPLIT_SEED}, f, indent=2)
        f.write('\n')
    print(f'transfer score {m["transfer_score"]:.4f} (val {m["iou"]:.4f}); exported {what}, {len(members)} members')


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('command', choices=['score', 'export'])
    ap.add_argument('spec', help='member checkpoints joined by +')
    ap.add_argument('out', nargs='?', help='with export: the model directory to write')
    ap.add_argument('--name', default='waterline-unet-ensemble')
    ap.add_argument('--one-graph', action='store_true',
                    help='export: one ONNX graph holding every member, instead of a manifest naming their directories')
    ap.add_argument('--shared', default=os.path.join(D.REPO, '..', 'shared', 'data'))
    ap.add_argument('--cache', default=D.DEFAULT_CACHE)
    args = ap.parse_args()
    torch.set_num_threads(2)
    if args.command == 'export':
        export(args.spec, args.out, args.name, args.shared, args.cache, args.one_graph)
        return 0
    m = score(*load_net(args.spec), args.shared, args.cache)
    print(json.dumps({'spec': args.spec, **{k: round(v, 4) for k, v in m.items() if isinstance(v, float)},
                      'scene_ious': m['scene_ious']}))
    return 0


if __name__ == '__main__':
    sys.exit(main())
