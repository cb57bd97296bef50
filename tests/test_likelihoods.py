"""Tests for vae_keras.likelihoods: the pure log-densities and the likelihood heads.

Every pure function is checked against scipy.stats or a closed form computed in
float64. The package computes in float32, so most tolerances are a few float32
ulps (eps32 = 1.2e-7) times the magnitude of the summed terms.
"""

import math
import re

import keras
import numpy as np
import pytest
import tensorflow as tf
from scipy import special, stats

from vae_keras import likelihoods

EPS32 = float(np.finfo(np.float32).eps)  # 1.19e-7
EVENT_SHAPE = (8, 8, 1)  # an image-like event, to exercise the flatten + sum over features
HALF_BIN = 0.5 / 255.0


def to_numpy(tensor):
    return np.asarray(keras.ops.convert_to_numpy(tensor), dtype="float64")


def f32(array):
    return np.asarray(array, dtype="float32")


def grid_pixels():
    """All 256 levels k / 255, as a batch of 256 one-feature examples."""
    return f32(np.arange(256) / 255.0).reshape(256, 1)


# --------------------------------------------------------------------------
# bernoulli_log_prob
# --------------------------------------------------------------------------


def test_bernoulli_log_prob_matches_scipy_on_binary_images():
    rng = np.random.default_rng(0)
    x = f32(rng.integers(0, 2, (5, *EVENT_SHAPE)))
    logits = f32(rng.normal(0.0, 3.0, (5, *EVENT_SHAPE)))
    probs = special.expit(logits.astype("float64"))
    expected = stats.bernoulli.logpmf(x.astype(int), probs).reshape(5, -1).sum(axis=-1)
    result = to_numpy(likelihoods.bernoulli_log_prob(x, logits))
    assert result.shape == (5,)
    # 64 float32 terms of size <= ~10 each: 1e-5 relative is ~100 ulps of the sum.
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-4)


def test_bernoulli_log_prob_on_grey_levels_is_the_cross_entropy():
    rng = np.random.default_rng(1)
    x = f32(rng.uniform(0.0, 1.0, (4, *EVENT_SHAPE)))
    logits = f32(rng.normal(0.0, 3.0, (4, *EVENT_SHAPE)))
    x64, l64 = x.astype("float64"), logits.astype("float64")
    expected = (x64 * special.log_expit(l64) + (1 - x64) * special.log_expit(-l64)).reshape(4, -1).sum(-1)
    result = to_numpy(likelihoods.bernoulli_log_prob(x, logits))
    # Same float32 budget as above.
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-4)


@pytest.mark.parametrize("logit", [1e4, -1e4, 80.0, -80.0])
@pytest.mark.parametrize("target", [0.0, 1.0])
def test_bernoulli_log_prob_extreme_logits_give_the_analytic_limit(logit, target):
    x = f32([[target]])
    logits = tf.constant([[logit]], dtype="float32")
    with tf.GradientTape() as tape:
        tape.watch(logits)
        log_prob = likelihoods.bernoulli_log_prob(x, logits)
    gradient = to_numpy(tape.gradient(log_prob, logits))
    # log p = x*l - softplus(l); softplus(l) = logaddexp(0, l) in float64.
    expected = target * logit - np.logaddexp(0.0, logit)
    value = to_numpy(log_prob)
    assert np.isfinite(value).all()
    # Values are 0 or -|l|: exact up to one float32 rounding of |l| <= 1e4 (ulp 1e-3).
    np.testing.assert_allclose(value, [expected], rtol=EPS32, atol=1e-6)
    # d log p / dl = x - sigmoid(l), which is 0 or +-1 here.
    assert np.isfinite(gradient).all()
    np.testing.assert_allclose(gradient, [[target - special.expit(logit)]], atol=1e-6)


# --------------------------------------------------------------------------
# gaussian_log_prob and floored_log_var
# --------------------------------------------------------------------------


