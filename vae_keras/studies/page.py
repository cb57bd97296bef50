"""The notebook page: setting a study up, and what it shows its reader and writes to its output folder.

``setup`` and ``seed_everything`` start a notebook; ``Output`` saves its figures,
results and verdicts and shows them on the page; ``Table`` renders rows of
results; ``fmt``, ``dataset_label`` and ``budget_text`` put numbers and settings
into words; ``progress`` writes a line for the terminal.
"""

import dataclasses
import html
import logging
import math
import os
import platform
import sys
from pathlib import Path

import keras
import numpy as np

from vae_keras import data, io_utils, plots
from vae_keras.studies.samples import reconstructions_by_variant, samples_by_variant
from vae_keras.writeup import claims as claims_lib
from vae_keras.writeup.vocabulary import SMALL_PROFILES, data_name, shown_dataset


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


def device_text():
    """The devices Keras computes on, in words: ``"1x NVIDIA H200"`` or ``"CPU (2 cores)"``."""
    backend = keras.backend.backend()
    kinds = []
    if backend == "jax":
        import jax

        kinds = [device.device_kind for device in jax.devices() if device.platform != "cpu"]
    elif backend == "tensorflow":
        import tensorflow as tf

        kinds = [
            tf.config.experimental.get_device_details(gpu).get("device_name", "GPU")
            for gpu in tf.config.list_physical_devices("GPU")
        ]
    if not kinds:
        return f"CPU ({os.cpu_count() or 0} cores)"
    return ", ".join(f"{kinds.count(kind)}x {kind}" for kind in dict.fromkeys(kinds))


