"""The keras-io way of training a VAE, kept only as a speed baseline.

keras-io's "Variational AutoEncoder" example subclasses ``keras.Model`` and overrides
``train_step`` with a ``tf.GradientTape``. The project trains by overriding ``compute_loss``
instead (see CONVENTIONS.md): that works on every backend, and ``evaluate``, validation and
saving come for free. This class exists so ``benchmarks/train_throughput.py`` can check that
the project's way is not slower. It is TensorFlow-only, has no ``test_step`` and is not
registered for saving. Do not use it for anything else.
"""

import keras
from keras import ops

from vae_keras import layers as vae_layers
from vae_keras import likelihoods


class KerasIoVAE(keras.Model):
    """The same encoder, decoder and likelihood, trained by a ``GradientTape`` ``train_step``.

    The loss is the project's negative ELBO (``VAE.compute_loss`` with ``beta=1``): the
    likelihood's ``-log p(x|z)`` summed over features plus the closed-form KL, averaged over
    the batch, with the same float32 casts.
    """

    def __init__(self, encoder, decoder, likelihood, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.encoder = encoder
        self.decoder = decoder
        self.likelihood = likelihood
        self.sampler = vae_layers.Sampling(seed=seed, name="sampling")
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")

    @property
    def metrics(self):
        return [self.loss_tracker, self.reconstruction_tracker, self.kl_tracker]

    def call(self, inputs, training=None):
        return self.encoder(inputs, training=training)

    def train_step(self, data):
        import tensorflow as tf

        x = data[0] if isinstance(data, tuple) else data
        with tf.GradientTape() as tape:
            mean, log_var = self.encoder(x, training=True)
            z = self.sampler([mean, log_var])
            params = ops.cast(self.decoder(z, training=True), "float32")
            reconstruction = -self.likelihood.log_prob(ops.cast(x, "float32"), params)
            kl = likelihoods.kl_standard_normal(ops.cast(mean, "float32"), ops.cast(log_var, "float32"))
            loss = ops.mean(reconstruction + kl)
        gradients = tape.gradient(loss, self.trainable_weights)
        self.optimizer.apply_gradients(zip(gradients, self.trainable_weights))
        self.loss_tracker.update_state(loss)
        self.reconstruction_tracker.update_state(reconstruction)
        self.kl_tracker.update_state(kl)
        return {metric.name: metric.result() for metric in self.metrics}
