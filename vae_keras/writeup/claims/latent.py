"""The claims of write-up 001, the latent-size study on MNIST and SVHN (notebook 07).

Its MNIST claims describe its Figure 1 (a fully connected Bernoulli VAE at each latent size); its SVHN
claims its Figures 2-5 (MLP and one-conv-layer encoders, Bernoulli and Gaussian decoders). Every
model of 07 is one seed.
"""

import numpy as np

from vae_keras.writeup.claims import stats
from vae_keras.writeup.claims.core import Claim, add, register
from vae_keras.writeup.claims.stats import KL_FLOOR, learned_problem, values
from vae_keras.writeup.vocabulary import DIFFERS, INCONCLUSIVE, MNIST, REFUTED, REPRODUCED, SVHN

NOTEBOOK = "07_latent_dimensions"


def _more_latents(claim, families):
    """``families``: ``{name: {"latent_sizes": [...], "pixel_mse": [...], "kl": [...], "mean_image_mse": m}}``."""
    threshold = claim.thresholds["relative_change"]
    judged, skipped, evidence, turns = {}, {}, {"seeds": 1}, {}
    for name, family in families.items():
        sizes, mse, kl = family["latent_sizes"], values(family["pixel_mse"]), values(family["kl"])
        if len(sizes) < 2:
            skipped[name] = "one latent size"
            continue
        if not (np.isfinite(mse[0]) and np.isfinite(mse[-1])):
            skipped[name] = f"no finite pixel MSE at z={sizes[0]} or z={sizes[-1]}"
            continue
        problem = learned_problem({f"z={sizes[-1]}": (mse[-1], family["mean_image_mse"], kl[-1])})
        if problem:
            skipped[name] = problem
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
    text = "pixel MSE from the smallest to the largest z: " + "; ".join(f"{n}: {c:+.1%}" for n, c in judged.items())
    if turns:
        text += f"; not all the way up (a rise of at least {threshold:.0%} past the best size): " + "; ".join(
            turns.values()
        )
    if skipped:
        text += " (not judged: " + "; ".join(f"{k}: {v}" for k, v in skipped.items()) + ")"
    if any(stats.near(change, -threshold) for change in judged.values()):
        return claim.verdict(INCONCLUSIVE, f"a family sits at the {threshold:.0%} threshold's edge: {text}", **evidence)
    if all(change <= -threshold for change in judged.values()):
        return claim.verdict(REPRODUCED, text, **evidence)
    if all(change >= threshold for change in judged.values()):
        return claim.verdict(REFUTED, text, **evidence)
    return claim.verdict(DIFFERS, f"not every family improves by {threshold:.0%}: {text}", **evidence)


_LATENT_EVIDENCE = (
    "Test reconstruction error in pixel space at the smallest and the largest latent size, for each decoder and "
    "encoder whose largest model learned (pixel MSE at most 80% of the mean image's, KL at least 1 nat); a "
    "change of at least the relative threshold counts."
)

register(
    "more_latents_better_mnist",
    "001",
    NOTEBOOK,
    "As the dimension increases in the latent space, we see a significant improvement in the decoder.",
    "On MNIST, more latent dimensions give better reconstructions.",
    MNIST,
    _LATENT_EVIDENCE,
    relative_change=0.05,
)(_more_latents)

register(
    "more_latents_better_reconstructions",
    "001",
    NOTEBOOK,
    "As more latent features are considered in the images, the better the performance of the autoencoders is.",
    "On SVHN, more latent dimensions give better reconstructions.",
    SVHN,
    _LATENT_EVIDENCE,
    reading="The write-up's conclusion, after its SVHN experiments; 'performance' is read as reconstruction error.",
    relative_change=0.05,
)(_more_latents)


