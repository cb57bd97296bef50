"""Tests for vae_keras.layers: the reparameterised sampler and the mean/log-variance split.

Each layer test checks output shape, weight counts, a config round trip and, for
the sampler, fixed-seed statistics whose tolerances come from standard errors.
"""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from vae_keras import layers as vae_layers

NUM_SAMPLES = 200_000


def to_numpy(tensor):
    return np.asarray(keras.ops.convert_to_numpy(tensor), dtype="float64")


def f32(array):
    return np.asarray(array, dtype="float32")


# --------------------------------------------------------------------------
# Sampling
# --------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(5, 3), (2, 4, 4, 2), (1, 1)])
def test_sampling_output_shape_equals_mean_shape(shape):
    layer = vae_layers.Sampling(seed=0)
    mean, log_var = f32(np.zeros(shape)), f32(np.zeros(shape))
    assert tuple(layer([mean, log_var]).shape) == shape
    assert tuple(layer.compute_output_shape([shape, shape])) == shape


def test_sampling_in_a_functional_model_keeps_the_latent_shape():
    mean, log_var = keras.Input((3,)), keras.Input((3,))
    z = vae_layers.Sampling(seed=0)([mean, log_var])
    assert tuple(z.shape) == (None, 3)


def test_sampling_has_no_weights_only_the_seed_generator_state():
    layer = vae_layers.Sampling(seed=0)
    layer([f32(np.zeros((2, 3))), f32(np.zeros((2, 3)))])
    assert layer.weights == []
    assert layer.trainable_weights == []
    assert layer.non_trainable_weights == []
    # The only variable is the SeedGenerator's integer state, which is not a weight.
    assert len(layer.variables) == 1
    assert "seed_generator_state" in layer.variables[0].path
    assert "int" in str(layer.variables[0].dtype)


def test_sampling_config_round_trip_keeps_the_seed_and_the_draws():
    layer = vae_layers.Sampling(seed=123, name="sampler")
    config = layer.get_config()
    assert config["seed"] == 123
    restored = vae_layers.Sampling.from_config(config)
    deserialized = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    inputs = [f32(np.zeros((4, 3))), f32(np.zeros((4, 3)))]
    first = to_numpy(layer(inputs))
    for other in (restored, deserialized):
        assert type(other) is vae_layers.Sampling
        assert other.seed == 123 and other.name == "sampler"
        # A fresh layer with the same seed starts the same stream.
        np.testing.assert_array_equal(to_numpy(other(inputs)), first)


def test_sampling_rejects_a_non_integer_seed():
    with pytest.raises(ValueError, match=r"seed=1\.5"):
        vae_layers.Sampling(seed=1.5)


