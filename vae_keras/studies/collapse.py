"""Is posterior collapse the optimum? A VAE against the best Gaussian that needs no latent code.

A VAE whose decoder is a Gaussian with a fitted diagonal variance contains, as the special case
that ignores z, the factorised Gaussian: one mean and one variance per input value. On PCA
components, which are decorrelated, that factorised Gaussian is already the best Gaussian model of
the data (the full-covariance one, restricted to the kept components). A code z is then paid for
(in KL) only by structure a Gaussian cannot capture, so a model that collapses (KL near 0) may sit
at an optimum rather than in a bad local minimum.

``gaussian_baseline`` fits that factorised Gaussian in a model's own input space (pixels, PCA or
whitened PCA) on its training inputs and scores the test inputs; ``code_gain`` compares it, image
by image, with the VAE's importance-weighted log p(x) on the same inputs. ``collapsed`` names the models whose
KL is below the ledger's floor, and ``collapsed_text`` and ``unit_normal_text`` say so on the page.
"""

import math

import numpy as np

from vae_keras import evaluate
from vae_keras.studies.variants import mean_sd
from vae_keras.writeup.claims import KL_FLOOR

#: Our rule (written before any run): z earns its keep when the VAE beats the factorised Gaussian by at
#: least this many nats per image on average ...
MIN_GAIN_NATS = 1.0
#: ... and by more than this many standard errors of the mean paired difference.
GAIN_STANDARD_ERRORS = 2.0


def _test_inputs(variant, max_examples, seed):
    """The test images ``evaluate_variant`` scores (same random subset, same noise draw), as model inputs."""
    images = variant.prepared.test[0]
    subset = evaluate.random_subset(len(images), max_examples, seed)
    if subset is not None:
        images = images[subset]
    return variant.prepared.model_inputs(images, seed=seed)


def gaussian_log_density(train_inputs, test_inputs):
    """Per-example log-density (nats) of ``test_inputs`` under a diagonal Gaussian fitted to ``train_inputs``.

    The fit is by maximum likelihood (mean and variance of each value over the training examples).

    Raises:
        ValueError: if the two arrays' example shapes differ or a training value is constant.
    """
    train = np.asarray(train_inputs, dtype="float64").reshape(len(train_inputs), -1)
    test = np.asarray(test_inputs, dtype="float64").reshape(len(test_inputs), -1)
    if train.shape[1] != test.shape[1]:
        raise ValueError(
            f"Train and test inputs must have the same size. Received: {train.shape[1]} and {test.shape[1]} values"
        )
    mean, variance = train.mean(axis=0), train.var(axis=0)
    if np.any(variance <= 0):
        raise ValueError(
            f"A factorised Gaussian needs every value to vary. Received: {int(np.sum(variance <= 0))} "
            "constant values in the training inputs"
        )
    return -0.5 * np.sum(np.log(2 * math.pi * variance) + (test - mean) ** 2 / variance, axis=1)


def gaussian_baseline(variant, max_examples=0, seed=0):
    """The factorised Gaussian's per-example test log-density in ``variant``'s input space (nats).

    Fitted on the variant's training inputs (with its preprocessing and one noise draw), scored on
    the test inputs ``evaluate_variant`` uses for the same ``max_examples`` and ``seed``.
    """
    train_inputs = variant.prepared.model_inputs(variant.prepared.train[0], seed=seed)
    return gaussian_log_density(train_inputs, _test_inputs(variant, max_examples, seed))


def code_gain(variant, num_samples, max_examples=0, seed=0):
    """How many nats per test image the VAE's log p(x) beats the factorised Gaussian's by, paired per image.

    Uses the variant's first completed seed (``variant.vae``).

    Returns:
        A dict: ``vae_log_px`` and ``gaussian_log_px`` (means, nats per image), ``gain`` (their mean
        difference), ``gain_stderr`` (standard error of the mean paired difference), ``kl`` (the VAE's
        test KL), ``num_examples``, and ``code_earns`` (our rule: gain at least ``MIN_GAIN_NATS`` and
        more than ``GAIN_STANDARD_ERRORS`` standard errors above 0).
    """
    inputs = _test_inputs(variant, max_examples, seed)
    vae_terms = evaluate.log_likelihood(variant.vae, inputs, num_samples=num_samples, seed=seed, verbose=0)
    baseline = gaussian_baseline(variant, max_examples, seed)
    difference = vae_terms["log_px"] - baseline
    stderr = float(np.std(difference, ddof=1) / math.sqrt(len(difference))) if len(difference) > 1 else float("nan")
    gain = float(np.mean(difference))
    return {
        "vae_log_px": float(np.mean(vae_terms["log_px"])),
        "gaussian_log_px": float(np.mean(baseline)),
        "gain": gain,
        "gain_stderr": stderr,
        "kl": float(np.mean(vae_terms["kl"])),
        "num_examples": int(len(difference)),
        "code_earns": bool(gain >= MIN_GAIN_NATS and gain > GAIN_STANDARD_ERRORS * stderr),
    }


