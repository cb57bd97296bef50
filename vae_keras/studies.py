"""Study helpers: what the notebooks call, so that a cell stays a few lines.

A study trains several variants of one base configuration, evaluates them
the same way, and shows tables and figures. Everything a notebook produces
goes into its output folder ``OUT_DIR``::

    OUT_DIR/runs/<notebook>/<variant>/   one run folder per variant (resumable)
    OUT_DIR/figures/<notebook>__<name>.png
    OUT_DIR/results/<notebook>.json      the numbers the notebook reports

``vae-keras run`` merges the per-notebook results into ``OUT_DIR/results.json``.
"""

import contextlib
import html
import io
import json
import logging
import math
import platform
import sys
import time
from pathlib import Path

import keras
import numpy as np

from vae_keras import claims as claims_lib
from vae_keras import config as config_lib
from vae_keras import evaluate, io_utils, plots, preprocessing, train

# --------------------------------------------------------------------------
# Set-up and output
# --------------------------------------------------------------------------


def setup(seed=0):
    """Seeds every generator and prints the versions a result depends on.

    Returns:
        A dict of versions (recorded in the notebook's results).
    """
    keras.utils.set_random_seed(seed)
    # Studies call predict() on many small models; TensorFlow then warns about
    # "retracing" on every call, which buries the notebook's own output.
    logging.getLogger("tensorflow").setLevel(logging.ERROR)
    versions = {
        "python": platform.python_version(),
        "keras": keras.__version__,
        "backend": keras.backend.backend(),
        "numpy": np.__version__,
    }
    if versions["backend"] == "tensorflow":
        import tensorflow as tf

        versions["tensorflow"] = tf.__version__
        versions["devices"] = [d.device_type for d in tf.config.list_physical_devices()]
    elif versions["backend"] == "jax":
        import jax

        versions["jax"] = jax.__version__
        versions["devices"] = [d.platform for d in jax.devices()]
    print(", ".join(f"{k} {v}" for k, v in versions.items()))
    return versions


