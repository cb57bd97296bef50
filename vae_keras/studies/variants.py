"""Training a set of variants of one configuration, over seeds, and evaluating each the same way.

``train_variants`` trains (or resumes) every variant of a ``base_config`` once
per seed, evaluates it (``evaluate_variant``, kept in the run folder) and
averages the seeds into one table row; ``seeds_for`` names the seeds, and
``mean_sd`` and ``claims_gap`` put per-seed values into words.
``BatchLossRecorder`` records every batch's loss and ``count_spikes`` reads them.
"""

import contextlib
import io
import json
import math
import sys
import time
from pathlib import Path

import keras
import numpy as np

from vae_keras import config as config_lib
from vae_keras import evaluate, fingerprint, io_utils, preprocessing, train
from vae_keras.studies.page import Table, progress
from vae_keras.writeup import claims as claims_lib


class Variant:
    """One trained variant: its config, model, data and evaluation row, over one or more seeds.

    ``row`` holds the mean over the seeds that completed (and the spread, as
    ``<metric>_sd``, when there are several); ``seed_rows`` holds one row per
    seed; ``vae``, ``prepared`` and ``state`` belong to the first seed that
    completed (``None`` when none did).
    """

    def __init__(self, name, config, vae, prepared, state, row, seed_rows=None):
        self.name = name
        self.config = config
        self.vae = vae
        self.prepared = prepared
        self.state = state
        self.row = row
        self.seed_rows = seed_rows if seed_rows is not None else [row]

    @property
    def history(self):
        return self.state["history"] if self.state else []

    def curve(self, metric):
        """Per-epoch values of ``metric`` (e.g. ``"val_nelbo"``) from the run's history."""
        return np.asarray([row.get(metric, np.nan) for row in self.history], dtype="float64")

    def values(self, metric):
        """Per-seed values of ``metric`` over the seeds that completed, e.g. for ``claims.compare``."""
        return [row[metric] for row in self.seed_rows if row.get("status") == "completed"]

    def test_inputs(self, max_examples=0, seed=0):
        images = self.prepared.test[0][: max_examples or None]
        return self.prepared.model_inputs(images, seed=seed)


def base_config(**settings):
    """An ``ExperimentConfig`` from notebook parameters (validated, clear errors).

    Study runs checkpoint at most once a minute (and always at the end) and
    write no TensorBoard logs unless the settings ask for them: a study trains
    many small models, for which both cost more than the training itself.
    """
    settings = {"checkpoint_seconds": 60.0, "tensorboard": False, **settings}
    return config_lib.ExperimentConfig.from_dict(settings)


def evaluate_variant(vae, prepared, num_samples, max_examples=0, seed=0):
    """Test-set ELBO, importance-weighted log p(x) and bits/dim of a trained model.

    ``max_examples`` > 0 evaluates a random subset of that many test images,
    drawn with ``seed`` (``evaluate.random_subset``); 0 evaluates them all.

    Returns:
        A dict of plain floats (see ``evaluate.summarize``), plus the pixel-space
        reconstruction mean squared error, comparable across input spaces.
    """
    images, labels = prepared.test
    subset = evaluate.random_subset(len(images), max_examples, seed)
    if subset is not None:  # a seeded random sample: the first test images are not one
        images = images[subset]
        labels = None if labels is None else labels[subset]
    x = prepared.model_inputs(images, seed=seed)
    labels = labels if prepared.config.conditional else None
    results = evaluate.log_likelihood(vae, x, num_samples=num_samples, seed=seed, verbose=0, labels=labels)
    defined, num_bins, _ = evaluate.bits_per_dim_protocol(prepared.config)
    summary = evaluate.summarize(results, num_dims=math.prod(vae.input_shape_), num_bins=num_bins, bits_defined=defined)
    reconstructed = vae.reconstruct(x, labels=labels) if labels is not None else vae.reconstruct(x)
    pixels = preprocessing.to_unit_interval(images)
    summary["pixel_mse"] = float(np.mean((prepared.to_images(reconstructed) - pixels) ** 2))
    summary["mean_image_mse"] = mean_image_mse(prepared.train[0], images)
    return summary


def mean_image_mse(train_images, test_images):
    """Pixel MSE of the trivial model that draws every test image as the average training image.

    The baseline a model must beat to count as having learned (see ``claims.stats.learned_problem``).
    """
    average = preprocessing.to_unit_interval(train_images).mean(axis=0)
    return float(np.mean((preprocessing.to_unit_interval(test_images) - average) ** 2))


