"""Questions of our own: decided like claims, shown on their pages, never counted as a write-up's claim."""

from vae_keras.writeup.claims.core import register
from vae_keras.writeup.claims.stats import KL_FLOOR, compare, nats
from vae_keras.writeup.claims.svhn import COLLAPSED, MISSING, MIXED, compare_verdict, kl_state, mean_or_nan
from vae_keras.writeup.vocabulary import INCONCLUSIVE, OURS, REFUTED, REPRODUCED, SVHN


@register(
    "small_init_whitening",
    None,
    "03_components_or_convolutions",
    None,
    "A small-init log-variance head (as in Kingma's code) makes a VAE on whitened PCA components train.",
    SVHN,
    "Test reconstruction error in pixel space of whitened PCA with and without the small-init head, per seed, and "
    "their KL (does the head make a model train that otherwise collapses?).",
    kind=OURS,
    min_examples=1_000_000,
    kl_floor=KL_FLOOR,
)
def _small_init_whitening(claim, small_init, whitened, small_init_kl, whitened_kl, examples_seen):
    comparison = compare(small_init, whitened)
    evidence = {
        **comparison,
        "small_init_kl": mean_or_nan(small_init_kl),
        "default_kl": mean_or_nan(whitened_kl),
        "examples_seen": int(examples_seen),
        "seeds": min(comparison["seeds_a"], comparison["seeds_b"]),
    }
    small, default = kl_state(small_init_kl), kl_state(whitened_kl)
    kls = (
        f"KL {nats(evidence['small_init_kl'])} nats with the small-init head, {nats(evidence['default_kl'])} without "
        f"(means over seeds), after {examples_seen:,} training examples"
    )
    if MISSING in (small, default):
        return claim.verdict(INCONCLUSIVE, "the KL term is missing or not finite for some seed", **evidence)
    if MIXED in (small, default):
        heads = (("the small-init head", small), ("the default head", default))
        arms = [name for name, state in heads if state == MIXED]
        return claim.verdict(
            INCONCLUSIVE,
            f"some seeds collapsed (KL below 1 nat) and some trained, with {' and with '.join(arms)}: {kls}",
            **evidence,
        )
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
    return compare_verdict(claim, comparison, "small-init head", "default head", "pixel MSE", True, evidence)