def seed_everything(seed):
    """Seeds Python, NumPy and the Keras backend."""
    keras.utils.set_random_seed(seed)


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
        self.omitted = []
        self.non_finite = []
        self.stand_in = None
        self.data_family = None
        self.profile = None

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
        _display_or_print(_image(path, alt=figure_description(figure, name)), f"figure: {path.name}")

    def say(self, text):
        """Shows a sentence about this run's outcome, written from its numbers, as Markdown."""
        _display_or_print(_markdown(text), text)

    def left_out(self, what, reason):
        """Says on the page that ``what`` (a figure, a section) is left out on this run's data, and why.

        Recorded under ``left_out`` in the notebook's results, so a run on data without labels reads as
        such, not as a page that lost its figures.
        """
        self.omitted.append(f"{what}: {reason}")
        self._write()
        self.say(f"**Left out on this data:** {what}, because {reason}.")

    def banner(self, dataset, profile, budget, written_for=None):
        """Shows and records the page header: which data, which profile, what budget.

        Args:
            dataset: the dataset the notebook ran on.
            profile: the parameter profile (``full`` for the notebook's defaults).
            budget: the training budget in words, e.g. ``"10 epochs of 1,437 images, 3 seeds"``.
            written_for: the data the study's claims are about (e.g. ``"svhn"``). When the run used
                other data, the banner says so; each verdict is scoped to the data it ran on anyway.
        """
        self.banner_values = {"dataset": dataset, "profile": profile, "budget": budget}
        self.data_family, self.profile = family_of(dataset), profile
        self.sample_note = sample_note(dataset)
        self.banner_values["data"] = self.data_family
        self.stand_in = None
        if written_for and self.data_family != written_for:
            self.stand_in = (dataset_label(dataset), written_for)
            self.banner_values["stand_in_for"] = written_for
        self._write()
        note = ""
        if self.stand_in:
            note += (
                f" <strong>{html.escape(self.stand_in[0])} stands in for {data_name(written_for)} here:</strong> the "
                f"write-up's claims on this page are about {data_name(written_for)}, so results on this data are "
                "only <em>indicative</em>: shown with their numbers, never a reproduction or refutation."
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
        """Shows the run's settings as a small table and records them.

        A ``backend`` setting is followed by the ``device`` it computed on (see ``device_text``).
        """
        if "backend" in values and "device" not in values:
            items = list(values.items())
            position = list(values).index("backend") + 1
            values = dict(items[:position] + [("device", device_text())] + items[position:])
        self.settings_values.update(_plain(values))
        self._write()
        rows = [{"setting": key, "value": _setting_text(value)} for key, value in values.items()]
        return Table(rows, columns=["setting", "value"])

    def decide(self, claim_id, **evidence):
        """Decides one claim from this run's evidence, scoped to the run's data, and records the verdict.

        Returns:
            A ``claims.Verdict`` (rendered as a verdict box when shown).
        """
        claim = claims_lib.CLAIMS.get(claim_id)
        if claim is not None and claim.notebook != self.notebook:
            raise ValueError(
                f"Claim {claim_id!r} belongs to notebook {claim.notebook!r}. Received: it was decided in "
                f"{self.notebook!r}"
            )
        verdict = claims_lib.judge(claim_id, data=self.data_family, profile=self.profile, **evidence)
        if getattr(self, "sample_note", None):  # a sample of the claim's data: the verdict says how small
            verdict = dataclasses.replace(verdict, reason=f"{verdict.reason} (data: {self.sample_note})")
        self.claims[claim_id] = verdict.to_dict()
        self._write()
        return verdict

    def undecided(self, claim_id, reason):
        """Records a claim this run cannot decide at all (e.g. only one batch size was run), with the reason.

        Returns:
            An ``inconclusive`` ``claims.Verdict``.
        """
        verdict = claims_lib.not_run(claim_id, reason, data=self.data_family)
        self.claims[claim_id] = verdict.to_dict()
        self._write()
        return verdict

    def verdicts(self, *verdicts):
        """Shows verdicts in one box (the end of the section that decides them)."""
        _display_or_print(_html(claims_lib.verdict_box(verdicts)), "\n".join(str(v) for v in verdicts))

    def claim_lines(self, with_reasons=()):
        """One Markdown bullet per claim this notebook decided: statement and verdict (its reason is in its box).

        Args:
            with_reasons: ids of claims whose bullet also quotes the verdict's reason, as the ledger gave it.
        """
        lines = []
        for claim_id, claim in self.claims.items():
            reason = f": {claim['reason']}" if claim_id in with_reasons else ""
            lines.append(f"* {claim_statement(claim['statement'])} **{claim['verdict']}**{reason}.")
        return lines

    def undecided_statements(self):
        """The statements of this notebook's claims that it has not decided (nor called undecided) so far."""
        return [claim.statement for claim in claims_lib.for_notebook(self.notebook) if claim.id not in self.claims]

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
                "left_out": self.omitted,
                "non_finite": self.non_finite,
            },
            sort_keys=False,  # the notebook's own order: headline numbers first
        )


def claim_statement(statement):
    """A claim's statement quoted in a sentence (Markdown, in italics), marked as the claim's words: it names the
    data the claim is about (``"On MNIST, ..."``), which need not be the run's."""
    return f'<span class="claim-statement">*{statement}*</span>'


def family_of(dataset):
    """The data family of a run's dataset (``data.dataset_family``), ``None`` when it cannot be told."""
    try:
        return data.dataset_family(dataset)
    except (FileNotFoundError, ValueError):
        return None


def sample_note(dataset):
    """For a registered dataset that is a sample of a larger one (its name differs from its family's, as
    ``svhn_sample`` of ``svhn``): how many images it holds per split, for verdicts to state; else ``None``."""
    family = family_of(dataset)
    if family is None or dataset in (family, None) or dataset.startswith("npz:") or dataset not in data.SPLITS:
        return None
    sizes = [f"{split} {len(data.load(dataset, split)[0]):,}" for split in data.SPLITS[dataset]]
    return f"{dataset}, a sample of {family.upper()} ({', '.join(sizes)} images), not the full dataset"