@register(
    "gaussian_like_bernoulli",
    "001",
    NOTEBOOK,
    "under the same neural network architecture, the performance is similar to the Bernoulli version so there "
    "might not be an advantage of using Gaussian.",
    "With the convolutional encoder, a Gaussian decoder does about as well as a Bernoulli one.",
    SVHN,
    "Test reconstruction error in pixel space of the Bernoulli and the Gaussian convolutional VAE, averaged over "
    "the latent sizes where both learned; 'similar' means within the relative tolerance.",
    reading="The write-up compares the two decoders on its convolutional network (its Figure 5 against Figure 4), "
    "so only the convolutional pair is compared.",
    relative_tolerance=0.2,
)
def _gaussian_like_bernoulli(
    claim, latent_sizes, bernoulli_mse, gaussian_mse, bernoulli_kl, gaussian_kl, mean_image_mse
):
    bern, gauss = values(bernoulli_mse), values(gaussian_mse)
    ok = np.asarray(
        [
            learned_problem({"b": (b, mean_image_mse, bk), "g": (g, mean_image_mse, gk)}) is None
            for b, g, bk, gk in zip(bern, gauss, values(bernoulli_kl), values(gaussian_kl))
        ],
        dtype=bool,
    )
    evidence = {"latent_sizes_judged": [int(z) for z, keep in zip(latent_sizes, ok) if keep], "seeds": 1}
    if not ok.any():
        return claim.verdict(
            INCONCLUSIVE,
            "no latent size where both decoders learned (pixel MSE at most 80% of the mean image's "
            f"{stats.fmt(mean_image_mse)}, KL at least 1 nat)",
            **evidence,
        )
    mean_b, mean_g = float(bern[ok].mean()), float(gauss[ok].mean())
    relative = (mean_g - mean_b) / mean_b
    evidence.update(bernoulli_mse=mean_b, gaussian_mse=mean_g, relative_difference=relative)
    tolerance = claim.thresholds["relative_tolerance"]
    text = (
        f"pixel MSE {mean_g:.4g} (Gaussian) vs {mean_b:.4g} (Bernoulli), {relative:+.1%}, over z in "
        f"{evidence['latent_sizes_judged']}"
    )
    if stats.near(abs(relative), tolerance):
        return claim.verdict(INCONCLUSIVE, f"at the edge of the {tolerance:.0%} tolerance: {text}", **evidence)
    if abs(relative) <= tolerance:
        return claim.verdict(REPRODUCED, text, **evidence)
    better = "Gaussian" if relative < 0 else "Bernoulli"
    return claim.verdict(DIFFERS, f"the {better} decoder reconstructs clearly better: {text}", **evidence)


add(
    Claim(
        "gaussian_learns_faster",
        "001",
        "It is arguable that the autoencoder with a Gaussian decoder may learn faster than the ones with Bernoulli.",
        "A Gaussian decoder may learn faster than a Bernoulli one.",
        SVHN,
        NOTEBOOK,
        "Not measured: it would need a per-epoch measure both decoders share (their losses are in different units).",
        {},
        None,
        not_decidable="notebook 07 records no per-epoch measure that a Bernoulli and a Gaussian decoder share (their "
        "losses are log-likelihoods of different kinds), so how fast each learns cannot be compared",
    )
)


