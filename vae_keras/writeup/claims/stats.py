"""The statistics every rule shares, each with one written threshold.

- ``compare``: two variants' per-seed values, a gap against the seed-to-seed noise band;
- ``paired_compare``: two measures of the same items (the same test images, the same draws of z),
  decided by an exact two-sided sign test;
- ``rate_upper_bound``: how often an event can happen, at most, given how often it was seen
  (Clopper-Pearson); a claim that something *sometimes* happens is refuted only when that bound is low;
- ``near``: a measure within its noise of a threshold, which leaves a verdict inconclusive;
- ``learned_problem``: the gate a model passes before it may decide anything.
"""

import math

import numpy as np

#: Below this KL (nats per example) the encoder stores almost nothing in z: the model did not train.
KL_FLOOR = 1.0
#: A model learned only if its pixel MSE is at most this share of the mean image's (the trivial model
#: that draws every test image as the average training image).
LEARNED_MSE_RATIO = 0.8
#: ... or, for likelihoods, if it beats the best factorised model of the same data by this share of its bits/dim.
LEARNED_BITS_MARGIN = 0.05
#: The noise band of a difference of means: this many standard errors.
NOISE_STANDARD_ERRORS = 2.0
#: Seeds per variant needed before a difference can be compared with the seed-to-seed spread.
MIN_SEEDS = 2
#: The two-sided level of the sign test on paired measures.
SIGNIFICANCE = 0.05
#: Confidence of the bound on how often an event happens.
RATE_CONFIDENCE = 0.95
#: "Sometimes" is refuted only when the event's rate is bounded below this (at ``RATE_CONFIDENCE``).
SOMETIMES_RATE = 0.25
#: Without a measured noise, a value within this share of a threshold sits on its edge.
EDGE_SHARE = 0.1


def values(seq):
    """A float64 array of ``seq`` (one number or many), ``None`` as NaN."""
    return np.asarray([np.nan if v is None else v for v in np.atleast_1d(seq)], dtype="float64")


def fmt(value, spec=".4g"):
    """A number for a sentence, ``n/a`` when it is missing or not finite."""
    return "n/a" if value is None or (isinstance(value, float) and not math.isfinite(value)) else format(value, spec)


def nats(kl):
    """A KL for a sentence: 4 decimals below 1 nat (where collapses sit), else 2."""
    return f"{kl:.4f}" if abs(kl) < 1 else f"{kl:.2f}"


def compare(a, b, lower_is_better=True):
    """Compares per-seed values of two variants: is ``a`` better than ``b`` beyond the noise?

    The noise band is ``NOISE_STANDARD_ERRORS`` standard errors of the difference of the means, from the
    seed-to-seed spread of each side.

    Args:
        a, b: per-seed values (one per seed).
        lower_is_better: direction of the metric.

    Returns:
        A dict: ``better`` (``"a"``, ``"b"``, ``"within noise"`` or ``None`` when the spread is unknown or
        a value is missing), ``gap`` (mean of ``a`` minus mean of ``b``), ``noise``, the means and standard
        deviations, and the seed counts.
    """
    a, b = values(a), values(b)
    out = {
        "mean_a": float(np.mean(a)) if a.size else math.nan,
        "mean_b": float(np.mean(b)) if b.size else math.nan,
        "std_a": float(np.std(a, ddof=1)) if a.size > 1 else math.nan,
        "std_b": float(np.std(b, ddof=1)) if b.size > 1 else math.nan,
        "seeds_a": int(a.size),
        "seeds_b": int(b.size),
    }
    out["gap"] = out["mean_a"] - out["mean_b"]
    if not (np.all(np.isfinite(a)) and np.all(np.isfinite(b))) or min(a.size, b.size) < MIN_SEEDS:
        out["noise"], out["better"] = math.nan, None
        return out
    out["noise"] = NOISE_STANDARD_ERRORS * math.sqrt(out["std_a"] ** 2 / a.size + out["std_b"] ** 2 / b.size)
    if abs(out["gap"]) <= out["noise"]:
        out["better"] = "within noise"
    else:
        a_lower = out["gap"] < 0
        out["better"] = "a" if a_lower == lower_is_better else "b"
    return out


def sign_test_p(wins, losses):
    """Two-sided exact sign-test p-value for ``wins`` against ``losses`` (ties dropped before)."""
    n = wins + losses
    if n == 0:
        return 1.0
    k = min(wins, losses)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2**n
    return min(1.0, 2 * tail)


