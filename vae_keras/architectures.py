"""Encoder/decoder architectures: the factories and the registry ``build_vae`` reads.

Encoders and decoders are Functional models built by factory functions:

* an encoder maps ``(batch, *input_shape)`` to ``[mean, log_var]``, each
  ``(batch, latent_dim)``;
* a decoder maps ``(batch, latent_dim)`` to the likelihood's parameters,
  ``(batch, *input_shape, num_params)``.

An architecture is a ``build`` function registered in ``ARCHITECTURES`` under the
name configs and the command line use (``mlp``, ``conv``). ``vae_keras.models``
re-exports these names.
"""

import dataclasses
import math
from collections.abc import Callable

import keras
import numpy as np
from keras import layers

from vae_keras import checks
from vae_keras import layers as vae_layers
from vae_keras.registry import Registry

ACTIVATIONS = ("relu", "elu", "softplus", "tanh")


@dataclasses.dataclass(frozen=True)
class Architecture:
    """An encoder/decoder pair that ``build_vae`` can build by name.

    Attributes:
        name: what configs and the command line use (``--architecture NAME``).
        build: ``build(input_shape, latent_dim, num_params, settings) -> (encoder, decoder)``,
            ``settings`` being ``build_vae``'s hidden-layer keyword arguments.
        summary: one line for help texts.
        flat_inputs: accepts flat feature vectors (such as PCA components), not only images.
        conditional: can build the decoder of a ``ConditionalVAE`` (``settings["num_classes"]``).
        output_layer: the decoder's last layer is a Dense ``"params"`` with one bias per output
            (so ``output_bias_init="data_mean"`` can set them).
    """

    name: str
    build: Callable
    summary: str
    flat_inputs: bool = False
    conditional: bool = False
    output_layer: bool = False


#: Every architecture ``build_vae`` knows, by name. A new one is a ``build`` function
#: registered with ``ARCHITECTURES.register(name, Architecture(...))``.
ARCHITECTURES = Registry("architecture")


# --------------------------------------------------------------------------
# Argument checks shared by the factories
# --------------------------------------------------------------------------


def _check_latent_dim(latent_dim):
    return checks.integer("latent_dim", latent_dim, 1)


def _check_activation(activation):
    return checks.choice("activation", activation, ACTIVATIONS)


def _check_dropout(dropout):
    if not isinstance(dropout, (int, float)) or not 0.0 <= dropout < 1.0:
        raise ValueError(f"`dropout` must be a number in [0, 1). Received: dropout={dropout!r}")
    return float(dropout)


def _check_units(name, units):
    return checks.integer_sequence(name, units)


def _check_shape(name, shape):
    try:
        shape = tuple(int(d) for d in shape)
    except TypeError:
        shape = None
    if not shape or any(d < 1 for d in shape):
        raise ValueError(
            f"`{name}` must be a non-empty tuple of positive integers such as (28, 28, 1) "
            f"or (500,). Received: {name}={shape!r}"
        )
    return shape


def _hidden_block(x, units, activation, batch_norm, dropout, name):
    """Dense -> (BatchNorm) -> activation -> (Dropout)."""
    x = layers.Dense(units, use_bias=not batch_norm, name=f"{name}_dense")(x)
    if batch_norm:
        x = layers.BatchNormalization(name=f"{name}_bn")(x)
    x = layers.Activation(activation, name=f"{name}_{activation}")(x)
    if dropout:
        x = layers.Dropout(dropout, name=f"{name}_dropout")(x)
    return x


