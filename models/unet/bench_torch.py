#!/usr/bin/python3
"""Reference for bench/unet.bench.ts: the same U-Net (models/unet/unet.pt) in PyTorch eager mode on CPU.

Prints one JSON line: {"tilesPerSecond": ..., "batch": ..., "threads": ..., "tiles": ...}.
Input: uint8 HWC tiles, normalised with the checkpoint's mean/std and a sigmoid at the end, so the work
matches what the ONNX segmenter does per tile.
"""
import argparse
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from train import WaterUNet  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--checkpoint', default=os.path.join(os.path.dirname(os.path.abspath(__file__)), 'unet.pt'))
    ap.add_argument('--batch', type=int, default=8)
    ap.add_argument('--batches', type=int, default=4)
    ap.add_argument('--size', type=int, default=224)
    ap.add_argument('--threads', type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    ckpt = torch.load(args.checkpoint)
    model = WaterUNet(ckpt['channels'])
    model.load_state_dict(ckpt['state_dict'])
    model.eval()
    mean = torch.tensor(ckpt['mean']).view(1, 3, 1, 1)
    std = torch.tensor(ckpt['std']).view(1, 3, 1, 1)
    rng = np.random.default_rng(1)
    tiles = rng.integers(0, 256, (args.batch, args.size, args.size, 3), dtype=np.uint8)

    def run():
        x = torch.from_numpy(tiles).permute(0, 3, 1, 2).float().div_(255)
        return torch.sigmoid(model((x - mean) / std)).numpy()

    with torch.no_grad():
        run()  # warm-up
        t = time.perf_counter()
        for _ in range(args.batches):
            run()
        elapsed = time.perf_counter() - t
    n = args.batch * args.batches
    print(json.dumps({'tilesPerSecond': n / elapsed, 'batch': args.batch, 'threads': args.threads, 'tiles': n}))


if __name__ == '__main__':
    main()
