#!/usr/bin/env bash
# The GPU check of issue 13: at most 10 minutes on one GPU (sized for an H200) under
# KERAS_BACKEND=jax. It writes JSON into $GPU_CHECK_OUT (default benchmarks/results):
#
#   gpu_svhn_mlp.json   the 47M-parameter SVHN MLP's training throughput at batch 1000
#                       (goal: >= 300,000 images/s)
#   gpu_burda_mlp.json  the MNIST benchmark model's (784-200-200-50 tanh) at batch 20 and 100
#   gpu_check.json      the device, the budget, each step's exit status and seconds, and whether
#                       notebook 06 ran (full profile, real MNIST) in the time left
#
# Usage (from the project root, with the project installed: `make setup`, or pip with jax[cuda12]):
#   bash benchmarks/gpu_check.sh                     # BUDGET_S=570 seconds in all
#   MNIST_NPZ=/data/mnist.npz bash benchmarks/gpu_check.sh   # also notebook 06 if time remains
#   QUICK=1 bash benchmarks/gpu_check.sh             # tiny models: checks the script itself on a CPU
# VAE_KERAS_COMMIT names the commit where the checkout's .git is not the files' (a copy sent to a GPU machine).
set -uo pipefail
cd "$(dirname "$0")/.."
export KERAS_BACKEND="${KERAS_BACKEND:-jax}" TF_CPP_MIN_LOG_LEVEL=2 PYTHONUNBUFFERED=1
PYTHON="${PYTHON:-python3}"
OUT="${GPU_CHECK_OUT:-benchmarks/results}"
BUDGET_S="${BUDGET_S:-570}"
QUICK_FLAG=()
[[ -n "${QUICK:-}" ]] && QUICK_FLAG=(--quick)
mkdir -p "$OUT"
start=$SECONDS
steps=()

left() { echo $((BUDGET_S - (SECONDS - start))); }

step() {  # step NAME SECONDS_CAP COMMAND...: runs within the cap and what is left of the budget
    local name=$1 cap=$2
    shift 2
    local limit
    limit=$(left)
    ((limit > cap)) && limit=$cap
    if ((limit < 20)); then
        steps+=("{\"step\": \"$name\", \"status\": \"skipped: no time left\"}")
        return
    fi
    local t0=$SECONDS
    timeout "$limit" "$@"
    local code=$?
    steps+=("{\"step\": \"$name\", \"exit_status\": $code, \"seconds\": $((SECONDS - t0)), \"cap_s\": $limit}")
}

step svhn_mlp 180 "$PYTHON" -m benchmarks.train_throughput --models svhn_mlp --batch-size 1000 \
    --steps 50 --repeats 5 --no-baseline --name gpu_svhn_mlp --out "$OUT" "${QUICK_FLAG[@]}"
step burda_mlp_b20 90 "$PYTHON" -m benchmarks.train_throughput --models burda_mlp --batch-size 20 \
    --steps 500 --repeats 5 --no-baseline --name gpu_burda_mlp_b20 --out "$OUT" "${QUICK_FLAG[@]}"
step burda_mlp_b100 90 "$PYTHON" -m benchmarks.train_throughput --models burda_mlp --batch-size 100 \
    --steps 500 --repeats 5 --no-baseline --name gpu_burda_mlp_b100 --out "$OUT" "${QUICK_FLAG[@]}"
if [[ -n "${MNIST_NPZ:-}" ]]; then
    # Resumable: a second call goes on where the first stopped.
    step notebook_06_full 100000 "$PYTHON" -m vae_keras run --profile full --only 06 \
        --dataset "npz:$MNIST_NPZ" --out "$OUT/gpu_run" --resume
else
    steps+=("{\"step\": \"notebook_06_full\", \"status\": \"skipped: set MNIST_NPZ to a Keras-layout mnist.npz\"}")
fi

device=$(nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader 2>/dev/null | head -1)
joined=$(IFS=,; echo "${steps[*]}")
cat >"$OUT/gpu_check.json" <<JSON
{"device": "${device:-unknown}", "keras_backend": "$KERAS_BACKEND", "budget_s": $BUDGET_S,
 "total_s": $((SECONDS - start)), "date": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
 "commit": "${VAE_KERAS_COMMIT:-$(git rev-parse --short HEAD 2>/dev/null || echo unknown)}", "steps": [$joined]}
JSON
cat "$OUT/gpu_check.json"