def paired_compare(a, b, lower_is_better=True):
    """Compares two measures of the same items, pair by pair: is ``a`` better than ``b``?

    Decided by an exact two-sided sign test at ``SIGNIFICANCE`` over the pairs that differ.

    Returns:
        A dict: ``better`` (``"a"``, ``"b"``, ``"within noise"``, or ``None`` when a value is missing or
        fewer than ``MIN_SEEDS`` pairs exist), ``pairs``, ``a_better`` (pairs where ``a`` is better),
        ``b_better``, ``ties``, ``p_value``, ``mean_a``, ``mean_b`` and ``gap`` (mean of ``a - b``).
    """
    a, b = values(a), values(b)
    if a.shape != b.shape:
        raise ValueError(f"Paired measures need as many values on each side. Received: {a.size} and {b.size}")
    diff = a - b
    a_wins = int(np.sum(diff < 0) if lower_is_better else np.sum(diff > 0))
    b_wins = int(np.sum(diff > 0) if lower_is_better else np.sum(diff < 0))
    out = {
        "pairs": int(a.size),
        "a_better": a_wins,
        "b_better": b_wins,
        "ties": int(a.size - a_wins - b_wins),
        "mean_a": float(np.mean(a)) if a.size else math.nan,
        "mean_b": float(np.mean(b)) if b.size else math.nan,
        "gap": float(np.mean(diff)) if a.size else math.nan,
    }
    if not np.all(np.isfinite(diff)) or a.size < MIN_SEEDS:
        out["p_value"], out["better"] = math.nan, None
        return out
    out["p_value"] = sign_test_p(a_wins, b_wins)
    if out["p_value"] >= SIGNIFICANCE:
        out["better"] = "within noise"
    else:
        out["better"] = "a" if a_wins > b_wins else "b"
    return out


def rate_upper_bound(events, runs, confidence=RATE_CONFIDENCE):
    """The one-sided Clopper-Pearson upper bound on an event's rate, seen ``events`` times in ``runs``.

    With no event in ``n`` runs it is ``1 - (1 - confidence) ** (1 / n)`` (about 3/n: the rule of three).
    """
    if runs <= 0:
        return 1.0
    if events >= runs:
        return 1.0
    from scipy import stats

    return float(stats.beta.ppf(confidence, events + 1, runs - events))


def runs_to_bound(rate=SOMETIMES_RATE, confidence=RATE_CONFIDENCE):
    """The fewest event-free runs whose upper bound on the rate falls below ``rate``."""
    return math.floor(math.log(1 - confidence) / math.log(1 - rate)) + 1


def near(value, threshold, noise=None):
    """Whether ``value`` sits on the edge of ``threshold``: within ``noise`` of it, or, when no noise was
    measured, within ``EDGE_SHARE`` of the threshold's size."""
    band = noise if noise is not None and math.isfinite(noise) else EDGE_SHARE * abs(threshold)
    return abs(value - threshold) <= band


def learned_problem(models):
    """The reason some model did not learn, or ``None`` when every one did.

    A model learned when its KL is at least ``KL_FLOOR`` nats and it reconstructs better than the mean
    image by the stated margin: pixel MSE at most ``LEARNED_MSE_RATIO`` of the mean image's.

    Args:
        models: ``{name: (pixel_mse, mean_image_mse, kl)}``; a value may be a per-seed list (every seed
            must pass).
    """
    problems = []
    for name, (mse, baseline, kl) in models.items():
        mse, baseline, kl = values(mse), values(baseline), values(kl)
        present = mse.size and baseline.size and kl.size
        if not (present and np.all(np.isfinite(mse)) and np.all(np.isfinite(baseline)) and np.all(np.isfinite(kl))):
            problems.append(f"{name}: its pixel MSE, the mean image's or its KL is missing or not finite")
            continue
        ratio = float(np.max(mse / baseline))
        if ratio > LEARNED_MSE_RATIO:
            problems.append(
                f"{name} reconstructs no better than the mean image by the {LEARNED_MSE_RATIO:.0%} rule (pixel MSE "
                f"{fmt(float(np.mean(mse)))} vs {fmt(float(np.mean(baseline)))}, {ratio:.0%} of it)"
            )
        elif float(np.min(kl)) < KL_FLOOR:
            problems.append(f"{name} stores almost nothing in z (KL {nats(float(np.min(kl)))} nats)")
    if not problems:
        return None
    return "a model did not learn, so it cannot decide: " + "; ".join(problems)


def learned_bits_problem(name, bits_per_dim, factorised_bits_per_dim):
    """The reason a model's likelihood is not clearly better than the best factorised model's, or ``None``.

    Clearly better: at least ``LEARNED_BITS_MARGIN`` fewer bits/dim than the factorised baseline.
    """
    bits, base = values(bits_per_dim), values(factorised_bits_per_dim)
    if not (bits.size and np.all(np.isfinite(bits)) and np.all(np.isfinite(base))):
        return f"{name}: its bits/dim or the factorised baseline's is missing or not finite"
    worst, baseline = float(np.max(bits)), float(np.mean(base))
    if worst > (1 - LEARNED_BITS_MARGIN) * baseline:
        return (
            f"{name} is not clearly better than a factorised model of each pixel (worst seed {worst:.3f} vs "
            f"{baseline:.3f} bits/dim; needed at most {(1 - LEARNED_BITS_MARGIN) * baseline:.3f})"
        )
    return None
