"""Likelihoods p(x|z), the KL term and Gaussian log-densities.

Every function here follows one reduction rule:

* Inputs are batched: ``(batch, *event_shape)``. The event axes are flattened
  and **summed** (``axis=-1`` on the flattened features), so each function
  returns one value per example, shape ``(batch,)``, in **nats**.
* Averaging over the batch is the caller's job (the VAE's ``compute_loss``).
* Bits per dimension are derived from these values in ``vae_keras.evaluate``;
  nothing here mixes nats and bits.

The module has two layers of API:

1. Pure functions (``bernoulli_log_prob``, ``gaussian_log_prob``, ...) written
   with ``keras.ops`` so they run under every Keras backend. They are tested
   against closed forms and ``scipy.stats``.
2. Likelihood "heads": small serialisable Keras layers that own the
   parameterisation of a decoder's output (e.g. the variance floor, or the one
   shared learned variance of a sigma-VAE) and call the pure functions. A
   decoder emits ``num_params`` numbers per feature, shaped
   ``(batch, *event_shape, num_params)``; the head turns those into a
   log-likelihood, a mean image or a sample.

The heads are registered in ``LIKELIHOODS``: config validation, the command
line's help, the options a run passes to a head and the bits/dim protocol are
all read from the registered class (``support``, ``config_options``,
``summary``, ``bits_per_dim_protocol``), so a new head is one class here plus
its tests.
"""

import math

import keras
import numpy as np
from keras import ops

from vae_keras import checks
from vae_keras.registry import Registry

LOG_2PI = math.log(2.0 * math.pi)

# Number of intensity levels of 8-bit images.
NUM_BINS_8BIT = 256


def flatten_features(x):
    """Flattens every axis but the first: ``(batch, ...) -> (batch, features)``."""
    return ops.reshape(x, (ops.shape(x)[0], -1))


# --------------------------------------------------------------------------
# Pure functions
# --------------------------------------------------------------------------


def bernoulli_log_prob(x, logits):
    """Log-likelihood of ``x`` under independent Bernoullis given logits.

    Uses ``x * l - softplus(l)`` in the form
    ``-(relu(l) - l * x + log1p(exp(-|l|)))``, which is exact and finite for
    any finite logit (no ``sigmoid`` followed by ``log``).

    Args:
        x: targets in ``[0, 1]``, shape ``(batch, ...)``. Binary targets give a
            proper likelihood; continuous targets give the cross-entropy used
            by many VAE write-ups (not a normalised density).
        logits: same shape as ``x``.

    Returns:
        Tensor ``(batch,)``: log p(x) in nats, summed over features.
    """
    x = flatten_features(ops.convert_to_tensor(x, dtype=logits.dtype))
    logits = flatten_features(logits)
    log_prob = -(ops.relu(logits) - logits * x + ops.log1p(ops.exp(-ops.abs(logits))))
    return ops.sum(log_prob, axis=-1)


def gaussian_log_prob(x, mean, log_var):
    """Log-density of ``x`` under a diagonal Gaussian.

    Args:
        x: observations, shape ``(batch, ...)``.
        mean: same shape as ``x``.
        log_var: log-variance, same shape as ``x`` or broadcastable to it
            (a scalar for a fixed or shared variance).

    Returns:
        Tensor ``(batch,)``: log N(x; mean, exp(log_var)) in nats, summed over
        features.
    """
    mean = ops.convert_to_tensor(mean)
    x = ops.convert_to_tensor(x, dtype=mean.dtype)
    log_var = ops.convert_to_tensor(log_var, dtype=mean.dtype)
    log_var = ops.broadcast_to(log_var, ops.shape(mean))
    x, mean, log_var = (flatten_features(t) for t in (x, mean, log_var))
    squared = ops.square(x - mean) * ops.exp(-log_var)
    return -0.5 * ops.sum(LOG_2PI + log_var + squared, axis=-1)


