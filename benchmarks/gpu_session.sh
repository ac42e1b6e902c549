#!/usr/bin/env bash
# Everything polytrain checks on a GPU, as one short call on a GPU machine whose time is counted:
#   1. the GPU-marked tests (precision dtypes on CUDA, 16-mixed loss scaling), if pytest is there;
#   2. benchmarks/gpu_mfu.py --sweep: the MFU variants side by side, a profile, the bf16/fp16 parity.
# Results go to $OUT (default /tmp/polytrain-gpu): gpu.txt, gpu_tests.txt, sweep.txt, sweep.json.
# About 6-8 minutes on one H200; each step has its own timeout so a hang cannot eat the session.
#
#   OUT=/tmp/out bash benchmarks/gpu_session.sh
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/polytrain-gpu}
mkdir -p "$OUT"

{
  nvidia-smi --query-gpu=name,memory.total,driver_version,clocks.max.sm --format=csv
  python -c "import torch, lightning; print('torch', torch.__version__, 'lightning', lightning.__version__)"
} 2>&1 | tee "$OUT/gpu.txt"

if python -c "import pytest" 2>/dev/null; then
  timeout 180 python -m pytest -m gpu -q -p no:cacheprovider tests/integration/test_precision.py 2>&1 | tail -25 \
    | tee "$OUT/gpu_tests.txt"
else
  echo "pytest not installed: GPU tests skipped" | tee "$OUT/gpu_tests.txt"
fi

# 250,112 = XLM-R's 250,002 padded to a multiple of 128, as configs/model/base.yaml does.
PYTHONPATH=. timeout 480 python benchmarks/gpu_mfu.py --vocab-size 250112 --sweep --budget-s 330 \
  --steps 15 --warmup 6 --profile --parity-steps 5 --json "$OUT/sweep.json" 2>&1 | tee "$OUT/sweep.txt"
echo "gpu_session: done, results in $OUT"
