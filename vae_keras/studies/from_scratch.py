"""The VAE written from scratch in NumPy beside the Keras one (notebook 08), in words and measures.

``numpy_vae`` holds the model, its gradient checks and the timed comparison; these helpers say what the checks
found against their tolerances, pair the two models' reconstructions of the same test images for the blur claim,
and write the page's conclusion lines.
"""

import numpy as np

from vae_keras import numpy_vae
from vae_keras.studies.samples import sharpness
from vae_keras.studies.variants import mean_image_mse


def over_tolerance(errors, tolerance):
    """The names in ``errors`` (``{weight: relative error}``) whose error is not below ``tolerance`` (NaN too)."""
    return [name for name, error in errors.items() if not error < tolerance]


def gradient_check_text(errors, tolerance):
    """What the finite-difference check found, against ``tolerance``, in words."""
    failing = over_tolerance(errors, tolerance)
    if failing:
        listed = ", ".join(f"{name}: {errors[name]:.2g}" for name in failing)
        return (
            f"The hand-written gradient does **not** pass the check: {len(failing)} of {len(errors)} weight arrays "
            f"have a relative error of at least {tolerance:g} ({listed})."
        )
    return (
        f"Every checked entry of all {len(errors)} weight arrays agrees with central differences to a relative "
        f"error of at most {max(errors.values()):.2g}, below the tolerance of {tolerance:g}: the hand-written "
        "backward pass is the gradient of the loss at the checked entries."
    )


def gradient_rows(model, errors):
    """One table row per weight array of the NumPy ``model``: its shape and largest relative error."""
    return [
        {"weight": name, "shape": "x".join(map(str, weight.shape)), "max_relative_error": errors[name]}
        for name, weight in zip(model.weight_names, model.trainable_weights)
    ]


def keras_differences(comparison):
    """``{weight: largest relative difference}`` of ``numpy_vae.compare_gradients_with_keras``'s result."""
    return {name: entry["max_relative_difference"] for name, entry in comparison["gradients"].items()}


def keras_check_text(comparison, tolerance):
    """The loss and gradients of the NumPy model against TensorFlow's on the same batch and noise, in words."""
    differences = keras_differences(comparison)
    failing = over_tolerance(differences, tolerance)
    relative = comparison["loss_difference"] / max(abs(comparison["keras_loss"]), 1e-12)
    text = (
        f"Loss on the batch: NumPy {comparison['numpy_loss']:.6f} nats, Keras {comparison['keras_loss']:.6f} nats "
        f"(difference {comparison['loss_difference']:.2g}, {relative:.2g} relative). "
    )
    if not failing:
        return text + (
            "The gradients agree with TensorFlow's: the largest difference, relative to the largest entry of each "
            f"gradient, is {max(differences.values()):.2g}, below the tolerance of {tolerance:g}."
        )
    listed = ", ".join(f"{name} {differences[name]:.2g}" for name in failing)
    return text + (
        f"The gradients do **not** agree with TensorFlow's in {len(failing)} of {len(differences)} arrays "
        f"(relative difference of at least {tolerance:g}: {listed})."
    )


def reconstruction_pair(numpy_model, keras_vae, x_test, num_pairs=100):
    """The NumPy and the Keras model's reconstructions of the first ``num_pairs`` test images, in their shape."""
    x = x_test[:num_pairs]
    numpy_recons = numpy_model.reconstruct(x).reshape(x.shape)
    keras_recons = np.asarray(keras_vae.reconstruct(x.reshape(len(x), -1))).reshape(x.shape)
    return numpy_recons, keras_recons


def blur_evidence(numpy_model, keras_vae, numpy_recons, keras_recons, x_train, x_test, seed=0):
    """The evidence of the ``numpy_blurrier`` claim: each reconstruction's sharpness, both models' pixel error on
    the paired test images and test KL, and the average training image's error as the baseline."""
    paired = x_test[: len(numpy_recons)]
    return {
        "numpy_sharpness": sharpness(numpy_recons),
        "keras_sharpness": sharpness(keras_recons),
        "numpy_mse": float(np.mean((numpy_recons - paired) ** 2)),
        "keras_mse": float(np.mean((keras_recons - paired) ** 2)),
        "numpy_kl": numpy_model.evaluate(x_test, seed=seed)["kl"],
        "keras_kl": numpy_vae.from_keras(keras_vae).evaluate(x_test, seed=seed)["kl"],
        "mean_image_mse": mean_image_mse(x_train, paired),
    }


def _check_line(values, tolerance, failed, passed):
    """``failed`` or ``passed`` (``str.format`` patterns of ``n``, ``total``, ``largest`` and ``tolerance``) for
    ``values`` (``{weight: relative error}``) against ``tolerance``."""
    failing = over_tolerance(values, tolerance)
    pattern = failed if failing else passed
    return pattern.format(n=len(failing), total=len(values), largest=max(values.values()), tolerance=tolerance)


def gradient_line(errors, tolerance):
    """The conclusion's line on the finite-difference check."""
    return _check_line(
        errors,
        tolerance,
        "* the hand-written gradient **fails** the finite-difference check: {n} of {total} arrays reach a "
        "relative error of at least {tolerance:g} (largest {largest:.2g}, float64);",
        "* the hand-written gradient matches central differences to a relative error of at most {largest:.2g} "
        "(float64), below the tolerance of {tolerance:g};",
    )


def keras_line(comparison, tolerance, backend):
    """The conclusion's line on the comparison with TensorFlow's gradients (``None``: it was skipped)."""
    if comparison is None:
        return f"* the comparison with TensorFlow's gradients was skipped (Keras backend {backend});"
    return _check_line(
        keras_differences(comparison),
        tolerance,
        "* the hand-written gradient **differs** from TensorFlow's in {n} arrays (largest relative difference "
        "{largest:.2g}, tolerance {tolerance:g}, float32);",
        "* it matches TensorFlow's gradients to {largest:.2g} of the largest entry (float32), below the tolerance "
        "of {tolerance:g};",
    )


def training_lines(summary, num_epochs):
    """The conclusion's lines on the two trainings: test ELBO and time per epoch (``summarize_comparison``)."""
    gap = summary["numpy_test_elbo"] - summary["keras_test_elbo"]
    if abs(gap) >= 0.005:
        elbo = f"the {'NumPy' if gap > 0 else 'Keras'} model is higher by {abs(gap):.2f} nats"
    else:
        elbo = "equal to 0.01 nats"
    ratio = summary["numpy_seconds_per_epoch"] / summary["keras_seconds_per_epoch"]
    slower = (
        f"NumPy takes {ratio:.2f} times as long as Keras;"
        if ratio >= 1
        else (f"Keras takes {1 / ratio:.2f} times as long as NumPy;")
    )
    timed = "median over epochs 2 and later" if num_epochs > 1 else "one epoch, with tracing for Keras"
    return [
        f"* test ELBO: NumPy {summary['numpy_test_elbo']:.2f}, Keras {summary['keras_test_elbo']:.2f} nats; {elbo} "
        "(one run each, so the run-to-run spread is not measured);",
        f"* time per epoch ({timed}): NumPy {summary['numpy_seconds_per_epoch']:.3g} s, Keras "
        f"{summary['keras_seconds_per_epoch']:.3g} s (its first epoch, with tracing: "
        f"{summary['keras_first_epoch_seconds']:.3g} s); {slower}",
    ]


def keras_gradient_rows(comparison):
    """One table row per weight array of ``numpy_vae.compare_gradients_with_keras``'s result."""
    return [{"weight": name, **entry} for name, entry in comparison["gradients"].items()]