class BatchLossRecorder(keras.callbacks.Callback):
    """Records the loss of every training batch into ``RUN_DIR/batch_losses.npy``.

    Keras reports, after each batch, the running mean of the epoch so far;
    with ``steps_per_execution=1`` the loss of batch ``b`` is recovered
    exactly as ``b * mean_b - (b - 1) * mean_(b-1)``. The file is rewritten
    atomically after every epoch, so it survives a resumed run.

    Args:
        path: the ``.npy`` file to write (and to continue, if it exists when training begins: by then a
            run folder of another training has been moved aside with its file).
    """

    def __init__(self, path):
        super().__init__()
        self.path = Path(path)
        self.losses = []
        self._previous_mean = 0.0

    def on_train_begin(self, logs=None):
        self.losses = list(np.load(self.path)) if self.path.exists() else []

    def on_epoch_begin(self, epoch, logs=None):
        self._previous_mean = 0.0

    def on_train_batch_end(self, batch, logs=None):
        mean = float((logs or {}).get("loss", np.nan))
        self.losses.append((batch + 1) * mean - batch * self._previous_mean)
        self._previous_mean = mean

    def on_epoch_end(self, epoch, logs=None):
        buffer = io.BytesIO()
        np.save(buffer, np.asarray(self.losses, dtype="float64"))
        io_utils.atomic_write_bytes(self.path, buffer.getvalue())


def count_spikes(losses, factor=10.0):
    """Counts steps whose loss jumps up by more than ``factor`` times the median step-to-step change.

    Args:
        losses: per-batch losses in training order.
        factor: how many typical changes count as a spike.

    Returns:
        The number of spikes (an ``int``).
    """
    steps = np.diff(np.asarray(losses, dtype="float64"))
    steps = steps[np.isfinite(steps)]
    if steps.size == 0:
        return 0
    typical = np.median(np.abs(steps)) or 1e-12
    return int(np.sum(steps > factor * typical))


#: Metrics averaged over seeds in a study table.
SEED_METRICS = (
    "test_elbo", "test_log_px", "bits_per_dim", "test_kl", "pixel_mse", "mean_image_mse", "seconds_per_epoch"
)  # fmt: skip


def train_variants(
    base,
    variants,
    output,
    num_samples=100,
    eval_examples=0,
    allow_divergence=True,
    record_batches=False,
    seeds=None,
):
    """Trains and evaluates each variant of ``base``, once per seed; resumes finished or partial runs.

    Training logs go to stderr (the terminal, not the report); one line per
    run says how it ended.

    Args:
        base: an ``ExperimentConfig``.
        variants: ``{name: {setting: value}}`` changes applied to ``base``.
        output: the notebook's ``Output``.
        num_samples: k of the importance-weighted log p(x).
        eval_examples: test examples evaluated (0: all).
        allow_divergence: record a diverged variant in the table instead of
            stopping the notebook (used to show unstable settings safely).
        record_batches: record every batch's loss (see ``BatchLossRecorder``);
            set ``steps_per_execution=1`` for exact per-batch values.
        seeds: seeds to train each variant with (default: ``base.seed`` only).
            The first seed's run folder is ``runs/<notebook>/<variant>``, the
            others' ``<variant> seed=<s>``.

    Returns:
        ``(variants, table)``: a dict of ``Variant`` and a ``Table`` of results
        (means over seeds, with ``<metric>_sd`` columns when there are several).
    """
    seeds = [int(s) for s in (seeds or [base.seed])]
    if len(set(seeds)) != len(seeds):
        raise ValueError(f"Seeds must differ. Received: seeds={seeds}")
    trained, rows = {}, []
    for name, changes in variants.items():
        seed_rows, first = [], None
        for seed in seeds:
            run_name = name if seed == seeds[0] else f"{name} seed={seed}"
            config = base.replace(**{**changes, "seed": seed})
            result = _train_one(config, output, run_name, num_samples, eval_examples, allow_divergence, record_batches)
            seed_rows.append({"seed": seed, **result["row"]})
            if first is None and result["vae"] is not None:
                first = result
        row = _aggregate(name, seed_rows)
        vae, prepared, state = (first["vae"], first["prepared"], first["state"]) if first else (None, None, None)
        if state is None:  # every seed diverged: keep the first one's state for its curves
            state = train.read_state(output.run_dir(name))
        config = base.replace(**{**changes, "seed": seeds[0]})
        trained[name] = Variant(name, config, vae, prepared, state, row, seed_rows)
        rows.append(row)
    return trained, Table(rows)


