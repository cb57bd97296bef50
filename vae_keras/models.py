"""The VAE model, ``build_vae`` and the conditional VAE.

``VAE`` is the one subclassed model. It trains by overriding
``compute_loss``, so ``fit(validation_data=...)``, ``evaluate()``,
``predict()`` and saving to ``.keras`` work unchanged on every backend.
Its encoder and decoder come from a registered architecture
(``vae_keras.architectures``, whose names are re-exported here).
"""

import math

import keras
import numpy as np
from keras import ops
from keras.src.losses.loss import scale_loss_for_distribution  # not exported by keras.losses

from vae_keras import checks, likelihoods
from vae_keras import layers as vae_layers
from vae_keras.architectures import (  # noqa: F401 (re-exported: models.ARCHITECTURES, models.build_mlp_encoder...)
    ACTIVATIONS,
    ARCHITECTURES,
    Architecture,
    build_conv_decoder,
    build_conv_encoder,
    build_mlp_decoder,
    build_mlp_encoder,
)

# --------------------------------------------------------------------------
# The VAE
# --------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="vae_keras")
class VAE(keras.Model):
    """A variational autoencoder trained on the negative ELBO.

    ``call(x)`` returns the encoder's ``[mean, log_var]``. ``compute_loss``
    samples ``z`` with the reparameterisation trick, decodes it, and returns

        loss = mean over the batch of  -log p(x|z) + kl_weight * KL(q(z|x) || p(z))
               + sum(self.losses)

    where ``kl_weight`` is ``beta``, ramped linearly from 0 over the first
    ``kl_warmup_steps`` training steps, and ``self.losses`` holds the weight
    and activity regularisers of the encoder and decoder (and any
    ``add_loss`` term). With sample weights the mean over the batch is
    weighted, ``sum(w * l) / sum(w)``, and so are the metrics. Keras drops
    ``sample_weight`` when ``y`` is ``None``, so pass a placeholder ``y``,
    which this model ignores: ``fit(x, np.zeros(len(x)), sample_weight=w)``
    (a ``ConditionalVAE`` takes its labels there). Metrics: ``loss`` (the objective, equal to the
    negative ELBO when ``beta=1`` after warm-up and without regularisers),
    ``reconstruction`` (-log p(x|z)), ``kl``, and ``nelbo`` (the negative
    ELBO with weight 1, whatever ``beta``). All are nats per example.

    With ``train_samples=K > 1`` the objective is instead Burda et al.'s
    (2016) importance-weighted bound (IWAE),

        loss = mean over the batch of  -log (1/K) sum_k p(x, z_k) / q(z_k|x),   z_k ~ q(z|x),

    which equals the ELBO at K=1 and tightens towards log p(x) as K grows;
    ``loss`` then reports it, while ``reconstruction``, ``kl`` and ``nelbo``
    still report the one-sample terms (averaged over the K draws). It needs
    ``beta=1`` and no warm-up: the bound has no separate KL term to weigh.

    Args:
        encoder: model ``x -> [mean, log_var]``.
        decoder: model ``z -> params`` for the likelihood.
        likelihood: a ``vae_keras.likelihoods.Likelihood`` head.
        beta: KL weight, >= 0.
        kl_warmup_steps: steps over which the KL weight ramps from 0 to
            ``beta``; 0 disables warm-up.
        seed: seed of the sampling layer.
        train_samples: K, the importance samples of the training objective;
            1 (the default) is the VAE's ELBO.
    """

    #: whether the decoder also takes the labels (a ``ConditionalVAE``)
    uses_labels = False

    def __init__(self, encoder, decoder, likelihood, beta=1.0, kl_warmup_steps=0, seed=None, train_samples=1, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(likelihood, likelihoods.Likelihood):
            raise ValueError(
                "`likelihood` must be a vae_keras.likelihoods.Likelihood layer. "
                f"Received: likelihood={likelihood!r}. Use likelihoods.get(name)."
            )
        if not isinstance(beta, (int, float)) or not math.isfinite(beta) or beta < 0:
            raise ValueError(f"`beta` must be a finite number >= 0. Received: beta={beta!r}")
        if not isinstance(kl_warmup_steps, (int, np.integer)) or kl_warmup_steps < 0:
            raise ValueError(
                f"`kl_warmup_steps` must be an integer >= 0. Received: kl_warmup_steps={kl_warmup_steps!r}"
            )
        train_samples = checks.integer("train_samples", train_samples, 1)
        if train_samples > 1 and (beta != 1 or kl_warmup_steps):
            raise ValueError(
                "The importance-weighted bound (train_samples > 1) has no separate KL term: it needs beta=1 "
                f"and kl_warmup_steps=0. Received: train_samples={train_samples}, beta={beta!r}, "
                f"kl_warmup_steps={kl_warmup_steps!r}"
            )
        self.encoder = encoder
        self.decoder = decoder
        self.likelihood = likelihood
        self.beta = float(beta)
        self.kl_warmup_steps = int(kl_warmup_steps)
        self.train_samples = train_samples
        self.seed = seed
        self.sampler = vae_layers.Sampling(seed=seed, name="sampling")
        # Counts training steps for the KL warm-up. A model variable, not the
        # optimizer's counter: it is part of the traced state on every
        # backend, and it is saved and restored with the model.
        # Under tf.distribute every replica counts the same step: keep the first replica's count.
        self.training_steps = self.add_weight(
            shape=(), initializer="zeros", trainable=False, name="training_steps", aggregation="only_first_replica"
        )
        self.reconstruction_tracker = keras.metrics.Mean(name="reconstruction")
        self.kl_tracker = keras.metrics.Mean(name="kl")
        self.nelbo_tracker = keras.metrics.Mean(name="nelbo")
        self.built = True

    @property
    def latent_dim(self):
        return int(self.encoder.outputs[0].shape[-1])

    @property
    def input_shape_(self):
        """Shape of one example, without the batch axis."""
        return tuple(self.encoder.inputs[0].shape[1:])

    def call(self, inputs, training=None):
        return self.encoder(inputs, training=training)

    def kl_weight(self, training):
        if not training or self.kl_warmup_steps == 0:
            return self.beta
        ramp = ops.minimum(1.0, self.training_steps / float(self.kl_warmup_steps))
        return self.beta * ramp

    def decoder_inputs(self, z, y=None):
        """What the decoder is called with during training: ``z`` here."""
        return z

    def log_weights(self, x, mean, log_var, epsilon, y=None, training=False):
        """Importance log-weights of ``K`` draws ``z = mean + std * epsilon`` from q(z|x).

        Args:
            x: a batch of inputs, ``(batch, *input_shape)``.
            mean, log_var: q(z|x) of the batch, float32 ``(batch, latent_dim)``.
            epsilon: standard normal noise, ``(K, batch, latent_dim)``, ``K`` static.
            y: the labels of a ``ConditionalVAE`` (ignored by a ``VAE``).
            training: passed to the decoder.

        Returns:
            ``(log_weights, log_px_given_z)``, each float32 ``(K, batch)``:
            ``log p(x|z) + log p(z) - log q(z|x)`` and ``log p(x|z)``.
        """
        num_draws = epsilon.shape[0]
        batch = ops.shape(mean)[0]
        event_shape = tuple(x.shape[1:])
        z = mean[None] + ops.exp(0.5 * log_var)[None] * epsilon
        flat_z = ops.reshape(z, (num_draws * batch, self.latent_dim))
        decoder_inputs = flat_z
        if self.uses_labels:
            repeated_labels = ops.reshape(ops.broadcast_to(y[None], (num_draws, batch)), (num_draws * batch,))
            decoder_inputs = self.decoder_inputs(flat_z, repeated_labels)
        # The likelihood stays in float32 under mixed precision.
        params = ops.cast(self.decoder(decoder_inputs, training=training), "float32")
        repeated_x = ops.reshape(
            ops.broadcast_to(ops.cast(x, "float32")[None], (num_draws, batch) + event_shape),
            (num_draws * batch,) + event_shape,
        )
        log_px_given_z = ops.reshape(self.likelihood.log_prob(repeated_x, params), (num_draws, batch))
        log_pz = likelihoods.standard_normal_log_prob(z)
        # log q(z|x) with z = mean + std * epsilon needs only epsilon.
        log_qz = -0.5 * ops.sum(likelihoods.LOG_2PI + log_var[None] + ops.square(epsilon), axis=-1)
        return log_px_given_z + log_pz - log_qz, log_px_given_z

    def _importance_weighted_terms(self, x, y, mean, log_var, training):
        """``(-bound, reconstruction, kl)`` per example for the K-sample objective."""
        mean = ops.cast(mean, "float32")
        log_var = ops.cast(log_var, "float32")
        epsilon = self.sampler.noise((self.train_samples, ops.shape(mean)[0], self.latent_dim))
        log_weights, log_px_given_z = self.log_weights(x, mean, log_var, epsilon, y=y, training=training)
        bound = ops.logsumexp(log_weights, axis=0) - math.log(self.train_samples)
        return -bound, -ops.mean(log_px_given_z, axis=0), likelihoods.kl_standard_normal(mean, log_var)

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        mean, log_var = y_pred
        if self.train_samples > 1:
            per_example, reconstruction, kl = self._importance_weighted_terms(x, y, mean, log_var, training)
        else:
            z = self.sampler([mean, log_var])
            params = self.decoder(self.decoder_inputs(z, y), training=training)
            # The likelihood and KL stay in float32 under mixed precision.
            params = ops.cast(params, "float32")
            reconstruction = -self.likelihood.log_prob(ops.cast(x, "float32"), params)
            kl = likelihoods.kl_standard_normal(ops.cast(mean, "float32"), ops.cast(log_var, "float32"))
            per_example = reconstruction + self.kl_weight(training) * kl
        if sample_weight is None:
            loss = ops.mean(per_example)
        else:
            # A weighted mean over the batch: weight 0 drops an example.
            sample_weight = ops.reshape(ops.cast(sample_weight, "float32"), (-1,))
            loss = ops.divide_no_nan(ops.sum(sample_weight * per_example), ops.sum(sample_weight))
        # Regularisers' and `add_loss` terms of the encoder, decoder and likelihood,
        # as Keras's own `Model.compute_loss` adds them.
        for extra in self.losses:
            loss = loss + ops.sum(ops.cast(extra, "float32"))
        if training:
            self.training_steps.assign_add(1.0)
        self.reconstruction_tracker.update_state(reconstruction, sample_weight=sample_weight)
        self.kl_tracker.update_state(kl, sample_weight=sample_weight)
        self.nelbo_tracker.update_state(reconstruction + kl, sample_weight=sample_weight)
        # Under tf.distribute the replicas' gradients are summed, so each replica's mean is divided
        # by their number, as Keras's own compute_loss does (a no-op elsewhere; Keras's trainer
        # undoes it for the reported loss).
        return scale_loss_for_distribution(loss)

    # ---- helpers for analysis (NumPy in, NumPy out) -----------------------

    def encode(self, x, batch_size=1000):
        """Returns ``(mean, log_var)`` of q(z|x) as NumPy arrays."""
        mean, log_var = self.encoder.predict(x, batch_size=batch_size, verbose=0)
        return mean, log_var

    def decode(self, z, batch_size=1000):
        """Returns the likelihood's mean of p(x|z): images or features."""
        params = self.decoder.predict(np.asarray(z, dtype="float32"), batch_size=batch_size, verbose=0)
        return ops.convert_to_numpy(self.likelihood.mean(ops.convert_to_tensor(params)))

    def sample(self, num_samples, seed=None, batch_size=1000):
        """Decodes ``num_samples`` draws of z ~ N(0, I)."""
        z = np.random.default_rng(seed).standard_normal((num_samples, self.latent_dim))
        return self.decode(z.astype("float32"), batch_size=batch_size)

    def reconstruct(self, x, batch_size=1000):
        """Decodes the posterior mean of each example."""
        mean, _ = self.encode(x, batch_size=batch_size)
        return self.decode(mean, batch_size=batch_size)

    # ---- serialisation ----------------------------------------------------

    def get_config(self):
        return {
            **super().get_config(),
            "encoder": keras.saving.serialize_keras_object(self.encoder),
            "decoder": keras.saving.serialize_keras_object(self.decoder),
            "likelihood": keras.saving.serialize_keras_object(self.likelihood),
            "beta": self.beta,
            "kl_warmup_steps": self.kl_warmup_steps,
            "seed": self.seed,
            "train_samples": self.train_samples,
        }

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("encoder", "decoder", "likelihood"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


def build_vae(
    input_shape,
    latent_dim,
    architecture="mlp",
    likelihood="bernoulli",
    hidden_units=(512,),
    decoder_units=None,
    conv_filters=(32, 64),
    activation="relu",
    batch_norm=False,
    dropout=0.0,
    split_encoder_output=False,
    log_var_init_scale=None,
    beta=1.0,
    kl_warmup_steps=0,
    seed=None,
    likelihood_options=None,
    num_classes=None,
    train_samples=1,
):
    """Builds a VAE from plain settings.

    Args:
        input_shape: shape of one example: (28, 28, 1), (32, 32, 3), (8, 8, 1)
            or flat features such as (500,).
        latent_dim: size of z.
        architecture: ``"mlp"`` or ``"conv"``.
        likelihood: a name in ``vae_keras.likelihoods.LIKELIHOODS``.
        hidden_units: the encoder's dense widths.
        decoder_units: the decoder's dense widths; default: ``hidden_units``
            reversed.
        conv_filters: the encoder's convolution filters (the decoder mirrors
            them). Used with ``architecture="conv"``.
        activation, batch_norm, dropout: hidden-layer settings.
        split_encoder_output: one encoder output split into mean/log-variance.
        log_var_init_scale: small init of the log-variance head (see
            ``build_mlp_encoder``).
        beta, kl_warmup_steps, seed: see ``VAE``.
        likelihood_options: keyword arguments of the likelihood head, such as
            ``{"sigma": 0.1}`` or ``{"variance_floor": 0.01}``.
        num_classes: if set, a ``ConditionalVAE`` whose (MLP) decoder also
            sees the label, one of ``num_classes``.
        train_samples: K of the training objective (see ``VAE``); 1 is the ELBO.

    Returns:
        An uncompiled ``VAE`` (or ``ConditionalVAE``).

    Raises:
        ValueError: for an unknown architecture or likelihood, or invalid settings.
    """
    entry = ARCHITECTURES.get(architecture)
    head = likelihoods.get(likelihood, **(likelihood_options or {}))
    if num_classes is not None and not entry.conditional:
        accepted = ", ".join(ARCHITECTURES.names(lambda candidate: candidate.conditional))
        raise ValueError(
            f"A conditional VAE is built with architecture {accepted}. "
            f"Received: architecture={architecture!r}, num_classes={num_classes!r}"
        )
    settings = dict(
        hidden_units=hidden_units,
        decoder_units=tuple(reversed(tuple(hidden_units))) if decoder_units is None else decoder_units,
        conv_filters=conv_filters,
        activation=activation,
        batch_norm=batch_norm,
        dropout=dropout,
        split_encoder_output=split_encoder_output,
        log_var_init_scale=log_var_init_scale,
        num_classes=num_classes,
    )
    encoder, decoder = entry.build(input_shape, latent_dim, head.num_params, settings)
    model_class = VAE if num_classes is None else ConditionalVAE
    return model_class(
        encoder, decoder, head, beta=beta, kl_warmup_steps=kl_warmup_steps, seed=seed, train_samples=train_samples
    )


# --------------------------------------------------------------------------
# The conditional VAE
# --------------------------------------------------------------------------


@keras.saving.register_keras_serializable(package="vae_keras")
class ConditionalVAE(VAE):
    """A VAE whose decoder also sees the label: p(x | z, y), with q(z | x).

    Train it on ``(x, labels)`` pairs: ``fit(x, labels)`` or a dataset of
    ``(x, labels)`` batches. Because the decoder is told the label, the KL
    term gives ``z`` no reason to encode it, and ``z`` keeps the *style*:
    stroke, thickness, colours, background. Decoding one image's ``z`` with
    every label draws that style as every digit.
    """

    uses_labels = True

    @property
    def num_classes(self):
        return int(self.decoder.get_layer("one_hot").num_tokens)

    def decoder_inputs(self, z, y=None):
        if y is None:
            raise ValueError("A ConditionalVAE trains on (x, labels) pairs. Received: labels=None")
        return [z, ops.cast(y, "int32")]

    def decode(self, z, labels=None, batch_size=1000):
        """The likelihood's mean of p(x | z, label) for each row of ``z``."""
        if labels is None:
            raise ValueError("A ConditionalVAE decodes z together with labels. Received: labels=None")
        z = np.asarray(z, dtype="float32")
        labels = np.broadcast_to(np.asarray(labels, dtype="int32"), (len(z),))
        if labels.min() < 0 or labels.max() >= self.num_classes:
            raise ValueError(
                f"`labels` must lie in [0, {self.num_classes}). Received: labels in [{labels.min()}, {labels.max()}]"
            )
        params = self.decoder.predict([z, labels], batch_size=batch_size, verbose=0)
        return ops.convert_to_numpy(self.likelihood.mean(ops.convert_to_tensor(params)))

    def sample(self, num_samples, labels=None, seed=None, batch_size=1000):
        z = np.random.default_rng(seed).standard_normal((num_samples, self.latent_dim)).astype("float32")
        return self.decode(z, labels=labels, batch_size=batch_size)

    def reconstruct(self, x, labels=None, batch_size=1000):
        mean, _ = self.encode(x, batch_size=batch_size)
        return self.decode(mean, labels=labels, batch_size=batch_size)