class Output:
    """Where one notebook writes: figures, run folders and results; and what it shows the reader.

    Args:
        out_dir: the study's output folder.
        notebook: the notebook's name, e.g. ``"02_fixed_vs_fitted_variance"``.
    """

    def __init__(self, out_dir, notebook):
        self.root = Path(out_dir)
        self.notebook = notebook
        for sub in ("figures", "results", "runs"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        self.results = {}
        self.figures = []
        self.claims = {}
        self.settings_values = {}
        self.banner_values = {}
        self.headline_figure = None
        self.non_finite = []
        self.stand_in = None

    def run_dir(self, variant):
        return self.root / "runs" / self.notebook / variant

    def show(self, figure, name, headline=False):
        """Saves ``figure`` as ``figures/<notebook>__<name>.png`` and displays it inline.

        Args:
            figure: a matplotlib figure.
            name: short file name.
            headline: this is the study's headline figure (shown on the report's index).

        The path is appended to ``self.figures`` (nothing is returned, so a
        notebook cell ending with ``output.show(...)`` shows only the figure).
        """
        path = plots.save_figure(figure, self.root, f"{self.notebook}__{name}")
        self.figures.append(path.name)
        if headline or self.headline_figure is None:
            self.headline_figure = path.name
        self._write()
        _display_or_print(_image(path), f"figure: {path.name}")

    def say(self, text):
        """Shows a sentence about this run's outcome, written from its numbers, as Markdown."""
        _display_or_print(_markdown(text), text)

    def banner(self, dataset, profile, budget, written_for=None):
        """Shows and records the page header: which data, which profile, what budget.

        Args:
            dataset: the dataset the notebook ran on.
            profile: the parameter profile (``full`` for the notebook's defaults).
            budget: the training budget in words, e.g. ``"10 epochs of 1,437 images, 3 seeds"``.
            written_for: the dataset the study's claims are about (e.g. ``"svhn"``). When the run
                used another, the banner says so and every verdict's reason says where it was decided.
        """
        self.banner_values = {"dataset": dataset, "profile": profile, "budget": budget}
        base = dataset.split(":", 1)[0]
        self.stand_in = None
        if written_for and base != written_for:
            self.stand_in = (dataset_label(dataset), written_for)
            self.banner_values["stand_in_for"] = written_for
        self._write()
        note = ""
        if self.stand_in:
            note += (
                f" <strong>{html.escape(self.stand_in[0])} stands in for {written_for.upper()} here:</strong> the "
                f"write-up's claims are about {written_for.upper()}; the verdicts below are decided on "
                f"{html.escape(self.stand_in[0])}, and {written_for.upper()} is pending."
            )
        if profile in SMALL_PROFILES:
            note += (
                f" The <code>{html.escape(profile)}</code> profile trains for minutes, not hours: expect most "
                "verdicts to be <em>inconclusive</em>, each with its reason."
            )
        text = (
            f'<div class="run-banner" style="border:1px solid #d0d7de;background:#f6f8fa;padding:0.5rem 0.9rem;'
            f'margin:0.5rem 0"><strong>This run:</strong> dataset <code>{html.escape(dataset_label(dataset))}'
            f"</code> &middot; profile <code>{html.escape(profile)}</code> &middot; {html.escape(budget)}.{note}</div>"
        )
        _display_or_print(_html(text), f"dataset {dataset}, profile {profile}, {budget}")

    def settings(self, **values):
        """Shows the run's settings as a small table and records them."""
        self.settings_values.update(_plain(values))
        self._write()
        rows = [{"setting": key, "value": _setting_text(value)} for key, value in values.items()]
        return Table(rows, columns=["setting", "value"])

    def decide(self, claim_id, **evidence):
        """Decides one claim of the write-ups from this run's evidence and records the verdict.

        Returns:
            A ``claims.Verdict`` (rendered as a verdict box when shown).
        """
        verdict = claims_lib.judge(claim_id, **evidence)
        if getattr(self, "stand_in", None):
            dataset, written_for = self.stand_in
            verdict = claims_lib.Verdict(
                verdict.claim_id,
                verdict.verdict,
                f"{verdict.reason} (decided on {dataset}; {written_for.upper()} pending)",
                verdict.evidence,
            )
        if verdict.claim.notebook != self.notebook:
            raise ValueError(
                f"Claim {claim_id!r} belongs to notebook {verdict.claim.notebook!r}. Received: it was decided in "
                f"{self.notebook!r}"
            )
        self.claims[claim_id] = verdict.to_dict()
        self._write()
        return verdict

    def undecided(self, claim_id, reason):
        """Records a claim this run cannot decide at all (e.g. only one batch size was run), with the reason.

        Returns:
            An ``inconclusive`` ``claims.Verdict``.
        """
        verdict = claims_lib.not_run(claim_id, reason)
        self.claims[claim_id] = verdict.to_dict()
        self._write()
        return verdict

    def verdicts(self, *verdicts):
        """Shows verdicts in one box (the end of the section that decides them)."""
        _display_or_print(_html(claims_lib.verdict_box(verdicts)), "\n".join(str(v) for v in verdicts))

    def claim_lines(self):
        """One Markdown bullet per claim this notebook decided: statement, verdict and reason (for conclusions)."""
        return [
            f"* *{claim['statement']}* **{claim['verdict']}**: {claim['reason']}." for claim in self.claims.values()
        ]

    def show_samples_and_reconstructions(self, variants, num_images=10, seed=0):
        """Shows one row of samples per variant, then test images and each variant's reconstructions."""
        samples, names = samples_by_variant(variants, num_samples=num_images, seed=seed)
        self.show(
            plots.image_grid(samples, num_columns=num_images, row_labels=names, title="Samples (means of p(x|z))"),
            "samples",
        )
        recons, names = reconstructions_by_variant(variants, num_images=num_images, seed=seed)
        self.show(
            plots.image_grid(
                recons, num_columns=num_images, row_labels=names, title="Test images, then reconstructions"
            ),
            "reconstructions",
        )

    def record(self, **values):
        """Adds numbers to the notebook's results and writes ``results/<notebook>.json``.

        A NaN or infinite number is written as ``null`` and its path listed under
        ``non_finite`` in the file, where the results check finds it.
        """
        found = []
        self.results.update(_plain(values, non_finite=found))
        self.non_finite = sorted(set(self.non_finite) | set(found))
        self._write()
        return self.results

    def _write(self):
        io_utils.atomic_write_json(
            self.root / "results" / f"{self.notebook}.json",
            {
                "notebook": self.notebook,
                "metrics": self.results,
                "figures": self.figures,
                "headline_figure": self.headline_figure,
                "claims": list(self.claims.values()),
                "settings": self.settings_values,
                "banner": self.banner_values,
                "non_finite": self.non_finite,
            },
            sort_keys=False,  # the notebook's own order: headline numbers first
        )


#: Profiles whose budgets are too small for most claims.
SMALL_PROFILES = ("smoke", "demo", "quick")


def dataset_label(dataset):
    """``npz:/a/b/mnist.npz`` -> ``npz:mnist.npz``: no absolute paths on a page."""
    if dataset.startswith("npz:"):
        return "npz:" + Path(dataset[4:]).name
    return dataset


def _setting_text(value):
    if isinstance(value, (list, tuple)):
        return ", ".join(_setting_text(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, str):
        return dataset_label(value)
    return str(value)


def _display_or_print(obj, fallback):
    try:
        from IPython import get_ipython
        from IPython.display import display

        if get_ipython() is not None:
            display(obj)
            return
    except ImportError:
        pass
    print(fallback)


def _image(path):
    from IPython.display import Image

    return Image(filename=str(path))


def _markdown(text):
    from IPython.display import Markdown

    return Markdown(text)


def _html(text):
    from IPython.display import HTML

    return HTML(text)


def progress(message):
    """One line of progress for the terminal (stderr: the report leaves it out)."""
    print(message, file=sys.stderr, flush=True)


def _plain(value, path="", non_finite=None):
    """NumPy scalars and arrays to JSON-ready Python values.

    NaN and infinities become ``None`` (results files are strict JSON), and
    their paths are appended to ``non_finite`` so that they are never hidden:
    ``Output.record`` lists them under ``non_finite`` and the results test fails
    on any.
    """
    if isinstance(value, dict):
        return {str(k): _plain(v, f"{path}.{k}" if path else str(k), non_finite) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v, f"{path}[{i}]", non_finite) for i, v in enumerate(value)]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist(), path, non_finite)
    if isinstance(value, (np.floating, float)):
        value = float(value)
        if math.isfinite(value):
            return value
        if non_finite is not None:
            non_finite.append(path)
        return None
    if isinstance(value, np.integer):
        return int(value)
    return value


