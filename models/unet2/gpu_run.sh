#!/bin/bash
# One training call on a lent GPU machine (the `device` tool: one H200, 16 cores, PyTorch; no ../shared/data, at most
# 64 MiB of checkout + carried files, at most 8 files of 16 MiB back from $OUT, 15 minutes of device time a session).
#
# Here, first (the pack is derived from ../shared/data: git-ignored, never committed):
#     /usr/bin/python3 models/unet2/pack_data.py models/unet2/runs/pack
# Then one `run` call from the repository root, e.g. a wider network from scratch for 8 minutes:
#     command: bash models/unet2/gpu_run.sh wide 8 --width 2.0 --context local --epochs 30 --sea-per-epoch 200 ...
#     carry:   ["models/unet2/runs/pack"]      timeout_s: 600 (MINUTES * 60 + 150 must stay under it)
# It trains with train.py --device cuda --workers (cores - 2) --stop-after MINUTES (samples are made on the CPU by the
# workers; the network, its EMA and validation run on the GPU), and brings back the epoch-end checkpoints
# (best-transfer.pt, best.pt, best-combined.pt, light.pt: CPU-loadable; under 16 MiB each up to --width 2.0) and the
# log under $OUT/NAME. Set --epochs so that they end inside MINUTES: a stop mid-epoch writes last.pt (with the
# optimizer: too large to come back), so that epoch's steps are lost.
# A later call continues from a light.pt brought back (copied into the carried pack folder):
#     bash models/unet2/gpu_run.sh wide2 8 --continue models/unet2/runs/pack/light.pt [--epochs 60 --reschedule]
# (no --init then; the light checkpoint holds the network, settings and history; the optimizer starts fresh).
# DEVICE=cpu PYTHON=/usr/bin/python3 runs the same steps on the CPU (a dry run here). Back here: score with
# models/unet2/rules.py, export with train.py --export (both on the CPU).
set -euo pipefail
if [ $# -lt 2 ]; then
  echo "usage: bash models/unet2/gpu_run.sh NAME MINUTES [--continue LIGHT.pt] [train.py options]" >&2
  exit 2
fi
name=$1
minutes=$2
shift 2
case $name in .*|*[!A-Za-z0-9._-]*) echo "NAME: letters, digits, . _ - only, not starting with . (what comes back from \$OUT)" >&2; exit 2 ;; esac
python=${PYTHON:-python3}
pack=models/unet2/runs/pack
if [ ! -f "$pack/pairs-pack.npz" ]; then
  echo "no $pack/pairs-pack.npz (run from the repository root, after models/unet2/pack_data.py here, carrying $pack)" >&2
  exit 2
fi
run=/tmp/waterline-gpu-$name
out=${OUT:-/tmp/waterline-gpu-out}/$name
mkdir -p "$run" "$out"
if [ "${1:-}" = "--continue" ]; then
  cp "$2" "$run/light.pt"  # train.py's default --light: the run starts from it
  shift 2
fi
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader || echo "nvidia-smi: none"
"$python" -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available())'
workers=$(( $(nproc) > 4 ? $(nproc) - 2 : 1 ))
status=0
# --stop-after ends it cleanly; the timeout (a minute and a half later) only if an epoch's validation overruns, so that
# the checkpoints are still copied back before the call's own limit
timeout -s INT $(( ${minutes%.*} * 60 + 90 )) "$python" models/unet2/train.py --run "$run" --cache "$pack" \
  --shared /nonexistent --device "${DEVICE:-cuda}" --workers "$workers" --threads 2 --stop-after "$minutes" "$@" 2>&1 \
  | tee "$out/train.log" || status=$?
for f in best-transfer.pt best.pt best-combined.pt light.pt; do
  if [ -f "$run/$f" ]; then cp "$run/$f" "$out/"; fi
done
ls -la "$out"
exit "$status"