def test_gaussian_log_prob_matches_scipy_with_per_feature_log_var():
    rng = np.random.default_rng(2)
    x = f32(rng.normal(0.0, 1.0, (5, *EVENT_SHAPE)))
    mean = f32(rng.normal(0.0, 1.0, (5, *EVENT_SHAPE)))
    log_var = f32(rng.uniform(-3.0, 2.0, (5, *EVENT_SHAPE)))
    scale = np.exp(0.5 * log_var.astype("float64"))
    expected = stats.norm.logpdf(x, mean, scale).reshape(5, -1).sum(-1)
    result = to_numpy(likelihoods.gaussian_log_prob(x, mean, log_var))
    assert result.shape == (5,)
    # 64 float32 terms, each O(10): 1e-5 relative is ~100 ulps of the sum.
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-4)


def test_gaussian_log_prob_broadcasts_a_scalar_log_var():
    rng = np.random.default_rng(3)
    x = f32(rng.normal(0.0, 1.0, (4, *EVENT_SHAPE)))
    mean = f32(rng.normal(0.0, 1.0, (4, *EVENT_SHAPE)))
    log_var = math.log(0.3**2)
    expected = stats.norm.logpdf(x, mean, 0.3).reshape(4, -1).sum(-1)
    result = to_numpy(likelihoods.gaussian_log_prob(x, mean, log_var))
    # Terms up to ~(3/0.3)^2 / 2 = 50 each: same relative float32 budget as above.
    np.testing.assert_allclose(result, expected, rtol=1e-5, atol=1e-3)


def test_floored_log_var_equals_log_of_exp_plus_floor_in_float32():
    rng = np.random.default_rng(4)
    raw = rng.uniform(-20.0, 20.0, 1000)
    floor = 0.01
    expected = np.log(np.exp(raw) + floor)
    result = to_numpy(likelihoods.floored_log_var(f32(raw), floor))
    # float32: rounding of raw itself (ulp of 20 is 2e-6) dominates.
    np.testing.assert_allclose(result, expected, rtol=0, atol=1e-5)
    assert (result >= np.float32(math.log(floor))).all()  # bounded below by log(floor)


