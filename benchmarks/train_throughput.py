"""Steady-state training throughput (images/s) of three VAEs, ours vs the keras-io way.

Models (``--models``):

* ``svhn_mlp``: the SVHN write-up's MLP on PCA-500 features: encoder 3x2048 + heads, decoder
  5x2048, batch norm, dropout 0.2, fitted per-feature variance (``gaussian_fitted``), with
  ``latent_dim`` chosen so the model has about 47M parameters (``--svhn-latent-dim``; the count
  is printed and saved). Inputs are random float features: throughput does not depend on them.
* ``mnist_mlp``: 784-512-20-512-784, Bernoulli, on random binary images.
* ``burda_mlp``: the MNIST benchmark's model (notebook 09, Burda et al.): 784-200-200-50 tanh,
  Bernoulli, on random binary images; their batch is 20 (``--batch-size 20``).
* ``conv``: the convolutional VAE (default filters) on random 32x32x3 images in [0, 1].

For each model and each setting of ``--jit-compile`` x ``--steps-per-execution``, ``ours`` is
``vae_keras.models.VAE`` (``compute_loss`` override, Keras's own ``train_step``) and ``keras_io``
the same freshly built encoder/decoder/likelihood trained by a ``GradientTape`` ``train_step``
(``benchmarks/keras_io_baseline.py``, TensorFlow only: skipped with a note under JAX). Every
variant is compiled and warmed up (one untimed epoch: tracing/XLA compilation), then timed
epochs of ``--steps`` steps alternate between the variants (A, B, B, A, ...); the result is
the median. Ratio ours/keras_io: target >= 1.0.

    .venv/bin/python -m benchmarks.train_throughput                      # default run (TF)
    KERAS_BACKEND=jax .venv/bin/python -m benchmarks.train_throughput    # JAX: no baseline (slow conv on CPU)
    .venv/bin/python -m benchmarks.train_throughput --models mnist_mlp \\
        --steps-per-execution 1,10,50 --jit-compile false,true --name train_throughput_sweep
"""

import argparse
import math

from benchmarks import common

common.set_environment_defaults()

MODELS = ("svhn_mlp", "mnist_mlp", "conv", "burda_mlp")
SVHN_LATENT_DIM = 3043  # 47.0M parameters with the layer sizes above (see README.md)
# Timed steps per epoch and timed epochs per variant, sized so the default run takes about
# 10 minutes on 2 busy CPU cores: the 47M MLP and the conv VAE take seconds per step there.
DEFAULT_STEPS = {"svhn_mlp": 10, "mnist_mlp": 100, "conv": 10, "burda_mlp": 200}
DEFAULT_REPEATS = {"svhn_mlp": 3, "mnist_mlp": 8, "conv": 5, "burda_mlp": 5}


def _bool_list(text):
    values = []
    for item in text.split(","):
        item = item.strip().lower()
        if item not in ("true", "false"):
            raise argparse.ArgumentTypeError(f"--jit-compile takes true/false values, got {item!r}")
        values.append(item == "true")
    return tuple(values)


def _int_list(text):
    values = tuple(common.positive_int(item) for item in text.split(","))
    return values


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--models", default="svhn_mlp,mnist_mlp,conv", help=f"comma-separated subset of {MODELS} (default: the first 3)"
    )
    parser.add_argument("--batch-size", type=common.positive_int, default=1000)
    parser.add_argument(
        "--steps", type=common.positive_int, default=None, help=f"timed steps per epoch (default {DEFAULT_STEPS})"
    )
    parser.add_argument(
        "--repeats",
        type=common.positive_int,
        default=None,
        help=f"timed epochs per variant (default {DEFAULT_REPEATS})",
    )
    parser.add_argument(
        "--jit-compile",
        type=_bool_list,
        default=None,
        help="comma-separated true/false to sweep (default: false on TensorFlow, true on JAX)",
    )
    parser.add_argument(
        "--steps-per-execution", type=_int_list, default=(10,), help="comma-separated values to sweep (default 10)"
    )
    parser.add_argument("--no-baseline", action="store_true", help="time only our VAE")
    parser.add_argument("--svhn-latent-dim", type=common.positive_int, default=SVHN_LATENT_DIM)
    parser.add_argument("--quick", action="store_true", help="smoke check: tiny models, batch 32, 2 steps")
    parser.add_argument("--name", default="train_throughput", help="result file name (without .json)")
    common.add_output_argument(parser)
    args = parser.parse_args(argv)
    args.models = tuple(name.strip() for name in args.models.split(",") if name.strip())
    unknown = sorted(set(args.models) - set(MODELS))
    if unknown or not args.models:
        parser.error(f"--models must name some of {MODELS}; received {args.models!r}")
    if args.quick:
        args.batch_size = min(args.batch_size, 32)
        args.steps = args.steps or 2
        args.repeats = args.repeats or 1
        args.steps_per_execution = tuple(min(value, 2) for value in args.steps_per_execution)
    return args