@register(
    "convolutions_work_at_100",
    "001",
    NOTEBOOK,
    "The variational autoencoder based on Kingma, Welling (2014) can learn the SVHN dataset well enough using "
    "Convolutional neural networks.",
    "A convolutional VAE learns SVHN well enough (here: at the largest latent size, no worse than the MLP).",
    SVHN,
    "Test log p(x), pixel MSE and KL of the convolutional and the MLP VAE at the largest latent size (at least "
    "50), same decoder; 'well enough' means it learned and is no more than the tolerance below the MLP.",
    tolerance_nats=2.0,
    min_latent_dim=50,
)
def _convolutions_work(claim, latent_dim, conv_log_px, mlp_log_px, conv_kl, mlp_kl, conv_mse, mlp_mse, mean_image_mse):
    evidence = {
        "latent_dim": latent_dim,
        "conv_log_px": conv_log_px,
        "mlp_log_px": mlp_log_px,
        "conv_kl": conv_kl,
        "mlp_kl": mlp_kl,
        "mean_image_mse": mean_image_mse,
        "seeds": 1,
    }
    if latent_dim < claim.thresholds["min_latent_dim"]:
        return claim.verdict(
            INCONCLUSIVE, f"the largest latent size run is {latent_dim}; the write-up went up to 100", **evidence
        )
    problem = learned_problem({"the MLP baseline": (mlp_mse, mean_image_mse, mlp_kl)})
    if problem:
        return claim.verdict(INCONCLUSIVE, problem, **evidence)
    problem = learned_problem({"the convolutional VAE": (conv_mse, mean_image_mse, conv_kl)})
    if problem:
        return claim.verdict(REFUTED, f"at z={latent_dim}, {problem.split(': ', 1)[1]}", **evidence)
    if not np.all(np.isfinite(values([conv_log_px, mlp_log_px]))):
        return claim.verdict(
            INCONCLUSIVE, f"a log p(x) is missing or not finite (conv {conv_log_px}, MLP {mlp_log_px})", **evidence
        )
    gap = conv_log_px - mlp_log_px
    text = f"log p(x) {conv_log_px:.2f} (conv) vs {mlp_log_px:.2f} (MLP) nats at z={latent_dim}, gap {gap:+.2f}"
    tolerance = claim.thresholds["tolerance_nats"]
    if stats.near(gap, -tolerance):
        return claim.verdict(INCONCLUSIVE, f"at the edge of the {tolerance:g}-nat tolerance: {text}", **evidence)
    if gap >= -tolerance:
        return claim.verdict(REPRODUCED, text, **evidence)
    return claim.verdict(DIFFERS, f"the convolutional VAE trails the MLP: {text}", **evidence)


def digits_shown(labels, num_classes, min_share):
    """The classes that label at least ``min_share`` of ``labels``."""
    labels = np.asarray(labels, dtype=int)
    counts = np.bincount(labels, minlength=num_classes)
    return [int(c) for c in np.flatnonzero(counts >= min_share * len(labels))]


def _classifier_problem(claim, classifier_accuracy, kl, tile_distance, real_distance):
    if classifier_accuracy < claim.thresholds["min_classifier_accuracy"]:
        return f"the tile classifier is only {classifier_accuracy:.0%} accurate on test images"
    if not np.isfinite(kl) or kl < KL_FLOOR:
        return f"the model stores almost nothing in z (KL {stats.fmt(kl)})"
    ratio = claim.thresholds["max_distance_ratio"]
    if tile_distance > ratio * real_distance:
        return (
            f"the decoded tiles are not digit-like: their median distance to the nearest training image is "
            f"{tile_distance:.3f}, more than {ratio:g} times that of real test images ({real_distance:.3f})"
        )
    return None


_TILE_THRESHOLDS = {"min_share": 0.01, "min_classifier_accuracy": 0.8, "max_distance_ratio": 1.25}


@register(
    "manifold_shows_some_digits",
    "001",
    NOTEBOOK,
    "In the 2 dimensional space, it appears only 0, 1, 3, 8, and 9 are recognized.",
    "The 2-D latent manifold of an MNIST VAE shows only some of the digits.",
    MNIST,
    "A classifier trained on the training images labels every tile of the decoded 20x20 manifold; a digit counts "
    "as shown when it labels at least the minimum share of tiles.",
    reading="This describes the write-up's own model. A manifold is one trained model's picture: ours showing "
    "other digits is a difference between two models, never a refutation.",
    **_TILE_THRESHOLDS,
)
def _manifold_digits(claim, tile_labels, num_classes, classifier_accuracy, kl, tile_distance, real_distance):
    """``tile_distance``/``real_distance``: median RMS distance of the tiles / of real test images to their
    nearest training image; tiles much further away than real digits are blurs, not digits."""
    shown = digits_shown(tile_labels, num_classes, claim.thresholds["min_share"])
    evidence = {
        "digits_shown": shown,
        "classifier_accuracy": classifier_accuracy,
        "kl": kl,
        "tiles": len(tile_labels),
        "tile_distance": tile_distance,
        "real_distance": real_distance,
        "seeds": 1,
    }
    problem = _classifier_problem(claim, classifier_accuracy, kl, tile_distance, real_distance)
    if problem:
        return claim.verdict(INCONCLUSIVE, problem, **evidence)
    text = f"{len(shown)} of {num_classes} digits shown ({', '.join(map(str, shown))}); the write-up saw 0, 1, 3, 8, 9"
    return claim.verdict(REPRODUCED if len(shown) < num_classes else DIFFERS, text, **evidence)


