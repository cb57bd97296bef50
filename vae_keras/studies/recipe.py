"""The SVHN write-up's recipe (notebook 05) in words: how far its training went, what its samples and
reconstructions show, and which model the page's figures use when the recipe did not learn.
"""

import numpy as np

from vae_keras import preprocessing
from vae_keras.studies.collapse import learned_problem
from vae_keras.writeup.claims import KL_FLOOR
from vae_keras.writeup.vocabulary import counted


def validation_text(variant):
    """Where the validation negative ELBO stands after the last epoch (still falling or not) and the test KL,
    in words; ``""`` with fewer than two epochs."""
    validation = variant.curve("val_nelbo")
    if len(validation) < 2:
        return ""
    row = variant.row
    last_drop = validation[-2] - validation[-1]
    if last_drop > 0:
        trend = f"still falling (by {last_drop:.2f} in the last epoch)"
    else:
        trend = f"no longer falling (it rose by {-last_drop:.2f} in the last epoch)"
    if row["test_kl"] >= KL_FLOOR:
        learned = "."
    else:
        learned = (
            ", below 1 nat: the model ignores z, and its decodes are all the same average image, so this budget "
            "is too small for the recipe."
        )
    return (
        f"After {counted(int(row['epochs']), 'epoch')} ({row['examples_seen']:,} training examples) the "
        f"validation negative ELBO is {validation[-1]:.1f} nats, {trend}; the test KL is "
        f"{row['test_kl']:.1f} nats per image{learned}"
    )


def sample_spread_text(samples, test_images, name=None):
    """How much the samples differ from each other (mean per-pixel standard deviation across them), beside the
    same spread of the first 1,000 test images (``name``: whose samples, when the page shows several models')."""
    spread, real = sample_spread(samples, test_images)
    whose = "The samples" if name is None else f"The samples of {name}"
    return (
        f"{whose} differ from each other by {spread:.3f} (mean per-pixel standard deviation across the "
        f"{len(samples)} samples; the test images' own is {real:.3f})."
    )


def reconstruction_text(variant, test_images, num_epochs, full_epochs=1000, figures_from=None):
    """The recipe's reconstruction error in pixel space against drawing every test image as the average
    training image, and what that says (a ratio above 0.8: hardly better than the average).

    Args:
        variant: the trained recipe.
        test_images: the test split's images (the first 2,000 are scored against the average image).
        num_epochs: the epochs this run trained.
        full_epochs: the epochs the write-up trained, named when this run trained fewer.
        figures_from: the model the page's other figures use when it is not ``variant`` (``showcase``).
    """
    row = variant.row
    average_image = preprocessing.to_unit_interval(variant.prepared.train[0][:10000]).mean(axis=0)
    average_mse = float(np.mean((preprocessing.to_unit_interval(test_images[:2000]) - average_image) ** 2))
    ratio = row["pixel_mse"] / average_mse
    kl_text = f"the encoder stores {row['test_kl']:.1f} nats per image in z"
    if ratio > 0.8:
        verdict = f"The reconstructions are {'no' if ratio >= 1 else 'hardly'} better than that average: {kl_text}. "
        if figures_from is None:
            verdict += (
                "Count how many of the samples above, and of the interpolations and analogies below, are the same blur."
            )
        else:
            verdict += f"The samples, interpolations and analogies on this page are {figures_from}'s."
        if num_epochs < full_epochs:
            verdict += f" This run trained {num_epochs} epochs; the write-up trained up to {full_epochs}."
    else:
        verdict = f"The reconstructions are closer to each image than the average is, and {kl_text}."
    return (
        f"The recipe's reconstruction error in pixel space: {row['pixel_mse']:.4f} per pixel, against "
        f"{average_mse:.4f} for drawing every test image as the average training image ({ratio:.0%} of it). {verdict}"
    )


#: A model that makes the page's figures must also draw varied samples: their mean per-pixel standard deviation
#: at least this share of the test images' own. Our rule for the showcase, not the ledger's; written after the
#: first run on the SVHN crops, whose recipe passed the ledger's 80% rule at 77% while its 100 samples were one
#: grey image (spread 0.006 against the test images' 0.208), and the page says so.
MIN_SAMPLE_SPREAD = 0.25


def sample_spread(samples, test_images):
    """``(spread, real)``: the mean per-pixel standard deviation across ``samples`` (in ``[0, 1]``) and across
    the first 1,000 test images."""
    spread = float(np.asarray(samples).std(axis=0).mean())
    real = float(preprocessing.to_unit_interval(test_images[:1000]).std(axis=0).mean())
    return spread, real