def floored_log_var(raw, variance_floor):
    """Maps an unconstrained decoder output to ``log(exp(raw) + floor)``.

    This is the write-up's "varlog epsilon": the decoder predicts a
    log-variance ``raw`` and the variance used is ``exp(raw) + floor``.
    Computing it as ``logaddexp(raw, log(floor))`` never overflows, and the
    result is bounded below by ``log(floor)``, so ``exp(-log_var)`` is at most
    ``1 / floor``: the likelihood and its gradients stay finite.

    Args:
        raw: unconstrained tensor.
        variance_floor: the epsilon, a float > 0.

    Returns:
        Tensor of the same shape as ``raw``.
    """
    raw = ops.convert_to_tensor(raw)
    return ops.logaddexp(raw, ops.convert_to_tensor(math.log(variance_floor), dtype=raw.dtype))


def discretized_logistic_log_prob(x, mean, log_scale, num_bins=NUM_BINS_8BIT):
    """Exact discrete log-likelihood of binned data under a logistic.

    ``x`` holds values ``k / (num_bins - 1)`` for integers ``k`` in
    ``[0, num_bins)``: 8-bit pixels scaled to ``[0, 1]``. Bin ``k`` covers
    ``x +- 1 / (2 (num_bins - 1))``; the first and last bins extend to
    ``-inf`` and ``+inf`` so the probabilities of all bins sum to one. The
    result is a true discrete log-probability, so ``-log_prob / (D ln 2)``
    is an exact bits/dim.

    Numerics: the mass of an interior bin is computed with the identity
    ``sigmoid(a) - sigmoid(b) = sigmoid(a) sigmoid(-b) (1 - exp(-(a - b)))``,
    whose terms are log-sigmoids (``-softplus``) and ``expm1`` of the exactly
    known ``a - b = bin_width / scale``. Unlike subtracting two CDFs, this has
    no cancellation in float32, for tiny and for huge scales alike.

    Args:
        x: binned observations in ``[0, 1]``, shape ``(batch, ...)``.
        mean: logistic location, same shape.
        log_scale: log of the logistic scale, same shape or broadcastable.
        num_bins: number of levels (256 for 8-bit images).

    Returns:
        Tensor ``(batch,)``: log P(x) in nats, summed over features.
    """
    mean = ops.convert_to_tensor(mean)
    dtype = mean.dtype
    x = ops.convert_to_tensor(x, dtype=dtype)
    log_scale = ops.broadcast_to(ops.convert_to_tensor(log_scale, dtype=dtype), ops.shape(mean))
    x, mean, log_scale = (flatten_features(t) for t in (x, mean, log_scale))
    half_bin = 0.5 / (num_bins - 1)
    inv_scale = ops.exp(-log_scale)
    plus_in = inv_scale * (x - mean + half_bin)
    minus_in = inv_scale * (x - mean - half_bin)
    log_cdf_plus = -ops.softplus(-plus_in)  # log sigmoid(plus_in): the first bin
    log_sf_minus = -ops.softplus(minus_in)  # log(1 - sigmoid(minus_in)): the last bin
    # log(1 - exp(-width)) with width = bin_width / scale; for tiny widths (huge
    # scales) exp(-log_scale) underflows, so use the series log(width) - width / 2.
    log_width = math.log(2.0 * half_bin) - log_scale
    width = ops.exp(log_width)
    log_width_term = ops.where(width < 1e-4, log_width - 0.5 * width, ops.log(-ops.expm1(-ops.maximum(width, 1e-4))))
    log_mid = log_cdf_plus + log_sf_minus + log_width_term
    log_prob = ops.where(x < half_bin, log_cdf_plus, ops.where(x > 1.0 - half_bin, log_sf_minus, log_mid))
    return ops.sum(log_prob, axis=-1)


