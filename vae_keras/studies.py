"""Study helpers: what the notebooks call, so that a cell stays a few lines.

A study trains several variants of one base configuration, evaluates them
the same way, and shows tables and figures. Everything a notebook produces
goes into its output folder ``OUT_DIR``::

    OUT_DIR/runs/<notebook>/<variant>/   one run folder per variant (resumable)
    OUT_DIR/figures/<notebook>__<name>.png
    OUT_DIR/results/<notebook>.json      the numbers the notebook reports

``vae-keras run`` merges the per-notebook results into ``OUT_DIR/results.json``.
"""

import html
import io
import logging
import math
import platform
import time
from pathlib import Path

import keras
import numpy as np

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
    """Where one notebook writes: figures, run folders and results.

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

    def run_dir(self, variant):
        return self.root / "runs" / self.notebook / variant

    def show(self, figure, name):
        """Saves ``figure`` as ``figures/<notebook>__<name>.png`` and displays it inline.

        The path is appended to ``self.figures`` (nothing is returned, so a
        notebook cell ending with ``output.show(...)`` shows only the figure).
        """
        path = plots.save_figure(figure, self.root, f"{self.notebook}__{name}")
        self.figures.append(path.name)
        try:
            from IPython.display import Image, display

            display(Image(filename=str(path)))
        except ImportError:  # outside IPython: the file is the output
            print(f"figure: {path}")

    def record(self, **values):
        """Adds numbers to the notebook's results and writes ``results/<notebook>.json``."""
        self.results.update(_plain(values))
        io_utils.atomic_write_json(
            self.root / "results" / f"{self.notebook}.json",
            {"notebook": self.notebook, "metrics": self.results, "figures": self.figures},
            sort_keys=False,  # the notebook's own order: headline numbers first
        )
        return self.results


def _plain(value):
    """NumPy scalars and arrays to JSON-ready Python values; NaN/Inf to None."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else None
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
    """One trained variant: its config, model, data and evaluation row."""

    def __init__(self, name, config, vae, prepared, state, row):
        self.name = name
        self.config = config
        self.vae = vae
        self.prepared = prepared
        self.state = state
        self.row = row

    @property
    def history(self):
        return self.state["history"] if self.state else []

    def curve(self, metric):
        """Per-epoch values of ``metric`` (e.g. ``"val_nelbo"``) from the run's history."""
        return np.asarray([row.get(metric, np.nan) for row in self.history], dtype="float64")

    def test_inputs(self, max_examples=0, seed=0):
        images = self.prepared.test[0][: max_examples or None]
        return self.prepared.model_inputs(images, seed=seed)


def base_config(**settings):
    """An ``ExperimentConfig`` from notebook parameters (validated, clear errors)."""
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


def train_variants(
    base,
    variants,
    output,
    num_samples=100,
    eval_examples=0,
    allow_divergence=True,
    verbose="compact",
    record_batches=False,
):
    """Trains and evaluates each variant of ``base``; resumes finished or partial runs.

    Args:
        base: an ``ExperimentConfig``.
        variants: ``{name: {setting: value}}`` changes applied to ``base``.
        output: the notebook's ``Output``.
        num_samples: k of the importance-weighted log p(x).
        eval_examples: test examples evaluated (0: all).
        allow_divergence: record a diverged variant in the table instead of
            stopping the notebook (used to show unstable settings safely).
        verbose: progress while training (see ``train.train``); ``"compact"``
            prints about 20 lines per run.
        record_batches: record every batch's loss (see ``BatchLossRecorder``);
            set ``steps_per_execution=1`` for exact per-batch values.

    Returns:
        ``(variants, table)``: a dict of ``Variant`` and a ``Table`` of results.
    """
    trained, rows = {}, []
    for name, changes in variants.items():
        config = base.replace(**changes)
        start = time.time()
        print(f"--- {name}: {changes}", flush=True)
        callbacks = [BatchLossRecorder(output.run_dir(name) / "batch_losses.npy")] if record_batches else None
        try:
            vae, prepared, state = train.train(config, output.run_dir(name), verbose=verbose, callbacks=callbacks)
        except train.TrainingDivergedError as error:
            if not allow_divergence:
                raise
            print(f"{name} diverged: {error}", flush=True)
            state = train.read_state(output.run_dir(name))
            row = {"variant": name, "status": "diverged", "epochs": state["epoch"], "error": str(error)}
            rows.append(row)
            trained[name] = Variant(name, config, None, None, state, row)
            continue
        metrics = evaluate_variant(vae, prepared, num_samples, max_examples=eval_examples)
        epoch_seconds = [r["seconds"] for r in state["history"] if "seconds" in r]
        row = {
            "variant": name,
            "status": "completed",
            "epochs": state["epoch"],
            "parameters": int(vae.count_params()),
            "seconds_per_epoch": float(np.median(epoch_seconds)) if epoch_seconds else None,
            "test_elbo": metrics["elbo"],
            "test_log_px": metrics["log_px"],
            "bits_per_dim": metrics["bits_per_dim"],
            "test_kl": metrics["kl"],
            "pixel_mse": metrics["pixel_mse"],
            "wall_seconds": round(time.time() - start, 1),
        }
        rows.append(row)
        trained[name] = Variant(name, config, vae, prepared, state, row)
    return trained, Table(rows)


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