@register(
    "all_digits_at_larger_z",
    "001",
    NOTEBOOK,
    "In 1d and 1e, all digits can be represented by the decoder.",
    "With larger latent sizes (the write-up's Figures 1d and 1e), samples of an MNIST VAE show every digit.",
    MNIST,
    "The same classifier labels decoded samples from the prior of the Bernoulli MLP at each latent size of at "
    "least 20; every digit must label at least the minimum share of the samples at each of them.",
    reading="Figure 1's panels b-e follow the latent sizes 2, 5, 20 and 50 in order, so 1d and 1e are read as "
    "z=20 and z=50 (and larger).",
    min_latent_dim=20,
    **_TILE_THRESHOLDS,
)
def _all_digits(
    claim, latent_sizes, sample_labels, num_classes, classifier_accuracy, kls, sample_distances, real_distance
):
    evidence = {"seeds": 1, "classifier_accuracy": classifier_accuracy}
    shown = {}
    for z, labels, kl, distance in zip(latent_sizes, sample_labels, kls, sample_distances):
        if z < claim.thresholds["min_latent_dim"]:
            continue
        problem = _classifier_problem(claim, classifier_accuracy, kl, distance, real_distance)
        if problem:
            return claim.verdict(INCONCLUSIVE, f"z={z}: {problem}", **evidence)
        shown[int(z)] = digits_shown(labels, num_classes, claim.thresholds["min_share"])
    if not shown:
        return claim.verdict(INCONCLUSIVE, "no latent size of at least 20 was run", **evidence)
    evidence["digits_shown"] = {str(z): s for z, s in shown.items()}
    text = "; ".join(f"z={z}: {len(s)} of {num_classes} digits" for z, s in shown.items())
    if all(len(s) == num_classes for s in shown.values()):
        return claim.verdict(REPRODUCED, text, **evidence)
    return claim.verdict(REFUTED, f"some digit is missing: {text}", **evidence)


@register(
    "digits_at_z5",
    "001",
    NOTEBOOK,
    "In 1c, 6, and 7 get recognized.",
    "At the next latent size (z=5), 6 and 7 are recognised too.",
    MNIST,
    "The same classifier labels decoded samples from the prior of the Bernoulli MLP at z=5; 6 and 7 must each "
    "label at least the minimum share of the samples.",
    reading="Figure 1c is read as z=5 (the panel after the 2-D one), and the sentence as: 6 and 7 join the digits "
    "recognised at z=2. The comma after 1c may also make it a list ('1c, 6 and 7'); we take the reading in which "
    "it says something about 1c.",
    **_TILE_THRESHOLDS,
)
def _digits_at_z5(claim, latent_sizes, sample_labels, num_classes, classifier_accuracy, kls, sample_distances,
                  real_distance):  # fmt: skip
    evidence = {"seeds": 1, "classifier_accuracy": classifier_accuracy}
    sizes = [int(z) for z in latent_sizes]
    if 5 not in sizes:
        return claim.verdict(INCONCLUSIVE, "z=5 was not run", **evidence)
    i = sizes.index(5)
    problem = _classifier_problem(claim, classifier_accuracy, kls[i], sample_distances[i], real_distance)
    if problem:
        return claim.verdict(INCONCLUSIVE, f"z=5: {problem}", **evidence)
    shown = digits_shown(sample_labels[i], num_classes, claim.thresholds["min_share"])
    evidence["digits_shown"] = shown
    text = f"at z=5 the samples show {', '.join(map(str, shown))}"
    return claim.verdict(REPRODUCED if {6, 7} <= set(shown) else REFUTED, text, **evidence)