def kl_standard_normal(mean, log_var):
    """KL(N(mean, exp(log_var)) || N(0, I)) in closed form, per example.

    Args:
        mean: ``(batch, latent_dim)``.
        log_var: ``(batch, latent_dim)``.

    Returns:
        Tensor ``(batch,)``: the KL divergence in nats.
    """
    return 0.5 * ops.sum(ops.exp(log_var) + ops.square(mean) - 1.0 - log_var, axis=-1)


def standard_normal_log_prob(z):
    """log N(z; 0, I) per example: ``(batch, latent_dim) -> (batch,)``."""
    return -0.5 * ops.sum(LOG_2PI + ops.square(z), axis=-1)


# --------------------------------------------------------------------------
# Likelihood heads
# --------------------------------------------------------------------------


#: Every likelihood head, by the name configs and the command line use. A new head is one
#: ``Likelihood`` subclass decorated with ``@LIKELIHOODS.register("name")``.
LIKELIHOODS = Registry("likelihood")


@keras.saving.register_keras_serializable(package="vae_keras")
class Likelihood(keras.layers.Layer):
    """Base class of the likelihood heads.

    A head reads the decoder's output ``params`` shaped
    ``(batch, *event_shape, num_params)``. Subclasses define ``num_params``,
    ``log_prob(x, params)`` (per example, nats), ``mean(params)`` (the image
    to show, ``(batch, *event_shape)``) and, optionally, validate targets.
    Calling the layer returns the mean.
    """

    #: decoder outputs per feature
    num_params = 1
    #: what data it is a likelihood of: ``"continuous"`` (a density on real
    #: features), ``"binary"`` (a probability of 0/1 pixels; on grey levels a
    #: cross-entropy) or ``"levels"`` (a probability of 8-bit levels)
    support = "continuous"
    #: ``ExperimentConfig`` fields passed to the constructor as keyword arguments
    config_options = ()
    #: one line for help texts
    summary = ""

    @classmethod
    def options_from(cls, config):
        """The constructor's keyword arguments taken from an ``ExperimentConfig``."""
        return {name: getattr(config, name) for name in cls.config_options}

    @classmethod
    def bits_per_dim_protocol(cls, config):
        """How bits/dim is defined for a run of ``config`` with this likelihood.

        Returns:
            ``(defined, num_bins, description)``: whether bits/dim is a valid
            (bound on a) discrete likelihood of the pixels, the dequantisation
            levels to correct for (``None`` if exact), and a sentence for reports.
        """
        if config.input_space != "pixels":
            return False, None, "not defined: the model is a density over PCA components, not all pixels"
        if cls.support == "levels":
            return True, None, "exact: a discrete likelihood over 256 levels"
        if cls.support == "binary":
            if config.binarize:
                return True, None, "exact: a discrete likelihood of binarised pixels"
            return False, None, "not defined: a Bernoulli on grey levels is a cross-entropy, not a likelihood"
        if config.dequantize:
            return True, 256, "upper bound: continuous density on dequantised pixels, + log2(256) per dim"
        return False, None, "not defined: a continuous density on undequantised pixels"

    def param(self, params, index):
        """The ``index``-th parameter map, shaped ``(batch, *event_shape)``."""
        return params[..., index]

    def log_prob(self, x, params):
        raise NotImplementedError

    def mean(self, params):
        raise NotImplementedError

    def call(self, params):
        return self.mean(params)

    def validate_targets(self, x):
        """Raises ``ValueError`` if concrete targets ``x`` are invalid for this head."""
        x = np.asarray(x)
        if not np.issubdtype(x.dtype, np.floating):
            raise ValueError(f"`x` must hold floating-point pixels scaled to [0, 1]. Received: dtype={x.dtype}")
        if x.size and not np.all(np.isfinite(x)):
            raise ValueError("`x` must be finite. Received: an array containing NaN or Inf.")


