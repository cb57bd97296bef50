#!/usr/bin/env bash
# Notebook 07 (latent sizes x decoders x encoders: 20 models) on one GPU under KERAS_BACKEND=jax: its
# trainings run ahead, one process per latent size (benchmarks/pretrain_07.py), then the runner's own
# pass (`vae-keras run --only 07 --resume`) evaluates and draws them. Publish the run folder with
# `vae-keras publish RUN_DIR --add --only 07`.
#
# Usage, from the project root:
#   MNIST_NPZ=/data/mnist.npz bash benchmarks/gpu_notebook07.sh
# Settings: PROFILE (default cpu), RUN_DIR (default runs/gpu-07), BUDGET_S (default 560: the pack step
# always runs), WHEELS (a folder of wheels installed first into /tmp/site, for a machine without the
# project's packages), PACK (a .tgz to write with the run folder less its checkpoints), VAE_KERAS_COMMIT.
# Measured on one H200 (2026-12-04, cpu profile): 270 s of pretraining, then 188 s for the runner's pass.
set -uo pipefail
cd "$(dirname "$0")/.."
PROFILE="${PROFILE:-cpu}" RUN_DIR="${RUN_DIR:-runs/gpu-07}" BUDGET_S="${BUDGET_S:-560}"
: "${MNIST_NPZ:?set MNIST_NPZ to a Keras-layout mnist.npz}"
start=$SECONDS
left() { echo $((BUDGET_S - 25 - (SECONDS - start))); }
say() { echo "[$((SECONDS - start)) s] $*"; }
if [[ -n "${WHEELS:-}" ]]; then
    python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site "$WHEELS"/*.whl || exit 3
    export PYTHONPATH="/tmp/site:$PWD${PYTHONPATH:+:$PYTHONPATH}"
    export JUPYTER_PATH="/tmp/kernel/share/jupyter:/tmp/site/share/jupyter${JUPYTER_PATH:+:$JUPYTER_PATH}"
    # The project's kernel, registered outside the interpreter's own prefix (which may be read-only).
    python3 -m ipykernel install --prefix /tmp/kernel --name vae-keras --display-name vae-keras >/dev/null || exit 3
fi
# Several processes share the GPU: none may take most of its memory up front.
export KERAS_BACKEND=jax XLA_PYTHON_CLIENT_PREALLOCATE=false TF_CPP_MIN_LOG_LEVEL=2 PYTHONUNBUFFERED=1
export KERAS_HOME="${KERAS_HOME:-$PWD/.cache/keras}" MPLCONFIGDIR="${MPLCONFIGDIR:-$PWD/.cache/mpl}"
export JUPYTER_CONFIG_DIR="${JUPYTER_CONFIG_DIR:-$PWD/.cache/jupyter/config}" IPYTHONDIR="${IPYTHONDIR:-$PWD/.cache/ipython}"
export JUPYTER_RUNTIME_DIR="${JUPYTER_RUNTIME_DIR:-$PWD/.cache/jupyter/runtime}"
mkdir -p "$KERAS_HOME" "$MPLCONFIGDIR" "$JUPYTER_CONFIG_DIR" "$IPYTHONDIR" "$JUPYTER_RUNTIME_DIR"
nvidia-smi -L 2>/dev/null
python3 -c "import jax, keras; print('jax', jax.__version__, 'keras', keras.__version__, jax.devices())" || exit 4
timeout "$(left)" python3 -m benchmarks.pretrain_07 "$PROFILE" "npz:$MNIST_NPZ" "$RUN_DIR"
say "pretrained"
timeout "$(left)" python3 -m vae_keras run --profile "$PROFILE" --dataset "npz:$MNIST_NPZ" --only 07 --out "$RUN_DIR" \
    --resume --keep-going
say "runner done"
if [[ -n "${PACK:-}" ]]; then
    tar czf "$PACK" --exclude='*.keras' --exclude='*.h5' -C "$(dirname "$RUN_DIR")" "$(basename "$RUN_DIR")"
    say "packed $PACK"
fi
