#!/usr/bin/env python3
"""Random-weight big_vision segmentation VAE (``vae-oid.npz`` layout) and a float64 numpy reference.

The real checkpoint (8.5 MB, Apache-2.0) cannot be fetched on the development/CI machines, so tests
use a checkpoint with the real array names and shapes (PyTorch layout: Conv [out,in,kh,kw],
ConvTranspose [in,out,kh,kw]) and random weights, and compare Waterline's decoder/encoder with the
straightforward float64 implementation below (independent of onnxruntime).

    make_random_vae.py generate OUT.npz [--seed N] [--fill]   # --fill: every decoded mask = whole box
    make_random_vae.py decode VAE.npz     < {"codes": [[16 ints], ...]}     > {"logits": [[64*64], ...]}
    make_random_vae.py encode VAE.npz     < {"masks": [[64*64 in 0..1], ...]} > {"embeddings": ..., "codes": ...}
    make_random_vae.py resize             < {"src": [...], "sw", "sh", "dw", "dh"} > {"numpy": [...], "pil": [...]|null}
    make_random_vae.py bench VAE.npz N    > {"float64": inst/s, "float32": inst/s}

Requires numpy (Debian python3-numpy). Use /usr/bin/python3.
"""
import json
import sys
import time

import numpy as np


def shapes():
    s = {'_vq_vae._embedding': (128, 512)}

    def conv(name, o, i, k):
        s[name + '.weight'] = (o, i, k, k)
        s[name + '.bias'] = (o,)

    def convt(name, i, o, k):
        s[name + '.weight'] = (i, o, k, k)
        s[name + '.bias'] = (o,)

    def res(name):
        conv(name + '.0', 128, 128, 3)
        conv(name + '.2', 128, 128, 3)
        conv(name + '.4', 128, 128, 1)

    for n, (i, o) in zip((0, 2, 4, 6), ((1, 16), (16, 32), (32, 64), (64, 128))):
        conv(f'encoder.{n}', o, i, 4)
    res('encoder.8.net')
    res('encoder.9.net')
    conv('encoder.10', 512, 128, 1)
    conv('decoder.0', 128, 512, 1)
    res('decoder.2.net')
    res('decoder.3.net')
    for n, (i, o) in zip((4, 6, 8, 10), ((128, 128), (128, 64), (64, 32), (32, 16))):
        convt(f'decoder.{n}', i, o, 4)
    conv('decoder.12', 1, 16, 1)
    return s


def generate(out, seed=0, fill=False):
    rng = np.random.default_rng(seed)
    arrays = {}
    for name, shape in shapes().items():
        if name == '_vq_vae._embedding':
            a = rng.normal(0, 1, shape)
        elif name.endswith('.bias'):
            a = rng.normal(0, 0.05, shape)
        else:
            if name.startswith('decoder.') and name.split('.')[1] in ('4', '6', '8', '10'):
                fan_in = shape[0] * shape[2] * shape[3] / 4  # stride-2 transpose: 4 taps per output
            else:
                fan_in = shape[1] * shape[2] * shape[3]
            a = rng.normal(0, np.sqrt(2.0 / fan_in), shape)
            if name.endswith('.net.4.weight'):
                a *= 0.5  # keep residual sums tame
        arrays[name] = a.astype(np.float32)
    arrays['decoder.12.bias'][:] = 0.0
    if fill:
        arrays['decoder.12.weight'][:] = 0.0
        arrays['decoder.12.bias'][:] = 10.0
    np.savez(out, **arrays)


def load(path, dtype=np.float64):
    with np.load(path) as z:
        return {k: z[k].astype(dtype) for k in z.files}


def conv2d(x, w, b, stride=1, pad=0):
    if pad:
        x = np.pad(x, ((0, 0), (0, 0), (pad, pad), (pad, pad)))
    kh, kw = w.shape[2], w.shape[3]
    win = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]
    return np.einsum('bchwij,ocij->bohw', win, w, optimize=True) + b[None, :, None, None]


def conv_transpose2d(x, w, b, stride=2, pad=1):
    bsz, _, h, wd = x.shape
    k = w.shape[2]
    full = np.zeros((bsz, w.shape[1], (h - 1) * stride + k, (wd - 1) * stride + k), x.dtype)
    for i in range(k):
        for j in range(k):
            full[:, :, i:i + stride * h:stride, j:j + stride * wd:stride] += np.einsum('bchw,co->bohw', x, w[:, :, i, j])
    oh, ow = (h - 1) * stride - 2 * pad + k, (wd - 1) * stride - 2 * pad + k
    return full[:, :, pad:pad + oh, pad:pad + ow] + b[None, :, None, None]


relu = lambda x: np.maximum(x, 0)


