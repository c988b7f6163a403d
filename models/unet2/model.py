"""WaterMobileUNet: a U-Net with a MobileNetV2-style encoder, sized for fast CPU inference at 224 px.

Encoder: a full-resolution 3x3 stem (16 ch, kept as the finest skip), then five stages of inverted-residual
blocks (1x1 expand, 3x3 depthwise, 1x1 project; BatchNorm, ReLU6; residual when shapes match), each halving
the resolution: 112 px (24 ch), 56 (32), 28 (64), 14 (96), 7 (160). A context branch (average pool, 1x1 conv)
gives the 7 px bottleneck a wide view: a tile that is all sea has no shore to anchor a local decision.
`context='global'` (runs up to ft4) pools the whole tile, one value broadcast everywhere — which lets the
network decide for a whole tile at once: tile-shaped water and tile-shaped misses in a stitched scene (seen on
the Chicago training rendering's Lake Michigan). `context='local'` pools a 5 x 5 neighbourhood of the 7 px grid
(about 160 px around each position, fewer cells at the tile edge), so the context changes across a tile.
`context='local3'` pools 3 x 3 cells (about 96 px) and `context='point'` one cell (no view wider than the bottleneck's
own; the branch is then a per-position 1x1 conv): session 11's students, after 'local' students proved less steady
across the tile grid than v1, which has no context branch. All four take the same weights.
Decoder: per level, 2x bilinear upsampling, concatenation with the encoder skip, then a depthwise-separable
3x3 block (two at the coarse levels). The head is a 1x1 conv giving logits at full resolution.

Width multiplier `width` scales every channel count (1.0 = the default, about 1 M parameters).
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F


def _ch(c, width):
    return max(8, int(round(c * width / 8)) * 8)


def conv_bn(cin, cout, k=3, stride=1, groups=1, act=True):
    layers = [nn.Conv2d(cin, cout, k, stride, k // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if act:
        layers.append(nn.ReLU6(inplace=True))
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        self.use_res = stride == 1 and cin == cout
        self.net = nn.Sequential(
            conv_bn(cin, hidden, 1),
            conv_bn(hidden, hidden, 3, stride, groups=hidden),
            conv_bn(hidden, cout, 1, act=False),
        )

    def forward(self, x):
        y = self.net(x)
        return x + y if self.use_res else y


class SeparableBlock(nn.Module):
    """Depthwise 3x3 + pointwise 1x1 (BN, ReLU6), with a 1x1 projection first when cin != cout."""

    def __init__(self, cin, cout):
        super().__init__()
        self.net = nn.Sequential(conv_bn(cin, cin, 3, groups=cin), conv_bn(cin, cout, 1))

    def forward(self, x):
        return self.net(x)


# the context branch's pooling window, in cells of the 7 px bottleneck grid (None: the whole tile)
CONTEXT_CELLS = {'global': None, 'local': 5, 'local3': 3, 'point': 1}


def stage(cin, cout, n, expand):
    blocks = [InvertedResidual(cin, cout, 2, expand)]
    blocks += [InvertedResidual(cout, cout, 1, expand) for _ in range(n - 1)]
    return nn.Sequential(*blocks)


class WaterMobileUNet(nn.Module):
    """`stages`: (channels, blocks) of the stride-2 encoder stages; `decoder`: output channels per decoder
    level, coarse to fine (one per stage); `stem_stride` 2 puts the stem (and the head) at half resolution,
    the logits then being upsampled bilinearly to the input size."""

    def __init__(self, width=1.0, expand=4, stem_stride=2, stages=((24, 2), (32, 3), (96, 4), (160, 3)),
                 decoder=(96, 64, 48, 32), context='global', extra=None):
        super().__init__()
        assert len(decoder) == len(stages)
        extra = tuple(extra or (0,) * len(stages))
        assert len(extra) == len(stages)
        self.base_blocks = [n for _, n in stages]
        c0 = _ch(16, width)
        self.stem = nn.Sequential(conv_bn(3, c0, 3, stem_stride), conv_bn(c0, c0, 3, groups=c0), conv_bn(c0, c0, 1))
        chans = [c0]
        blocks = []
        cin = c0
        for (c, n), more in zip(stages, extra):
            cout = _ch(c, width)
            blocks.append(stage(cin, cout, n + more, expand))
            chans.append(cout)
            cin = cout
        self.stages = nn.ModuleList(blocks)
        if context not in CONTEXT_CELLS:
            raise ValueError(f'context {context!r}: one of {", ".join(CONTEXT_CELLS)}')
        cells = CONTEXT_CELLS[context]
        pool = nn.AdaptiveAvgPool2d(1) if cells is None else \
            nn.AvgPool2d(cells, stride=1, padding=cells // 2, count_include_pad=False)
        self.context = nn.Sequential(pool, nn.Conv2d(cin, cin, 1), nn.ReLU6(inplace=True))
        self.fuse = conv_bn(2 * cin, cin, 1)
        dec = []
        up_in = cin
        for level, c in enumerate(decoder):
            skip = chans[len(chans) - 2 - level]
            cout = _ch(c, width)
            layers = [SeparableBlock(up_in + skip, cout)]
            if level < 2:
                layers.append(SeparableBlock(cout, cout))
            dec.append(nn.Sequential(*layers))
            up_in = cout
        self.decoder = nn.ModuleList(dec)
        self.head = nn.Conv2d(up_in, 1, 1)

    def forward(self, x):
        skips = [self.stem(x)]
        y = skips[0]
        for s in self.stages:
            y = s(y)
            skips.append(y)
        g = self.context(y).expand_as(y)  # global: broadcast; local: already y's size
        y = self.fuse(torch.cat([y, g], 1))
        for level, block in enumerate(self.decoder):
            skip = skips[len(skips) - 2 - level]
            y = F.interpolate(y, size=skip.shape[2:], mode='bilinear', align_corners=False)
            y = block(torch.cat([y, skip], 1))
        y = self.head(y)
        if y.shape[2:] != x.shape[2:]:
            y = F.interpolate(y, size=x.shape[2:], mode='bilinear', align_corners=False)
        return y


def extra_blocks(model):
    """The encoder blocks a deepened network has beyond its arch's base stages (`extra` in the arch dict)."""
    return [b for s, n in zip(model.stages, model.base_blocks) for b in list(s)[n:]]