def _gaussian_heads(x, latent_dim, split_output, log_var_init_scale):
    """The encoder's mean and log-variance outputs."""
    if split_output:
        both = layers.Dense(2 * latent_dim, name="mean_log_var")(x)
        return list(vae_layers.SplitMeanLogVar(name="split")(both))
    mean = layers.Dense(latent_dim, name="mean")(x)
    if log_var_init_scale is None:
        log_var = layers.Dense(latent_dim, name="log_var")(x)
    else:
        # Kingma's reference code: a small-init linear log-variance head, so
        # q(z|x) starts near unit variance even on whitened (large) inputs.
        init = keras.initializers.RandomNormal(stddev=log_var_init_scale)
        log_var = layers.Dense(latent_dim, kernel_initializer=init, name="log_var")(x)
    return [mean, log_var]


# --------------------------------------------------------------------------
# Factories
# --------------------------------------------------------------------------


def build_mlp_encoder(
    input_shape,
    latent_dim,
    hidden_units=(512,),
    activation="relu",
    batch_norm=False,
    dropout=0.0,
    split_output=False,
    log_var_init_scale=None,
    name="encoder",
):
    """A fully connected encoder q(z|x).

    Args:
        input_shape: shape of one example, e.g. ``(28, 28, 1)``, ``(8, 8, 1)``
            or ``(500,)`` for PCA features. Images are flattened.
        latent_dim: size of z, >= 1.
        hidden_units: widths of the hidden layers, e.g. ``(1000,)``.
        activation: one of ``ACTIVATIONS``.
        batch_norm: batch normalisation after each hidden dense layer.
        dropout: dropout rate after each hidden layer, in ``[0, 1)``.
        split_output: one dense output of ``2 * latent_dim`` split in half
            into mean and log-variance (the Kingma reproduction's encoder).
        log_var_init_scale: if set, the log-variance head's kernel starts as
            N(0, scale^2) (small init). Ignored with ``split_output``.
        name: model name.

    Returns:
        A Functional ``keras.Model``: ``x -> [mean, log_var]``.

    Raises:
        ValueError: for an invalid argument.
    """
    input_shape = _check_shape("input_shape", input_shape)
    latent_dim = _check_latent_dim(latent_dim)
    hidden_units = _check_units("hidden_units", hidden_units)
    _check_activation(activation)
    dropout = _check_dropout(dropout)
    inputs = keras.Input(shape=input_shape, name="x")
    x = layers.Flatten(name="flatten")(inputs) if len(input_shape) > 1 else inputs
    for i, units in enumerate(hidden_units):
        x = _hidden_block(x, units, activation, batch_norm, dropout, name=f"hidden{i}")
    outputs = _gaussian_heads(x, latent_dim, split_output, log_var_init_scale)
    return keras.Model(inputs, outputs, name=name)


def build_mlp_decoder(
    output_shape,
    latent_dim,
    hidden_units=(512,),
    activation="relu",
    batch_norm=False,
    dropout=0.0,
    num_params=1,
    num_classes=None,
    name="decoder",
):
    """A fully connected decoder p(x|z), or p(x|z, y) with ``num_classes``.

    Args:
        output_shape: shape of one example, as the encoder's ``input_shape``.
        latent_dim: size of z, >= 1.
        hidden_units: widths of the hidden layers, from z outwards.
        activation: one of ``ACTIVATIONS``.
        batch_norm: batch normalisation after each hidden dense layer.
        dropout: dropout rate after each hidden layer, in ``[0, 1)``.
        num_params: likelihood parameters per feature (``Likelihood.num_params``).
        num_classes: if set (>= 2), the decoder also takes an integer label,
            one-hot encoded inside the model and concatenated with ``z``, so it
            saves and loads like any Functional model.
        name: model name.

    Returns:
        A Functional ``keras.Model``: ``z -> params`` (or ``[z, label] ->
        params``) shaped ``(batch, *output_shape, num_params)``.
    """
    output_shape = _check_shape("output_shape", output_shape)
    latent_dim = _check_latent_dim(latent_dim)
    hidden_units = _check_units("hidden_units", hidden_units)
    _check_activation(activation)
    dropout = _check_dropout(dropout)
    z = keras.Input(shape=(latent_dim,), name="z")
    inputs, x = z, z
    if num_classes is not None:
        if isinstance(num_classes, bool) or not isinstance(num_classes, (int, np.integer)) or num_classes < 2:
            raise ValueError(f"`num_classes` must be an integer >= 2. Received: num_classes={num_classes!r}")
        label = keras.Input(shape=(), dtype="int32", name="label")
        one_hot = layers.CategoryEncoding(num_tokens=int(num_classes), output_mode="one_hot", name="one_hot")(label)
        inputs, x = [z, label], layers.Concatenate(name="z_and_label")([z, one_hot])
    for i, units in enumerate(hidden_units):
        x = _hidden_block(x, units, activation, batch_norm, dropout, name=f"hidden{i}")
    x = layers.Dense(math.prod(output_shape) * num_params, name="params")(x)
    outputs = layers.Reshape(output_shape + (num_params,), name="unflatten")(x)
    return keras.Model(inputs, outputs, name=name)


