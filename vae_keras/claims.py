"""Every claim of the four write-ups, as data, with the rule that decides it from a run's numbers.

A claim is what a write-up says (``statement``), where (``source``), which
notebook measures it, what evidence decides it, the thresholds, and the
preconditions a run must meet before a verdict is allowed. ``judge(id,
**evidence)`` applies the rule and returns a ``Verdict``, one of:

- ``reproduced``: the run agrees with the claim, beyond the seed-to-seed noise;
- ``refuted``: the run points the other way, beyond the noise;
- ``differs``: the run neither confirms nor contradicts it (e.g. a gap within
  noise, or a number outside tolerance), with the reason;
- ``inconclusive``: a precondition failed (e.g. the models did not train at
  this budget), with the reason.

Each verdict carries the numbers it was decided on. A notebook shows its
verdicts in a box; ``vae-keras run`` lists all of them in ``results.json``
(``claims``) and on the report's index. The sources are the four write-ups
this project reproduces:

- ``000``: "A VAE on SVHN" (fixed vs fitted variance, PCA, the training recipe);
- ``001``: the latent-size study on MNIST and SVHN;
- ``002``: "A VAE from scratch in NumPy";
- ``003``: "A Musing Upon Variational Autoencoders" (Kingma & Welling's MNIST runs).
"""

import dataclasses
import html
import math

import numpy as np

REPRODUCED, REFUTED, DIFFERS, INCONCLUSIVE = "reproduced", "refuted", "differs", "inconclusive"
VERDICTS = (REPRODUCED, REFUTED, DIFFERS, INCONCLUSIVE)

SOURCES = {
    "000": "A VAE on SVHN",
    "001": "Latent sizes on MNIST and SVHN",
    "002": "A VAE from scratch in NumPy",
    "003": "A Musing Upon Variational Autoencoders (Kingma & Welling reproduced)",
}

#: Below this KL (nats per example) the encoder stores almost nothing in z: the model did not train.
KL_FLOOR = 1.0
#: The noise band of a difference of means: this many standard errors.
NOISE_STANDARD_ERRORS = 2.0
#: Seeds per variant needed before a difference can be compared with the seed-to-seed spread.
MIN_SEEDS = 2


@dataclasses.dataclass(frozen=True)
class Verdict:
    """The outcome of one claim on one run."""

    claim_id: str
    verdict: str
    reason: str
    evidence: dict

    def __post_init__(self):
        if self.verdict not in VERDICTS:
            raise ValueError(f"Unknown verdict. Received: verdict={self.verdict!r}. Accepted: {', '.join(VERDICTS)}")

    @property
    def claim(self):
        return CLAIMS[self.claim_id]

    def to_dict(self):
        """The ``results.json`` entry: id, source, statement, notebook, verdict, reason, evidence."""
        claim = self.claim
        return {
            "id": self.claim_id,
            "source": claim.source,
            "source_title": SOURCES[claim.source],
            "statement": claim.statement,
            "notebook": claim.notebook,
            "verdict": self.verdict,
            "reason": self.reason,
            "evidence": _plain(self.evidence),
        }

    def _repr_html_(self):
        return verdict_box([self])


@dataclasses.dataclass(frozen=True)
class Claim:
    """One claim of a write-up and the rule that decides it.

    Args:
        id: short identifier, e.g. ``"fixed_sigma_poor"``.
        source: the write-up, a key of ``SOURCES``.
        statement: what the write-up says, in one sentence.
        notebook: the notebook whose run decides it.
        evidence: which runs and which metric decide it, in words.
        thresholds: the numbers the rule uses.
        decide: ``decide(claim, **evidence) -> Verdict``.
    """

    id: str
    source: str
    statement: str
    notebook: str
    evidence: str
    thresholds: dict
    decide: object

    def verdict(self, verdict, reason, **evidence):
        return Verdict(self.id, verdict, reason, evidence)


CLAIMS = {}


def _register(id, source, notebook, statement, evidence, **thresholds):
    def wrap(decide):
        if id in CLAIMS:
            raise ValueError(f"Claim {id!r} is registered twice.")
        CLAIMS[id] = Claim(id, source, statement, notebook, evidence, thresholds, decide)
        return decide

    return wrap


def judge(claim_id, **evidence):
    """Decides one claim from a run's evidence.

    Args:
        claim_id: a key of ``CLAIMS``.
        **evidence: the numbers its rule reads (see each claim's ``evidence``).

    Returns:
        A ``Verdict``.

    Raises:
        ValueError: for an unknown claim id.
    """
    if claim_id not in CLAIMS:
        raise ValueError(f"Unknown claim. Received: claim_id={claim_id!r}. Accepted: {', '.join(CLAIMS)}")
    claim = CLAIMS[claim_id]
    return claim.decide(claim, **evidence)


def not_run(claim_id, reason):
    """The verdict of a claim whose notebook did not run (skipped, failed or not selected)."""
    return Verdict(claim_id, INCONCLUSIVE, reason, {})


def for_notebook(notebook):
    """The claims a notebook decides, in registry order."""
    return [claim for claim in CLAIMS.values() if claim.notebook == notebook]


# --------------------------------------------------------------------------
# Statistics shared by the rules
# --------------------------------------------------------------------------


def _plain(value):
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [_plain(v) for v in list(value)]
    if isinstance(value, (np.floating, float)):
        value = float(value)
        return value if math.isfinite(value) else None  # e.g. the spread of one seed: undefined, not a number
    if isinstance(value, np.integer):
        return int(value)
    return value


def _values(values):
    array = np.asarray([np.nan if v is None else v for v in np.atleast_1d(values)], dtype="float64")
    return array