def deepen_from(model, weights):
    """Load the weights of the same arch without (some of) its extra blocks, so that the deeper network computes
    exactly what the shallower one did: every block missing from `weights` is a residual block whose last
    BatchNorm starts at zero (weight and bias), so it adds nothing until training moves it (the zero-init residual
    of Goyal et al. 2017). Returns the names of the blocks that started at zero."""
    # the blocks the weights lack entirely: each a stride-1 block past the weights' own count in its stage
    have = {k.split('.net.', 1)[0] for k in weights if k.startswith('stages.')}
    new = [f'stages.{i}.{j}' for i, s in enumerate(model.stages) for j in range(len(s)) if f'stages.{i}.{j}' not in have]
    missing, unexpected = model.load_state_dict(weights, strict=False)
    if unexpected:
        raise ValueError(f'weights not in the deeper network: {unexpected[:3]}')
    partial = [k for k in missing if not any(k.startswith(b + '.') for b in new)]
    if partial:
        raise ValueError(f'weights lack parts of the network that are not added blocks: {partial[:3]}')
    names = dict(model.named_modules())
    for name in new:
        block = names[name]
        if not (isinstance(block, InvertedResidual) and block.use_res):
            raise ValueError(f'{name} is missing from the weights but is not an added residual block')
        bn = block.net[2][1]
        nn.init.zeros_(bn.weight)
        nn.init.zeros_(bn.bias)
    return new