# --------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------


def fmt(value, spec=".4g"):
    """Formats a number for prose; ``None`` (an undefined metric) becomes ``"n/a"``."""
    if value is None:
        return "n/a"
    return format(value, spec)


class Table:
    """Rows of results that render as an HTML table in notebooks and reports.

    Args:
        rows: a list of dicts.
        columns: the keys to show, in order (default: all, in first-seen order).
        title: optional caption.
    """

    def __init__(self, rows, columns=None, title=None):
        self.rows = [dict(row) for row in rows]
        if columns is None:
            columns = []
            for row in self.rows:
                columns += [key for key in row if key not in columns]
        self.columns = list(columns)
        self.title = title

    @staticmethod
    def _format(value):
        if value is None:
            return "n/a"
        if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
            return f"{value:,}"
        if isinstance(value, (float, np.floating)):
            if not math.isfinite(value):
                return str(value)
            return f"{value:.4g}" if abs(value) < 1e4 else f"{value:.1f}"
        return str(value)

    def _repr_html_(self):
        head = "".join(f"<th>{html.escape(c)}</th>" for c in self.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(self._format(row.get(c)))}</td>" for c in self.columns) + "</tr>"
            for row in self.rows
        )
        caption = f"<caption>{html.escape(self.title)}</caption>" if self.title else ""
        return f'<table class="vae-table">{caption}<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'

    def __repr__(self):
        widths = [max(len(c), *(len(self._format(r.get(c))) for r in self.rows)) for c in self.columns]
        lines = ["  ".join(c.ljust(w) for c, w in zip(self.columns, widths))]
        lines += ["  ".join(self._format(r.get(c)).ljust(w) for c, w in zip(self.columns, widths)) for r in self.rows]
        return "\n".join(([self.title] if self.title else []) + lines)