def test_floored_log_var_equals_log_of_exp_plus_floor_in_float64():
    # Fails while floored_log_var builds log(floor) with ops.cast(python_float, dtype), which
    # makes a float32 tensor first: in float64 the floor is then off by a float32 rounding.
    rng = np.random.default_rng(4)
    raw = rng.uniform(-20.0, 20.0, 1000)
    floor = 0.01
    expected = np.log(np.exp(raw) + floor)
    result = to_numpy(likelihoods.floored_log_var(tf.constant(raw, dtype="float64"), floor))
    # float64 in, float64 out: a few float64 ulps of values <= 20.
    np.testing.assert_allclose(result, expected, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_floored_log_var_limits_do_not_overflow(dtype):
    floor = 0.01
    result = to_numpy(likelihoods.floored_log_var(tf.constant([-1e4, 1e4], dtype=dtype), floor))
    assert np.isfinite(result).all()
    # logaddexp(-1e4, log floor) = log floor (exp(-1e4) is 0), up to the float32 rounding
    # of log(floor) (also in float64: see the test above).
    np.testing.assert_allclose(result[0], math.log(floor), rtol=EPS32)
    # logaddexp(1e4, log floor) = 1e4 + log1p(floor * exp(-1e4)) = 1e4 exactly.
    assert result[1] == 1e4


@pytest.mark.parametrize("raw_value", [-1e4, -30.0, 0.0, 30.0, 1e4])
def test_gaussian_log_prob_gradients_through_floored_log_var_are_finite(raw_value):
    floor = 0.01
    x = f32([[0.0, 1.0, 0.0, 1.0]])
    mean = tf.constant([[0.5, 0.5, 1e3, -1e3]], dtype="float32")
    raw = tf.constant([[raw_value] * 4], dtype="float32")
    with tf.GradientTape() as tape:
        tape.watch([mean, raw])
        log_var = likelihoods.floored_log_var(raw, floor)
        log_prob = likelihoods.gaussian_log_prob(x, mean, log_var)
    grad_mean, grad_raw = (to_numpy(g) for g in tape.gradient(log_prob, [mean, raw]))
    assert np.isfinite(to_numpy(log_prob)).all()
    assert np.isfinite(grad_mean).all() and np.isfinite(grad_raw).all()
    # Analytic: d/dmean = (x - mean) / var; d/draw = 0.5 * ((x-mean)^2/var - 1) * exp(raw)/var.
    x64, m64 = x.astype("float64"), to_numpy(mean)
    with np.errstate(over="ignore"):
        var = np.exp(raw_value) + floor  # inf for raw = 1e4: the gradients' limits are then exact
    np.testing.assert_allclose(grad_mean, (x64 - m64) / var, rtol=1e-5)
    weight = special.expit(raw_value - math.log(floor))  # exp(raw) / var without overflow
    np.testing.assert_allclose(grad_raw, 0.5 * ((x64 - m64) ** 2 / var - 1.0) * weight, rtol=1e-4, atol=1e-12)


# --------------------------------------------------------------------------
# discretized_logistic_log_prob
# --------------------------------------------------------------------------

# (mean, log_scale): central, off-centre, outside [0, 1], tiny scales (the head's clip
# is -7; -9 is below it) and a huge one.
LOGISTIC_CASES = [
    (0.5, -2.0),
    (0.3, -4.0),
    (0.73, -7.0),
    ((100 + 0.5) / 255, -7.0),  # mean on a bin edge
    (0.9, -9.0),
    (0.1, 3.0),
    (-0.3, -3.0),
    (1.2, -1.0),
    (0.02, -5.5),
]


@pytest.mark.parametrize("mean, log_scale", LOGISTIC_CASES)
def test_discretized_logistic_probabilities_sum_to_one(mean, log_scale):
    x = grid_pixels()
    log_prob = to_numpy(
        likelihoods.discretized_logistic_log_prob(x, f32(np.full_like(x, mean)), f32(np.full_like(x, log_scale)))
    )
    assert log_prob.shape == (256,)
    assert np.isfinite(log_prob).all()
    # 256 bins, each with an absolute float32 error of a few ulps(1) ~ 2e-7 (sum <= 6e-5);
    # the density-times-width fallback is used only for bins below 1e-5.
    np.testing.assert_allclose(np.exp(log_prob).sum(), 1.0, atol=1e-4)


def logistic_bin_log_mass(x, mean, scale):
    """log P(bin of x) in float64, from the tail that avoids cancellation."""
    lo, hi = x - HALF_BIN, x + HALF_BIN
    upper = x > mean  # subtract survival functions above the mean, CDFs below
    log_a = np.where(upper, stats.logistic.logsf(lo, mean, scale), stats.logistic.logcdf(hi, mean, scale))
    log_b = np.where(upper, stats.logistic.logsf(hi, mean, scale), stats.logistic.logcdf(lo, mean, scale))
    return log_a + np.log1p(-np.exp(log_b - log_a))


@pytest.mark.parametrize("mean, log_scale", LOGISTIC_CASES)
def test_discretized_logistic_interior_bins_match_scipy(mean, log_scale):
    x = grid_pixels()
    log_prob = to_numpy(
        likelihoods.discretized_logistic_log_prob(x, f32(np.full_like(x, mean)), f32(np.full_like(x, log_scale)))
    )[1:-1]
    mean32, scale32 = float(np.float32(mean)), math.exp(float(np.float32(log_scale)))
    expected = logistic_bin_log_mass(x[1:-1, 0].astype("float64"), mean32, scale32)
    mass_model, mass_true = np.exp(log_prob), np.exp(expected)
    # Where the code takes a CDF difference (mass > 1e-5; test 2e-5 for margin): each
    # sigmoid is off by <= 1 ulp(1) = 1.2e-7, so the difference by <= 2.4e-7, and the
    # float32 rounding of x and of the mean adds a relative ~1e-5 for the steepest bins.
    big = mass_true > 2e-5
    assert big.any()
    np.testing.assert_allclose(mass_model[big], mass_true[big], rtol=2e-4, atol=3e-7)
    # Bins with more than 1e-3 of the mass: in log space, 3e-7 / 1e-3 + 2e-4 ~ 5e-4.
    heavy = mass_true > 1e-3
    np.testing.assert_allclose(log_prob[heavy], expected[heavy], rtol=0, atol=5e-4)


@pytest.mark.parametrize("mean, log_scale", [(0.0, -3.0), (1.0, -2.5), (0.5, -3.5), (-0.2, -3.0), (0.5, -7.0)])
def test_discretized_logistic_far_tail_bins_match_scipy(mean, log_scale):
    # Bins with mass below 5e-6, down to ~1e-100: a difference of two float32 CDFs would
    # round these to 0 (or to a few ulps of 1), so this checks the tail is computed in log space.
    x = grid_pixels()
    log_prob = to_numpy(
        likelihoods.discretized_logistic_log_prob(x, f32(np.full_like(x, mean)), f32(np.full_like(x, log_scale)))
    )[1:-1]
    mean32, scale32 = float(np.float32(mean)), math.exp(float(np.float32(log_scale)))
    expected = logistic_bin_log_mass(x[1:-1, 0].astype("float64"), mean32, scale32)
    tiny = np.exp(expected) < 5e-6
    assert tiny.sum() >= 10  # the far tail is really exercised
    # Log-masses reach ~-1e3 for scale e^-7; float32 rounding of x - mean (relative ~1e-7)
    # times |x - mean| / scale ~ 1e3 gives ~1e-4 relative: rtol 2e-5 plus atol 1e-3.
    np.testing.assert_allclose(log_prob[tiny], expected[tiny], rtol=2e-5, atol=1e-3)


@pytest.mark.parametrize("log_scale", [30.0, 60.0, 87.0, 100.0, 1e3])
def test_discretized_logistic_is_finite_for_huge_log_scales(log_scale):
    # A decoder may emit a huge raw log-scale; the head clips it only from below. For
    # scale >> 1 every interior bin has mass width * pdf(0) = (1/255) / (4 scale), so
    # log P = -log(255) - log(4) - log_scale; edge bins have mass 1/2.
    x = f32([[0.0], [128 / 255], [1.0]])
    mean = tf.constant(f32([[0.5], [0.5], [0.5]]))
    scale = tf.constant(f32([[log_scale]] * 3))
    with tf.GradientTape() as tape:
        tape.watch([mean, scale])
        log_prob = likelihoods.discretized_logistic_log_prob(x, mean, scale)
    gradients = [to_numpy(g) for g in tape.gradient(log_prob, [mean, scale])]
    expected = [-math.log(2.0), -math.log(255.0) - math.log(4.0) - log_scale, -math.log(2.0)]
    # Relative corrections are O((1 / scale)^2) <= e^-60, plus float32 rounding (1e-6 relative).
    np.testing.assert_allclose(to_numpy(log_prob), expected, rtol=1e-6)
    assert all(np.isfinite(g).all() for g in gradients)
    np.testing.assert_allclose(gradients[1][1], [-1.0], rtol=1e-5)  # d log P / d log_scale


@pytest.mark.parametrize("mean, log_scale", LOGISTIC_CASES + [(1.0, -7.0), (0.0, -7.0), (1.5, -6.0)])
def test_discretized_logistic_edge_bins_match_log_cdf_and_log_sf(mean, log_scale):
    x = f32([[0.0], [1.0]])
    log_prob = to_numpy(
        likelihoods.discretized_logistic_log_prob(x, f32(np.full_like(x, mean)), f32(np.full_like(x, log_scale)))
    )
    mean32, scale32 = float(np.float32(mean)), math.exp(float(np.float32(log_scale)))
    expected = [
        stats.logistic.logcdf(HALF_BIN, mean32, scale32),  # first bin is (-inf, 0.5/255]
        stats.logistic.logsf(1.0 - HALF_BIN, mean32, scale32),  # last bin is [1 - 0.5/255, inf)
    ]
    # Values reach ~-1e3 for tiny scales: float32 relative error of the argument (a few
    # ulps) dominates; atol covers log-probabilities near 0.
    np.testing.assert_allclose(log_prob, expected, rtol=2e-5, atol=2e-6)


# --------------------------------------------------------------------------
# kl_standard_normal and standard_normal_log_prob
# --------------------------------------------------------------------------


def test_kl_of_standard_normal_with_itself_is_exactly_zero():
    kl = to_numpy(likelihoods.kl_standard_normal(f32(np.zeros((3, 4))), f32(np.zeros((3, 4)))))
    assert kl.shape == (3,)
    assert (kl == 0.0).all()


def test_kl_matches_the_analytic_value():
    mean = np.array([[0.5, -1.0, 2.0], [0.0, 0.0, 0.0]])
    sigma = np.array([[0.5, 1.5, 1.0], [2.0, 0.1, 1.0]])
    expected = 0.5 * np.sum(sigma**2 + mean**2 - 1.0 - np.log(sigma**2), axis=-1)
    result = to_numpy(likelihoods.kl_standard_normal(f32(mean), f32(np.log(sigma**2))))
    # float32 arithmetic on O(1) terms.
    np.testing.assert_allclose(result, expected, rtol=1e-6)
    np.testing.assert_allclose(expected, [3.16268, 2.61444], atol=1e-5)  # worked by hand


def test_kl_matches_a_monte_carlo_estimate():
    rng = np.random.default_rng(5)
    mean = np.array([0.5, -1.0, 2.0])
    sigma = np.array([0.5, 1.5, 1.0])
    z = mean + sigma * rng.standard_normal((200_000, 3))
    samples = (stats.norm.logpdf(z, mean, sigma) - stats.norm.logpdf(z)).sum(-1)
    estimate = samples.mean()
    standard_error = samples.std(ddof=1) / math.sqrt(len(samples))
    result = to_numpy(likelihoods.kl_standard_normal(f32(mean[None]), f32(np.log(sigma**2)[None])))[0]
    # 4 standard errors: a false failure has probability ~6e-5.
    assert abs(result - estimate) < 4 * standard_error
    assert standard_error < 0.01  # the check is sharp enough to matter


def test_standard_normal_log_prob_matches_scipy():
    z = np.random.default_rng(6).normal(0.0, 2.0, (7, 5))
    result = to_numpy(likelihoods.standard_normal_log_prob(f32(z)))
    assert result.shape == (7,)
    # float32 squares of values <= ~8: relative 1e-6 is ~10 ulps.
    np.testing.assert_allclose(result, stats.norm.logpdf(z).sum(-1), rtol=1e-6, atol=1e-5)


# --------------------------------------------------------------------------
# Likelihood heads
# --------------------------------------------------------------------------

ALL_HEADS = [
    likelihoods.Bernoulli,
    likelihoods.FixedGaussian,
    likelihoods.FittedGaussian,
    likelihoods.SharedGaussian,
    likelihoods.DiscretizedLogistic,
]


@pytest.mark.parametrize(
    "head_class, num_params",
    [
        (likelihoods.Bernoulli, 1),
        (likelihoods.FixedGaussian, 1),
        (likelihoods.FittedGaussian, 2),
        (likelihoods.SharedGaussian, 1),
        (likelihoods.DiscretizedLogistic, 2),
    ],
)
def test_head_num_params(head_class, num_params):
    assert head_class.num_params == num_params
    assert head_class().num_params == num_params


def random_params(num_params, batch=3, scale=1.0, seed=0):
    return f32(np.random.default_rng(seed).normal(0.0, scale, (batch, *EVENT_SHAPE, num_params)))


def test_bernoulli_head_equals_pure_function():
    params = random_params(1)
    x = f32(np.random.default_rng(7).integers(0, 2, (3, *EVENT_SHAPE)))
    head = likelihoods.Bernoulli()
    np.testing.assert_array_equal(
        to_numpy(head.log_prob(x, params)), to_numpy(likelihoods.bernoulli_log_prob(x, params[..., 0]))
    )
    np.testing.assert_allclose(to_numpy(head(params)), special.expit(params[..., 0]), rtol=1e-6)


def test_fixed_gaussian_head_equals_pure_function():
    params = random_params(1)
    x = f32(np.random.default_rng(8).uniform(0, 1, (3, *EVENT_SHAPE)))
    head = likelihoods.FixedGaussian(sigma=0.2)
    expected = stats.norm.logpdf(x, params[..., 0], 0.2).reshape(3, -1).sum(-1)
    np.testing.assert_allclose(to_numpy(head.log_prob(x, params)), expected, rtol=1e-5)
    np.testing.assert_array_equal(to_numpy(head.mean(params)), params[..., 0])


def test_fitted_gaussian_head_equals_pure_function_with_floor():
    params = random_params(2, scale=3.0)
    x = f32(np.random.default_rng(9).uniform(0, 1, (3, *EVENT_SHAPE)))
    head = likelihoods.FittedGaussian(variance_floor=0.05)
    variance = np.exp(params[..., 1].astype("float64")) + 0.05
    expected = stats.norm.logpdf(x, params[..., 0], np.sqrt(variance)).reshape(3, -1).sum(-1)
    # Squared errors up to ~(10)^2 / 0.05 per term: rtol 1e-5 is ~100 ulps of the sum.
    np.testing.assert_allclose(to_numpy(head.log_prob(x, params)), expected, rtol=1e-5)


def test_shared_gaussian_head_has_one_weight_and_starts_at_initial_sigma():
    head = likelihoods.SharedGaussian(initial_sigma=0.3, variance_floor=1e-3)
    assert len(head.trainable_weights) == 1
    assert tuple(head.trainable_weights[0].shape) == ()
    assert head.non_trainable_weights == []
    # exp(raw) + floor = initial_sigma^2 by construction.
    assert head.sigma() == pytest.approx(0.3, rel=1e-6)
    params = random_params(1)
    x = f32(np.random.default_rng(10).uniform(0, 1, (3, *EVENT_SHAPE)))
    expected = stats.norm.logpdf(x, params[..., 0], 0.3).reshape(3, -1).sum(-1)
    np.testing.assert_allclose(to_numpy(head.log_prob(x, params)), expected, rtol=1e-5)
    # The log-likelihood depends on the shared weight (it is trained).
    with tf.GradientTape() as tape:
        log_prob = keras.ops.sum(head.log_prob(x, params))
    gradient = tape.gradient(log_prob, head.trainable_weights[0].value)
    assert gradient is not None and np.isfinite(to_numpy(gradient)) and abs(to_numpy(gradient)) > 0


def test_discretized_logistic_head_equals_pure_function_and_clips_log_scale():
    rng = np.random.default_rng(11)
    params = random_params(2)
    params[..., 1] = rng.uniform(-12.0, 1.0, params.shape[:-1])  # many below the -7 clip
    x = f32(rng.integers(0, 256, (3, *EVENT_SHAPE)) / 255.0)
    head = likelihoods.DiscretizedLogistic(min_log_scale=-7.0)
    expected = likelihoods.discretized_logistic_log_prob(x, params[..., 0], np.maximum(params[..., 1], -7.0))
    np.testing.assert_array_equal(to_numpy(head.log_prob(x, params)), to_numpy(expected))
    unclipped = likelihoods.discretized_logistic_log_prob(x, params[..., 0], params[..., 1])
    assert not np.allclose(to_numpy(unclipped), to_numpy(expected))  # the clip matters here
    np.testing.assert_array_equal(to_numpy(head.mean(params)), np.clip(params[..., 0], 0, 1))


@pytest.mark.parametrize(
    "head",
    [
        likelihoods.Bernoulli(name="b"),
        likelihoods.FixedGaussian(sigma=0.37),
        likelihoods.FittedGaussian(variance_floor=0.02),
        likelihoods.SharedGaussian(initial_sigma=0.25, variance_floor=1e-3),
        likelihoods.DiscretizedLogistic(num_bins=16, min_log_scale=-5.0),
    ],
    ids=lambda head: type(head).__name__,
)
def test_head_config_round_trip(head):
    settings = ("sigma", "variance_floor", "initial_sigma", "num_bins", "min_log_scale", "name")
    restored = type(head).from_config(head.get_config())
    deserialized = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(head))
    for other in (restored, deserialized):
        assert type(other) is type(head)
        for setting in settings:
            if hasattr(head, setting) and not callable(getattr(head, setting)):
                assert getattr(other, setting) == getattr(head, setting), setting
    params = random_params(head.num_params, seed=12)
    x = f32(np.random.default_rng(13).integers(0, 16, (3, *EVENT_SHAPE)) / 15.0)
    np.testing.assert_array_equal(to_numpy(deserialized.log_prob(x, params)), to_numpy(head.log_prob(x, params)))


