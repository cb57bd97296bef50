"""Input pipeline: ``fit`` on ``vae_keras.data.make_dataset`` (tf.data) vs ``fit`` on NumPy arrays.

The model is the MNIST MLP VAE 784-512-20-512-784 (Bernoulli), batch 1000,
``steps_per_execution=10``, on the real MNIST training images (or random images of the same shape
with ``--synthetic``). Variants, all fitted by the same compiled model:

* ``tf_data``: ``make_dataset(uint8 images, binarize=True)``, the training path of ``vae-keras
  train``: per-epoch shuffle, batch, dynamic binarisation (new noise every epoch), prefetch;
* ``arrays``: ``fit(x, batch_size=..., shuffle=True)`` on float32 images binarised once in NumPy
  (Keras's own array adapter, which builds its own tf.data pipeline under TensorFlow);
* ``tf_data_static``: ``make_dataset`` on the same pre-binarised float32 array as ``arrays``, no
  per-epoch noise: the like-for-like comparison of the two pipelines, which also separates the
  cost of the pipeline from that of the dynamic binarisation;
* ``tf_data_elementwise``: the element-wise pipeline ``make_dataset`` used before it was
  vectorised (``elementwise_pipeline`` below: ``from_tensor_slices -> cache -> shuffle(N) ->
  batch -> binarise``), kept to show what the change bought.

Every variant first runs untimed epochs (tracing); then single-epoch ``fit`` calls alternate
between the variants (A, B, C, C, B, A, ...). Reported: images/s from the median epoch time, the
median process CPU seconds per epoch (barely moved by other processes on a shared machine), and
the ratios tf_data / arrays and tf_data_static / arrays (target >= 0.95). TensorFlow backend only.

    .venv/bin/python -m benchmarks.input_pipeline
"""

import argparse

from benchmarks import common

common.set_environment_defaults()

DEFAULT_DATA = "npz:/work/shared/data/mnist/mnist.npz"
VARIANTS = ("tf_data", "arrays", "tf_data_static", "tf_data_elementwise")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=DEFAULT_DATA, help="dataset name for vae_keras.data.load (train split)")
    parser.add_argument("--synthetic", action="store_true", help="random uint8 images instead of --data")
    parser.add_argument("--num-examples", type=common.positive_int, default=None, help="use the first N images")
    parser.add_argument("--batch-size", type=common.positive_int, default=1000)
    parser.add_argument("--steps-per-execution", type=common.positive_int, default=10)
    parser.add_argument("--rounds", type=common.positive_int, default=12, help="interleaved fit calls per variant")
    parser.add_argument("--epochs-per-round", type=common.positive_int, default=1, help="timed epochs per fit call")
    parser.add_argument(
        "--warmup-epochs", type=common.positive_int, default=1, help="untimed epochs per variant before timing"
    )
    parser.add_argument("--variants", default=",".join(VARIANTS), help=f"comma-separated subset of {VARIANTS}")
    parser.add_argument("--quick", action="store_true", help="smoke check: 3000 synthetic images, 2 rounds")
    parser.add_argument("--name", default="input_pipeline", help="result file name (without .json)")
    common.add_output_argument(parser)
    args = parser.parse_args(argv)
    if args.quick:
        args.synthetic = True
        args.num_examples = args.num_examples or 3000
        args.rounds = min(args.rounds, 2)
        args.epochs_per_round = 1
    args.variants = tuple(name.strip() for name in args.variants.split(",") if name.strip())
    unknown = sorted(set(args.variants) - set(VARIANTS))
    if unknown or not args.variants:
        parser.error(f"--variants must name some of {VARIANTS}; received {args.variants!r}")
    return args


