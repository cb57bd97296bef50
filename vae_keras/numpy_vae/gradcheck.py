"""Checks of the hand-written gradients against two references.

``check_gradients`` compares ``NumpyVAE.backward`` with central finite
differences in float64, accumulating the change of the loss term by term so
that round-off stays far below a wrong derivative.
``compare_gradients_with_keras`` copies a Keras VAE's weights into a
``NumpyVAE`` and compares its loss and gradients with TensorFlow's autodiff of
the Keras model on the same weights and noise (Keras and TensorFlow are
imported only when it is called). Both report, for each weight array, how far
the hand-written gradient is from the reference.
"""

import math

import numpy as np

from vae_keras.numpy_vae.keras_interop import _keras_variables, from_keras
from vae_keras.numpy_vae.model import NumpyVAE
from vae_keras.numpy_vae.validation import _check_positive_float, _check_positive_int


def check_gradients(model, x, epsilon, num_entries=8, step=1e-6, seed=0):
    """Compares ``backward()`` with central finite differences, one weight array at a time.

    For ``num_entries`` entries of each weight array, drawn at random, the
    numeric derivative of the loss (for the fixed noise ``epsilon``) is

        (loss(w + step) - loss(w - step)) / (2 step)

    and the error of the entry is ``|analytic - numeric| / max(|analytic|,
    |numeric|)`` (0 where both are exactly 0, e.g. the kernel row of a pixel
    that is 0 in every example).

    Central differences err by ``O(step^2)`` plus round-off. Subtracting two
    losses of ~500 nats would lose ``1e-16 * 500 / step`` (3e-8 at the
    default step, a large part of a small derivative), so the difference is
    accumulated term by term instead: each pixel's ``-log p`` and each
    latent's KL term, which are ~1 each. A correct gradient then scores
    about 1e-7 or less, and a wrong one 1e-3 or more. Every weight is
    restored afterwards.

    Args:
        model: a float64 ``NumpyVAE`` (in float32 the round-off,
            ``6e-8 * loss / step``, would swamp the derivative).
        x: a batch ``(batch, input_dim)`` (or images) in ``[0, 1]``.
        epsilon: the N(0, I) noise of the reparameterisation, ``(batch, latent_dim)``.
        num_entries: entries checked per weight array (all of a smaller array).
        step: the finite-difference step, > 0.
        seed: seed of the choice of entries.

    Returns:
        A dict ``{weight_name: max relative error over the checked entries}``,
        in the order of ``model.weight_names``.

    Raises:
        ValueError: for a model that is not float64, or invalid arguments.
    """
    if not isinstance(model, NumpyVAE) or model.dtype != np.float64:
        raise ValueError(
            "`model` must be a NumpyVAE with dtype='float64' (finite differences need the precision). "
            f"Received: model={type(model).__name__} with dtype={getattr(model, 'dtype', None)}"
        )
    num_entries = _check_positive_int("num_entries", num_entries)
    step = _check_positive_float("step", step)
    x = model._as_batch(x)
    epsilon = model._as_epsilon(epsilon, len(x))
    _, gradients = model.loss_and_gradients(x, epsilon)
    rng = np.random.default_rng(seed)
    errors = {}
    for name, weight, gradient in zip(model.weight_names, model.trainable_weights, gradients):
        worst = 0.0
        for flat in rng.choice(weight.size, size=min(num_entries, weight.size), replace=False):
            index = np.unravel_index(flat, weight.shape)
            original = weight[index]
            try:
                weight[index] = original + step
                plus = model._forward(x, epsilon)
                weight[index] = original - step
                minus = model._forward(x, epsilon)
            finally:
                weight[index] = original
            change = np.sum(plus["reconstruction_terms"] - minus["reconstruction_terms"])
            change += np.sum(plus["kl_terms"] - minus["kl_terms"])
            numeric = float(change) / (len(x) * 2 * step)
            analytic = float(gradient[index])
            scale = max(abs(analytic), abs(numeric))
            if scale > 0:
                worst = max(worst, abs(analytic - numeric) / scale)
        errors[name] = worst
    return errors


