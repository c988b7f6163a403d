#!/usr/bin/python3
"""Every figure the model card's rules judge a checkpoint or an ensemble by, in one run, beside the bars written
for it before the run (no held-out scene is read). Until session 8 this took four commands and hand arithmetic.

    /usr/bin/python3 models/unet2/rules.py SPEC [--bars 'transfer_score>=0.6357,tile_grid<=0.134,...'] [--overlap N] [--json OUT]

SPEC: a checkpoint (runs/*/best*.pt, checkpoint.pt, models/unet/unet.pt), an ensemble A+B[+...] (score_mosaic.py),
or an exported model directory (its ONNX graphs are what is measured, the tile grid included; needs the `onnxruntime`
Python package — e.g. an int8 copy from quantize.py).

Figures (names as --bars takes them):
- `val_iou`, `transfer_score`, `naip_transfer_score` — what train.py logs per epoch (ensemble.score); the NAIP-read
  transfer score is the one the rules for ensembles holding v1 compare (v1 trained on the other renderings);
- `pale_river` — the mean scene-validation IoU of the pseudo-true-colour renderings (session 12): a turbid river;
- `tile_grid` — shift_scenes.py's mean disagreement (overlap 32, or --overlap: the overlap a candidate will declare
  in its manifest) over its five scenes, through the whole pipeline: the spec is exported (ONNX, as ensemble.py /
  train.py export it) to a temporary model directory for that;
- `edge` — edge_probe.py's `zero` mean over renderings (`iou_macro`);
- `open_water`, `open_water_alone`, `land_false_water`, `snow_false_water` — open_water.py's summaries.

Speed (>= 25 tiles/s for a default) is not measured here: it needs a quiet machine and a same-run reference
(`npm run bench unet`).

Exit status: 0 when every bar holds (or none was given), 1 when one fails.
"""
import argparse
import json
import operator
import os
import re
import sys
import tempfile
import warnings

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data as D  # noqa: E402
from edge_probe import edge_figures  # noqa: E402
from ensemble import score as validation_score  # noqa: E402
from model import export_onnx, write_manifest  # noqa: E402
from onnx_net import is_model_dir  # noqa: E402
from open_water import probe_tiles, score as open_water_score  # noqa: E402
from score_mosaic import load_net, predictor  # noqa: E402
from shift_scenes import tile_grid  # noqa: E402

FIGURES = ('val_iou', 'transfer_score', 'naip_transfer_score', 'pale_river', 'tile_grid', 'edge', 'open_water', 'open_water_alone',
           'land_false_water', 'snow_false_water')
OPS = {'>=': operator.ge, '<=': operator.le, '>': operator.gt, '<': operator.lt}
BAR = re.compile(r'^\s*([a-z_]+)\s*(>=|<=|>|<)\s*([0-9.]+)\s*$')


def parse_bars(text):
    """'name>=x,name<=y' -> [(name, op, x)]; an unknown figure name or a malformed bar is an error, not a pass."""
    bars = []
    for part in filter(None, (p.strip() for p in (text or '').split(','))):
        m = BAR.match(part)
        if not m:
            raise ValueError(f'bar {part!r}: write it as NAME>=NUMBER (or <=, >, <), e.g. tile_grid<=0.134')
        if m.group(1) not in FIGURES:
            raise ValueError(f'bar {part!r}: no figure named {m.group(1)!r}; figures: {", ".join(FIGURES)}')
        bars.append((m.group(1), m.group(2), float(m.group(3))))
    return bars


def judge(figures, bars):
    """[(bar text, figure, passed)] for each bar."""
    return [(f'{name} {op} {x}', figures[name], OPS[op](figures[name], x)) for name, op, x in bars]


def pale_river(scene_ious):
    """Mean scene-validation IoU (bottom quarter, never trained on) of the pseudo-true-colour renderings (`-rgb` in
    the name: Pucallpa's red, green, green): a pale, sediment-laden river in true colour, which RGB models miss."""
    ious = [v['iou'] for k, v in scene_ious.items() if D.is_true_colour_rendering(k) and v['union'] > 0]
    return sum(ious) / max(len(ious), 1)