def elementwise_pipeline(images, batch_size, seed=0):
    """``make_dataset(images, batch_size, binarize=True)`` as it was before vectorisation.

    Every example goes through the shuffle buffer one by one, and each epoch's first batch waits
    until the buffer holds all N examples.
    """
    import tensorflow as tf

    dataset = tf.data.Dataset.from_tensor_slices(images).cache()
    dataset = dataset.shuffle(len(images), seed=seed, reshuffle_each_iteration=True).batch(batch_size)

    def binarize(x, noise_seed):
        x = tf.cast(x, tf.float32) / 255.0
        return tf.cast(tf.random.stateless_uniform(tf.shape(x), seed=noise_seed) < x, tf.float32)

    noise_seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
    dataset = tf.data.Dataset.zip((dataset, noise_seeds))
    dataset = dataset.map(binarize, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return dataset.prefetch(tf.data.AUTOTUNE)


def load_images(args):
    import numpy as np

    from vae_keras import data

    if args.synthetic:
        num_examples = args.num_examples or 60000
        return np.random.default_rng(0).integers(0, 256, size=(num_examples, 28, 28, 1), dtype=np.uint8)
    images, _ = data.load(args.data, "train")
    return images[: args.num_examples] if args.num_examples else images


def main(argv=None):
    args = parse_args(argv)
    import keras

    from vae_keras import data, models, preprocessing

    if keras.backend.backend() != "tensorflow":
        raise SystemExit(
            f"input_pipeline compares tf.data pipelines: run it with KERAS_BACKEND=tensorflow "
            f"(received backend {keras.backend.backend()!r})."
        )
    images = load_images(args)
    num_examples = len(images)
    static = preprocessing.binarize(images, seed=0).astype("float32")
    keras.utils.set_random_seed(0)
    vae = models.build_vae((28, 28, 1), 20, hidden_units=(512,), likelihood="bernoulli", seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3), steps_per_execution=args.steps_per_execution)

    def run(variant, epochs):
        if variant == "arrays":
            return common.timed_fit(vae, static, epochs=epochs, batch_size=args.batch_size, shuffle=True)
        if variant == "tf_data_elementwise":
            dataset = elementwise_pipeline(images, args.batch_size)
        elif variant == "tf_data":
            dataset = data.make_dataset(images, args.batch_size, seed=0, binarize=True)
        else:
            dataset = data.make_dataset(static, args.batch_size, seed=0)
        return common.timed_fit(vae, dataset, epochs=epochs)

    # Untimed epochs of every variant first: they trace the train function for each input
    # structure, after which a new `fit` call starts at full speed (its first epoch is timed).
    for variant in args.variants:
        run(variant, args.warmup_epochs)
    seconds = {variant: [] for variant in args.variants}
    cpu_seconds = {variant: [] for variant in args.variants}
    for round_index in range(args.rounds):
        order = args.variants if round_index % 2 == 0 else tuple(reversed(args.variants))
        for variant in order:
            wall, cpu = run(variant, args.epochs_per_round)
            seconds[variant] += wall
            cpu_seconds[variant] += cpu
        print(
            f"round {round_index + 1}/{args.rounds}: "
            + ", ".join(f"{v} {num_examples / s[-1]:.0f} img/s" for v, s in seconds.items()),
            flush=True,
        )

    results = {
        "settings": {
            "model": "mlp 784-512-20-512-784 bernoulli",
            "data": "synthetic uint8" if args.synthetic else args.data,
            "num_examples": num_examples,
            "batch_size": args.batch_size,
            "steps_per_execution": args.steps_per_execution,
            "rounds": args.rounds,
            "epochs_per_round": args.epochs_per_round,
            "warmup_epochs": args.warmup_epochs,
            "jit_compile": bool(vae.jit_compile),
        },
        "variants": {
            variant: common.summarize_times(seconds[variant], num_examples, cpu_seconds[variant])
            for variant in args.variants
        },
        "epoch_seconds": seconds,
        "epoch_cpu_seconds": cpu_seconds,
    }
    for variant in ("tf_data", "tf_data_static", "tf_data_elementwise"):
        if variant in seconds and "arrays" in seconds:
            results[f"ratio_{variant}_over_arrays"] = {
                **common.ratio_summary(seconds[variant], seconds["arrays"]),
                "cpu_ratio": common.ratio_summary(cpu_seconds[variant], cpu_seconds["arrays"])["ratio"],
            }
    results["target"] = {"ratio_over_arrays": 0.95}
    for variant, summary in results["variants"].items():
        print(f"{variant:>15}: {summary['images_per_second']:.0f} images/s (median of {summary['num_timings']})")
    for key in [f"ratio_{variant}_over_arrays" for variant in VARIANTS]:
        if key in results:
            print(f"{key}: {results[key]['ratio']:.3f} (CPU-time ratio {results[key]['cpu_ratio']:.3f})")
    common.write_results(args.name, results, args.out)
    return results


if __name__ == "__main__":
    main()
