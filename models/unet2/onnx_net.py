"""An exported model directory (manifest.json; one U-Net graph, or an ensemble naming member directories) as a
PyTorch module returning logits, so that the Python scorers (rules.py and what it calls) measure the ONNX graphs
users run — an int8 copy (quantize.py) has no PyTorch weights. Needs the `onnxruntime` Python package.
"""
import json
import os

import numpy as np
import torch
import torch.nn as nn

from model import mean_of


class OnnxUnet(nn.Module):
    """One U-Net graph (input NCHW already normalised; output the water probability) as logits."""

    def __init__(self, path, threads=2):
        super().__init__()
        import onnxruntime as ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.log_severity_level = 3  # the optimiser's notes on initialisers it drops are not news
        self.session = ort.InferenceSession(path, options, providers=['CPUExecutionProvider'])
        self.input = self.session.get_inputs()[0].name

    def forward(self, x):
        p = self.session.run(None, {self.input: x.detach().float().contiguous().numpy()})[0]
        p = torch.from_numpy(np.clip(p, 1e-6, 1 - 1e-6))
        return torch.log(p) - torch.log1p(-p)


def is_model_dir(path):
    return os.path.isdir(path) and os.path.exists(os.path.join(path, 'manifest.json'))


def load_model_dir(path):
    """(network returning logits, mean, std) of an exported model directory; an ensemble's members must normalise
    alike (model.mean_of, as for checkpoint ensembles)."""
    with open(os.path.join(path, 'manifest.json')) as f:
        manifest = json.load(f)
    if manifest.get('kind') == 'ensemble':
        return mean_of([load_model_dir(os.path.join(path, m)) for m in manifest['members']], path)
    inp = manifest['input']
    if abs(inp.get('scale', 1 / 255) - 1 / 255) > 1e-9:
        raise ValueError(f'{path}: input scale {inp["scale"]}; the scorers feed 0..1 tiles (scale 1/255)')
    net = OnnxUnet(os.path.join(path, manifest['file'])).eval()
    return net, [float(v) for v in inp['mean']], [float(v) for v in inp['std']]
