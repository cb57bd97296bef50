"""Comparing trained variants: which completed, how they rank on a metric, and their curves by epoch.

A notebook trains a set of variants (``train_variants``) and then ranks them, picks the best of a kind,
plots one curve per variant or says how a run ended; these helpers do that the same way on every page.
"""

import numpy as np

from vae_keras import plots
from vae_keras.studies.collapse import learned_problem
from vae_keras.studies.variants import mean_sd
from vae_keras.writeup.claims import KL_FLOOR
from vae_keras.writeup.claims.stats import LEARNED_MSE_RATIO
from vae_keras.writeup.vocabulary import counted


def completed(trained):
    """The variants of ``trained`` (``{name: Variant}``) that have a model: at least one seed completed."""
    return {name: variant for name, variant in trained.items() if variant.vae is not None}


def ranked(variants, metric, higher_is_better=False):
    """The names of ``variants`` that have a value of ``metric`` in their row, best first."""
    scored = [name for name in variants if variants[name].row.get(metric) is not None]
    return sorted(scored, key=lambda name: variants[name].row[metric], reverse=higher_is_better)


def not_learned_note(variant):
    """``" (did not learn: ...)"``, by the ledger's rule (KL and pixel MSE against the mean image), or ``""``
    (also when the row lacks the numbers): a ranking or a gap must not present a model that learned nothing as
    the better one without saying so."""
    row = variant.row
    if row.get("pixel_mse") is None or row.get("mean_image_mse") is None or row.get("test_kl") is None:
        return ""
    if not learned_problem(variant):
        return ""
    ratio = row["pixel_mse"] / row["mean_image_mse"]
    reasons = [f"KL {row['test_kl']:.2f} nats"] if row["test_kl"] < KL_FLOOR else []
    reasons += [f"pixel MSE {ratio:.0%} of the mean image's"] if ratio > LEARNED_MSE_RATIO else []
    return f" (did not learn: {', '.join(reasons)})"


def ranking_text(variants, ranking, metric, lead, spec=".4g"):
    """``lead`` and each ranked variant's ``metric`` as mean ± sd over seeds, in Markdown, each that did not learn
    marked so (``not_learned_note``).

    Example: ``"Pixel MSE, lowest first: **PCA** 0.0100 ± 0.0010; **pixels** 0.0200."``
    """
    scores = [
        f"**{name}** {mean_sd(variants[name].values(metric), spec)}{not_learned_note(variants[name])}"
        for name in ranking
    ]
    return f"{lead}: " + "; ".join(scores) + "."


def best_named(variants, prefix, metric, higher_is_better=False):
    """The best of the variants whose name starts with ``prefix`` by ``metric``; ``None`` when there is none."""
    ranking = ranked({n: v for n, v in variants.items() if n.startswith(prefix)}, metric, higher_is_better)
    return ranking[0] if ranking else None


def training_curves(variants, metric="nelbo", validation_metric="val_nelbo"):
    """``{"<label> (train)": curve, "<label> (validation)": curve}`` of each ``{label: Variant}``, in order;
    empty curves are left out."""
    curves = {}
    for label, variant in variants.items():
        for kind, key in (("train", metric), ("validation", validation_metric)):
            curve = variant.curve(key)
            if len(curve):
                curves[f"{label} ({kind})"] = curve
    return curves


def epoch_curves(curves, y_label, title, x_label="epoch"):
    """A figure of ``{label: values}``, each against its steps 1, 2, ... (epochs, or ``x_label``)."""
    steps = {label: np.arange(1, len(values) + 1) for label, values in curves.items()}
    return plots.curves(steps, curves, x_label, y_label, title=title)


def run_outcome(variant):
    """How a variant's run ended, in words: ``"test ELBO -90.1 nats"``, or ``"diverged after 3 epochs (no test
    ELBO)"``."""
    row = variant.row
    if row["status"] == "completed":
        return f"test ELBO {row['test_elbo']:.1f} nats"
    return f"{row['status']} after {counted(int(row['epochs']), 'epoch')} (no test ELBO)"


def paired_evidence(runs, metric="pixel_mse"):
    """The per-seed evidence of a claim that compares variants: ``{key: values of metric, "<key>_kl": values of
    the test KL}`` for each ``{key: Variant}`` (the keys are the claim's, e.g. ``{"conv": ..., "mlp": ...}``)."""
    evidence = {}
    for key, variant in runs.items():
        evidence[key] = variant.values(metric)
        evidence[f"{key}_kl"] = variant.values("test_kl")
    return evidence