def collapse_rows(variants, num_samples, max_examples=0, seed=0):
    """One row per completed variant: its ``code_gain`` with the variant's name, for a table."""
    return [
        {"variant": name, **code_gain(variant, num_samples, max_examples, seed)}
        for name, variant in variants.items()
        if variant.vae is not None
    ]


def collapse_finding(rows):
    """The finding in words, computed from ``collapse_rows``: which models' codes beat the Gaussian."""
    if not rows:
        return "No model completed, so nothing can be said about collapse."
    earns = [row["variant"] for row in rows if row["code_earns"]]
    worse = [row["variant"] for row in rows if row["gain"] < -GAIN_STANDARD_ERRORS * row["gain_stderr"]]
    idle = [row["variant"] for row in rows if not row["code_earns"] and row["variant"] not in worse]
    parts = []
    if worse:
        parts.append(
            f"{', '.join(worse)}: worse than the factorised Gaussian that needs no z (by more than "
            f"{GAIN_STANDARD_ERRORS:g} standard errors)"
        )
    if idle:
        parts.append(
            f"{', '.join(idle)}: no better than that Gaussian (gain below {MIN_GAIN_NATS:g} nat per image or within "
            f"{GAIN_STANDARD_ERRORS:g} standard errors of 0)"
        )
    if earns:
        parts.append(f"{', '.join(earns)}: the code buys likelihood a Gaussian cannot reach")
    n = rows[0]["num_examples"]
    return f"On {n:,} test images, one seed per model: " + "; ".join(parts) + "."


def learned_problem(variant):
    """Why ``variant`` did not learn (the ledger's gate: KL and pixel MSE against the mean image), or ``None``."""
    from vae_keras.writeup import claims

    row = variant.row
    problem = claims.stats.learned_problem(
        {variant.name: (row.get("pixel_mse"), row.get("mean_image_mse"), row.get("test_kl"))}
    )
    return problem and problem.split(": ", 1)[1]


def collapsed(variants, every_seed=False):
    """The names of ``variants`` whose test KL is below the ledger's floor (``claims.KL_FLOOR``): z carries
    almost nothing. ``every_seed``: below it in every completed seed, not only on average."""

    def kl(variant):
        return max(variant.values("test_kl"), default=math.inf) if every_seed else variant.row["test_kl"]

    return [name for name, variant in variants.items() if kl(variant) < KL_FLOOR]


def collapsed_text(variants, names):
    """A sentence naming the ``collapsed`` models and their KL, ``""`` when there is none."""
    if not names:
        return ""
    these = "These models store" if len(names) > 1 else "This model stores"
    return (
        f" {these} almost nothing in z (KL below 1 nat), so the reconstructions are one average "
        "image: " + ", ".join(f"{name} ({variants[name].row['test_kl']:.2f} nats)" for name in names) + "."
    )


def unit_normal_text(variants, names, num_components):
    """The test ELBO of whitened-PCA models that gave up on z, beside the decoder that ignores z and predicts a
    standard normal per component: ``num_components`` x 0.5 ln(2 pi e) nats."""
    if not names:
        return ""
    unit_normal = -num_components * 0.5 * np.log(2 * np.pi * np.e)
    elbos = "; ".join(f"**{name}** {mean_sd(variants[name].values('test_elbo'), '.1f')} nats" for name in names)
    return (
        f"Test ELBO per image of the whitened models whose KL is below 1 nat: {elbos}. A decoder that ignores "
        f"$z$ and predicts a standard normal for each of the {num_components} components scores "
        f"{unit_normal:.1f} nats on the training images, whose whitened components have unit variance (on test "
        "images, about that)."
    )