#: ``npz:/a/b/mnist.npz`` -> ``npz:mnist.npz``: no absolute paths on a page (the writeup's one definition).
dataset_label = shown_dataset


def budget_text(num_epochs, max_train_examples=0, num_seeds=1, batch_size=None):
    """The training budget in words, for a page's banner."""
    parts = [f"{claims_lib.counted(num_epochs, 'epoch')} per model"]
    if batch_size:
        parts.append(f"batch {batch_size:,}")
    parts.append(f"at most {max_train_examples:,} training images" if max_train_examples else "all training images")
    parts.append(f"{claims_lib.counted(num_seeds, 'seed')} per compared variant")
    return ", ".join(parts)


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


def figure_description(figure, name):
    """A figure's alternative text for the page: its title, else its panels' titles, else ``name``."""
    title = figure._suptitle.get_text().strip() if getattr(figure, "_suptitle", None) is not None else ""
    if title:
        return title
    panels = [ax.get_title().strip() for ax in figure.get_axes() if ax.get_title().strip()]
    if panels:
        return "; ".join(dict.fromkeys(panels))
    return name.replace("_", " ")


def _image(path, alt=None):
    from IPython.display import Image

    # The report turns ``metadata["image/png"]["alt"]`` into the <img>'s alt text (``report.prepare_notebook``).
    return Image(filename=str(path), metadata={"alt": alt} if alt else None)


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


def fmt(value, spec=".4g"):
    """Formats a number for prose; ``None`` (an undefined metric) becomes ``"n/a"``."""
    if value is None:
        return "n/a"
    return format(value, spec)


#: How a page heads a table's column (``Table``); a key not listed is shown by ``column_header``'s rule.
HEADERS = {
    "test_elbo": "test ELBO (nats)",
    "elbo": "ELBO (nats)",
    "test_log_px": "test log p(x) (nats)",
    "log_px": "log p(x) (nats)",
    "log_px_stderr": "log p(x) standard error",
    "vae_log_px": "VAE log p(x) (nats)",
    "gaussian_log_px": "factorised Gaussian log p(x) (nats)",
    "gain": "gain of the code (nats)",
    "gain_stderr": "gain standard error",
    "code_earns": "the code earns its KL",
    "kl": "KL (nats)",
    "test_kl": "test KL (nats)",
    "bits_per_dim": "bits/dim",
    "bits_per_component": "bits per component",
    "log_det_jacobian": "log-determinant of the projection",
    "pixel_mse": "pixel MSE",
    "mean_image_mse": "mean image's pixel MSE",
    "seconds_per_epoch": "seconds per epoch",
    "images_per_second": "images per second",
    "num_examples": "test images",
    "examples_seen": "training examples seen",
    "spikes": "loss spikes",
}


def column_header(key):
    """A column's header for a reader: ``HEADERS``'s, else the key in words; ``_sd`` columns are the seeds'
    standard deviation of their metric (``test_kl_sd`` -> ``test KL (nats), sd over seeds``)."""
    key = str(key)
    if key.endswith("_sd") and key != "_sd":
        return f"{column_header(key[:-3])}, sd over seeds"
    return HEADERS.get(key, key.replace("_", " "))


class Table:
    """Rows of results that render as an HTML table in notebooks and reports, headed in words (``column_header``).

    Args:
        rows: a list of dicts.
        columns: the keys to show, in order (default: all, in first-seen order).
        title: optional caption.
        only_present: leave out the columns of ``columns`` that no row has (a metric a run did not measure).
    """

    def __init__(self, rows, columns=None, title=None, only_present=False):
        self.rows = [dict(row) for row in rows]
        if columns is None:
            columns = []
            for row in self.rows:
                columns += [key for key in row if key not in columns]
        if only_present:
            columns = [column for column in columns if any(column in row for row in self.rows)]
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
        head = "".join(f"<th>{html.escape(column_header(c))}</th>" for c in self.columns)
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