def compare(a, b, lower_is_better=True):
    """Compares per-seed values of two variants: is ``a`` better than ``b`` beyond the noise?

    The noise band is ``NOISE_STANDARD_ERRORS`` standard errors of the
    difference of the means, from the seed-to-seed spread of each side.

    Args:
        a, b: per-seed values (one per seed).
        lower_is_better: direction of the metric.

    Returns:
        A dict: ``better`` (``"a"``, ``"b"``, ``"within noise"`` or ``None``
        when the spread is unknown or a value is missing), ``gap`` (mean of
        ``a`` minus mean of ``b``), ``noise``, the means and standard
        deviations, and the seed counts.
    """
    a, b = _values(a), _values(b)
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


def _seed_problem(comparison, what):
    """The reason a comparison cannot be decided, or ``None``."""
    if min(comparison["seeds_a"], comparison["seeds_b"]) < MIN_SEEDS:
        return (
            f"{min(comparison['seeds_a'], comparison['seeds_b'])} seed per variant: the seed-to-seed spread of "
            f"{what} is unknown, so no gap can be told from noise (run with num_seeds >= {MIN_SEEDS})"
        )
    if comparison["better"] is None:
        return f"{what} is missing or not finite for some seed"
    return None


def _untrained(kl_values, names=None, floor=KL_FLOOR):
    """The reason the models count as untrained (a KL below ``floor`` nats), or ``None``."""
    kl = _values(kl_values)
    if kl.size == 0 or not np.all(np.isfinite(kl)):
        return "the KL term is missing or not finite"
    low = np.flatnonzero(kl < floor)
    if low.size:
        which = ", ".join(f"{names[i]}: {kl[i]:.2f}" if names else f"{kl[i]:.2f}" for i in low[:4])
        return f"the models did not train at this budget: KL below {floor:g} nat ({which})"
    return None


def _fmt(value, spec=".4g"):
    return "n/a" if value is None or (isinstance(value, float) and not math.isfinite(value)) else format(value, spec)


def _gap_text(comparison, name_a, name_b, unit, spec=".4g"):
    return (
        f"{name_a} {_fmt(comparison['mean_a'], spec)} vs {name_b} {_fmt(comparison['mean_b'], spec)} {unit} "
        f"(gap {_fmt(comparison['gap'], '+' + spec)}, noise band ±{_fmt(comparison['noise'], spec)}, "
        f"{comparison['seeds_a']} and {comparison['seeds_b']} seeds)"
    )


def _compare_verdict(claim, comparison, name_a, name_b, unit, claim_says_a_better, evidence, spec=".4g"):
    """Verdict of "a is better than b" (or the reverse) from ``compare`` output."""
    problem = _seed_problem(comparison, unit)
    text = _gap_text(comparison, name_a, name_b, unit, spec)
    if problem:
        return claim.verdict(INCONCLUSIVE, f"{problem}; {text}", **evidence)
    if comparison["better"] == "within noise":
        return claim.verdict(DIFFERS, f"within noise: {text}", **evidence)
    agrees = (comparison["better"] == "a") == claim_says_a_better
    better = name_a if comparison["better"] == "a" else name_b
    return claim.verdict(REPRODUCED if agrees else REFUTED, f"{better} is better beyond noise: {text}", **evidence)


# --------------------------------------------------------------------------
# 000: the SVHN write-up (notebooks 02-04)
# --------------------------------------------------------------------------

UNIFORM_BITS_PER_DIM = 8.0  # a uniform model over 256 grey levels


@_register(
    "fixed_sigma_poor",
    "000",
    "02_fixed_vs_fitted_variance",
    "A decoder with a fixed sigma works poorly; fitting the variance works better.",
    "Test bits/dim (dequantised pixels, k-sample log p(x)) of the best fixed-sigma and the best fitted-variance "
    "decoder, per seed.",
    uniform_bits_per_dim=UNIFORM_BITS_PER_DIM,
    kl_floor=KL_FLOOR,
)
def _fixed_sigma_poor(claim, fixed, fitted, kl, fixed_name="fixed sigma", fitted_name="fitted variance"):
    comparison = compare(fitted, fixed)
    evidence = {"fixed": fixed_name, "fitted": fitted_name, **comparison, "min_kl": float(np.min(_values(kl)))}
    problem = _untrained(kl)
    if problem:
        return claim.verdict(INCONCLUSIVE, problem, **evidence)
    best = min(comparison["mean_a"], comparison["mean_b"])
    if not math.isfinite(best) or best >= UNIFORM_BITS_PER_DIM:
        return claim.verdict(
            INCONCLUSIVE,
            f"the models did not train at this budget: the best scores {_fmt(best, '.3f')} bits/dim, no better than "
            f"a uniform model ({UNIFORM_BITS_PER_DIM:g})",
            **evidence,
        )
    return _compare_verdict(claim, comparison, fitted_name, fixed_name, "bits/dim", True, evidence, ".3f")


