"""Custom Keras layers of the VAE: the reparameterised sampler and the split head.

Everything else in the encoders and decoders is a stock Keras layer assembled
by the factory functions in ``vae_keras.models``.
"""

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="vae_keras")
class Sampling(keras.layers.Layer):
    """Draws ``z = mean + exp(0.5 * log_var) * eps`` with ``eps ~ N(0, I)``.

    The reparameterisation trick: ``z`` is a differentiable function of
    ``mean`` and ``log_var``, and its variance is ``exp(log_var)``. (A popular
    2017 Keras example used ``exp(log_var)`` as the *scale*, which samples
    with variance ``exp(log_var) ** 2``.)

    Args:
        seed: integer seed of the layer's ``keras.random.SeedGenerator``, or
            ``None`` for a random one.

    Call arguments:
        inputs: a pair ``(mean, log_var)`` of tensors of the same shape.

    Returns:
        A tensor of the same shape as ``mean``.
    """

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        if seed is not None and not isinstance(seed, int):
            raise ValueError(f"`seed` must be an integer or None. Received: seed={seed!r}")
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.built = True

    def call(self, inputs):
        mean, log_var = inputs
        return mean + ops.exp(0.5 * log_var) * self.noise(ops.shape(mean), dtype=mean.dtype)

    def noise(self, shape, dtype="float32"):
        """Standard normal draws of ``shape`` from the layer's seeded generator."""
        return keras.random.normal(shape, dtype=dtype, seed=self.seed_generator)

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "seed": self.seed}


@keras.saving.register_keras_serializable(package="vae_keras")
class SplitMeanLogVar(keras.layers.Layer):
    """Splits the last axis in half into ``(mean, log_var)``.

    This is the encoder of the Kingma & Welling reproduction: one dense
    output of size ``2 * latent_dim`` read as a mean and a log-variance.
    """

    def call(self, inputs):
        mean, log_var = ops.split(inputs, 2, axis=-1)
        return mean, log_var

    def compute_output_shape(self, input_shape):
        if input_shape[-1] is not None and input_shape[-1] % 2:
            raise ValueError(
                f"SplitMeanLogVar needs an even last dimension. Received: input_shape={tuple(input_shape)}"
            )
        half = None if input_shape[-1] is None else input_shape[-1] // 2
        shape = tuple(input_shape[:-1]) + (half,)
        return shape, shape