def figures_of(spec, shared, cache, log, overlap=32):
    d = D.build(shared, cache, log=lambda m: None)
    net, mean, std = load_net(spec)
    log('validation and transfer scores')
    m = validation_score(net, mean, std, shared, cache, d=d)
    out = {'val_iou': m['iou'], 'transfer_score': m['transfer_score'], 'naip_transfer_score': m['naip_transfer_score'],
           'pale_river': pale_river(m['scene_ious'])}
    predict = predictor(net, mean, std)
    log('edge tiles')
    out['edge'] = edge_figures(predict, d['scenes'])['zero']['iou_macro']
    log('whole tiles of open water, land and snow')
    with torch.no_grad():
        ow = open_water_score(predict, probe_tiles(d))
    out.update({k: ow[k] for k in ('open_water', 'open_water_alone', 'land_false_water', 'snow_false_water')})
    log(f'tile grid (whole pipeline, five scenes, overlap {overlap})')
    if is_model_dir(spec):  # the directory's own graphs, as users run them
        per_scene = next(iter(tile_grid([os.path.abspath(spec)], (overlap,), shared=shared).values()))
    else:
        per_scene = exported_tile_grid(net, mean, std, spec, shared, overlap)
    out['tile_grid'] = sum(per_scene.values()) / len(per_scene)
    return {k: round(float(v), 4) for k, v in out.items()}, per_scene


def exported_tile_grid(net, mean, std, spec, shared, overlap=32):
    """shift_scenes.tile_grid of a PyTorch network, exported to a temporary model directory for the pipeline."""
    with tempfile.TemporaryDirectory() as tmp:
        with warnings.catch_warnings():  # the tracer's shape warnings, as every export prints them
            warnings.simplefilter('ignore')
            export_onnx(net, os.path.join(tmp, 'rules.onnx'))
        write_manifest(tmp, 'waterline-unet-rules', 'rules.onnx', mean, std, sum(p.numel() for p in net.parameters()),
                       f'rules.py export of {spec}', D.SIZE)
        return next(iter(tile_grid([tmp], (overlap,), shared=shared).values()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('spec', help='a checkpoint, or member checkpoints joined by +')
    ap.add_argument('--bars', help="comma-separated NAME>=X / NAME<=X (figures: " + ', '.join(FIGURES) + ')')
    ap.add_argument('--overlap', type=int, default=32,
                    help='tile overlap of the tile-grid figure (the pipeline\'s default 32; a candidate that will declare '
                         'another in its manifest is judged at that one)')
    ap.add_argument('--json', help='also write the figures and verdicts to this file')
    ap.add_argument('--shared', default=os.path.join(D.REPO, '..', 'shared', 'data'))
    ap.add_argument('--cache', default=D.DEFAULT_CACHE)
    args = ap.parse_args()
    bars = parse_bars(args.bars)  # before the long run: a typo fails now, not after half an hour
    torch.set_num_threads(2)
    figures, per_scene = figures_of(args.spec, args.shared, args.cache,
                                    lambda msg: print(f'rules.py: {msg} …', file=sys.stderr, flush=True), args.overlap)
    verdicts = judge(figures, bars)
    for name in FIGURES:
        print(f'{name:22s} {figures[name]:.4f}')
    print('tile grid per scene:', json.dumps(per_scene))
    for text, value, ok in verdicts:
        print(f'{"PASS" if ok else "FAIL"}  {text:32s} ({value:.4f})')
    passed = all(ok for _, _, ok in verdicts)
    if bars:
        print(f'{args.spec}: {"every bar holds" if passed else "fails " + str(sum(not ok for _, _, ok in verdicts)) + " of " + str(len(bars)) + " bars"}')
    if args.json:
        with open(args.json, 'w') as f:
            json.dump({'spec': args.spec, 'overlap': args.overlap, 'figures': figures, 'tile_grid_scenes': per_scene,
                       'bars': [{'bar': t, 'figure': v, 'passed': ok} for t, v, ok in verdicts]}, f, indent=2)
            f.write('\n')
    return 0 if passed else 1


if __name__ == '__main__':
    sys.exit(main())