def test_get_builds_heads_by_name_and_rejects_unknown_names():
    assert isinstance(likelihoods.get("gaussian_fixed", sigma=0.5), likelihoods.FixedGaussian)
    assert likelihoods.get("gaussian_fixed", sigma=0.5).sigma == 0.5
    with pytest.raises(ValueError) as info:
        likelihoods.get("gaussian_learned")
    message = str(info.value)
    assert "'gaussian_learned'" in message
    for name in likelihoods.LIKELIHOODS:
        assert name in message


@pytest.mark.parametrize("value", [0, 0.0, -0.1, float("nan"), float("inf")])
@pytest.mark.parametrize(
    "head_class, argument",
    [
        (likelihoods.FixedGaussian, "sigma"),
        (likelihoods.FittedGaussian, "variance_floor"),
        (likelihoods.SharedGaussian, "variance_floor"),
        (likelihoods.SharedGaussian, "initial_sigma"),
    ],
)
def test_invalid_scale_arguments_raise_value_error_naming_them(head_class, argument, value):
    with pytest.raises(ValueError, match=re.escape(f"{argument}={value!r}")):
        head_class(**{argument: value})


def test_shared_gaussian_rejects_initial_sigma_below_the_floor():
    with pytest.raises(ValueError, match=r"initial_sigma=0\.01, variance_floor=0\.001"):
        likelihoods.SharedGaussian(initial_sigma=0.01, variance_floor=1e-3)