def _check_image_shape(name, shape, num_downsamples):
    shape = _check_shape(name, shape)
    if len(shape) != 3:
        raise ValueError(
            f"A convolutional model needs images (height, width, channels). Received: {name}={shape}. "
            "Use architecture='mlp' for flat features such as PCA components."
        )
    factor = 2**num_downsamples
    if shape[0] % factor or shape[1] % factor:
        raise ValueError(
            f"Height and width must be divisible by 2**len(conv_filters)={factor}. "
            f"Received: {name}={shape} with {num_downsamples} strided convolutions."
        )
    return shape


def build_conv_encoder(
    input_shape,
    latent_dim,
    conv_filters=(32, 64),
    hidden_units=(256,),
    activation="relu",
    batch_norm=False,
    dropout=0.0,
    split_output=False,
    log_var_init_scale=None,
    name="encoder",
):
    """A convolutional encoder: stride-2 3x3 convolutions, then dense layers.

    Args:
        input_shape: ``(height, width, channels)``, height and width divisible
            by ``2 ** len(conv_filters)``: (28, 28, 1), (32, 32, 3), (8, 8, 1).
        latent_dim: size of z.
        conv_filters: filters of each stride-2 convolution.
        hidden_units: dense widths after flattening.
        activation, batch_norm, dropout, split_output, log_var_init_scale:
            as in ``build_mlp_encoder``.
        name: model name.

    Returns:
        A Functional ``keras.Model``: ``x -> [mean, log_var]``.
    """
    conv_filters = _check_units("conv_filters", conv_filters)
    input_shape = _check_image_shape("input_shape", input_shape, len(conv_filters))
    latent_dim = _check_latent_dim(latent_dim)
    hidden_units = _check_units("hidden_units", hidden_units)
    _check_activation(activation)
    dropout = _check_dropout(dropout)
    inputs = keras.Input(shape=input_shape, name="x")
    x = inputs
    for i, filters in enumerate(conv_filters):
        x = layers.Conv2D(filters, 3, strides=2, padding="same", use_bias=not batch_norm, name=f"conv{i}")(x)
        if batch_norm:
            x = layers.BatchNormalization(name=f"conv{i}_bn")(x)
        x = layers.Activation(activation, name=f"conv{i}_{activation}")(x)
    x = layers.Flatten(name="flatten")(x)
    for i, units in enumerate(hidden_units):
        x = _hidden_block(x, units, activation, batch_norm, dropout, name=f"hidden{i}")
    outputs = _gaussian_heads(x, latent_dim, split_output, log_var_init_scale)
    return keras.Model(inputs, outputs, name=name)