@LIKELIHOODS.register("bernoulli")
@keras.saving.register_keras_serializable(package="vae_keras")
class Bernoulli(Likelihood):
    """Independent Bernoullis from logits. Targets must lie in ``[0, 1]``.

    It is a likelihood only of binary targets (e.g. dynamically binarised
    MNIST); on grey-level targets this is the usual cross-entropy loss.
    """

    support = "binary"
    summary = "independent Bernoullis (binarised pixels, or a cross-entropy on grey levels)"

    def log_prob(self, x, params):
        return bernoulli_log_prob(x, self.param(params, 0))

    def mean(self, params):
        return ops.sigmoid(self.param(params, 0))

    def validate_targets(self, x):
        super().validate_targets(x)
        x = np.asarray(x)
        if x.size and (x.min() < 0.0 or x.max() > 1.0):
            raise ValueError(
                "A Bernoulli likelihood needs targets in [0, 1]. "
                f"Received: x with min={x.min():.4g} and max={x.max():.4g}. "
                "Scale pixels to [0, 1], or use a Gaussian likelihood for unbounded features."
            )


@LIKELIHOODS.register("gaussian_fixed")
@keras.saving.register_keras_serializable(package="vae_keras")
class FixedGaussian(Likelihood):
    """Gaussian with one fixed standard deviation ``sigma`` (Doersch's tutorial).

    With a fixed ``sigma`` the reconstruction term is a squared error scaled
    by ``1 / (2 sigma^2)``: a smaller ``sigma`` weighs reconstruction more,
    which acts like a smaller weight on the KL term.

    Args:
        sigma: the standard deviation, > 0.
    """

    config_options = ("sigma",)
    summary = "Gaussian with a fixed sigma"

    def __init__(self, sigma=0.1, **kwargs):
        super().__init__(**kwargs)
        self.sigma = checks.positive_number("sigma", sigma)

    def log_prob(self, x, params):
        return gaussian_log_prob(x, self.param(params, 0), 2.0 * math.log(self.sigma))

    def mean(self, params):
        return self.param(params, 0)

    def get_config(self):
        return {**super().get_config(), "sigma": self.sigma}


@LIKELIHOODS.register("gaussian_fitted")
@keras.saving.register_keras_serializable(package="vae_keras")
class FittedGaussian(Likelihood):
    """Gaussian whose per-feature variance the decoder predicts.

    The decoder emits a mean and a raw log-variance per feature; the variance
    is ``exp(raw) + variance_floor`` (see ``floored_log_var``). Without the
    floor a decoder can shrink the variance of nearly constant pixels towards
    zero and the likelihood diverges.

    Args:
        variance_floor: the write-up's "varlog epsilon", > 0. Default 0.01.
    """

    num_params = 2
    config_options = ("variance_floor",)
    summary = "Gaussian with a per-pixel variance from the decoder, floored"

    def __init__(self, variance_floor=0.01, **kwargs):
        super().__init__(**kwargs)
        self.variance_floor = checks.positive_number("variance_floor", variance_floor)

    def log_var(self, params):
        return floored_log_var(self.param(params, 1), self.variance_floor)

    def log_prob(self, x, params):
        return gaussian_log_prob(x, self.param(params, 0), self.log_var(params))

    def mean(self, params):
        return self.param(params, 0)

    def get_config(self):
        return {**super().get_config(), "variance_floor": self.variance_floor}