class MeanProbability(nn.Module):
    """An ensemble: the members see the same normalized input; it returns the logit of the mean of their water
    probabilities (so it drops in wherever a member's logits go: training's evaluation, export_onnx)."""

    def __init__(self, members, weights=None):
        super().__init__()
        self.members = nn.ModuleList(members)
        # weights: a weighted mean (a training teacher only, train.py --teacher-weights); exports use the plain mean
        w = torch.tensor(weights if weights is not None else [1.0] * len(members), dtype=torch.float32)
        if len(w) != len(members) or bool((w < 0).any()) or float(w.sum()) <= 0:
            raise ValueError(f'ensemble weights {weights}: one non-negative weight per member ({len(members)}), not all 0')
        self.register_buffer('weights', (w / w.sum()).view(-1, *[1] * 4), persistent=False)

    def forward(self, x):
        p = (torch.stack([torch.sigmoid(m(x)) for m in self.members]) * self.weights).sum(0)
        p = p.clamp(1e-6, 1 - 1e-6)
        return torch.log(p) - torch.log1p(-p)  # logit (torch.logit has no ONNX export)


def mean_of(loaded, spec):
    """(MeanProbability of the members, mean, std) from the members' (network, mean, std): they must normalise their
    input alike (every built-in U-Net does), since the ensemble feeds them one input."""
    if any(m != loaded[0][1] or s != loaded[0][2] for _, m, s in loaded):
        raise ValueError(f'{spec}: the members normalize their input differently; an ensemble needs one input')
    return MeanProbability([n for n, _, _ in loaded]).eval(), loaded[0][1], loaded[0][2]


class WithSigmoid(nn.Module):
    def __init__(self, net):
        super().__init__()
        self.net = net

    def forward(self, x):
        return torch.sigmoid(self.net(x))


ARCHS = {
    # default: stem at 112 px, encoder 56/28/14/7 px, decoder back to 112 px, logits upsampled to 224
    'mobile': dict(stem_stride=2, stages=((24, 2), (32, 3), (96, 4), (160, 3)), decoder=(96, 64, 48, 32)),
    # full-resolution stem and decoder (finer edges, about 3x slower on CPU)
    'mobile-full': dict(stem_stride=1, stages=((24, 2), (32, 3), (64, 3), (96, 3), (160, 2)),
                        decoder=(96, 64, 48, 32, 16)),
}


def build(arch):
    """The network described by a checkpoint's `arch` dict: {'name': key of ARCHS, 'width', 'expand',
    'context' ('global' when absent), 'extra' (stride-1 blocks added to each encoder stage; none when absent)}."""
    return WaterMobileUNet(width=arch.get('width', 1.0), expand=arch.get('expand', 4),
                           context=arch.get('context', 'global'), extra=arch.get('extra'), **ARCHS[arch['name']])


def export_onnx(model, path, size=224):
    """Opset 17, input `image` [N,3,H,W], output `probability` [N,1,H,W] (sigmoid inside); dynamic N, H, W
    (H and W multiples of 32: five stride-2 stages)."""
    model.eval()
    torch.onnx.export(WithSigmoid(model), torch.zeros(1, 3, size, size), path, opset_version=17,
                      input_names=['image'], output_names=['probability'],
                      dynamic_axes={'image': {0: 'batch', 2: 'height', 3: 'width'},
                                    'probability': {0: 'batch', 2: 'height', 3: 'width'}},
                      do_constant_folding=True)


def write_manifest(out, name, file, mean, std, parameters, architecture, size=224, tile_overlap=None):
    """OUT/manifest.json of an exported U-Net, as src/adapters/onnx/unetSegmenter.ts reads it: RGB in at `size` px
    (scaled to 0..1, then normalised by `mean` / `std`), water probability out (export_onnx's graph); with
    `tile_overlap`, the overlap the pipeline tiles with when the user gives none (`tiling.overlap`)."""
    manifest = {
        'name': name,
        'kind': 'unet',
        'file': file,
        'input': {'name': 'image', 'layout': 'NCHW', 'dtype': 'float32', 'channels': ['red', 'green', 'blue'],
                  'size': size, 'sizeMultiple': 8, 'scale': 1 / 255, 'mean': mean, 'std': std},
        'output': {'name': 'probability', 'kind': 'probability', 'layout': 'NCHW', 'channels': 1, 'threshold': 0.5},
        'parameters': parameters,
        'architecture': architecture,
    }
    if tile_overlap is not None:
        manifest['tiling'] = {'overlap': int(tile_overlap)}
    with open(os.path.join(out, 'manifest.json'), 'w') as f:
        json.dump(manifest, f, indent=2)
        f.write('\n')