def showcase_problem(variant, test_images, seed=0, num_samples=100):
    """Why ``variant`` cannot make the page's figures, or ``None``: it did not learn (``learned_problem``), or
    its samples hardly vary (``MIN_SAMPLE_SPREAD``)."""
    if variant.vae is None:
        return f"{variant.name} did not finish"
    problem = learned_problem(variant)
    if problem:
        return problem
    samples = variant.prepared.to_images(variant.vae.sample(num_samples, seed=seed))
    spread, real = sample_spread(samples, test_images)
    if spread < MIN_SAMPLE_SPREAD * real:
        return (
            f"its samples hardly vary: {spread:.3f} mean per-pixel standard deviation across {num_samples}, "
            f"{spread / real:.0%} of the test images' {real:.3f}; a model that makes the figures needs "
            f"{MIN_SAMPLE_SPREAD:.0%}"
        )
    return None


def showcase(candidates, test_images, seed=0):
    """The model the page's figures use: the first of ``candidates`` (``{name: Variant}``, the recipe first)
    with no ``showcase_problem``, else the first one.

    Returns:
        ``(name, fit)``: its name, and whether it is fit for the figures.
    """
    fit = [name for name, run in candidates.items() if not showcase_problem(run, test_images, seed)]
    return (fit[0], True) if fit else (next(iter(candidates)), False)


def fallback_variants(num_epochs, hidden_width):
    """``{name: changes}`` of the recipe that notebook 05 trains when the recipe did not learn, tried in order for
    a model that learned (``showcase``): the recipe on pixels, the recipe with a KL warm-up, and a plain VAE (one
    hidden layer each way, no batch norm or dropout) on pixels, which learns even at the demo's small budget."""
    pixels = {"input_space": "pixels", "dequantize": True}
    return {
        "recipe on pixels (ours)": pixels,
        "recipe with KL warm-up (ours)": {"kl_warmup_epochs": max(1, num_epochs // 4)},
        "plain VAE on pixels (ours)": {
            **pixels,
            "hidden_units": [hidden_width],
            "decoder_units": [hidden_width],
            "batch_norm": False,
            "dropout": 0.0,
        },
    }


def showcase_text(problem, name, learned, variant=None):
    """Why the recipe cannot make the figures (``problem``, or ``None``), which model the figures below use, and
    that model's numbers by the ledger's rule (``variant``: its ``Variant``)."""
    text = f" The recipe cannot make this page's figures ({problem})." if problem else ""
    text += f" The figures below use **{name}**" + ("" if learned else ", although no model is fit for them")
    if variant is None:
        return text + "."
    row = variant.row
    ratio = row["pixel_mse"] / row["mean_image_mse"]
    return text + (
        f": its pixel MSE is {row['pixel_mse']:.4f} against {row['mean_image_mse']:.4f} for the mean training "
        f"image ({ratio:.0%} of it; a model learned at 80% or less) and its test KL {row['test_kl']:.1f} nats."
    )


def label_effect_text(grid, num_labels):
    """How much a label-conditioned grid changes along its rows (the labels) and down its columns (the
    styles), so that a grid that ignores the label is called so.

    Args:
        grid: decodes in ``[0, 1]``, ``(rows * num_labels, H, W, C)``, row-major: one row per test image, one
            column per label.
        num_labels: the labels per row.
    """
    grid = np.asarray(grid, dtype=np.float64)
    rows = grid.reshape((-1, num_labels) + grid.shape[1:])
    across_labels = float(rows.std(axis=1).mean())  # one style drawn as every label
    across_styles = float(rows.std(axis=0).mean())  # one label drawn in every style
    if across_labels < 0.01:
        verdict = "the decoder ignores the label: each row is one image repeated"
    elif across_labels < 0.5 * across_styles:
        verdict = "the label changes each row less than the style changes each column"
    else:
        verdict = "the label changes what each row draws"
    return (
        f"Along a row (one style, every label) the decodes differ by {across_labels:.3f}, down a column (one "
        f"label, every style) by {across_styles:.3f} (mean per-pixel standard deviation): {verdict}."
    )


def conditional_text(variant):
    """How long the conditional VAE trained and whether it stores a style in z (a test KL of at least 1 nat)."""
    row = variant.row
    styles = "." if row["test_kl"] >= KL_FLOOR else ", below 1 nat: its rows carry no style of their own."
    return (
        f"The conditional VAE trained {counted(int(row['epochs']), 'epoch')}; its test KL is "
        f"{row['test_kl']:.1f} nats{styles}"
    )