@LIKELIHOODS.register("gaussian_shared")
@keras.saving.register_keras_serializable(package="vae_keras")
class SharedGaussian(Likelihood):
    """Gaussian with one learned variance shared by all features (sigma-VAE).

    The head owns a single trainable scalar; the variance is
    ``exp(raw) + variance_floor``.

    Args:
        initial_sigma: starting standard deviation, > 0.
        variance_floor: lower bound on the variance, > 0.
    """

    summary = "Gaussian with one learned variance shared by all pixels"

    def __init__(self, initial_sigma=0.1, variance_floor=1e-4, **kwargs):
        super().__init__(**kwargs)
        self.initial_sigma = checks.positive_number("initial_sigma", initial_sigma)
        self.variance_floor = checks.positive_number("variance_floor", variance_floor)
        start = self.initial_sigma**2 - self.variance_floor
        if start <= 0:
            raise ValueError(
                "`initial_sigma**2` must exceed `variance_floor`. Received: "
                f"initial_sigma={initial_sigma}, variance_floor={variance_floor}"
            )
        self.raw_log_var = self.add_weight(
            shape=(),
            initializer=keras.initializers.Constant(math.log(start)),
            name="raw_log_var",
        )
        self.built = True

    def log_var(self):
        return floored_log_var(self.raw_log_var, self.variance_floor)

    def sigma(self):
        """The current shared standard deviation, as a Python float."""
        return float(np.exp(0.5 * ops.convert_to_numpy(self.log_var())))

    def log_prob(self, x, params):
        mean = self.param(params, 0)
        return gaussian_log_prob(x, mean, ops.cast(self.log_var(), mean.dtype))

    def mean(self, params):
        return self.param(params, 0)

    def get_config(self):
        return {
            **super().get_config(),
            "initial_sigma": self.initial_sigma,
            "variance_floor": self.variance_floor,
        }


@LIKELIHOODS.register("discretized_logistic")
@keras.saving.register_keras_serializable(package="vae_keras")
class DiscretizedLogistic(Likelihood):
    """Discretised logistic over ``num_bins`` levels, for 8-bit images.

    The decoder emits a location and a raw log-scale per pixel. The log-scale
    is clipped below at ``min_log_scale`` so a bin's mass never underflows
    into NaN. Targets must be exact bin values ``k / (num_bins - 1)``, i.e.
    uint8 pixels divided by 255 (not dequantised).

    Args:
        num_bins: number of intensity levels, >= 2. Default 256.
        min_log_scale: lower clip on the log-scale. Default -7.
    """

    num_params = 2
    support = "levels"
    summary = "discretised logistic over the 256 levels of 8-bit pixels"

    def __init__(self, num_bins=NUM_BINS_8BIT, min_log_scale=-7.0, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(num_bins, int) or num_bins < 2:
            raise ValueError(f"`num_bins` must be an integer >= 2. Received: num_bins={num_bins!r}")
        if not isinstance(min_log_scale, (int, float)) or not math.isfinite(min_log_scale):
            raise ValueError(f"`min_log_scale` must be a finite number. Received: min_log_scale={min_log_scale!r}")
        self.num_bins = num_bins
        self.min_log_scale = float(min_log_scale)

    def log_scale(self, params):
        return ops.maximum(self.param(params, 1), self.min_log_scale)

    def log_prob(self, x, params):
        return discretized_logistic_log_prob(x, self.param(params, 0), self.log_scale(params), num_bins=self.num_bins)

    def mean(self, params):
        return ops.clip(self.param(params, 0), 0.0, 1.0)

    def validate_targets(self, x):
        super().validate_targets(x)
        x = np.asarray(x)
        levels = x * (self.num_bins - 1)
        if x.size and (x.min() < 0 or x.max() > 1 or np.abs(levels - np.round(levels)).max() > 1e-3):
            raise ValueError(
                "A discretised logistic needs targets k / (num_bins - 1) for integers k "
                f"(num_bins={self.num_bins}), i.e. uint8 pixels / 255 without dequantisation. "
                f"Received: x with min={x.min():.4g}, max={x.max():.4g} and values off that grid."
            )

    def get_config(self):
        return {
            **super().get_config(),
            "num_bins": self.num_bins,
            "min_log_scale": self.min_log_scale,
        }


def get(name, **kwargs):
    """Builds a likelihood head by name.

    Args:
        name: a name registered in ``LIKELIHOODS``.
        **kwargs: passed to the head's constructor (e.g. ``sigma=0.1``).

    Returns:
        A ``Likelihood`` layer.

    Raises:
        ValueError: for an unknown name.
    """
    return LIKELIHOODS.get(name)(**kwargs)
