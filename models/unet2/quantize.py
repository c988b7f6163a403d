#!/usr/bin/python3
"""An int8 copy of an exported U-Net (a model directory with manifest.json and its ONNX graph), for CPU speed:
static quantization by ONNX Runtime's own tool (QDQ form; weights int8 per output channel in 7 bits, activations
uint8), calibrated on tiles the model is trained on, never on a held-out scene: training-split chips
and windows of the training renderings, normalised exactly as the manifest says. The head (the last 1x1 conv) and
the sigmoid stay in float, so the probability keeps its full resolution around the 0.5 threshold. Weights use 7 of
their 8 bits (`reduce_range`): x86 CPUs without VNNI multiply uint8 by int8 in pairs summed into int16 (VPMADDUBSW),
which saturates with full-range weights — 7-bit weights give the same answer on every x86 CPU, VNNI or not.

    python models/unet2/quantize.py SRC_DIR OUT_DIR --name waterline-unetN-int8 [--calibration 192] [--method minmax]

Needs the `onnx` and `onnxruntime` Python packages (not the Node runtime): `pip install onnx onnxruntime` (in this
workplace: `pip install --no-index --find-links /opt/pypi/files onnx onnxruntime "numpy<2"` in a venv made with
`--system-site-packages`). The result runs in onnxruntime-node like any exported U-Net (same input, same output).
"""
import argparse
import json
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data as D  # noqa: E402


def calibration_tiles(n, seed, shared, cache):
    """`n` float tiles N x 224 x 224 x 3 in 0..1: half training-split chips, half windows of the training renderings
    (their training rows only: the rows above data.scene_val_cut), drawn with `seed`."""
    d = D.build(shared, cache, log=lambda m: None)
    rng = np.random.default_rng(seed)
    train_idx, _ = D.split(len(d['names']))
    chips = d['images'][rng.choice(train_idx, n // 2, replace=False)]
    windows = []
    scenes = [s for s in d['scenes'] if s['rgb'].shape[0] >= D.SIZE and s['rgb'].shape[1] >= D.SIZE]
    while len(windows) < n - n // 2:
        s = scenes[int(rng.integers(len(scenes)))]
        h, w = s['rgb'].shape[:2]
        bottom = max(D.SIZE, D.scene_val_cut(h))
        r = int(rng.integers(0, bottom - D.SIZE + 1))
        c = int(rng.integers(0, w - D.SIZE + 1))
        win = s['rgb'][r:r + D.SIZE, c:c + D.SIZE]
        if win.max() > 0:  # past the rendering is black padding; a wholly black window calibrates nothing
            windows.append(win)
    return np.concatenate([chips, np.stack(windows)]).astype(np.float32) / 255.0


def normalised(tiles, manifest):
    """NHWC 0..1 -> NCHW as the manifest's input says (scale already applied: tiles are x * scale)."""
    inp = manifest['input']
    mean = np.array(inp['mean'], np.float32).reshape(1, 3, 1, 1)
    std = np.array(inp['std'], np.float32).reshape(1, 3, 1, 1)
    return (tiles.transpose(0, 3, 1, 2) - mean) / std


def head_nodes(model):
    """The nodes between the last Conv and the output (that Conv included): kept in float."""
    nodes = list(model.graph.node)
    last_conv = max(i for i, n in enumerate(nodes) if n.op_type == 'Conv')
    return [n.name for n in nodes[last_conv:]]


def quantize(src, out, name, n, seed, method, shared, cache, log=print):
    import onnx
    import onnxruntime as ort
    from onnxruntime.quantization import (CalibrationDataReader, CalibrationMethod, QuantFormat, QuantType,
                                          quantize_static)
    from onnxruntime.quantization.shape_inference import quant_pre_process

    with open(os.path.join(src, 'manifest.json')) as f:
        manifest = json.load(f)
    if manifest.get('kind') != 'unet':
        raise SystemExit(f'{src}: manifest kind {manifest.get("kind")!r}; quantize each member of an ensemble instead')
    x = normalised(calibration_tiles(n, seed, shared, cache), manifest)
    input_name = manifest['input']['name']

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.batches = iter([{input_name: x[i:i + 8]} for i in range(0, len(x), 8)])

        def get_next(self):
            return next(self.batches, None)

    os.makedirs(out, exist_ok=True)
    file = os.path.splitext(manifest['file'])[0] + '-int8.onnx'
    with tempfile.TemporaryDirectory() as tmp:
        pre = os.path.join(tmp, 'pre.onnx')
        quant_pre_process(os.path.join(src, manifest['file']), pre, skip_symbolic_shape=True)
        keep_float = head_nodes(onnx.load(pre))
        log(f'{src}: calibrating on {len(x)} tiles ({method}); kept in float: {", ".join(keep_float)}')
        raw = os.path.join(tmp, 'int8.onnx')
        quantize_static(pre, raw, Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
                        activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8,
                        calibrate_method={'minmax': CalibrationMethod.MinMax,
                                          'percentile': CalibrationMethod.Percentile,
                                          'entropy': CalibrationMethod.Entropy}[method],
                        nodes_to_exclude=keep_float, reduce_range=True)
        # ONNX Runtime's basic (hardware-independent) graph rewrites, done once here and saved: every load would
        # otherwise remove the ReLU6 clips the uint8 range already bounds and log a warning per constant it drops
        options = ort.SessionOptions()
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_BASIC
        options.optimized_model_filepath = os.path.join(out, file)
        options.log_severity_level = 3
        ort.InferenceSession(raw, options, providers=['CPUExecutionProvider'])
    q = dict(manifest, name=name, file=file,
             architecture=f'{manifest.get("architecture", "")} — int8 (models/unet2/quantize.py: ONNX Runtime static '
                          f'QDQ quantization of {manifest["name"]}, weights int8 per channel (7-bit range), activations uint8, '
                          f'{method} calibration on {len(x)} training tiles, seed {seed}; head and sigmoid in float)')
    q['quantization'] = {'of': manifest['name'], 'weights': 'int8 per channel, 7-bit range', 'activations': 'uint8',
                         'calibration': {'method': method, 'tiles': len(x), 'seed': seed}}
    with open(os.path.join(out, 'manifest.json'), 'w') as f:
        json.dump(q, f, indent=2)
        f.write('\n')
    return os.path.join(out, file)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('src', help='an exported U-Net model directory (manifest.json kind "unet")')
    ap.add_argument('out', help='the directory the int8 model and its manifest go to')
    ap.add_argument('--name', required=True, help='the model name the new manifest gives')
    ap.add_argument('--calibration', type=int, default=192, help='calibration tiles (half chips, half renderings)')
    ap.add_argument('--method', choices=('minmax', 'percentile', 'entropy'), default='minmax')
    ap.add_argument('--seed', type=int, default=11)
    ap.add_argument('--shared', default=os.path.join(D.REPO, '..', 'shared', 'data'))
    ap.add_argument('--cache', default=D.DEFAULT_CACHE)
    args = ap.parse_args()
    if os.path.abspath(args.src) == os.path.abspath(args.out):
        raise SystemExit('OUT_DIR must differ from SRC_DIR: the int8 model gets its own manifest')
    path = quantize(args.src, args.out, args.name, args.calibration, args.seed, args.method, args.shared, args.cache)
    print(f'wrote {path} ({os.path.getsize(path) / 1e6:.1f} MB)')
    return 0


if __name__ == '__main__':
    sys.exit(main())
