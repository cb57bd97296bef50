"""Moving weights between a ``NumpyVAE`` and its Keras twin.

The twin is the fully connected Bernoulli ``models.VAE`` that
``models.build_vae(..., architecture="mlp", likelihood="bernoulli")`` builds.
``from_keras`` reads a Keras VAE's architecture, checking that a
``NumpyVAE`` can mirror it, and copies its weights into a new ``NumpyVAE``;
``to_keras`` copies a ``NumpyVAE``'s weights into a given Keras VAE or a newly
built one. Weights are matched by layer name, not by position. Keras is
imported only when these functions are called.
"""

import math

from vae_keras.numpy_vae.model import NumpyVAE
from vae_keras.numpy_vae.validation import ACTIVATIONS


def _keras_architecture(vae):
    """Reads ``(input_dim, latent_dim, hidden_units, activation)`` from a Keras VAE, checking that it matches."""
    from vae_keras import likelihoods

    if not isinstance(getattr(vae, "likelihood", None), likelihoods.Bernoulli):
        raise ValueError(
            "NumpyVAE mirrors a VAE with a Bernoulli likelihood. "
            f"Received: vae with likelihood={getattr(vae, 'likelihood', None)!r}"
        )
    allowed = {
        "encoder": {"InputLayer", "Flatten", "Dense", "Activation"},
        "decoder": {"InputLayer", "Dense", "Activation", "Reshape"},
    }
    units, activations = {}, set()
    for part in ("encoder", "decoder"):
        model = getattr(vae, part)
        kinds = {type(layer).__name__ for layer in model.layers}
        if not kinds <= allowed[part]:
            raise ValueError(
                "NumpyVAE mirrors a fully connected VAE (no batch norm, dropout, convolutions or split heads). "
                f"Received: {part} layers of types {sorted(kinds - allowed[part])}"
            )
        names = {layer.name for layer in model.layers}
        units[part] = []
        while f"hidden{len(units[part])}_dense" in names:
            units[part].append(int(model.get_layer(f"hidden{len(units[part])}_dense").units))
        activations |= {
            layer.get_config()["activation"] for layer in model.layers if type(layer).__name__ == "Activation"
        }
    encoder_names = {layer.name for layer in vae.encoder.layers}
    if not {"mean", "log_var"} <= encoder_names or units["decoder"] != units["encoder"][::-1]:
        raise ValueError(
            "NumpyVAE needs encoder layers hidden{i}_dense, mean and log_var, and decoder widths that mirror the "
            f"encoder's. Received: encoder widths {units['encoder']}, decoder widths {units['decoder']}"
        )
    if len(activations) > 1 or not activations <= set(ACTIVATIONS):
        raise ValueError(
            f"Unsupported activation. Received: activation={sorted(activations)}. Accepted: {', '.join(ACTIVATIONS)}"
        )
    activation = activations.pop() if activations else "relu"  # no hidden layer: the activation is unused
    input_dim = int(math.prod(vae.encoder.inputs[0].shape[1:]))
    latent_dim = int(vae.encoder.get_layer("mean").units)
    return input_dim, latent_dim, tuple(units["encoder"]), activation


def _keras_variables(vae, hidden_layers):
    """The Keras VAE's Dense kernels and biases, in the order of ``NumpyVAE.weight_names``."""
    names = [("encoder", f"hidden{i}_dense") for i in range(hidden_layers)] + [
        ("encoder", "mean"),
        ("encoder", "log_var"),
    ]
    names += [("decoder", f"hidden{i}_dense") for i in range(hidden_layers)] + [("decoder", "params")]
    variables = []
    for part, name in names:
        layer = getattr(vae, part).get_layer(name)
        variables += [layer.kernel, layer.bias]
    return variables


def from_keras(vae, dtype="float32"):
    """A ``NumpyVAE`` with the architecture and the weights of a Keras VAE.

    Weights are matched by layer name (encoder ``hidden{i}_dense``, ``mean``,
    ``log_var``; decoder ``hidden{i}_dense``, ``params``), not by position.

    Args:
        vae: a ``models.VAE`` built by ``models.build_vae(..., architecture="mlp",
            likelihood="bernoulli")`` without batch norm, dropout or split heads.
        dtype: dtype of the NumPy model.

    Returns:
        A ``NumpyVAE``.

    Raises:
        ValueError: if the Keras model has a different architecture or likelihood.
    """
    from keras import ops

    input_dim, latent_dim, hidden_units, activation = _keras_architecture(vae)
    model = NumpyVAE(input_dim, latent_dim, hidden_units, activation=activation, dtype=dtype)
    for target, variable in zip(model.trainable_weights, _keras_variables(vae, len(hidden_units))):
        target[...] = ops.convert_to_numpy(variable)
    model.training_steps = int(ops.convert_to_numpy(vae.training_steps))
    return model


def to_keras(model, vae=None):
    """Copies a ``NumpyVAE``'s weights into a Keras VAE, by layer name.

    Args:
        model: a ``NumpyVAE``.
        vae: the Keras VAE to overwrite; default: a new
            ``models.build_vae((input_dim,), ...)`` of the same architecture.

    Returns:
        The Keras VAE.

    Raises:
        ValueError: if ``vae`` has a different architecture.
    """
    from vae_keras import models

    if vae is None:
        vae = models.build_vae(
            (model.input_dim,), model.latent_dim, hidden_units=model.hidden_units, activation=model.activation
        )
    architecture = _keras_architecture(vae)
    expected = (model.input_dim, model.latent_dim, model.hidden_units)
    if architecture[:3] != expected or (model.hidden_units and architecture[3] != model.activation):
        raise ValueError(
            "The Keras VAE must have the NumpyVAE's architecture (input_dim, latent_dim, hidden_units, activation) "
            f"= {expected + (model.activation,)}. Received: vae with {architecture}"
        )
    for variable, value in zip(_keras_variables(vae, len(model.hidden_units)), model.trainable_weights):
        variable.assign(value.astype("float32"))
    vae.training_steps.assign(float(model.training_steps))
    return vae