# --------------------------------------------------------------------------
# Variants
# --------------------------------------------------------------------------


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

    Returns:
        A dict of plain floats (see ``evaluate.summarize``), plus the pixel-space
        reconstruction mean squared error, comparable across input spaces.
    """
    images = prepared.test[0][: max_examples or None]
    x = prepared.model_inputs(images, seed=seed)
    labels = prepared.test[1][: len(images)] if prepared.config.conditional else None
    results = evaluate.log_likelihood(vae, x, num_samples=num_samples, seed=seed, verbose=0, labels=labels)
    defined, num_bins, _ = evaluate.bits_per_dim_protocol(prepared.config)
    summary = evaluate.summarize(results, num_dims=math.prod(vae.input_shape_), num_bins=num_bins, bits_defined=defined)
    reconstructed = vae.reconstruct(x, labels=labels) if labels is not None else vae.reconstruct(x)
    pixels = preprocessing.to_unit_interval(images)
    summary["pixel_mse"] = float(np.mean((prepared.to_images(reconstructed) - pixels) ** 2))
    return summary


class BatchLossRecorder(keras.callbacks.Callback):
    """Records the loss of every training batch into ``RUN_DIR/batch_losses.npy``.

    Keras reports, after each batch, the running mean of the epoch so far;
    with ``steps_per_execution=1`` the loss of batch ``b`` is recovered
    exactly as ``b * mean_b - (b - 1) * mean_(b-1)``. The file is rewritten
    atomically after every epoch, so it survives a resumed run.

    Args:
        path: the ``.npy`` file to write (and to continue, if it exists).
    """

    def __init__(self, path):
        super().__init__()
        self.path = Path(path)
        self.losses = list(np.load(self.path)) if self.path.exists() else []
        self._previous_mean = 0.0

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


#: Metrics averaged over seeds in a study table.
SEED_METRICS = ("test_elbo", "test_log_px", "bits_per_dim", "test_kl", "pixel_mse", "seconds_per_epoch")


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
        "wall_seconds": round(time.time() - start, 1),
    }
    progress(
        f"[{output.notebook}] {run_name}: {row['epochs']} epochs, test ELBO {row['test_elbo']:.2f}, "
        f"KL {row['test_kl']:.2f} ({row['wall_seconds']:.0f} s)"
    )
    return {"vae": vae, "prepared": prepared, "state": state, "row": row}


def _cached_evaluation(vae, prepared, state, run_dir, num_samples, eval_examples):
    """``evaluate_variant``, kept in the run folder: a rerun notebook does not evaluate a model twice.

    The file names the estimator's k and the number of test images; it is used only
    for the checkpoint (epoch) it was computed on.
    """
    path = Path(run_dir) / f"study-evaluation-k{num_samples}-n{eval_examples or 'all'}.json"
    try:
        cached = json.loads(path.read_text())
        if cached.get("epoch") == state["epoch"]:
            return cached["metrics"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    with contextlib.redirect_stdout(sys.stderr):
        metrics = evaluate_variant(vae, prepared, num_samples, max_examples=eval_examples)
    io_utils.atomic_write_text(path, json.dumps({"epoch": state["epoch"], "metrics": metrics}, allow_nan=True))
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


# --------------------------------------------------------------------------
# Analysis helpers
# --------------------------------------------------------------------------


def interpolate(vae, x_start, x_end, num_steps=10):
    """Decodes the straight line between the posterior means of two inputs.

    Returns:
        Model-space decodes, shape ``(num_steps, *input_shape)``.
    """
    means, _ = vae.encode(np.stack([x_start, x_end]))
    weights = np.linspace(0.0, 1.0, num_steps)[:, None]
    return vae.decode((1 - weights) * means[0] + weights * means[1])


def diverse_decodes(vae, x, num_draws=200, keep=10, seed=0):
    """The write-up's "analogies": many decodes of one input, keeping the most different.

    Draws ``num_draws`` codes z ~ q(z|x), decodes them, and keeps ``keep``
    decodes chosen greedily to be far apart (farthest-point selection,
    starting from the decode of the posterior mean).

    Returns:
        Model-space decodes, shape ``(keep, *input_shape)``; the first is the mean's decode.
    """
    if keep < 1 or num_draws < keep:
        raise ValueError(f"Need 1 <= keep <= num_draws. Received: keep={keep}, num_draws={num_draws}")
    mean, log_var = vae.encode(x[None])
    rng = np.random.default_rng(seed)
    z = mean + np.exp(0.5 * log_var) * rng.standard_normal((num_draws, mean.shape[1]))
    z = np.concatenate([mean, z]).astype("float32")
    decodes = vae.decode(z)
    flat = decodes.reshape(len(decodes), -1)
    chosen = [0]
    distance = np.linalg.norm(flat - flat[0], axis=1)
    while len(chosen) < keep:
        nxt = int(np.argmax(distance))
        chosen.append(nxt)
        distance = np.minimum(distance, np.linalg.norm(flat - flat[nxt], axis=1))
    return decodes[chosen]


def decode_as_every_label(conditional_vae, x):
    """Encodes each input's style and decodes it as every label.

    Args:
        conditional_vae: a trained ``ConditionalVAE``.
        x: model inputs, ``(n, *input_shape)``.

    Returns:
        Model-space decodes, ``(n * num_classes, *input_shape)``, row-major:
        row i holds input i drawn as labels 0, 1, ..., num_classes - 1.
    """
    mean, _ = conditional_vae.encode(x)
    num_classes = conditional_vae.num_classes
    z = np.repeat(mean, num_classes, axis=0)
    labels = np.tile(np.arange(num_classes), len(x))
    return conditional_vae.decode(z, labels=labels)


def prepend_column(first, rows):
    """Puts ``first[i]`` before row ``i`` of ``rows`` for an image grid.

    Args:
        first: ``(n, H, W, C)`` images, e.g. the inputs.
        rows: ``(n * m, H, W, C)`` images, row-major, ``m`` per input.

    Returns:
        ``(n * (m + 1), H, W, C)`` images: each input followed by its row.
    """
    first, rows = np.asarray(first), np.asarray(rows)
    per_row = len(rows) // len(first)
    grid = np.concatenate([first[:, None], rows.reshape((len(first), per_row) + first.shape[1:])], axis=1)
    return grid.reshape((-1,) + first.shape[1:])


def latent_grid(num_points=15, spacing="inverse_cdf", limit=5.0):
    """Coordinates along each axis of a 2-D latent manifold.

    Args:
        num_points: points per axis.
        spacing: ``"inverse_cdf"`` places points at equal probability steps of
            N(0, 1) (Kingma & Welling's figure: quantiles 1/(n+1) ... n/(n+1));
            ``"linear"`` spaces them evenly in ``[-limit, limit]``.
        limit: half-width of the linear grid.

    Returns:
        A ``(num_points,)`` array.
    """
    if spacing == "inverse_cdf":
        from scipy.stats import norm

        return norm.ppf(np.linspace(1, num_points, num_points) / (num_points + 1))
    if spacing == "linear":
        return np.linspace(-limit, limit, num_points)
    raise ValueError(f"Unknown spacing. Received: spacing={spacing!r}. Accepted: inverse_cdf, linear")


def decode_manifold(vae, grid_values):
    """Decodes the 2-D grid ``grid_values x grid_values`` of a 2-D latent space.

    Returns:
        Model-space decodes ``(n * n, *input_shape)``, rows with z[1] decreasing.
    """
    if vae.latent_dim != 2:
        raise ValueError(f"A manifold plot needs latent_dim=2. Received: latent_dim={vae.latent_dim}")
    z0, z1 = np.meshgrid(grid_values, grid_values[::-1])
    return vae.decode(np.stack([z0.ravel(), z1.ravel()], axis=1).astype("float32"))


def find_distractor_crops(images, count=20, border=None):
    """Crops whose side borders are busiest: candidates that show neighbouring digits.

    SVHN's cropped digits keep the neighbouring digits of a house number at
    the left and right edges. This heuristic ranks crops by the variance of
    the outer ``border`` columns (default: a fifth of the width) relative to
    the centre's.

    Returns:
        Indices of the ``count`` highest-ranked crops.
    """
    gray = preprocessing.to_unit_interval(images).mean(axis=-1)
    border = border or max(1, gray.shape[2] // 5)
    sides = np.concatenate([gray[:, :, :border], gray[:, :, -border:]], axis=2)
    centre = gray[:, :, border:-border]
    score = sides.std(axis=(1, 2)) / (centre.std(axis=(1, 2)) + 1e-3)
    return np.argsort(score)[::-1][:count]


# --------------------------------------------------------------------------
# Data exploration (notebook 01)
# --------------------------------------------------------------------------


def seed_everything(seed):
    """Seeds Python, NumPy and the Keras backend."""
    keras.utils.set_random_seed(seed)


def load_splits(dataset, splits=("train", "test", "extra")):
    """Loads the named splits that exist for ``dataset``; others are skipped with a note.

    Returns:
        ``{split: (images, labels)}``.
    """
    from vae_keras import data

    base = "npz" if dataset.startswith("npz:") else dataset
    if base not in data.SPLITS:
        data.load(dataset, splits[0])  # raises the clear "unknown dataset" error
    available = data.SPLITS[base]
    loaded = {}
    for split in splits:
        if split not in available:
            print(f"{dataset!r} has no {split!r} split; skipped.")
            continue
        loaded[split] = data.load(dataset, split)
    return loaded


def split_table(splits):
    """A ``Table`` of sizes, shapes and pixel statistics per split."""
    rows = []
    for name, (images, labels) in splits.items():
        pixels = preprocessing.to_unit_interval(images[:5000])
        rows.append(
            {
                "split": name,
                "images": len(images),
                "shape": "x".join(map(str, images.shape[1:])),
                "labels": f"{int(labels.min())}..{int(labels.max())}",
                "pixel_mean": float(pixels.mean()),
                "pixel_std": float(pixels.std()),
            }
        )
    return Table(rows)


def examples_per_class(labels, per_class=8, num_classes=10, seed=0):
    """Indices of ``per_class`` random examples of each label, label-major."""
    rng = np.random.default_rng(seed)
    chosen = []
    for label in range(num_classes):
        candidates = np.flatnonzero(labels == label)
        chosen += list(rng.choice(candidates, size=min(per_class, len(candidates)), replace=False))
    return np.asarray(chosen)


def usable_components(images, requested, max_examples=2000):
    """The number of PCA components to keep: ``requested``, capped by the data's rank.

    Images with pixels that never vary (the blank corners of the 8x8 digits)
    span fewer directions than they have pixels; PCA cannot keep more
    components than that. Prints a note when it lowers the request.

    Returns:
        An ``int`` between 1 and ``requested``.
    """
    flat = preprocessing.to_unit_interval(images[:max_examples]).reshape(min(len(images), max_examples), -1)
    rank = int(np.linalg.matrix_rank(flat - flat.mean(axis=0)))
    chosen = max(1, min(int(requested), rank))
    if chosen < requested:
        print(f"pca_components lowered from {requested} to {chosen}: the images span only {rank} directions.")
    return chosen


def total_variance(images):
    """Sum of per-pixel variances of images scaled to [0, 1]: the variance PCA splits up."""
    flat = preprocessing.to_unit_interval(images).reshape(len(images), -1)
    return float(flat.var(axis=0, ddof=1).sum())


def pca_reconstructions(images, component_counts, seed=0, fit_images=None):
    """Images reconstructed from their first k principal components, for several k.

    Returns:
        ``(grid, mse)``: images row-major (the originals first, then one row
        per k) and ``{k: mean squared error}``.
    """
    fit_images = images if fit_images is None else fit_images
    rows, errors = [preprocessing.to_unit_interval(images)], {}
    pixels = rows[0]
    for k in component_counts:
        pca = preprocessing.PCA(int(k), whiten=False, seed=seed).fit(fit_images)
        reconstructed = pca.inverse_transform(pca.transform(images))
        rows.append(reconstructed)
        errors[int(k)] = float(np.mean((reconstructed - pixels) ** 2))
    return np.concatenate(rows), errors


def whitening_noise(pca_whitened, images, noise_std=0.3, seed=0):
    """What equal-sized errors on every whitened component look like in pixels.

    Adds N(0, noise_std^2) to each whitened component and maps back: errors
    along low-variance components (fine detail and noise) are scaled up by
    ``sqrt(variance)`` of each component, so they barely show, while a model
    fitted in whitened space spends as much effort on them as on the strokes.

    Returns:
        ``(clean, noisy)`` images.
    """
    features = pca_whitened.transform(images)
    noisy = features + np.random.default_rng(seed).normal(scale=noise_std, size=features.shape)
    return pca_whitened.inverse_transform(features), pca_whitened.inverse_transform(noisy.astype("float32"))


# --------------------------------------------------------------------------
# Figures from trained variants (notebooks 02-05)
# --------------------------------------------------------------------------


def samples_by_variant(variants, num_samples=10, seed=0):
    """Pixel-space samples of each completed variant, one row per variant.

    Returns:
        ``(images, names)``: images row-major and the variant of each row.
    """
    rows, names = [], []
    for name, variant in variants.items():
        if variant.vae is None:
            continue
        rows.append(variant.prepared.to_images(variant.vae.sample(num_samples, seed=seed)))
        names.append(name)
    return np.concatenate(rows), names


def reconstructions_by_variant(variants, num_images=10, seed=0):
    """The first test images, then each completed variant's reconstructions of them."""
    rows, names = [], ["original"]
    for name, variant in variants.items():
        if variant.vae is None:
            continue
        images = variant.prepared.test[0][:num_images]
        if not rows:
            rows.append(preprocessing.to_unit_interval(images))
        x = variant.prepared.model_inputs(images, seed=seed)
        rows.append(variant.prepared.to_images(variant.vae.reconstruct(x)))
        names.append(name)
    return np.concatenate(rows), names


def predicted_std(variant, num_images=10, seed=0):
    """Per-pixel standard deviation that a fitted-variance decoder predicts for test images.

    Returns:
        ``(reconstructions, std)`` in model space (pixels for a pixel-space
        variant), ``std`` in the same units as the pixels.
    """
    vae, prepared = variant.vae, variant.prepared
    x = prepared.model_inputs(prepared.test[0][:num_images], seed=seed)
    mean, _ = vae.encode(x)
    params = vae.decoder.predict(mean, verbose=0)
    log_var = keras.ops.convert_to_numpy(vae.likelihood.log_var(keras.ops.convert_to_tensor(params)))
    std = np.exp(0.5 * log_var)
    return np.clip(vae.likelihood.mean(params), 0, 1), std


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


def effective_beta(sigma):
    """The KL weight that a fixed-variance Gaussian decoder implies for a squared-error VAE.

    ``-log N(x; mu, sigma^2) = ||x - mu||^2 / (2 sigma^2) + const``; multiplying
    the negative ELBO by ``2 sigma^2`` gives ``||x - mu||^2 + 2 sigma^2 KL``:
    a squared-error autoencoder with KL weight ``beta = 2 sigma^2``.
    """
    return 2.0 * np.square(sigma)


# --------------------------------------------------------------------------
# Reproductions (notebooks 06-07)
# --------------------------------------------------------------------------


def epochs_for_examples(num_examples_seen, num_train, scale=1.0):
    """Epochs that show the model ``scale * num_examples_seen`` examples (at least one)."""
    return max(1, int(round(scale * num_examples_seen / max(1, num_train))))


def negative_elbo_by_split(variant, max_examples=10000, seed=0):
    """Negative ELBO (nats, k=1) on the training and the test split, on fixed inputs.

    Returns:
        ``{"train": float, "test": float}``.
    """
    out = {}
    for split, (images, _) in (("train", variant.prepared.train), ("test", variant.prepared.test)):
        x = variant.prepared.model_inputs(images[: max_examples or None], seed=seed)
        out[split] = float(-evaluate.elbo(variant.vae, x, seed=seed)["elbo"].mean())
    return out


def reproduction_table(trained, reference, max_examples=10000):
    """Our train/test negative ELBO beside a write-up's, per run.

    Args:
        trained: ``{name: Variant}`` from ``train_variants``.
        reference: ``{name: {"train": ..., "test": ..., "examples": ..., "protocol": ...}}``.
        max_examples: examples per split used for our numbers.

    Returns:
        A ``Table`` with one row per run.
    """
    rows = []
    for name, ref in reference.items():
        variant = trained[name]
        row = {"run": name, "protocol": ref["protocol"], "their examples": ref["examples"]}
        if variant.vae is None:
            row["status"] = variant.row["status"]
            rows.append(row)
            continue
        ours = negative_elbo_by_split(variant, max_examples=max_examples)
        num_train = len(variant.prepared.train[0])
        row.update(
            {
                "our examples": variant.state["epoch"] * num_train,
                "epochs": variant.state["epoch"],
                "our train": ours["train"],
                "their train": ref["train"],
                "our test": ours["test"],
                "their test": ref["test"],
                "test difference": ours["test"] - ref["test"],
            }
        )
        rows.append(row)
    return Table(rows)


# --------------------------------------------------------------------------
# Measures that decide claims about images (notebooks 06-08)
# --------------------------------------------------------------------------


def digit_classifier(train_images, train_labels, test_images, test_labels, max_examples=5000, seed=0):
    """A logistic-regression classifier of pixel images, to label decoded images.

    Args:
        train_images, train_labels: what it learns from (at most ``max_examples``, drawn at random).
        test_images, test_labels: where its accuracy is measured.

    Returns:
        ``(classify, accuracy)``: ``classify(images in [0, 1]) -> labels`` and the test accuracy.
    """
    from sklearn.linear_model import LogisticRegression

    rng = np.random.default_rng(seed)
    chosen = rng.permutation(len(train_images))[:max_examples]
    flat = preprocessing.to_unit_interval(train_images[chosen]).reshape(len(chosen), -1)
    model = LogisticRegression(max_iter=300, C=0.1)
    model.fit(flat, np.asarray(train_labels)[chosen])

    def classify(images):
        images = np.asarray(images, dtype="float32")
        return model.predict(images.reshape(len(images), -1))

    test = preprocessing.to_unit_interval(test_images)
    accuracy = float(np.mean(classify(test) == np.asarray(test_labels)))
    return classify, accuracy


def nearest_distances(images, reference, batch_size=500):
    """Root-mean-square pixel distance from each image to its nearest image in ``reference``.

    Args:
        images: ``(n, ...)`` values in [0, 1].
        reference: ``(m, ...)`` values in [0, 1], e.g. training images.

    Returns:
        A ``(n,)`` array.
    """
    a = np.asarray(images, dtype="float64").reshape(len(images), -1)
    b = np.asarray(reference, dtype="float64").reshape(len(reference), -1)
    b_norms = np.sum(b**2, axis=1)
    out = np.empty(len(a))
    for start in range(0, len(a), batch_size):
        chunk = a[start : start + batch_size]
        squared = np.sum(chunk**2, axis=1)[:, None] - 2 * chunk @ b.T + b_norms[None]
        out[start : start + batch_size] = np.sqrt(np.maximum(squared.min(axis=1), 0) / a.shape[1])
    return out


def sharpness(images):
    """Mean absolute difference between horizontally and vertically neighbouring pixels, per image.

    Blurry images have small differences between neighbours; sharp strokes large ones.

    Returns:
        A ``(n,)`` array.
    """
    images = np.asarray(images, dtype="float64")
    if images.ndim == 3:
        images = images[..., None]
    horizontal = np.abs(np.diff(images, axis=2)).mean(axis=(1, 2, 3))
    vertical = np.abs(np.diff(images, axis=1)).mean(axis=(1, 2, 3))
    return (horizontal + vertical) / 2


def budget_text(num_epochs, max_train_examples=0, num_seeds=1, batch_size=None):
    """The training budget in words, for a page's banner."""
    parts = [f"{num_epochs:,} epochs per model"]
    if batch_size:
        parts.append(f"batch {batch_size:,}")
    parts.append(f"at most {max_train_examples:,} training images" if max_train_examples else "all training images")
    parts.append(f"{num_seeds} seed{'s' if num_seeds != 1 else ''} per compared variant")
    return ", ".join(parts)


def edge_correlation(images, std):
    """Correlation between a decoder's predicted std and the edge strength of the image, over pixels.

    Edge strength is the gradient magnitude of the grey image (mean of the channels).

    Returns:
        The Pearson correlation, a float in [-1, 1] (NaN if either map is constant).
    """
    grey = np.asarray(images, dtype="float64")
    grey = grey.mean(axis=-1) if grey.ndim == 4 else grey
    gy, gx = np.gradient(grey, axis=(1, 2))
    edges = np.hypot(gx, gy).ravel()
    spread = np.asarray(std, dtype="float64")
    spread = (spread.mean(axis=-1) if spread.ndim == 4 else spread).ravel()
    if edges.std() == 0 or spread.std() == 0:
        return float("nan")
    return float(np.corrcoef(edges, spread)[0, 1])