def build_conv_decoder(
    output_shape,
    latent_dim,
    conv_filters=(64, 32),
    hidden_units=(256,),
    activation="relu",
    batch_norm=False,
    dropout=0.0,
    num_params=1,
    name="decoder",
):
    """A transposed-convolution decoder, the mirror of ``build_conv_encoder``.

    Args:
        output_shape: ``(height, width, channels)`` of one image.
        latent_dim: size of z.
        conv_filters: filters of each stride-2 transposed convolution, from
            the smallest feature map outwards.
        hidden_units: dense widths before the first feature map.
        activation, batch_norm, dropout: as in ``build_mlp_decoder``.
        num_params: likelihood parameters per pixel and channel.
        name: model name.

    Returns:
        A Functional ``keras.Model``: ``z -> params`` shaped
        ``(batch, height, width, channels, num_params)``.
    """
    conv_filters = _check_units("conv_filters", conv_filters)
    output_shape = _check_image_shape("output_shape", output_shape, len(conv_filters))
    latent_dim = _check_latent_dim(latent_dim)
    hidden_units = _check_units("hidden_units", hidden_units)
    _check_activation(activation)
    dropout = _check_dropout(dropout)
    height, width, channels = output_shape
    factor = 2 ** len(conv_filters)
    start_shape = (height // factor, width // factor, conv_filters[0])
    inputs = keras.Input(shape=(latent_dim,), name="z")
    x = inputs
    for i, units in enumerate(hidden_units):
        x = _hidden_block(x, units, activation, batch_norm, dropout, name=f"hidden{i}")
    x = _hidden_block(x, math.prod(start_shape), activation, batch_norm, 0.0, name="project")
    x = layers.Reshape(start_shape, name="to_feature_map")(x)
    for i, filters in enumerate(conv_filters):
        x = layers.Conv2DTranspose(filters, 3, strides=2, padding="same", use_bias=not batch_norm, name=f"deconv{i}")(x)
        if batch_norm:
            x = layers.BatchNormalization(name=f"deconv{i}_bn")(x)
        x = layers.Activation(activation, name=f"deconv{i}_{activation}")(x)
    x = layers.Conv2D(channels * num_params, 3, padding="same", name="params")(x)
    outputs = layers.Reshape(output_shape + (num_params,), name="split_params")(x)
    return keras.Model(inputs, outputs, name=name)


def _build_mlp(input_shape, latent_dim, num_params, settings):
    common = {key: settings[key] for key in ("activation", "batch_norm", "dropout")}
    encoder = build_mlp_encoder(
        input_shape,
        latent_dim,
        hidden_units=settings["hidden_units"],
        split_output=settings["split_encoder_output"],
        log_var_init_scale=settings["log_var_init_scale"],
        **common,
    )
    num_classes = settings["num_classes"]
    decoder = build_mlp_decoder(
        input_shape,
        latent_dim,
        hidden_units=settings["decoder_units"],
        num_params=num_params,
        num_classes=num_classes,
        name="decoder" if num_classes is None else "conditional_decoder",
        **common,
    )
    return encoder, decoder


def _build_conv(input_shape, latent_dim, num_params, settings):
    common = {key: settings[key] for key in ("activation", "batch_norm", "dropout")}
    encoder = build_conv_encoder(
        input_shape,
        latent_dim,
        conv_filters=settings["conv_filters"],
        hidden_units=settings["hidden_units"],
        split_output=settings["split_encoder_output"],
        log_var_init_scale=settings["log_var_init_scale"],
        **common,
    )
    decoder = build_conv_decoder(
        input_shape,
        latent_dim,
        conv_filters=tuple(reversed(tuple(settings["conv_filters"]))),
        hidden_units=settings["decoder_units"],
        num_params=num_params,
        **common,
    )
    return encoder, decoder


ARCHITECTURES.register(
    "mlp",
    Architecture(
        "mlp",
        _build_mlp,
        "dense layers on the flattened input (images or features such as PCA components)",
        flat_inputs=True,
        conditional=True,
        output_layer=True,
    ),
)
ARCHITECTURES.register(
    "conv",
    Architecture("conv", _build_conv, "stride-2 convolutions, then dense layers; images only"),
)
