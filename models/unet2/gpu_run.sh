#!/bin/bash
# One training call on a lent GPU machine (the `device` tool: one H200, 16 cores, PyTorch; no ../shared/data, at most
# 64 MiB of checkout + carried files, at most 8 files of 16 MiB back from $OUT, 15 minutes of device time a session).
#
# Here, first (the pack is derived from ../shared/data: git-ignored, never committed):
#     /usr/bin/python3 models/unet2/pack_data.py models/unet2/runs/pack
# Then one `run` call, e.g. a wider network from scratch for 8 minutes:
#     command: bash models/unet2/gpu_run.sh wide 8 --width 2.0 --context local --epochs 30 --sea-per-epoch 200 ...
#     carry:   ["models/unet2/runs/pack"]      timeout_s: 600
# It trains with train.py --device cuda --workers (cores - 2) --stop-after MIN (samples are made on the CPU by the
# workers; the network, its EMA and validation run on the GPU), and brings back the epoch-end checkpoints
# (best-transfer.pt, best.pt, best-combined.pt, light.pt: CPU-loadable, each under 16 MiB) and the log under $OUT/NAME.
# Set --epochs so that they end inside MIN: a stop mid-epoch writes last.pt (with the optimizer: too large to come
# back), so that epoch's steps are lost; light.pt continues a later call (--light, fresh optimizer state).
# DEVICE=cpu runs the same steps on the CPU (a dry run here). Back here: score with models/unet2/rules.py, export with train.py --export (both on the CPU).
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: bash models/unet2/gpu_run.sh NAME MINUTES [train.py options]" >&2
  exit 2
fi
name=$1
minutes=$2
shift 2
case $name in *[!A-Za-z0-9._-]*) echo "NAME: letters, digits, . _ - only (what comes back from \$OUT)" >&2; exit 2 ;; esac
pack=models/unet2/runs/pack
if [ ! -f "$pack/pairs-pack.npz" ]; then
  echo "no $pack/pairs-pack.npz: run models/unet2/pack_data.py here first and carry $pack" >&2
  exit 2
fi
run=/tmp/waterline-gpu-$name
out=${OUT:-/tmp/waterline-gpu-out}/$name
mkdir -p "$run" "$out"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || echo "nvidia-smi: none"
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())'
workers=$(( $(nproc) > 4 ? $(nproc) - 2 : 1 ))
status=0
python3 models/unet2/train.py --run "$run" --cache "$pack" --shared /nonexistent --device "${DEVICE:-cuda}" --workers "$workers" \
  --threads 2 --stop-after "$minutes" "$@" 2>&1 | tee "$out/train.log" || status=$?
for f in best-transfer.pt best.pt best-combined.pt light.pt; do
  if [ -f "$run/$f" ]; then cp "$run/$f" "$out/"; fi
done
ls -la "$out"
exit "$status"