def test_bernoulli_validate_targets_rejects_pixels_outside_unit_interval():
    head = likelihoods.Bernoulli()
    head.validate_targets(f32([[0.0, 0.3, 1.0]]))  # grey levels in [0, 1] are accepted
    with pytest.raises(ValueError, match=r"min=-0\.5 and max=255"):
        head.validate_targets(f32([[-0.5, 0.3, 255.0]]))
    with pytest.raises(ValueError, match=r"min=0 and max=1\.5"):
        head.validate_targets(f32([[0.0, 1.5]]))
    with pytest.raises(ValueError, match="dtype=uint8"):
        head.validate_targets(np.array([[0, 255]], dtype=np.uint8))
    with pytest.raises(ValueError, match="NaN"):
        head.validate_targets(f32([[0.0, np.nan]]))


def test_discretized_logistic_validate_targets_rejects_dequantized_values():
    head = likelihoods.DiscretizedLogistic()
    rng = np.random.default_rng(14)
    pixels = rng.integers(0, 256, (4, *EVENT_SHAPE))
    head.validate_targets(f32(pixels / 255.0))  # exact grid values pass, in float32
    dequantized = f32((pixels + rng.uniform(0.0, 1.0, pixels.shape)) / 256.0)
    with pytest.raises(ValueError, match="off that grid"):
        head.validate_targets(dequantized)
    with pytest.raises(ValueError, match="num_bins=256"):
        head.validate_targets(f32([[0.5 / 255.0]]))  # a single off-grid value
    with pytest.raises(ValueError, match=r"max=1\.004"):
        head.validate_targets(f32([[256.0 / 255.0]]))  # on the grid, but above 1


@pytest.mark.parametrize("head_class", ALL_HEADS, ids=lambda cls: cls.__name__)
@pytest.mark.parametrize("scale", [1.0, 1e3])
@pytest.mark.parametrize("image", ["zeros", "ones", "constant"])
def test_no_nan_or_inf_on_degenerate_images(head_class, scale, image):
    head = head_class()
    value = {"zeros": 0.0, "ones": 1.0, "constant": 128 / 255}[image]
    x = f32(np.full((4, *EVENT_SHAPE), value))
    params = tf.constant(random_params(head.num_params, batch=4, scale=scale, seed=15))
    with tf.GradientTape() as tape:
        tape.watch(params)
        log_prob = head.log_prob(x, params)
    gradient = to_numpy(tape.gradient(log_prob, params))
    assert log_prob.shape == (4,)
    assert np.isfinite(to_numpy(log_prob)).all()
    assert np.isfinite(gradient).all()
    assert np.isfinite(to_numpy(head(params))).all()