def resblock(p, name, x):
    y = relu(conv2d(x, p[name + '.0.weight'], p[name + '.0.bias'], pad=1))
    y = relu(conv2d(y, p[name + '.2.weight'], p[name + '.2.bias'], pad=1))
    return x + conv2d(y, p[name + '.4.weight'], p[name + '.4.bias'])


def decode(p, codes):
    codes = np.asarray(codes, np.int64)
    x = p['_vq_vae._embedding'][codes.reshape(-1)].reshape(codes.shape[0], 4, 4, 512).transpose(0, 3, 1, 2)
    x = relu(conv2d(x, p['decoder.0.weight'], p['decoder.0.bias']))
    x = resblock(p, 'decoder.2.net', x)
    x = resblock(p, 'decoder.3.net', x)
    for n in (4, 6, 8, 10):
        x = relu(conv_transpose2d(x, p[f'decoder.{n}.weight'], p[f'decoder.{n}.bias']))
    return conv2d(x, p['decoder.12.weight'], p['decoder.12.bias'])[:, 0]


def encode(p, masks):
    x = (2.0 * (np.asarray(masks, p['_vq_vae._embedding'].dtype) - 0.5)).reshape(-1, 1, 64, 64)
    for n in (0, 2, 4, 6):
        x = relu(conv2d(x, p[f'encoder.{n}.weight'], p[f'encoder.{n}.bias'], stride=2, pad=1))
    x = resblock(p, 'encoder.8.net', x)
    x = resblock(p, 'encoder.9.net', x)
    z = conv2d(x, p['encoder.10.weight'], p['encoder.10.bias']).transpose(0, 2, 3, 1).reshape(-1, 16, 512)
    e = p['_vq_vae._embedding']
    d = (z ** 2).sum(-1)[..., None] - 2 * z @ e.T + (e ** 2).sum(-1)[None, None]
    return z, d.argmin(-1)


def resize_weights(in_size, out_size):
    """Pillow's BILINEAR resample: triangle filter, widened by the scale when reducing (antialiased)."""
    scale = in_size / out_size
    fscale = max(scale, 1.0)
    support = 1.0 * fscale
    m = np.zeros((out_size, in_size))
    for o in range(out_size):
        center = (o + 0.5) * scale
        lo = max(int(center - support + 0.5), 0)
        hi = min(int(center + support + 0.5), in_size)
        for i in range(lo, hi):
            m[o, i] = max(0.0, 1.0 - abs((i - center + 0.5) / fscale))
        m[o] /= m[o].sum()
    return m


def resize(src, sw, sh, dw, dh):
    a = np.asarray(src, np.float64).reshape(sh, sw)
    return resize_weights(sh, dh) @ a @ resize_weights(sw, dw).T


def main(argv):
    cmd = argv[1]
    if cmd == 'generate':
        seed = int(argv[argv.index('--seed') + 1]) if '--seed' in argv else 0
        generate(argv[2], seed=seed, fill='--fill' in argv)
    elif cmd == 'decode':
        logits = decode(load(argv[2]), json.load(sys.stdin)['codes'])
        json.dump({'logits': logits.reshape(len(logits), -1).tolist()}, sys.stdout)
    elif cmd == 'encode':
        z, codes = encode(load(argv[2]), json.load(sys.stdin)['masks'])
        json.dump({'embeddings': z.reshape(len(z), -1).tolist(), 'codes': codes.tolist()}, sys.stdout)
    elif cmd == 'resize':
        req = json.load(sys.stdin)
        out = {'numpy': resize(req['src'], req['sw'], req['sh'], req['dw'], req['dh']).reshape(-1).tolist(), 'pil': None}
        try:
            from PIL import Image
            im = Image.fromarray(np.asarray(req['src'], np.float32).reshape(req['sh'], req['sw']), mode='F')
            out['pil'] = np.asarray(im.resize((req['dw'], req['dh']), Image.BILINEAR), np.float64).reshape(-1).tolist()
        except ImportError:
            pass
        json.dump(out, sys.stdout)
    elif cmd == 'bench':
        n = int(argv[3])
        codes = np.random.default_rng(1).integers(0, 128, (n, 16))
        out = {}
        for name, dt in (('float64', np.float64), ('float32', np.float32)):
            p = load(argv[2], dt)
            decode(p, codes[:2])
            t = time.perf_counter()
            decode(p, codes)
            out[name] = n / (time.perf_counter() - t)
            masks = np.random.default_rng(2).random((n, 64, 64)) > 0.5
            t = time.perf_counter()
            encode(p, masks)
            out[name + '_encode'] = n / (time.perf_counter() - t)
        json.dump(out, sys.stdout)
    else:
        raise SystemExit(__doc__)


if __name__ == '__main__':
    main(sys.argv)
