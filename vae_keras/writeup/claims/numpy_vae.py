"""The claims of write-up 002, a VAE from scratch in NumPy compared with a TensorFlow one (notebook 08), on MNIST."""

from vae_keras.writeup.claims import stats
from vae_keras.writeup.claims.core import register
from vae_keras.writeup.claims.stats import learned_problem, paired_compare, values
from vae_keras.writeup.vocabulary import DIFFERS, INCONCLUSIVE, MNIST, REFUTED, REPRODUCED

NOTEBOOK = "08_numpy_from_scratch"


def _paired_text(comparison, what):
    return (
        f"{what}: NumPy {comparison['mean_a']:.4f} vs Keras {comparison['mean_b']:.4f} on the same "
        f"{comparison['pairs']} test images; Keras sharper for {comparison['b_better']}, NumPy for "
        f"{comparison['a_better']}, sign test p={stats.fmt(comparison['p_value'], '.3g')}"
    )


@register(
    "numpy_blurrier",
    "002",
    NOTEBOOK,
    "However this isn't exactly a fair comparison because the TensorFlow implementation uses a more complicated "
    "training algorithm with minibatching. In addition, it utlizies a slighly deeper network architecture.",
    "The NumPy version's blurrier output comes from its training (no minibatching, a shallower network), not "
    "from NumPy: trained alike, the two implementations are equally sharp.",
    MNIST,
    "Sharpness (mean absolute difference between neighbouring pixels) of each model's reconstructions of the "
    "same test images, with the same architecture, minibatches and optimizer, compared pair by pair with a sign "
    "test; both models must have learned.",
    reading="The write-up saw its NumPy outputs blurrier and blamed the framework version's minibatching and "
    "deeper network. Training both alike tests that explanation: equally sharp reproduces it, a difference "
    "beyond the sign test refutes it.",
)
def _numpy_blurrier(claim, numpy_sharpness, keras_sharpness, numpy_mse, keras_mse, numpy_kl, keras_kl,
                    mean_image_mse):  # fmt: skip
    comparison = paired_compare(numpy_sharpness, keras_sharpness, lower_is_better=False)
    evidence = {**comparison, "numpy_mse": numpy_mse, "keras_mse": keras_mse, "mean_image_mse": mean_image_mse}
    problem = learned_problem(
        {"the NumPy VAE": (numpy_mse, mean_image_mse, numpy_kl), "the Keras VAE": (keras_mse, mean_image_mse, keras_kl)}
    )
    if problem:
        return claim.verdict(INCONCLUSIVE, problem, **evidence)
    text = _paired_text(comparison, "sharpness of reconstructions")
    if comparison["better"] is None:
        return claim.verdict(INCONCLUSIVE, f"too few pairs or a missing value; {text}", **evidence)
    if comparison["better"] == "within noise":
        return claim.verdict(REPRODUCED, f"equally sharp when trained alike: {text}", **evidence)
    sharper = "NumPy" if comparison["better"] == "a" else "Keras"
    return claim.verdict(REFUTED, f"trained alike, the {sharper} reconstructions are still sharper: {text}", **evidence)


@register(
    "numpy_faster",
    "002",
    NOTEBOOK,
    "Now here is the output of our Python implementation on the same test digits. Training took about 20 seconds.",
    "The NumPy VAE trains faster than the framework's (about 20 seconds against about one minute).",
    MNIST,
    "Seconds per training epoch of the NumPy and the Keras VAE, same architecture and data, over the epochs "
    "after the first (the Keras first epoch traces and compiles).",
    reading="The write-up timed its TensorFlow version at 'about one minute' and its NumPy one at 'about 20 "
    "seconds' for five epochs; read as: the NumPy one is faster.",
    min_epochs=3,
)
def _numpy_faster(claim, numpy_seconds, keras_seconds):
    numpy_s, keras_s = values(numpy_seconds), values(keras_seconds)
    comparison = stats.compare(numpy_s, keras_s)
    evidence = {**comparison, "ratio": comparison["mean_b"] / comparison["mean_a"] if comparison["mean_a"] else None}
    if min(numpy_s.size, keras_s.size) < claim.thresholds["min_epochs"]:
        return claim.verdict(
            INCONCLUSIVE, f"fewer than {claim.thresholds['min_epochs']} timed epochs per model", **evidence
        )
    text = (
        f"{comparison['mean_a']:.3g} s (NumPy) vs {comparison['mean_b']:.3g} s (Keras) per epoch, noise band "
        f"±{stats.fmt(comparison['noise'], '.2g')} over {comparison['seeds_a']} and {comparison['seeds_b']} epochs"
    )
    if comparison["better"] is None:  # a missing epoch time: no speed to compare
        return claim.verdict(INCONCLUSIVE, f"an epoch's time is missing or not finite: {text}", **evidence)
    if comparison["better"] == "within noise":
        return claim.verdict(DIFFERS, f"within noise: {text}", **evidence)
    if comparison["better"] == "a":
        return claim.verdict(REPRODUCED, text, **evidence)
    return claim.verdict(REFUTED, f"the Keras VAE is the faster one: {text}", **evidence)