@_register(
    "variance_floor_needed",
    "000",
    "02_fixed_vs_fitted_variance",
    "Without a floor on the fitted variance (the varlog epsilon), training goes NaN.",
    "Whether the fitted-variance decoder with a floor of 1e-9 on raw (undequantised) pixels diverges, and how many "
    "training examples it saw.",
    min_examples=1_000_000,
    # Share of the training objective's whole change made in the last quarter of the epochs: above it, the
    # run was still moving (towards an unbounded likelihood on saturated pixels) and a longer one may diverge.
    max_late_change=0.1,
)
def _variance_floor_needed(claim, status, epochs, examples_seen, error=None, train_curve=None, clipnorm=None):
    evidence = {"status": status, "epochs": epochs, "examples_seen": examples_seen}
    if clipnorm:
        evidence["clipnorm"] = clipnorm
    if status == "diverged":
        reason = f"the run went non-finite after {counted(epochs, 'epoch')}: {error}"
        return claim.verdict(REPRODUCED, reason, **evidence)
    if status != "completed":
        return claim.verdict(INCONCLUSIVE, f"the run ended as {status!r}", **evidence)
    if examples_seen < claim.thresholds["min_examples"]:
        return claim.verdict(
            INCONCLUSIVE,
            f"no NaN in {examples_seen:,} training examples ({counted(epochs, 'epoch')}), fewer than the "
            f"{claim.thresholds['min_examples']:,} needed to call it stable",
            **evidence,
        )
    curve = [float(v) for v in (train_curve if train_curve is not None else [])]
    if len(curve) >= 4 and all(math.isfinite(v) for v in curve) and curve[0] != curve[-1]:
        tail = max(1, len(curve) // 4)
        late = curve[-1 - tail] - curve[-1]
        share = abs(late) / abs(curve[0] - curve[-1])
        evidence |= {"late_change": late, "late_epochs": tail, "late_share": share}
        if share > claim.thresholds["max_late_change"]:
            return claim.verdict(
                INCONCLUSIVE,
                f"stayed finite for {examples_seen:,} examples ({counted(epochs, 'epoch')}), but its training "
                f"objective was still moving: it {'fell' if late > 0 else 'rose'} by {abs(late):.1f} nats over the "
                f"last {counted(tail, 'epoch')}, "
                f"{share:.0%} of its whole change (more than {claim.thresholds['max_late_change']:.0%}), so a "
                "longer run may still diverge",
                **evidence,
            )
    reason = f"trained {examples_seen:,} examples ({counted(epochs, 'epoch')}) with a 1e-9 floor and stayed finite"
    if "late_change" in evidence:
        late, tail = evidence["late_change"], evidence["late_epochs"]
        reason += (
            f"; its training objective {'fell' if late > 0 else 'rose'} by {abs(late):.1f} nats over the last "
            f"{counted(tail, 'epoch')} ({abs(late) / tail:.1f} per epoch, {evidence['late_share']:.0%} of its whole "
            "change)"
        )
    if clipnorm:
        reason += f", with its gradients clipped at norm {clipnorm:g}"
    return claim.verdict(REFUTED, reason, **evidence)


@_register(
    "whitening_hurts",
    "000",
    "03_components_or_convolutions",
    "Training on whitened PCA components works worse than on plain PCA components.",
    "Test reconstruction error in pixel space of the PCA and the whitened-PCA MLP VAE, per seed, and their KL "
    "(a whitened model that collapses, while the PCA one trains, works worse).",
    min_examples=1_000_000,
    kl_floor=KL_FLOOR,
)
def _whitening_hurts(claim, pca, whitened, pca_kl, whitened_kl, examples_seen):
    comparison = compare(pca, whitened)
    evidence = {**_collapse_evidence(pca_kl, whitened_kl, examples_seen), **comparison}
    problem = _untrained(pca_kl)
    if problem:
        return claim.verdict(INCONCLUSIVE, f"the PCA baseline: {problem}", **evidence)
    collapse = _collapse(claim, "whitened PCA", whitened_kl, examples_seen)
    if collapse:
        verdict, why = collapse
        if verdict == REPRODUCED:
            gap = _gap_text(comparison, "PCA", "whitened PCA", "pixel MSE", ".4g")
            why += f", while plain PCA trained (KL {_nats(evidence['kl_a'])} nats); {gap}"
            if comparison["better"] == "b":  # collapsed, yet the better reconstructions: the two measures disagree
                return claim.verdict(DIFFERS, f"{why}: the collapsed model reconstructs better", **evidence)
        return claim.verdict(verdict, why, **evidence)
    return _compare_verdict(claim, comparison, "PCA", "whitened PCA", "pixel MSE", True, evidence)


@_register(
    "small_init_whitening",
    "000",
    "03_components_or_convolutions",
    "Kingma's code trained on whitened PCA successfully thanks to a small-init log-variance head.",
    "Test reconstruction error in pixel space of whitened PCA with and without the small-init head, per seed, and "
    "their KL (does the head make a model train that otherwise collapses?).",
    min_examples=1_000_000,
    kl_floor=KL_FLOOR,
)
def _small_init_whitening(claim, small_init, whitened, small_init_kl, whitened_kl, examples_seen):
    comparison = compare(small_init, whitened)
    evidence = {**_collapse_evidence(small_init_kl, whitened_kl, examples_seen), **comparison}
    small, default = _kl_state(small_init_kl), _kl_state(whitened_kl)
    kls = (
        f"KL {_nats(evidence['kl_a'])} nats with the small-init head, {_nats(evidence['kl_b'])} without (means over "
        f"seeds), after {examples_seen:,} training examples"
    )
    if MISSING in (small, default):
        return claim.verdict(INCONCLUSIVE, "the KL term is missing or not finite for some seed", **evidence)
    if MIXED in (small, default):
        return claim.verdict(INCONCLUSIVE, f"some seeds collapsed (KL below 1 nat) and some trained: {kls}", **evidence)
    if COLLAPSED in (small, default) and examples_seen < claim.thresholds["min_examples"]:
        return claim.verdict(
            INCONCLUSIVE,
            f"{kls}: fewer than the {claim.thresholds['min_examples']:,} needed to call a collapse",
            **evidence,
        )
    if small == default == COLLAPSED:
        return claim.verdict(
            REFUTED, f"the small-init head did not make whitened PCA train: both collapsed ({kls})", **evidence
        )
    if default == COLLAPSED:
        return claim.verdict(REPRODUCED, f"only the small-init head trained ({kls})", **evidence)
    if small == COLLAPSED:
        return claim.verdict(REFUTED, f"only the small-init head collapsed ({kls})", **evidence)
    return _compare_verdict(claim, comparison, "small-init head", "default head", "pixel MSE", True, evidence)


def _collapse_evidence(kl_a, kl_b, examples_seen):
    a, b = _values(kl_a), _values(kl_b)
    both = np.r_[a, b]
    return {
        "kl_a": float(np.mean(a)) if a.size else math.nan,
        "kl_b": float(np.mean(b)) if b.size else math.nan,
        "min_kl": float(np.min(both)) if both.size else math.nan,
        "examples_seen": int(examples_seen),
    }


COLLAPSED, TRAINED, MIXED, MISSING = "collapsed", "trained", "mixed", "missing"


def _kl_state(kl_values):
    """``"collapsed"`` (every seed's KL below the floor), ``"trained"`` (none), ``"mixed"`` or ``"missing"``."""
    kl = _values(kl_values)
    if kl.size == 0 or not np.all(np.isfinite(kl)):
        return MISSING
    low = kl < KL_FLOOR
    return COLLAPSED if low.all() else TRAINED if not low.any() else MIXED


def _collapse(claim, name, kl_values, examples_seen):
    """``(verdict, reason)`` when the model ``name`` collapsed (or cannot tell), ``None`` when it trained.

    Every seed's KL below the floor counts as a collapse (reproducing a claim that it works worse) once the
    model has seen ``min_examples``; before that it may still be on its way, and the claim stays inconclusive,
    as it does when some seeds collapsed and others trained.
    """
    state, kl = _kl_state(kl_values), _values(kl_values)
    if state == MISSING:
        return INCONCLUSIVE, f"the KL term of {name} is missing or not finite"
    if state == TRAINED:
        return None
    if state == MIXED:
        return INCONCLUSIVE, (
            f"some seeds of the {name} VAE collapsed (KL below 1 nat) and some trained: KL "
            + ", ".join(_nats(v) for v in kl)
            + " nats"
        )
    mean = float(np.mean(kl))
    if examples_seen < claim.thresholds["min_examples"]:
        return INCONCLUSIVE, (
            f"the {name} VAE's KL is {mean:.2f} nats after {examples_seen:,} training examples, fewer than the "
            f"{claim.thresholds['min_examples']:,} needed to call it a collapse"
        )
    return REPRODUCED, f"the {name} VAE collapsed: KL {_nats(mean)} nats after {examples_seen:,} training examples"


def _nats(kl):
    """A KL for a sentence: 4 decimals below 1 nat (where collapses sit), else 2."""
    return f"{kl:.4f}" if abs(kl) < 1 else f"{kl:.2f}"


@_register(
    "convolutions_failed",
    "000",
    "03_components_or_convolutions",
    "Convolutional VAEs did not work on SVHN: the MLP did better.",
    "Test reconstruction error in pixel space of the convolutional and the pixel MLP VAE, per seed, and the "
    "convolutional model's KL (posterior collapse counts as not working).",
    min_examples=1_000_000,
    kl_floor=KL_FLOOR,
)
def _convolutions_failed(claim, conv, mlp, conv_kl, mlp_kl, examples_seen):
    comparison = compare(mlp, conv)
    evidence = {
        **comparison,
        "conv_kl": float(np.mean(_values(conv_kl))),
        "mlp_kl": float(np.mean(_values(mlp_kl))),
        "examples_seen": examples_seen,
    }
    problem = _untrained(mlp_kl)
    if problem:
        return claim.verdict(INCONCLUSIVE, f"the MLP baseline: {problem}", **evidence)
    collapse = _collapse(claim, "convolutional", conv_kl, examples_seen)
    if collapse:
        verdict, why = collapse
        if verdict == REPRODUCED:
            why += f" (the MLP's: {evidence['mlp_kl']:.1f})"
        return claim.verdict(verdict, why, **evidence)
    return _compare_verdict(claim, comparison, "MLP", "convolutional", "pixel MSE", True, evidence)


@_register(
    "learning_rate_blowups",
    "000",
    "04_implementation_notes",
    "With the fitted variance, Adam at 1e-3 blows up, while 1e-4 is stable.",
    "Per-batch training losses at both learning rates: divergence, and loss spikes (a jump of more than 10 times "
    "the median step-to-step change).",
    min_steps=2000,
    spike_margin=3,
)
def _learning_rate_blowups(claim, high_status, low_status, high_spikes, low_spikes, steps):
    evidence = {
        "lr_1e-3": high_status,
        "lr_1e-4": low_status,
        "spikes_1e-3": high_spikes,
        "spikes_1e-4": low_spikes,
        "steps": steps,
    }
    margin = claim.thresholds["spike_margin"]
    high_blew = high_status == "diverged" or high_spikes >= low_spikes + margin
    low_blew = low_status == "diverged" or low_spikes >= high_spikes + margin
    summary = (
        f"lr 1e-3: {high_status}, {high_spikes} spikes; lr 1e-4: {low_status}, {low_spikes} spikes; "
        f"{steps:,} optimizer steps each"
    )
    if high_blew and not low_blew:
        return claim.verdict(REPRODUCED, summary, **evidence)
    if low_blew and not high_blew:
        return claim.verdict(REFUTED, f"the smaller rate was the unstable one: {summary}", **evidence)
    if high_blew and low_blew:
        return claim.verdict(DIFFERS, f"both rates blew up: {summary}", **evidence)
    if steps < claim.thresholds["min_steps"]:
        return claim.verdict(
            INCONCLUSIVE,
            f"no blow-up at either rate in {steps:,} steps, fewer than the {claim.thresholds['min_steps']:,} needed "
            f"to call both stable; {summary}",
            **evidence,
        )
    return claim.verdict(REFUTED, f"both rates stayed stable: {summary}", **evidence)


@_register(
    "big_batch_faster",
    "000",
    "04_implementation_notes",
    "A bigger batch speeds up training (more images per second).",
    "Seconds per epoch at a small and a big batch size, over the epochs after the first (spread over epochs).",
    min_epochs=3,
)
def _big_batch_faster(claim, small_batch, big_batch, small_seconds, big_seconds, num_images):
    small, big = _values(small_seconds), _values(big_seconds)
    evidence = {"small_batch": small_batch, "big_batch": big_batch, "num_images": num_images}
    if min(small.size, big.size) < claim.thresholds["min_epochs"]:
        return claim.verdict(
            INCONCLUSIVE,
            f"{min(small.size, big.size)} timed epochs; at least {claim.thresholds['min_epochs']} are needed to "
            "measure the spread of an epoch's time",
            **evidence,
        )
    comparison = compare(num_images / big, num_images / small, lower_is_better=False)
    evidence.update(comparison)
    verdict, reason = _throughput_outcome(comparison, small_batch, big_batch)
    return claim.verdict(verdict, reason, **evidence)


def _throughput_outcome(comparison, small_batch, big_batch):
    text = (
        f"batch {big_batch}: {comparison['mean_a']:,.0f} images/s vs batch {small_batch}: "
        f"{comparison['mean_b']:,.0f} images/s (noise band ±{comparison['noise']:,.0f}, over "
        f"{comparison['seeds_a']} and {counted(comparison['seeds_b'], 'epoch')})"
    )
    if comparison["better"] == "within noise":
        return DIFFERS, f"within noise: {text}"
    if comparison["better"] == "a":
        return REPRODUCED, text
    return REFUTED, f"the bigger batch was slower: {text}"


@_register(
    "big_term_first",
    "000",
    "04_implementation_notes",
    "The bigger loss term is optimised first.",
    "Per-epoch reconstruction and KL terms of the recipe: the epoch by which each has made half of its total "
    "change from epoch 1 to the end; the bigger term is the larger one after epoch 1.",
    min_epochs=5,
    kl_floor=KL_FLOOR,
)
def _big_term_first(claim, reconstruction, kl):
    reconstruction, kl = _values(reconstruction), _values(kl)
    evidence = {"epochs": int(reconstruction.size)}
    if reconstruction.size < claim.thresholds["min_epochs"]:
        return claim.verdict(
            INCONCLUSIVE,
            f"{counted(int(reconstruction.size), 'epoch')}: at least {claim.thresholds['min_epochs']} are needed "
            "to see an order",
            **evidence,
        )
    problem = _untrained(kl[-1:])
    if problem:
        return claim.verdict(INCONCLUSIVE, problem, **evidence)
    terms = {"reconstruction": reconstruction, "KL": kl}
    half = {name: half_change_epoch(values) for name, values in terms.items()}
    big = max(terms, key=lambda name: abs(terms[name][0]))
    small = "KL" if big == "reconstruction" else "reconstruction"
    evidence.update(
        bigger_term=big,
        **{f"{name}_epoch1": float(values[0]) for name, values in terms.items()},
        **{f"{name}_final": float(values[-1]) for name, values in terms.items()},
        **{f"{name}_half_change_epoch": half[name] for name in terms},
    )
    text = (
        f"the bigger term after epoch 1 is {big} ({abs(terms[big][0]):.1f} vs {abs(terms[small][0]):.1f} nats); "
        f"half of its change was made by epoch {half[big]}, the {small} term's by epoch {half[small]}"
    )
    if half[big] < half[small]:
        return claim.verdict(REPRODUCED, text, **evidence)
    if half[big] > half[small]:
        return claim.verdict(REFUTED, text, **evidence)
    return claim.verdict(DIFFERS, f"both in the same epoch: {text}", **evidence)


def half_change_epoch(values):
    """The first epoch (1-based) by which a curve has made half of its change from epoch 1 to its last epoch."""
    values = _values(values)
    change = values[-1] - values[0]
    if change == 0:
        return 1
    progress = (values - values[0]) / change
    return int(np.argmax(progress >= 0.5)) + 1


# --------------------------------------------------------------------------
# 001: latent sizes, decoders and encoders (notebook 07)
# --------------------------------------------------------------------------


@_register(
    "more_latents_better_reconstructions",
    "001",
    "07_latent_dimensions",
    "More latent dimensions give better reconstructions.",
    "Test reconstruction error in pixel space at the smallest and the largest latent size, for each decoder and "
    "encoder that trained; a change of at least the relative threshold counts.",
    relative_change=0.05,
    kl_floor=KL_FLOOR,
)
def _more_latents(claim, families):
    """``families``: ``{name: {"latent_sizes": [...], "pixel_mse": [...], "kl": [...]}}``."""
    threshold = claim.thresholds["relative_change"]
    judged, skipped, evidence, turns = {}, {}, {}, {}
    for name, family in families.items():
        sizes, mse, kl = family["latent_sizes"], _values(family["pixel_mse"]), _values(family["kl"])
        if len(sizes) < 2:
            skipped[name] = "one latent size"
            continue
        problem = _untrained(kl[:1])
        if problem:
            skipped[name] = f"z={sizes[0]} did not train (KL {kl[0]:.2f})"
            continue
        if not (np.isfinite(mse[0]) and np.isfinite(mse[-1])):
            skipped[name] = f"no finite pixel MSE at z={sizes[0]} or z={sizes[-1]}"
            continue
        change = (mse[-1] - mse[0]) / mse[0]
        judged[name] = change
        best = int(np.nanargmin(mse))
        evidence[name] = {
            f"mse_z{sizes[0]}": mse[0],
            f"mse_z{sizes[-1]}": mse[-1],
            "relative_change": change,
            "best_latent_size": sizes[best],
        }
        rise = (mse[-1] - mse[best]) / mse[best]
        if rise >= threshold:  # the curve turns back up before the largest size: say so beside the verdict
            turns[name] = f"{name} is best at z={sizes[best]} ({mse[best]:.4f}), {rise:+.1%} at z={sizes[-1]}"
    if not judged:
        reasons = "; ".join(f"{k}: {v}" for k, v in skipped.items()) or "no models"
        return claim.verdict(INCONCLUSIVE, f"no family can be judged ({reasons})", **evidence)
    text = "; ".join(f"{name}: {change:+.1%}" for name, change in judged.items())
    text = f"pixel MSE from the smallest to the largest z: {text}"
    if turns:
        text += f"; not all the way up (a rise of at least {threshold:.0%} past the best size): " + "; ".join(
            turns.values()
        )
    if skipped:
        text += " (not judged: " + "; ".join(f"{k}: {v}" for k, v in skipped.items()) + ")"
    if all(change <= -threshold for change in judged.values()):
        return claim.verdict(REPRODUCED, text, **evidence)
    if all(change >= threshold for change in judged.values()):
        return claim.verdict(REFUTED, text, **evidence)
    return claim.verdict(DIFFERS, f"not every family improves by {threshold:.0%}: {text}", **evidence)


@_register(
    "gaussian_like_bernoulli",
    "001",
    "07_latent_dimensions",
    "A Gaussian decoder does about as well as a Bernoulli one.",
    "Test reconstruction error in pixel space of the Bernoulli and the Gaussian MLP VAE, averaged over the latent "
    "sizes where both trained; 'about equal' means within the relative tolerance.",
    relative_tolerance=0.2,
    kl_floor=KL_FLOOR,
)
def _gaussian_like_bernoulli(claim, latent_sizes, bernoulli_mse, gaussian_mse, bernoulli_kl, gaussian_kl):
    bern, gauss = _values(bernoulli_mse), _values(gaussian_mse)
    ok = (_values(bernoulli_kl) >= KL_FLOOR) & (_values(gaussian_kl) >= KL_FLOOR) & np.isfinite(bern + gauss)
    evidence = {"latent_sizes_judged": [int(z) for z, keep in zip(latent_sizes, ok) if keep]}
    if not ok.any():
        return claim.verdict(
            INCONCLUSIVE,
            "the models did not train at this budget: no latent size where both KL exceed 1 nat",
            **evidence,
        )
    mean_b, mean_g = float(bern[ok].mean()), float(gauss[ok].mean())
    relative = (mean_g - mean_b) / mean_b
    evidence.update(bernoulli_mse=mean_b, gaussian_mse=mean_g, relative_difference=relative)
    text = (
        f"pixel MSE {mean_g:.4g} (Gaussian) vs {mean_b:.4g} (Bernoulli), {relative:+.1%}, over z in "
        f"{evidence['latent_sizes_judged']}"
    )
    if abs(relative) <= claim.thresholds["relative_tolerance"]:
        return claim.verdict(REPRODUCED, text, **evidence)
    better = "Gaussian" if relative < 0 else "Bernoulli"
    return claim.verdict(DIFFERS, f"the {better} decoder reconstructs clearly better: {text}", **evidence)


@_register(
    "convolutions_work_at_100",
    "001",
    "07_latent_dimensions",
    "A convolutional VAE works well with a 100-dimensional latent space.",
    "Test log p(x) and KL of the convolutional and the MLP VAE at the largest latent size (which must be at least "
    "50), same decoder; 'works well' means trained and no more than the tolerance below the MLP.",
    tolerance_nats=2.0,
    min_latent_dim=50,
    min_examples=1_000_000,
    kl_floor=KL_FLOOR,
)
def _convolutions_work(claim, latent_dim, conv_log_px, mlp_log_px, conv_kl, mlp_kl, examples_seen):
    evidence = {
        "latent_dim": latent_dim,
        "conv_log_px": conv_log_px,
        "mlp_log_px": mlp_log_px,
        "conv_kl": conv_kl,
        "mlp_kl": mlp_kl,
        "examples_seen": examples_seen,
    }
    if examples_seen < claim.thresholds["min_examples"]:
        return claim.verdict(
            INCONCLUSIVE,
            f"{examples_seen:,} training examples per model, fewer than the {claim.thresholds['min_examples']:,} "
            f"needed to tell a convolutional VAE that fails from one still learning (conv KL {conv_kl:.2f}, "
            f"MLP KL {mlp_kl:.2f} nats)",
            **evidence,
        )
    if latent_dim < claim.thresholds["min_latent_dim"]:
        return claim.verdict(
            INCONCLUSIVE, f"the largest latent size run is {latent_dim}; the claim is about 100", **evidence
        )
    problem = _untrained([mlp_kl])
    if problem:
        return claim.verdict(INCONCLUSIVE, f"the MLP baseline: {problem}", **evidence)
    if conv_kl < KL_FLOOR:
        return claim.verdict(
            REFUTED,
            f"posterior collapse: the convolutional VAE's KL is {conv_kl:.2f} nats at z={latent_dim}",
            **evidence,
        )
    gap = conv_log_px - mlp_log_px
    text = f"log p(x) {conv_log_px:.2f} (conv) vs {mlp_log_px:.2f} (MLP) nats at z={latent_dim}, gap {gap:+.2f}"
    if gap >= -claim.thresholds["tolerance_nats"]:
        return claim.verdict(REPRODUCED, text, **evidence)
    return claim.verdict(DIFFERS, f"the convolutional VAE trails the MLP: {text}", **evidence)


@_register(
    "manifold_shows_some_digits",
    "001",
    "07_latent_dimensions",
    "The 2-D latent manifold shows only some of the digits.",
    "A logistic-regression classifier, trained on the training images, labels every tile of the decoded 20x20 "
    "manifold; a digit counts as shown when it labels at least the minimum share of tiles.",
    min_share=0.01,
    min_classifier_accuracy=0.8,
    max_distance_ratio=1.25,
    kl_floor=KL_FLOOR,
)
def _manifold_digits(claim, tile_labels, num_classes, classifier_accuracy, kl, tile_distance, real_distance):
    """``tile_distance``/``real_distance``: median RMS distance of the tiles / of real test images to their
    nearest training image; tiles much further away than real digits are blurs, not digits."""
    tile_labels = np.asarray(tile_labels)
    counts = np.bincount(tile_labels, minlength=num_classes)
    shown = [int(c) for c in np.flatnonzero(counts >= claim.thresholds["min_share"] * len(tile_labels))]
    evidence = {
        "digits_shown": shown,
        "classifier_accuracy": classifier_accuracy,
        "kl": kl,
        "tiles": len(tile_labels),
        "tile_distance": tile_distance,
        "real_distance": real_distance,
    }
    if classifier_accuracy < claim.thresholds["min_classifier_accuracy"]:
        return claim.verdict(
            INCONCLUSIVE, f"the tile classifier is only {classifier_accuracy:.0%} accurate on test images", **evidence
        )
    problem = _untrained([kl])
    if problem:
        return claim.verdict(INCONCLUSIVE, problem, **evidence)
    ratio = claim.thresholds["max_distance_ratio"]
    if tile_distance > ratio * real_distance:
        return claim.verdict(
            INCONCLUSIVE,
            f"the decoded tiles are not digit-like: their median distance to the nearest training image is "
            f"{tile_distance:.3f}, more than {ratio:g} times that of real test images ({real_distance:.3f})",
            **evidence,
        )
    text = f"{len(shown)} of {num_classes} digits shown ({', '.join(map(str, shown))})"
    return claim.verdict(REPRODUCED if len(shown) < num_classes else REFUTED, text, **evidence)


# --------------------------------------------------------------------------
# 002: the NumPy VAE (notebook 08)
# --------------------------------------------------------------------------


@_register(
    "numpy_blurrier",
    "002",
    "08_numpy_from_scratch",
    "The NumPy VAE's samples are blurrier than the framework's.",
    "Sharpness (mean absolute difference between neighbouring pixels) of each model's sample means for the same "
    "draws of z; the spread is over samples. Both models must have trained (KL above the floor).",
    kl_floor=KL_FLOOR,
)
def _numpy_blurrier(claim, numpy_sharpness, keras_sharpness, numpy_elbo, keras_elbo, numpy_kl, keras_kl):
    comparison = compare(keras_sharpness, numpy_sharpness, lower_is_better=False)
    evidence = {
        "numpy_test_elbo": numpy_elbo,
        "keras_test_elbo": keras_elbo,
        "numpy_kl": numpy_kl,
        "keras_kl": keras_kl,
        **comparison,
    }
    problem = _untrained([numpy_kl, keras_kl], names=["NumPy", "Keras"])
    if problem:
        return claim.verdict(INCONCLUSIVE, problem, **evidence)
    text = (
        f"sharpness {comparison['mean_b']:.4f} (NumPy) vs {comparison['mean_a']:.4f} (Keras), gap "
        f"{-comparison['gap']:+.4f}, noise band ±{comparison['noise']:.4f} over {comparison['seeds_a']} samples"
    )
    if comparison["better"] is None:
        return claim.verdict(INCONCLUSIVE, f"too few samples to measure the spread; {text}", **evidence)
    if comparison["better"] == "within noise":
        return claim.verdict(DIFFERS, f"equally sharp within noise: {text}", **evidence)
    if comparison["better"] == "a":
        return claim.verdict(REPRODUCED, text, **evidence)
    return claim.verdict(REFUTED, f"the NumPy samples are the sharper ones: {text}", **evidence)


# --------------------------------------------------------------------------
# 003: Kingma & Welling's MNIST runs, as re-run in "A Musing" (notebook 06)
# --------------------------------------------------------------------------

#: The write-up's table: run -> (train, test) negative ELBO in nats, and its budget in training examples.
KINGMA_WELLING_ROWS = {
    "kw_adagrad": ("K&W 784-1000-3-500-784, Adagrad", 145.0, 147.3, 12_000_000),
    "kw_adam": ("+ Adam 1e-3", 138.5, 145.3, 12_000_000),
    "kw_elu": ("+ ELU", 141.7, 144.1, 12_000_000),
    "kw_wider": ("784-2000-6-1000-784", 138.0, 142.0, 12_000_000),
    "kw_z20": ("z=20", 94.25, 96.1, 15_000_000),
    "kw_z2": ("z=2", 159.5, 160.5, 14_000_000),
    "kw_z2_more": ("z=2, 10M more at lr 1e-4", 154.6, 161.4, 10_000_000),
}


def _kw_row(claim, ours_test, ours_train, examples_seen):
    run, theirs_train, theirs_test, budget = KINGMA_WELLING_ROWS[claim.id]
    evidence = {
        "ours_test": ours_test,
        "theirs_test": theirs_test,
        "ours_train": ours_train,
        "theirs_train": theirs_train,
        "examples_seen": examples_seen,
        "their_examples": budget,
    }
    if ours_test is None or not math.isfinite(ours_test):
        return claim.verdict(INCONCLUSIVE, "the run has no finite test number", **evidence)
    difference = ours_test - theirs_test
    evidence["difference"] = difference
    tolerance = claim.thresholds["tolerance_nats"]
    text = (
        f"test negative ELBO {ours_test:.2f} vs {theirs_test:g} nats ({difference:+.2f}) after "
        f"{examples_seen:,} of their {budget:,} training examples"
    )
    if abs(difference) <= tolerance:
        return claim.verdict(REPRODUCED, f"within {tolerance:g} nats: {text}", **evidence)
    if examples_seen < claim.thresholds["min_budget_share"] * budget:
        return claim.verdict(
            INCONCLUSIVE, f"trained on {examples_seen / budget:.1%} of the write-up's budget: {text}", **evidence
        )
    side = "worse" if difference > 0 else "better"
    train_side = _kw_train_side(evidence)  # adds evidence["train_difference"] when there is a train number
    return claim.verdict(
        DIFFERS, f"{abs(difference):.2f} nats {side} than the write-up: {text}{train_side}", **evidence
    )


def _kw_train_side(evidence):
    """Where a Kingma & Welling row's test gap comes from, read off the training numbers (``""``: no train number)."""
    ours_train, difference = evidence["ours_train"], evidence["difference"]
    if ours_train is None or not math.isfinite(ours_train):
        return ""
    train_difference = ours_train - evidence["theirs_train"]
    evidence["train_difference"] = train_difference
    numbers = f"train {ours_train:.2f} vs {evidence['theirs_train']:g} ({train_difference:+.2f})"
    source = gap_source(difference, train_difference)
    if source == "fit":
        return f"; {numbers}: the training images show the same gap, so the models fit differently (not overfitting)"
    if source == "generalisation":
        return f"; {numbers}: the training numbers are closer, so most of the gap is in generalisation"
    return f"; {numbers}"


def gap_source(test_difference, train_difference):
    """Where a gap between two test numbers lies, read off the gap between the training numbers.

    Returns:
        ``"fit"`` when the training gap has the same sign and at least half the size (the models fit the
        data differently), ``"generalisation"`` when it is less than half the size, else ``None`` (the
        training gap points the other way).
    """
    if abs(train_difference) < abs(test_difference) / 2:
        return "generalisation"
    if train_difference * test_difference > 0:
        return "fit"
    return None


for _claim_id, (_run, _train, _test, _budget) in KINGMA_WELLING_ROWS.items():
    _register(
        _claim_id,
        "003",
        "06_mnist_reproduction",
        f"{_run}: train {_train:g}, test {_test:g} nats (negative ELBO, continuous MNIST, "
        f"{_budget / 1e6:g}M training examples).",
        "Our test negative ELBO on the MNIST test set, with the write-up's architecture, optimizer and budget.",
        tolerance_nats=3.0,
        min_budget_share=0.9,
    )(_kw_row)


@_register(
    "kw_z2_bottom_distorted",
    "003",
    "06_mnist_reproduction",
    "The bottom half of the z=2 manifold is distorted.",
    "Distance from each tile of the decoded 20x20 inverse-CDF manifold to its nearest training image (RMS over "
    "pixels): bottom half against top half, spread over tiles. The better half must look like digits: no further "
    "from the training images than the ratio times real test images are.",
    max_distance_ratio=1.25,
    kl_floor=KL_FLOOR,
)
def _kw_bottom(claim, top_distances, bottom_distances, kl, real_distance):
    """``real_distance``: the mean distance of real test images to their nearest training image."""
    comparison = compare(top_distances, bottom_distances)
    evidence = {"kl": kl, "real_distance": real_distance, **comparison}
    problem = _untrained([kl])
    if problem:
        return claim.verdict(INCONCLUSIVE, problem, **evidence)
    ratio = claim.thresholds["max_distance_ratio"]
    best_half = min(comparison["mean_a"], comparison["mean_b"])
    if best_half > ratio * real_distance:
        return claim.verdict(
            INCONCLUSIVE,
            f"neither half looks like digits yet: the nearer half is {best_half:.4f} from the training images, more "
            f"than {ratio:g} times the {real_distance:.4f} of real test images, so the model has not trained enough "
            "to tell distortion from blur",
            **evidence,
        )
    text = (
        f"distance to the nearest training image: bottom half {comparison['mean_b']:.4f}, top half "
        f"{comparison['mean_a']:.4f} (noise band ±{comparison['noise']:.4f}, {comparison['seeds_a']} tiles each)"
    )
    if comparison["better"] is None:
        return claim.verdict(INCONCLUSIVE, f"too few tiles; {text}", **evidence)
    if comparison["better"] == "within noise":
        return claim.verdict(DIFFERS, f"no difference beyond noise: {text}", **evidence)
    if comparison["better"] == "a":
        return claim.verdict(REPRODUCED, f"the bottom half is farther from real digits: {text}", **evidence)
    return claim.verdict(REFUTED, f"the top half is the more distorted one: {text}", **evidence)


# --------------------------------------------------------------------------
# Display
# --------------------------------------------------------------------------


def counted(number, noun, plural=None):
    """``number`` with ``noun`` in the right number: ``counted(1, "epoch")`` -> ``"1 epoch"``, else ``"3,000 epochs"``.

    ``plural`` for a noun that does not take an ``s`` (``counted(2, "model", "models")`` needs none).
    """
    shown = f"{number:,}" if isinstance(number, int) and not isinstance(number, bool) else f"{number:g}"
    return f"{shown} {noun if number == 1 else (plural or noun + 's')}"


COLOURS = {REPRODUCED: "#1a7f37", REFUTED: "#cf222e", DIFFERS: "#9a6700", INCONCLUSIVE: "#57606a"}


def verdict_box(verdicts):
    """HTML of a box listing verdicts: claim, source, verdict and reason."""
    rows = []
    for verdict in verdicts:
        entry = verdict.to_dict() if isinstance(verdict, Verdict) else verdict
        colour = COLOURS[entry["verdict"]]
        rows.append(
            f'<div style="margin:0.4rem 0"><span style="background:{colour};color:white;border-radius:3px;'
            f'padding:0 0.4rem;font-weight:600;font-size:0.85em">{entry["verdict"]}</span> '
            f"<strong>{html.escape(entry['statement'])}</strong> "
            f'<span style="color:#57606a">({html.escape(entry["source_title"])})'
            f"</span><br><span>{html.escape(entry['reason'])}</span></div>"
        )
    return (
        '<div class="claims-box" style="border:1px solid #d0d7de;border-left:4px solid #0969da;'
        'padding:0.5rem 0.9rem;margin:0.8rem 0;background:#f6f8fa"><div style="font-weight:600">Claims decided here'
        "</div>" + "".join(rows) + "</div>"
    )


#: How the ledger shows a claim whose notebook did not complete in the run (its verdict stays
#: ``inconclusive`` in ``results.json``): "not run" is not a budget that could not decide.
NOT_RUN = "not run"


def shown_verdict(entry, notebooks):
    """A ledger entry's verdict as readers see it: ``NOT_RUN`` when its notebook did not complete.

    Args:
        entry: one claim of ``results.json``'s ``claims``.
        notebooks: ``results.json``'s ``notebooks`` (``{name: {"status": ...}}``).
    """
    if notebooks.get(entry.get("notebook"), {}).get("status") != "completed":
        return NOT_RUN
    return entry.get("verdict", INCONCLUSIVE)


def count(verdicts, notebooks=None):
    """``{verdict: number}`` over a list of verdict dicts, in the order of ``VERDICTS``.

    With ``notebooks`` (``results.json``'s), counts the verdicts as ``shown_verdict`` shows them, with
    ``NOT_RUN`` last.
    """
    if notebooks is None:
        return {name: sum(entry["verdict"] == name for entry in verdicts) for name in VERDICTS}
    shown = [shown_verdict(entry, notebooks) for entry in verdicts]
    return {name: shown.count(name) for name in (*VERDICTS, NOT_RUN)}
