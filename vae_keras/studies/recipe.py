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
            ", below 1 nat: the model ignores z and every image below is the same average, so this budget is "
            "too small for the recipe."
        )
    return (
        f"After {counted(int(row['epochs']), 'epoch')} ({row['examples_seen']:,} training examples) the "
        f"validation negative ELBO is {validation[-1]:.1f} nats, {trend}; the test KL is "
        f"{row['test_kl']:.1f} nats per image{learned}"
    )


def sample_spread_text(samples, test_images):
    """How much the samples differ from each other (mean per-pixel standard deviation across them), beside the
    same spread of the first 1,000 test images."""
    spread = float(np.asarray(samples).std(axis=0).mean())
    real = float(preprocessing.to_unit_interval(test_images[:1000]).std(axis=0).mean())
    return (
        f"The samples differ from each other by {spread:.3f} (mean per-pixel standard deviation across the "
        f"{len(samples)} samples; the test images' own is {real:.3f})."
    )


def reconstruction_text(variant, test_images, num_epochs, full_epochs=1000):
    """The recipe's reconstruction error in pixel space against drawing every test image as the average
    training image, and what that says (a ratio above 0.8: hardly better than the average).

    Args:
        variant: the trained recipe.
        test_images: the test split's images (the first 2,000 are scored against the average image).
        num_epochs: the epochs this run trained.
        full_epochs: the epochs the write-up trained, named when this run trained fewer.
    """
    row = variant.row
    average_image = preprocessing.to_unit_interval(variant.prepared.train[0][:10000]).mean(axis=0)
    average_mse = float(np.mean((preprocessing.to_unit_interval(test_images[:2000]) - average_image) ** 2))
    ratio = row["pixel_mse"] / average_mse
    kl_text = f"the encoder stores {row['test_kl']:.1f} nats per image in z"
    if ratio > 0.8:
        verdict = (
            f"The reconstructions are {'no' if ratio >= 1 else 'hardly'} better than that average: {kl_text}. "
            "Count how many of the samples above, and of the interpolations and analogies below, are the same "
            "blur."
        )
        if num_epochs < full_epochs:
            verdict += f" This run trained {num_epochs} epochs; the write-up trained up to {full_epochs}."
    else:
        verdict = f"The reconstructions are closer to each image than the average is, and {kl_text}."
    return (
        f"Reconstruction error in pixel space: {row['pixel_mse']:.4f} per pixel, against {average_mse:.4f} for "
        f"drawing every test image as the average training image ({ratio:.0%} of it). {verdict}"
    )


def showcase(candidates):
    """The model the page's figures use: the first of ``candidates`` (``{name: Variant}``, the recipe first)
    that learned, else the first one.

    Returns:
        ``(name, learned)``: its name, and whether it learned.
    """
    learned = [name for name, run in candidates.items() if run.vae is not None and not learned_problem(run)]
    return (learned[0], True) if learned else (next(iter(candidates)), False)


def showcase_text(problem, name, learned):
    """Why the recipe did not learn (``problem``, or ``None``) and which model the figures below use."""
    text = f" The recipe did not learn ({problem})." if problem else ""
    return text + f" The figures below use **{name}**" + ("." if learned else ", although no model learned.")


def conditional_text(variant):
    """How long the conditional VAE trained and whether it stores a style in z (a test KL of at least 1 nat)."""
    row = variant.row
    styles = "." if row["test_kl"] >= KL_FLOOR else ", below 1 nat: its rows carry no style of their own."
    return (
        f"The conditional VAE trained {counted(int(row['epochs']), 'epoch')}; its test KL is "
        f"{row['test_kl']:.1f} nats{styles}"
    )