def _train_one(config, output, run_name, num_samples, eval_examples, allow_divergence, record_batches):
    start = time.time()
    callbacks = [BatchLossRecorder(output.run_dir(run_name) / "batch_losses.npy")] if record_batches else None
    try:
        with contextlib.redirect_stdout(sys.stderr):
            vae, prepared, state = train.train(
                config, output.run_dir(run_name), verbose=0, callbacks=callbacks, figures=False
            )
    except train.TrainingDivergedError as error:
        if not allow_divergence:
            raise
        state = train.read_state(output.run_dir(run_name))
        progress(f"[{output.notebook}] {run_name}: diverged after {state['epoch']} epochs: {error}")
        row = {"status": "diverged", "epochs": state["epoch"], "error": str(error)}
        return {"vae": None, "prepared": None, "state": state, "row": row}
    metrics = _cached_evaluation(vae, prepared, state, output.run_dir(run_name), num_samples, eval_examples)
    epoch_seconds = [r["seconds"] for r in state["history"][1:] if "seconds" in r]
    row = {
        "status": "completed",
        "epochs": state["epoch"],
        "examples_seen": state["epoch"] * len(prepared.train[0]),
        "parameters": int(vae.count_params()),
        "seconds_per_epoch": float(np.median(epoch_seconds)) if epoch_seconds else None,
        "test_elbo": metrics["elbo"],
        "test_log_px": metrics["log_px"],
        "bits_per_dim": metrics["bits_per_dim"],
        "test_kl": metrics["kl"],
        "pixel_mse": metrics["pixel_mse"],
        "mean_image_mse": metrics["mean_image_mse"],
        "wall_seconds": round(time.time() - start, 1),
    }
    progress(
        f"[{output.notebook}] {run_name}: {row['epochs']} epochs, test ELBO {row['test_elbo']:.2f}, "
        f"KL {row['test_kl']:.2f} ({row['wall_seconds']:.0f} s)"
    )
    return {"vae": vae, "prepared": prepared, "state": state, "row": row}


def _cached_evaluation(vae, prepared, state, run_dir, num_samples, eval_examples):
    """``evaluate_variant``, kept in the run folder: a rerun notebook does not evaluate a model twice.

    The file names the estimator's k and the number of test images (``random`` for a seeded random
    subset). It is used only for the checkpoint (epoch) it was computed on, and only while its
    fingerprint matches (``fingerprint.evaluation_fingerprint``: the run's training and the evaluation
    code); otherwise the model is evaluated again, after a line on stderr saying why.
    """
    images = f"random{eval_examples}" if eval_examples and eval_examples < len(prepared.test[0]) else "all"
    path = Path(run_dir) / f"study-evaluation-k{num_samples}-n{images}.json"
    current = fingerprint.evaluation_fingerprint(run_dir)
    try:
        cached = json.loads(path.read_text())
        stale = fingerprint.evaluation_differences(cached.get("fingerprint"), current)
        if cached.get("epoch") == state["epoch"] and not stale:
            return cached["metrics"]
        if cached.get("epoch") == state["epoch"]:
            print(f"{path.name}: evaluated with another {' and '.join(stale)}; evaluating again.", file=sys.stderr)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    with contextlib.redirect_stdout(sys.stderr):
        metrics = evaluate_variant(vae, prepared, num_samples, max_examples=eval_examples)
    record = {"epoch": state["epoch"], "fingerprint": current, "metrics": metrics}
    io_utils.atomic_write_text(path, json.dumps(record, allow_nan=True))
    return metrics


def _aggregate(name, seed_rows):
    """One table row for a variant: means over the completed seeds, and their spread."""
    done = [r for r in seed_rows if r["status"] == "completed"]
    row = {"variant": name}
    if len(done) == len(seed_rows):
        row["status"] = "completed"
    elif done:
        row["status"] = f"diverged ({len(seed_rows) - len(done)} of {len(seed_rows)} seeds)"
    else:
        row["status"] = "diverged"
        row["error"] = seed_rows[0].get("error")
    row["epochs"] = max(r["epochs"] for r in seed_rows)
    if len(seed_rows) > 1:
        row["seeds"] = len(done)
    if not done:
        return row
    row["examples_seen"] = done[0]["examples_seen"]
    row["parameters"] = done[0]["parameters"]
    for metric in SEED_METRICS:
        values = [r[metric] for r in done if r.get(metric) is not None]
        row[metric] = float(np.mean(values)) if values else None
        if len(seed_rows) > 1 and len(values) > 1:
            row[f"{metric}_sd"] = float(np.std(values, ddof=1))
    return row


def seeds_for(seed, num_seeds):
    """The seeds of a study: ``seed, seed + 1, ...`` (``num_seeds`` of them, at least one)."""
    if num_seeds < 1:
        raise ValueError(f"num_seeds must be at least 1. Received: num_seeds={num_seeds}")
    return [seed + i for i in range(num_seeds)]


def mean_sd(values, spec=".4g"):
    """``"mean ± sd"`` of per-seed values (just the value for one seed)."""
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    if len(values) == 1:
        return format(values[0], spec)
    return f"{format(float(np.mean(values)), spec)} ± {format(float(np.std(values, ddof=1)), spec)}"


def claims_gap(a, b, name_a="the first", name_b="the second", lower_is_better=True, spec=".2f"):
    """A sentence fragment comparing per-seed values ``a`` with ``b``: the gap and whether it beats the noise."""
    comparison = claims_lib.compare(a, b, lower_is_better=lower_is_better)
    gap = f"gap {format(comparison['gap'], '+' + spec)}"
    if comparison["better"] is None:
        return f"{gap}, with one seed per side, so the spread between seeds is unknown"
    band = f"noise band ±{format(comparison['noise'], spec)}"
    if comparison["better"] == "within noise":
        return f"{gap}, within noise ({band})"
    return f"{gap}, beyond noise ({band}): {name_a if comparison['better'] == 'a' else name_b} is better"
