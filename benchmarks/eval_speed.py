"""Speed and memory of the importance-weighted log p(x) (``vae_keras.evaluate.log_likelihood``).

The default is the full protocol of the MNIST reproduction: k=5000 importance samples for each
of the 10,000 binarised MNIST test images, with the 784-512-20-512-784 Bernoulli VAE. The model
is trained briefly first (``--train-epochs``, default 1 epoch of the MNIST training set): the
speed does not depend on the weights, but a trained model gives a sane log p(x) to print.
Reported: wall seconds of ``log_likelihood`` (target on a 2-core CPU: <= 600 s), the peak RSS
during it and over the whole process, and the mean log p(x).

    .venv/bin/python -m benchmarks.eval_speed                          # 10,000 x 5000
    .venv/bin/python -m benchmarks.eval_speed --num-examples 200 --k 5000
"""

import argparse
import time

from benchmarks import common

common.set_environment_defaults()

DEFAULT_DATA = "npz:/work/shared/data/mnist/mnist.npz"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", default=DEFAULT_DATA, help="dataset for vae_keras.data.load")
    parser.add_argument("--synthetic", action="store_true", help="random images instead of --data (no training)")
    parser.add_argument("--num-examples", type=common.positive_int, default=10000, help="test images evaluated")
    parser.add_argument("--k", type=common.positive_int, default=5000, help="importance samples per image")
    parser.add_argument("--batch-size", type=common.positive_int, default=None, help="default: log_likelihood's")
    parser.add_argument(
        "--max-decoder-values", type=common.positive_int, default=None, help="default: log_likelihood's"
    )
    parser.add_argument("--train-epochs", type=int, default=1, help="epochs of training before timing (0: none)")
    parser.add_argument("--quick", action="store_true", help="smoke check: 20 synthetic images, k=50, tiny model")
    parser.add_argument("--name", default="eval_speed", help="result file name (without .json)")
    common.add_output_argument(parser)
    args = parser.parse_args(argv)
    if args.quick:
        args.synthetic = True
        args.num_examples = min(args.num_examples, 20)
        args.k = min(args.k, 50)
        args.train_epochs = 0
    return args


def main(argv=None):
    args = parse_args(argv)
    import keras
    import numpy as np

    from vae_keras import data, evaluate, models, preprocessing

    if args.synthetic:
        rng = np.random.default_rng(0)
        train_images = rng.integers(0, 256, size=(1000, 28, 28, 1), dtype=np.uint8)
        test_images = rng.integers(0, 256, size=(args.num_examples, 28, 28, 1), dtype=np.uint8)
    else:
        train_images, _ = data.load(args.data, "train")
        test_images, _ = data.load(args.data, "test")
        test_images = test_images[: args.num_examples]
    x = preprocessing.binarize(test_images, seed=0).astype("float32")

    keras.utils.set_random_seed(0)
    hidden_units = (16,) if args.quick else (512,)
    vae = models.build_vae((28, 28, 1), 20, hidden_units=hidden_units, likelihood="bernoulli", seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3), steps_per_execution=10)
    train_seconds = 0.0
    if args.train_epochs > 0:
        start = time.perf_counter()
        if keras.backend.backend() == "tensorflow":
            training_input = data.make_dataset(train_images, 100, binarize=True, seed=0)
        else:
            training_input = data.ArrayDataset(train_images, 100, binarize=True, seed=0)
        vae.fit(training_input, epochs=args.train_epochs, shuffle=False, verbose=0)
        train_seconds = time.perf_counter() - start
        print(f"trained {args.train_epochs} epoch(s) in {train_seconds:.1f} s", flush=True)

    options = {}
    if args.batch_size is not None:
        options["batch_size"] = args.batch_size
    if args.max_decoder_values is not None:
        options["max_decoder_values"] = args.max_decoder_values
    rss_before = common.current_rss_bytes()
    with common.RssSampler() as sampler:
        start, cpu_start = time.perf_counter(), time.process_time()
        out = evaluate.log_likelihood(vae, x, num_samples=args.k, seed=0, verbose=0, **options)
        seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    log_px = float(np.mean(out["log_px"]))
    elbo = float(np.mean(out["elbo"]))
    print(
        f"log_likelihood: {len(x)} images x k={args.k} in {seconds:.1f} s ({cpu_seconds:.1f} CPU s); "
        f"mean log p(x) {log_px:.2f} nats, ELBO {elbo:.2f}; peak RSS during it {sampler.peak / 2**20:.0f} MiB",
        flush=True,
    )
    results = {
        "settings": {
            "model": "mlp 784-512-20-512-784 bernoulli",
            "trained_epochs": args.train_epochs,
            "data": "synthetic uint8" if args.synthetic else f"{args.data} test split, binarised (seed 0)",
            "num_examples": len(x),
            "k": args.k,
            "batch_size": options.get("batch_size", "default"),
            "max_decoder_values": options.get("max_decoder_values", "default"),
        },
        "seconds": seconds,
        "cpu_seconds": cpu_seconds,
        "images_per_second": len(x) / seconds,
        "decoder_rows_per_second": len(x) * args.k / seconds,
        "train_seconds": train_seconds,
        "rss_before_bytes": rss_before,
        "peak_rss_during_bytes": sampler.peak,
        "peak_rss_process_bytes": common.peak_rss_bytes(),
        "mean_log_px": log_px,
        "mean_elbo": elbo,
        "target": {"seconds_for_10000_x_5000": 600},
    }
    if not np.isfinite(log_px):
        raise SystemExit(f"log p(x) is not finite ({log_px}); the timing is not trustworthy.")
    common.write_results(args.name, results, args.out)
    return results


if __name__ == "__main__":
    main()