def make_inputs(name, rng, num_examples):
    """Random training inputs for one of ``MODELS`` (values valid for its likelihood)."""
    if name == "svhn_mlp":
        return rng.standard_normal((num_examples, 500), dtype="float32")
    if name in ("mnist_mlp", "burda_mlp"):
        return (rng.random((num_examples, 28, 28, 1)) < 0.5).astype("float32")
    return rng.random((num_examples, 32, 32, 3), dtype="float32")


def build_model(name, args, seed=0):
    """Builds one of ``MODELS`` (an uncompiled ``VAE``), with weights fixed by ``seed``."""
    import keras

    from vae_keras import models

    keras.utils.set_random_seed(seed)
    if name == "svhn_mlp":
        # --quick keeps the layer types but not the depth: tracing 8 blocks takes seconds.
        encoder_units, decoder_units = ((64,), (64,)) if args.quick else ((2048,) * 3, (2048,) * 5)
        vae = models.build_vae(
            input_shape=(500,),
            latent_dim=8 if args.quick else args.svhn_latent_dim,
            hidden_units=encoder_units,
            decoder_units=decoder_units,
            batch_norm=True,
            dropout=0.2,
            likelihood="gaussian_fitted",
            seed=seed,
        )
        return vae
    if name == "mnist_mlp":
        units = (16,) if args.quick else (512,)
        vae = models.build_vae((28, 28, 1), 20, hidden_units=units, likelihood="bernoulli", seed=seed)
        return vae
    if name == "burda_mlp":
        units = (16,) if args.quick else (200, 200)
        return models.build_vae(
            (28, 28, 1), 50, hidden_units=units, activation="tanh", likelihood="bernoulli", seed=seed
        )
    options = dict(conv_filters=(4, 8), hidden_units=(16,)) if args.quick else {}
    return models.build_vae((32, 32, 3), 20, architecture="conv", seed=seed, **options)


def make_variant(name, kind, args, jit_compile, steps_per_execution):
    import keras

    vae = build_model(name, args)
    model = vae
    if kind == "keras_io":
        from benchmarks import keras_io_baseline

        model = keras_io_baseline.KerasIoVAE(vae.encoder, vae.decoder, vae.likelihood, seed=0)
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3), jit_compile=jit_compile, steps_per_execution=steps_per_execution
    )
    return model


