"""TensorFlow's oneDNN kernels on a CPU, off and on: training speed of notebook 07's convolutional and MLP VAEs.

TensorFlow turns its oneDNN kernels on by default only on CPUs with AVX512_VNNI, AVX512_BF16 or AMX; on an
AVX2-only CPU it runs its Eigen kernels unless ``TF_ENABLE_ONEDNN_OPTS=1``. ``vae_keras`` sets that variable (when
it is unset) before TensorFlow is imported; this measures what it buys. Two worker processes, one per setting
(TensorFlow reads the variable once, at import), each record ``onednn_enabled``:

* ``off``: ``TF_ENABLE_ONEDNN_OPTS=0``, TensorFlow's own default on such a CPU;
* ``on``: ``TF_ENABLE_ONEDNN_OPTS=1``, this project's default.

Models (``--models``), built and compiled by ``vae_keras.train`` as notebook 07 builds them (batch 100, Adam 1e-3,
Bernoulli decoder, ``steps_per_execution=10``, ``jit_compile="auto"``: no XLA for TensorFlow on a CPU), trained on
random binary 28x28 images (the speed does not depend on the pixel values):

* ``conv07``: the convolutional VAE (stride-2 convolutions 32 and 64, dense 500, z=2, the mirror decoder);
* ``mlp07``: the MLP VAE (784-500-500-2 and back).

Timing (see benchmarks/README.md): every process runs ``--rounds`` times, the order of the two rotated each round;
inside a process each model trains ``--warmup-epochs`` untimed epochs (tracing), then ``--epochs`` timed epochs of
``--steps`` steps. Images/s come from the median epoch; the ratio on/off is the ratio of the median epoch times, with
the per-pair ratios' range beside it (both processes' epochs, in round order).

    .venv/bin/python -m benchmarks.onednn                          # ~4 min on 2 busy cores
    .venv/bin/python -m benchmarks.onednn --quick --out /tmp/x       # 1 round, 1 epoch of 2 steps per model
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks import common

SETTINGS = {"off": "0", "on": "1"}
MODELS = {
    "conv07": {"architecture": "conv", "hidden_units": (500,), "conv_filters": (32, 64)},
    "mlp07": {"architecture": "mlp", "hidden_units": (500, 500)},
}
BATCH_SIZE = 100
STEPS_PER_EXECUTION = 10


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--models", default=",".join(MODELS), help=f"comma-separated, of {tuple(MODELS)}")
    parser.add_argument("--rounds", type=common.positive_int, default=2, help="times each process runs")
    parser.add_argument("--epochs", type=common.positive_int, default=3, help="timed epochs per model and process")
    parser.add_argument("--warmup-epochs", type=common.positive_int, default=1, help="untimed epochs first")
    parser.add_argument("--steps", type=common.positive_int, default=60, help="steps per epoch (whole blocks of 10)")
    parser.add_argument("--quick", action="store_true", help="smoke check: 1 round, 1 timed epoch of 2 steps")
    common.add_output_argument(parser)
    common.add_worker_arguments(parser, SETTINGS)
    args = parser.parse_args(argv)
    args.models = common.name_list(parser, "--models", args.models, MODELS)
    if args.quick:
        args.rounds, args.epochs, args.warmup_epochs, args.steps = 1, 1, 1, 2
    return args


def run_worker(args):
    """One process: every model, warm-up then timed epochs; writes its JSON to ``--result-file``."""
    import json
    import os

    import numpy as np
    import tensorflow as tf
    from tensorflow.python.util import _pywrap_util_port

    from vae_keras import config as config_lib
    from vae_keras import train

    steps_per_execution = min(STEPS_PER_EXECUTION, args.steps)
    images = (np.random.default_rng(0).random((args.steps * BATCH_SIZE, 28, 28, 1)) < 0.5).astype("float32")
    models = {}
    for name in args.models:
        config = config_lib.ExperimentConfig(
            latent_dim=2, batch_size=BATCH_SIZE, steps_per_execution=steps_per_execution, **MODELS[name]
        )
        vae = train.build_model(config, images.shape[1:], args.steps)
        train.compile_model(vae, config, args.steps)
        seconds, cpu_seconds = common.timed_fit(
            vae,
            images,
            epochs=args.warmup_epochs + args.epochs,
            warmup_epochs=args.warmup_epochs,
            batch_size=BATCH_SIZE,
        )
        models[name] = {"seconds": seconds, "cpu_seconds": cpu_seconds, "parameters": int(vae.count_params())}
    result = {
        "setting": args.worker,
        "env": {"TF_ENABLE_ONEDNN_OPTS": os.environ.get("TF_ENABLE_ONEDNN_OPTS")},
        "onednn_enabled": bool(_pywrap_util_port.IsMklEnabled()),
        "tensorflow": tf.__version__,
        "models": models,
    }
    Path(args.result_file).write_text(json.dumps(result))
    return result


def run_process(name, args, round_index, log_dir):
    result_file = log_dir / f"{name}_round{round_index}.json"
    command = [sys.executable, "-m", "benchmarks.onednn", "--worker", name, "--result-file", result_file]
    command += ["--models", ",".join(args.models), "--steps", args.steps]
    command += ["--epochs", args.epochs, "--warmup-epochs", args.warmup_epochs]
    env = {"KERAS_BACKEND": "tensorflow", "TF_ENABLE_ONEDNN_OPTS": SETTINGS[name]}
    return common.run_worker_process(command, result_file, env=env, timeout=args.worker_timeout)


def run_benchmark(args):
    started = time.perf_counter()
    names = list(SETTINGS)

    def describe(name, result):
        rates = "; ".join(
            f"{model} " + ", ".join(f"{args.steps * BATCH_SIZE / s:,.0f}" for s in timing["seconds"])
            for model, timing in result["models"].items()
        )
        return f"{name} (oneDNN {'on' if result['onednn_enabled'] else 'off'}), img/s: {rates}"

    with tempfile.TemporaryDirectory(prefix="onednn_") as tmp:
        runs, errors = common.run_rounds(
            names, args.rounds, lambda name, round_index: run_process(name, args, round_index, Path(tmp)), describe
        )
    examples = args.steps * BATCH_SIZE
    summaries, ratios = {}, {}
    for model in args.models:
        seconds = {name: [s for run in runs[name] for s in run["models"][model]["seconds"]] for name in names}
        cpu = {name: [s for run in runs[name] for s in run["models"][model]["cpu_seconds"]] for name in names}
        for name in names:
            if seconds[name]:
                summaries[f"{model}/{name}"] = common.summarize_times(seconds[name], examples, cpu[name])
        if seconds["on"] and seconds["off"]:
            ratios[model] = common.ratio_summary(seconds["on"], seconds["off"])
            ratios[model]["cpu_ratio"] = statistics.median(cpu["off"]) / statistics.median(cpu["on"])
    results = {
        "settings": {
            "models": list(args.models),
            "rounds": args.rounds,
            "timed_epochs_per_process": args.epochs,
            "warmup_epochs": args.warmup_epochs,
            "steps_per_epoch": args.steps,
            "batch_size": BATCH_SIZE,
            "steps_per_execution": min(STEPS_PER_EXECUTION, args.steps),
        },
        "processes": {
            name: {key: runs[name][0][key] for key in ("env", "onednn_enabled", "tensorflow")}
            | {"parameters": {m: runs[name][0]["models"][m]["parameters"] for m in args.models}}
            for name in names
            if runs[name]
        },
        "throughput": summaries,
        "on_over_off": ratios,
        "errors": errors,
        "seconds": time.perf_counter() - started,
    }
    return common.finish("onednn", results, args.out, _print_tables, failed=errors)


def _print_tables(results):
    print(f"{'model':8} {'oneDNN off img/s':>17} {'oneDNN on img/s':>16} {'on/off':>7} {'pairs':>13}")
    for model, ratio in results["on_over_off"].items():
        off = results["throughput"][f"{model}/off"]["images_per_second"]
        on = results["throughput"][f"{model}/on"]["images_per_second"]
        pairs = f"{ratio['pairwise_min']:.2f}-{ratio['pairwise_max']:.2f}"
        print(f"{model:8} {off:17,.0f} {on:16,.0f} {ratio['ratio']:7.2f} {pairs:>13}")


def main(argv=None):
    """Runs the benchmark (or, with ``--worker``, one of its processes) and returns the results written."""
    args = parse_args(argv)
    if args.worker:
        common.set_environment_defaults()
        return run_worker(args)
    return run_benchmark(args)


if __name__ == "__main__":
    main()