def compare_gradients_with_keras(vae, x, epsilon):
    """The loss and gradients of a ``NumpyVAE`` against TensorFlow's, on the same weights and noise.

    The Keras VAE's weights are copied into a float32 ``NumpyVAE``
    (``from_keras``). On the Keras side the loss is that of
    ``VAE.compute_loss`` (KL weight 1) with the sampler replaced by the given
    noise: ``z = mean + exp(log_var / 2) * epsilon``, then the mean over the
    batch of ``-likelihood.log_prob(x, decoder(z)) + kl_standard_normal(mean,
    log_var)``. Its gradients come from ``tf.GradientTape``. Gradients are
    matched by layer name.

    Entries of a gradient near zero come from cancellation, so the relative
    difference of a weight array is its largest absolute difference divided
    by the largest absolute entry of the Keras gradient. Both sides compute in
    float32: expect differences of order 1e-6 relative.

    Args:
        vae: a Keras ``models.VAE`` that ``from_keras`` accepts (fully
            connected, Bernoulli likelihood).
        x: a batch ``(batch, input_dim)`` (or images with ``input_dim`` pixels) in ``[0, 1]``.
        epsilon: the N(0, I) noise, ``(batch, latent_dim)``.

    Returns:
        A dict: ``numpy_loss`` and ``keras_loss`` (floats, nats),
        ``loss_difference`` (``|numpy_loss - keras_loss|``) and ``gradients``:
        ``{weight_name: {"max_abs_difference": float,
        "max_relative_difference": float}}`` in the order of ``NumpyVAE.weight_names``.

    Raises:
        RuntimeError: if the Keras backend is not TensorFlow (the reference
            gradients use ``tf.GradientTape``).
        ValueError: for a model that ``from_keras`` rejects, or invalid data.
    """
    import keras

    backend = keras.backend.backend()
    if backend != "tensorflow":
        raise RuntimeError(
            "compare_gradients_with_keras computes the Keras gradients with tf.GradientTape, so it needs the "
            f"TensorFlow backend. Received: backend {backend!r}. Set KERAS_BACKEND=tensorflow before importing keras."
        )
    import tensorflow as tf
    from keras import ops

    from vae_keras import likelihoods

    model = from_keras(vae, dtype="float32")
    flat = model._as_batch(x)
    epsilon = model._as_epsilon(epsilon, len(flat))
    loss, gradients = model.loss_and_gradients(flat, epsilon)

    x_keras = flat.reshape((len(flat),) + tuple(vae.encoder.inputs[0].shape[1:]))
    variables = _keras_variables(vae, len(model.hidden_units))
    with tf.GradientTape() as tape:
        mean, log_var = vae.encoder(x_keras, training=False)
        z = mean + ops.exp(0.5 * log_var) * epsilon
        params = vae.decoder(z, training=False)
        reconstruction = -vae.likelihood.log_prob(x_keras, params)
        keras_loss = ops.mean(reconstruction + likelihoods.kl_standard_normal(mean, log_var))
    keras_gradients = tape.gradient(keras_loss, variables)

    keras_loss = float(ops.convert_to_numpy(keras_loss))
    differences = {}
    for name, gradient, keras_gradient in zip(model.weight_names, gradients, keras_gradients):
        keras_gradient = ops.convert_to_numpy(keras_gradient).astype("float64")
        largest_difference = float(np.max(np.abs(gradient.astype("float64") - keras_gradient)))
        scale = float(np.max(np.abs(keras_gradient)))
        relative = largest_difference / scale if scale > 0 else (0.0 if largest_difference == 0 else math.inf)
        differences[name] = {"max_abs_difference": largest_difference, "max_relative_difference": relative}
    return {
        "numpy_loss": loss,
        "keras_loss": keras_loss,
        "loss_difference": abs(loss - keras_loss),
        "gradients": differences,
    }