def benchmark_model(name, args, backend, jit_values):
    import numpy as np

    steps = args.steps or DEFAULT_STEPS[name]
    repeats = args.repeats or DEFAULT_REPEATS[name]
    kinds = ["ours"]
    baseline_note = None
    if args.no_baseline:
        baseline_note = "baseline not run (--no-baseline)"
    elif backend != "tensorflow":
        baseline_note = f"keras-io baseline skipped: its GradientTape train_step is TensorFlow-only (backend {backend})"
        print(baseline_note, flush=True)
    else:
        kinds.append("keras_io")

    variants = {}
    for jit_compile in jit_values:
        for steps_per_execution in args.steps_per_execution:
            # Whole executions per epoch, so every timed epoch does the same work.
            epoch_steps = steps_per_execution * math.ceil(steps / steps_per_execution)
            for kind in kinds:
                key = f"{kind}/jit={str(jit_compile).lower()}/spe={steps_per_execution}"
                variants[key] = {
                    "kind": kind,
                    "jit_compile": jit_compile,
                    "steps_per_execution": steps_per_execution,
                    "steps_per_epoch": epoch_steps,
                    "model": make_variant(name, kind, args, jit_compile, steps_per_execution),
                    "seconds": [],
                    "cpu_seconds": [],
                }
    first = next(iter(variants.values()))["model"]
    num_parameters = int(first.count_params())
    num_trainable = int(sum(math.prod(weight.shape) for weight in first.trainable_weights))
    example_shape = tuple(first.encoder.inputs[0].shape[1:])
    print(f"{name}: {num_parameters:,} parameters ({num_trainable:,} trainable), input {example_shape}", flush=True)
    rng = np.random.default_rng(0)
    max_steps = max(variant["steps_per_epoch"] for variant in variants.values())
    x = make_inputs(name, rng, max_steps * args.batch_size)

    def run(variant):
        count = variant["steps_per_epoch"] * args.batch_size
        return common.timed_fit(variant["model"], x[:count], epochs=1, batch_size=args.batch_size)

    for variant in variants.values():  # untimed: tracing / XLA compilation, first steps
        run(variant)
    keys = list(variants)
    for repeat in range(repeats):
        for key in keys if repeat % 2 == 0 else reversed(keys):
            wall, cpu = run(variants[key])
            variants[key]["seconds"] += wall
            variants[key]["cpu_seconds"] += cpu
        print(
            f"  repeat {repeat + 1}/{repeats}: "
            + ", ".join(
                f"{key} {v['steps_per_epoch'] * args.batch_size / v['seconds'][-1]:.0f} img/s"
                for key, v in variants.items()
            ),
            flush=True,
        )

    summaries = {}
    for key, variant in variants.items():
        summaries[key] = {
            "kind": variant["kind"],
            "jit_compile": variant["jit_compile"],
            "steps_per_execution": variant["steps_per_execution"],
            "steps_per_epoch": variant["steps_per_epoch"],
            **common.summarize_times(
                variant["seconds"], variant["steps_per_epoch"] * args.batch_size, variant["cpu_seconds"]
            ),
            "epoch_seconds": variant["seconds"],
            "epoch_cpu_seconds": variant["cpu_seconds"],
        }
        print(f"  {key:>28}: {summaries[key]['images_per_second']:.0f} images/s", flush=True)
    ratios = {}
    for key, variant in variants.items():
        baseline_key = key.replace("ours/", "keras_io/", 1)
        if variant["kind"] == "ours" and baseline_key in variants:
            config = key.split("/", 1)[1]
            ratios[config] = {
                **common.ratio_summary(variant["seconds"], variants[baseline_key]["seconds"]),
                "cpu_ratio": common.ratio_summary(variant["cpu_seconds"], variants[baseline_key]["cpu_seconds"])[
                    "ratio"
                ],
            }
            print(f"  ours/keras_io ({config}): {ratios[config]['ratio']:.3f}", flush=True)
    result = {
        "num_parameters": num_parameters,
        "num_trainable_parameters": num_trainable,
        "input_shape": list(example_shape),
        "batch_size": args.batch_size,
        "timed_steps_per_epoch": steps,
        "repeats": repeats,
        "variants": summaries,
        "ratio_ours_over_keras_io": ratios,
    }
    if name == "svhn_mlp":
        result["latent_dim"] = 8 if args.quick else args.svhn_latent_dim
    if baseline_note:
        result["baseline_note"] = baseline_note
    return result


def main(argv=None):
    args = parse_args(argv)
    import keras

    backend = keras.backend.backend()
    jit_values = args.jit_compile if args.jit_compile is not None else (backend == "jax",)
    results = {
        "settings": {
            "models": list(args.models),
            "batch_size": args.batch_size,
            "steps": args.steps,
            "repeats": args.repeats,
            "jit_compile": list(jit_values),
            "steps_per_execution": list(args.steps_per_execution),
            "quick": args.quick,
            "inputs": "random arrays fed by fit(x, batch_size=...): throughput does not depend on values",
        },
        "models": {},
        "target": {"ratio_ours_over_keras_io": 1.0},
    }
    if backend == "jax" and "conv" in args.models and args.steps is None and not args.quick:
        import jax

        if jax.default_backend() == "cpu":
            print(
                "Note: XLA on CPU trains the conv VAE about 30x slower than TensorFlow (42 vs 1,395 images/s "
                "measured on 2 cores), so its default 10-step epochs take minutes each. For a quick CPU "
                "check pass --models svhn_mlp,mnist_mlp, or --models conv --steps 2 --steps-per-execution 2.",
                flush=True,
            )
    for name in args.models:
        results["models"][name] = benchmark_model(name, args, backend, jit_values)
    results["peak_rss_bytes"] = common.peak_rss_bytes()
    common.write_results(args.name, results, args.out)
    return results


if __name__ == "__main__":
    main()