def test_sampling_variance_is_exp_log_var_not_its_square():
    # mean 0, variance 4: z = 2 * eps. The 2017 bug (exp(log_var) used as the scale) gives 16.
    shape = (NUM_SAMPLES // 2, 2)
    layer = vae_layers.Sampling(seed=2017)
    z = to_numpy(layer([f32(np.zeros(shape)), f32(np.full(shape, math.log(4.0)))])).ravel()
    sample_variance = z.var(ddof=1)
    # For Gaussian draws, Var(s^2) = 2 sigma^4 / (n - 1): standard error 4*sqrt(2/2e5) = 0.0126.
    standard_error = 4.0 * math.sqrt(2.0 / (z.size - 1))
    # 5 standard errors: a false failure has probability ~6e-7.
    assert abs(sample_variance - 4.0) < 5 * standard_error
    assert abs(sample_variance - 16.0) > 100 * standard_error  # explicitly not the squared variance
    assert abs(sample_variance - 2.0) > 100 * standard_error  # nor exp(0.5 * log_var) as variance
    # The draws are Gaussian: P(|z| < sigma) = 0.6827; binomial standard error sqrt(p(1-p)/n) = 1e-3.
    within_one_sigma = np.mean(np.abs(z) < 2.0)
    assert abs(within_one_sigma - 0.682689) < 5 * math.sqrt(0.682689 * 0.317311 / z.size)


def test_sampling_mean_and_variance_are_per_feature():
    num_rows = NUM_SAMPLES // 2
    mean = f32(np.tile([3.0, -2.0], (num_rows, 1)))
    log_var = f32(np.tile([math.log(4.0), math.log(0.25)], (num_rows, 1)))
    z = to_numpy(vae_layers.Sampling(seed=7)([mean, log_var]))
    sigma = np.array([2.0, 0.5])
    # Standard error of the sample mean is sigma / sqrt(n); 5 of them, as above.
    np.testing.assert_array_less(np.abs(z.mean(0) - [3.0, -2.0]), 5 * sigma / math.sqrt(num_rows))
    # Standard error of the sample variance is sigma^2 sqrt(2 / (n - 1)).
    np.testing.assert_array_less(np.abs(z.var(0, ddof=1) - sigma**2), 5 * sigma**2 * math.sqrt(2 / (num_rows - 1)))
    # The two features are independent draws: sample correlation has standard error 1/sqrt(n).
    assert abs(np.corrcoef(z.T)[0, 1]) < 5 / math.sqrt(num_rows)


def test_sampling_is_reparameterised():
    mean = tf.constant(f32([[0.5, -1.0, 2.0]]))
    log_var = tf.constant(f32([[0.0, math.log(4.0), -2.0]]))
    with tf.GradientTape(persistent=True) as tape:
        tape.watch([mean, log_var])
        z = vae_layers.Sampling(seed=3)([mean, log_var])
    # z = mean + exp(log_var / 2) * eps: dz/dmean = 1 and dz/dlog_var = (z - mean) / 2.
    np.testing.assert_allclose(to_numpy(tape.gradient(z, mean)), np.ones((1, 3)))
    expected = 0.5 * (to_numpy(z) - to_numpy(mean))
    np.testing.assert_allclose(to_numpy(tape.gradient(z, log_var)), expected, rtol=1e-6, atol=1e-7)


def test_sampling_same_seed_same_draws_and_successive_calls_differ():
    inputs = [f32(np.zeros((3, 4))), f32(np.zeros((3, 4)))]
    first_layer, second_layer = vae_layers.Sampling(seed=42), vae_layers.Sampling(seed=42)
    first_draws = [to_numpy(first_layer(inputs)) for _ in range(3)]
    second_draws = [to_numpy(second_layer(inputs)) for _ in range(3)]
    for a, b in zip(first_draws, second_draws):
        np.testing.assert_array_equal(a, b)
    # Each call advances the generator: continuous draws never repeat.
    assert not np.any(first_draws[0] == first_draws[1])
    assert not np.any(first_draws[1] == first_draws[2])
    other_seed = to_numpy(vae_layers.Sampling(seed=43)(inputs))
    assert not np.any(other_seed == first_draws[0])


# --------------------------------------------------------------------------
# SplitMeanLogVar
# --------------------------------------------------------------------------


def test_split_mean_log_var_returns_the_two_halves():
    both = f32(np.random.default_rng(0).normal(size=(5, 6)))
    layer = vae_layers.SplitMeanLogVar()
    mean, log_var = layer(both)
    np.testing.assert_array_equal(to_numpy(mean), both[:, :3])
    np.testing.assert_array_equal(to_numpy(log_var), both[:, 3:])
    assert layer.compute_output_shape((5, 6)) == ((5, 3), (5, 3))
    assert layer.compute_output_shape((None, None)) == ((None, None), (None, None))
    assert layer.weights == [] and layer.variables == []


def test_split_mean_log_var_symbolic_shapes():
    mean, log_var = vae_layers.SplitMeanLogVar()(keras.Input((8,)))
    assert tuple(mean.shape) == (None, 4) and tuple(log_var.shape) == (None, 4)


def test_split_mean_log_var_rejects_an_odd_last_dimension():
    layer = vae_layers.SplitMeanLogVar()
    with pytest.raises(ValueError, match=r"even last dimension.*input_shape=\(None, 5\)"):
        layer.compute_output_shape((None, 5))
    with pytest.raises(ValueError, match="even last dimension"):
        layer(keras.Input((5,)))


def test_split_mean_log_var_config_round_trip():
    layer = vae_layers.SplitMeanLogVar(name="split")
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(restored) is vae_layers.SplitMeanLogVar and restored.name == "split"
    both = f32(np.arange(8).reshape(2, 4))
    for a, b in zip(layer(both), restored(both)):
        np.testing.assert_array_equal(to_numpy(a), to_numpy(b))
