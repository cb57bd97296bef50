"""Comparing trained variants: which completed, how they rank on a metric, and their curves by epoch.

A notebook trains a set of variants (``train_variants``) and then ranks them, picks the best of a kind,
or plots one curve per variant; these helpers do that the same way on every page.
"""

import numpy as np

from vae_keras import plots
from vae_keras.studies.variants import mean_sd


def completed(trained):
    """The variants of ``trained`` (``{name: Variant}``) that have a model: at least one seed completed."""
    return {name: variant for name, variant in trained.items() if variant.vae is not None}


def ranked(variants, metric, higher_is_better=False):
    """The names of ``variants`` that have a value of ``metric`` in their row, best first."""
    scored = [name for name in variants if variants[name].row.get(metric) is not None]
    return sorted(scored, key=lambda name: variants[name].row[metric], reverse=higher_is_better)


def ranking_text(variants, ranking, metric, lead, spec=".4g"):
    """``lead`` and each ranked variant's ``metric`` as mean ± sd over seeds, in Markdown.

    Example: ``"Pixel MSE, lowest first: **PCA** 0.0100 ± 0.0010; **pixels** 0.0200."``
    """
    scores = [f"**{name}** {mean_sd(variants[name].values(metric), spec)}" for name in ranking]
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


def epoch_curves(curves, y_label, title):
    """A figure of ``{label: per-epoch values}``, each against its epochs 1, 2, ... (``plots.curves``)."""
    epochs = {label: np.arange(1, len(values) + 1) for label, values in curves.items()}
    return plots.curves(epochs, curves, "epoch", y_label, title=title)
