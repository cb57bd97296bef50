"""Tests for vae_keras.evaluate: importance-weighted log p(x), batching, bits per dimension.

The key model is a linear-Gaussian VAE, whose exact log p(x) is known:

    p(z) = N(0, I_L),  p(x|z) = N(W z + b, sigma^2 I_D)  =>  p(x) = N(b, W W^T + sigma^2 I_D).

With orthogonal columns of W the exact posterior is diagonal:
Sigma = (I + W^T W / sigma^2)^-1 and mu = Sigma W^T (x - b) / sigma^2. The encoder
returns mu exactly but ``variance_ratio`` times the posterior variance, so the ELBO
is below log p(x) by KL(q || posterior) = L/2 (r - 1 - log r) for every x, and the
importance-weighted estimate must close that gap.
"""

import math
import re

import keras
import numpy as np
import pytest
from scipy import stats

from vae_keras import evaluate, likelihoods, models

LATENT_DIM = 2
DATA_DIM = 6
NUM_EXAMPLES = 50


def kl_gap(variance_ratio, latent_dim=LATENT_DIM):
    """KL(N(mu, r Sigma) || N(mu, Sigma)) for diagonal Sigma: L/2 (r - 1 - log r)."""
    return 0.5 * latent_dim * (variance_ratio - 1.0 - math.log(variance_ratio))


def build_linear_gaussian(
    variance_ratio, sigma=0.5, data_dim=DATA_DIM, column_norms=(2.0, 1.0), seed=0, posterior=True
):
    """A linear-Gaussian VAE built from vae_keras pieces, its data and its exact log p(x).

    Args:
        variance_ratio: q's variance over the exact posterior variance.
        posterior: if False, the encoder returns the prior N(0, I) instead.

    Returns:
        ``(vae, x, exact_log_px)`` with x drawn from the model.
    """
    rng = np.random.default_rng(seed)
    latent_dim = len(column_norms)
    basis, _ = np.linalg.qr(rng.normal(size=(data_dim, latent_dim)))
    weights = basis * np.asarray(column_norms)  # orthogonal columns: W^T W = diag(c^2)
    bias = rng.normal(0.0, 1.0, data_dim)
    posterior_var = 1.0 / (1.0 + np.asarray(column_norms) ** 2 / sigma**2)  # diag of Sigma
    # mu = Sigma W^T (x - b) / sigma^2 = x @ K - b @ K with K = W Sigma / sigma^2.
    mean_kernel = weights * posterior_var / sigma**2

    encoder_input = keras.Input((data_dim,))
    mean = keras.layers.Dense(latent_dim, name="mean")(encoder_input)
    log_var = keras.layers.Dense(latent_dim, name="log_var")(encoder_input)
    encoder = keras.Model(encoder_input, [mean, log_var])
    if posterior:
        encoder.get_layer("mean").set_weights([mean_kernel, -bias @ mean_kernel])
        log_var_bias = np.log(variance_ratio * posterior_var)
    else:
        encoder.get_layer("mean").set_weights([np.zeros((data_dim, latent_dim)), np.zeros(latent_dim)])
        log_var_bias = np.zeros(latent_dim)
    encoder.get_layer("log_var").set_weights([np.zeros((data_dim, latent_dim)), log_var_bias])

    decoder_input = keras.Input((latent_dim,))
    decoded = keras.layers.Dense(data_dim, name="linear")(decoder_input)
    decoder = keras.Model(decoder_input, keras.layers.Reshape((data_dim, 1))(decoded))
    decoder.get_layer("linear").set_weights([weights.T, bias])

    vae = models.VAE(encoder, decoder, likelihoods.FixedGaussian(sigma=sigma))
    z = rng.standard_normal((NUM_EXAMPLES, latent_dim))
    x = (z @ weights.T + bias + sigma * rng.standard_normal((NUM_EXAMPLES, data_dim))).astype("float32")
    covariance = weights @ weights.T + sigma**2 * np.eye(data_dim)
    exact = stats.multivariate_normal.logpdf(x.astype("float64"), bias, covariance)  # of the float32 x
    return vae, x, exact


@pytest.fixture(scope="module")
def linear_gaussian():
    """q has twice the exact posterior variance: weights p(x, z) / q(z|x) have finite variance."""
    return build_linear_gaussian(variance_ratio=2.0)


def test_importance_weighted_estimate_converges_to_the_exact_log_likelihood(linear_gaussian):
    vae, x, exact = linear_gaussian
    out = evaluate.log_likelihood(vae, x, num_samples=1000, verbose=0)
    for key in ("log_px", "reconstruction", "kl", "elbo"):
        assert out[key].shape == (NUM_EXAMPLES,)
        assert np.isfinite(out[key]).all()
    # With q = N(mu, 2 Sigma) the relative weights w / p(x) have variance (2/sqrt(3))^L - 1
    # = 1/3, so at k = 1000 each estimate has bias ~ (1/3) / (2k) = 2e-4 and standard
    # deviation sqrt((1/3) / k) = 0.018; the mean over 50 examples has SD 0.003.
    # The requirement is 0.05 nats on the mean.
    assert abs(np.mean(out["log_px"]) - np.mean(exact)) < 0.05
    np.testing.assert_allclose(out["log_px"], exact, atol=0.1)  # > 5 SD per example
    # The ELBO is below log p(x) by KL(q || posterior) = 1 - log 2 = 0.307 for every x. Its
    # reconstruction term is averaged over the same 1000 draws (noise << 0.01).
    np.testing.assert_allclose(np.mean(exact - out["elbo"]), kl_gap(2.0), atol=0.01)
    # The IW bound is above the ELBO: margin 0.3 nats against per-example noise 0.02.
    assert (out["log_px"] > out["elbo"]).all()
    # The closed-form KL term is that of q against N(0, I).
    expected_kl = likelihoods.kl_standard_normal(*vae.encoder.predict(x, verbose=0))
    np.testing.assert_allclose(out["kl"], keras.ops.convert_to_numpy(expected_kl), rtol=1e-6)


def test_single_sample_estimate_is_the_elbo_and_is_clearly_worse(linear_gaussian):
    vae, x, exact = linear_gaussian
    repeats = 20  # 1000 rows, so the mean of the k=1 estimate is sharp
    out = evaluate.log_likelihood(vae, np.tile(x, (repeats, 1)), num_samples=1, verbose=0)
    gap = np.tile(exact, repeats) - out["log_px"]
    # log w - log p(x) = sum over L dims of (log 2)/2 - eps^2/2: mean -0.307, variance L/2 = 1,
    # so the mean of 1000 values has standard error 0.032; 4 of them is 0.13.
    standard_error = gap.std(ddof=1) / math.sqrt(gap.size)
    assert 0.02 < standard_error < 0.05
    assert abs(gap.mean() - kl_gap(2.0)) < 4 * standard_error
    assert gap.mean() > 0.2  # k=1 is clearly worse than the exact value; k=1000 is within 0.05


def test_exact_posterior_gives_zero_variance_weights():
    # With q equal to the posterior every weight p(x, z) / q(z|x) equals p(x): any k and any
    # seed give log p(x) up to float32 rounding of terms of size ~10 (1e-5); a wrong log k
    # constant or a wrong log q would show as >= 0.1.
    vae, x, exact = build_linear_gaussian(variance_ratio=1.0, seed=1)
    for num_samples, seed in [(1, 0), (7, 3)]:
        out = evaluate.log_likelihood(vae, x, num_samples=num_samples, seed=seed, verbose=0)
        np.testing.assert_allclose(out["log_px"], exact, atol=1e-4)


def test_logsumexp_is_stable_for_large_positive_log_weights():
    # sigma = 1e-3 and D = 32: log p(x) ~ +150 nats, so exp(log weight) overflows float32
    # (max exp argument 88.7). A logsumexp implementation stays finite and accurate.
    vae, x, exact = build_linear_gaussian(variance_ratio=2.0, sigma=1e-3, data_dim=32, seed=2)
    assert exact.min() > 89.0  # the weights really overflow a naive exp
    out = evaluate.log_likelihood(vae, x, num_samples=200, verbose=0)
    assert np.isfinite(out["log_px"]).all()
    # Same weight variance as above: SD per example sqrt((1/3)/200) = 0.04, on the mean 0.006;
    # float32 rounding of residuals of size sigma adds ~1e-2.
    assert abs(np.mean(out["log_px"]) - np.mean(exact)) < 0.05


def test_logsumexp_is_stable_for_large_negative_log_weights():
    # sigma = 1e-3 with q = the prior: a typical z misses x by O(1), i.e. 1e3 sigmas, so log
    # weights are ~ -1e5 to -1e6 and exp underflows to 0. The estimate is a poor but finite
    # lower bound.
    vae, x, exact = build_linear_gaussian(variance_ratio=1.0, sigma=1e-3, data_dim=20, seed=3, posterior=False)
    out = evaluate.log_likelihood(vae, x, num_samples=50, verbose=0)
    assert np.isfinite(out["log_px"]).all()
    assert out["log_px"].max() < -1e3  # the log-weights really were large and negative
    assert (out["log_px"] < exact).all()
    assert (out["log_px"] >= out["elbo"] - 1e-3 * np.abs(out["elbo"])).all()


@pytest.mark.parametrize(
    "num_samples, batch_size, max_decoder_values, samples_per_chunk",
    [
        (1000, 8, DATA_DIM * 8 * 300, 300),  # chunks of 300, 300, 300, 100; last batch of 2
        (40, 7, DATA_DIM * 7 * 3, 3),  # 13 chunks of 3 and one of 1; last batch of 1
    ],
)
def test_estimate_is_invariant_to_batching_and_chunking(
    linear_gaussian, num_samples, batch_size, max_decoder_values, samples_per_chunk
):
    vae, x, exact = linear_gaussian
    # The settings really force several chunks per batch.
    assert evaluate._samples_per_chunk(vae, batch_size, num_samples, max_decoder_values) == samples_per_chunk
    chunked = evaluate.log_likelihood(
        vae,
        x,
        num_samples=num_samples,
        batch_size=batch_size,
        max_decoder_values=max_decoder_values,
        verbose=0,
    )
    single = evaluate.log_likelihood(vae, x, num_samples=num_samples, batch_size=NUM_EXAMPLES, verbose=0)
    # Per-example SD is sqrt((1/3) / k): 0.018 at k=1000 and 0.09 at k=40, plus bias (1/3)/(2k)
    # <= 0.004. The means over 50 examples agree with the exact value within 5 SD + bias.
    per_example_sd = math.sqrt((1.0 / 3.0) / num_samples)
    tolerance = 5 * per_example_sd / math.sqrt(NUM_EXAMPLES) + (1.0 / 3.0) / (2 * num_samples)
    for out in (chunked, single):
        assert out["log_px"].shape == (NUM_EXAMPLES,)
        assert abs(np.mean(out["log_px"]) - np.mean(exact)) < tolerance
    # Per example the two runs differ by two independent errors: 5 * sqrt(2) SD.
    np.testing.assert_allclose(chunked["log_px"], single["log_px"], atol=5 * math.sqrt(2) * per_example_sd)
    np.testing.assert_allclose(chunked["kl"], single["kl"], rtol=1e-6)  # no sampling in the KL


@pytest.mark.parametrize("num_samples", [64, 50])  # 64 chunks of 1; 17 chunks of 3, the last padded
def test_many_chunks_give_the_one_chunk_result(linear_gaussian, num_samples):
    # The chunks are a loop inside one compiled graph, not unrolled into it, and the noise is
    # drawn before chunking: with the same seed and batches, many chunks give the one-chunk
    # estimate up to float rounding.
    vae, x, exact = linear_gaussian
    samples_per_chunk = 1 if num_samples == 64 else 3
    max_decoder_values = DATA_DIM * NUM_EXAMPLES * samples_per_chunk
    assert evaluate._samples_per_chunk(vae, NUM_EXAMPLES, num_samples, max_decoder_values) == samples_per_chunk
    options = dict(num_samples=num_samples, batch_size=NUM_EXAMPLES, seed=5, verbose=0)
    chunked = evaluate.log_likelihood(vae, x, max_decoder_values=max_decoder_values, **options)
    single = evaluate.log_likelihood(vae, x, **options)
    for key in ("log_px", "reconstruction", "kl"):
        np.testing.assert_allclose(chunked[key], single[key], rtol=1e-5, atol=1e-5, err_msg=key)
    # And both are right: per-example SD sqrt((1/3) / k) <= 0.082, on the mean of 50 <= 0.012.
    assert abs(np.mean(chunked["log_px"]) - np.mean(exact)) < 0.07


def test_importance_sampler_graph_holds_one_chunk(linear_gaussian):
    # Each chunk calls the decoder once; unrolled, 20 chunks would call it 20 times.
    vae, x, _ = linear_gaussian
    calls = []
    original = vae.decoder.call

    def counting_call(*args, **kwargs):
        calls.append(1)
        return original(*args, **kwargs)

    vae.decoder.call = counting_call
    try:
        evaluate.log_likelihood(vae, x[:4], num_samples=20, batch_size=4, max_decoder_values=DATA_DIM * 4, verbose=0)
    finally:
        del vae.decoder.call
    assert 1 <= len(calls) <= 4  # traced once or twice (and the last, smaller batch), never 20 times


def test_random_subset_is_seeded_sorted_and_not_the_first_images():
    subset = evaluate.random_subset(1000, 50, seed=0)
    assert len(subset) == len(set(subset.tolist())) == 50
    assert np.all(np.diff(subset) > 0) and subset.max() < 1000
    assert not np.array_equal(subset, np.arange(50))
    np.testing.assert_array_equal(subset, evaluate.random_subset(1000, 50, seed=0))
    assert not np.array_equal(subset, evaluate.random_subset(1000, 50, seed=1))
    assert evaluate.random_subset(1000, 0, seed=0) is None
    assert evaluate.random_subset(1000, 1000, seed=0) is None


def test_metrics_files_are_named_by_split_and_k():
    assert evaluate.metrics_filename("train", 5000) == "metrics-train-k5000.json"
    assert evaluate.metrics_filename("test", 20, num_examples=100) == "metrics-test-k20-n100.json"


def test_log_likelihood_is_reproducible_for_a_seed(linear_gaussian):
    vae, x, _ = linear_gaussian
    first = evaluate.log_likelihood(vae, x[:5], num_samples=20, seed=11, verbose=0)
    second = evaluate.log_likelihood(vae, x[:5], num_samples=20, seed=11, verbose=0)
    other = evaluate.log_likelihood(vae, x[:5], num_samples=20, seed=12, verbose=0)
    np.testing.assert_array_equal(first["log_px"], second["log_px"])
    assert not np.any(first["log_px"] == other["log_px"])


@pytest.mark.parametrize("num_samples", [0, -3, 2.5, True, None])
def test_log_likelihood_rejects_invalid_num_samples(linear_gaussian, num_samples):
    vae, x, _ = linear_gaussian
    with pytest.raises(ValueError, match=re.escape(f"num_samples={num_samples!r}")):
        evaluate.log_likelihood(vae, x, num_samples=num_samples, verbose=0)


@pytest.mark.parametrize("shape", [(3, 5), (3, DATA_DIM, 1), (DATA_DIM,)])
def test_log_likelihood_rejects_x_of_the_wrong_shape(linear_gaussian, shape):
    vae, _, _ = linear_gaussian
    with pytest.raises(ValueError) as info:
        evaluate.log_likelihood(vae, np.zeros(shape, "float32"), num_samples=2, verbose=0)
    message = str(info.value)
    assert f"x.shape={shape}" in message
    assert f"(n, {DATA_DIM})" in message  # what would be accepted


# --------------------------------------------------------------------------
# bits_per_dim and summarize
# --------------------------------------------------------------------------


def test_bits_per_dim_of_a_discrete_log_probability():
    num_dims = 784
    log_px = np.array([-3.0, -0.5]) * num_dims * math.log(2.0)  # 3 and 0.5 bits per dim
    np.testing.assert_allclose(evaluate.bits_per_dim(log_px, num_dims), [3.0, 0.5], rtol=1e-15)
    # A uniform distribution over 256 levels: log P = -D log 256, i.e. exactly 8 bits/dim.
    assert evaluate.bits_per_dim(-num_dims * math.log(256.0), num_dims) == pytest.approx(8.0, rel=1e-15)


def test_bits_per_dim_of_a_dequantized_density_adds_log2_num_bins():
    num_dims = 3072
    # The uniform density on [0, 1]^D has log p = 0: exactly log2(256) = 8 bits/dim.
    assert evaluate.bits_per_dim(0.0, num_dims, num_bins=256) == 8.0
    log_px = np.array([1000.0, -2000.0])
    expected = -log_px / (num_dims * math.log(2.0)) + 8.0
    np.testing.assert_allclose(evaluate.bits_per_dim(log_px, num_dims, num_bins=256), expected, rtol=1e-15)
    np.testing.assert_allclose(evaluate.bits_per_dim(log_px, num_dims, num_bins=2), expected - 7.0, rtol=1e-15)


def test_bits_per_dim_rejects_num_dims_below_one():
    with pytest.raises(ValueError, match="num_dims=0"):
        evaluate.bits_per_dim(-1.0, 0)


def test_summarize_means_standard_errors_and_bits():
    log_px = np.array([-100.0, -110.0, -120.0, -130.0])
    results = {"log_px": log_px, "elbo": log_px - 5.0, "reconstruction": -log_px - 2.0, "kl": np.full(4, 7.0)}
    summary = evaluate.summarize(results, num_dims=10)
    assert summary["num_examples"] == 4
    assert summary["log_px"] == pytest.approx(-115.0)
    assert summary["elbo"] == pytest.approx(-120.0)
    assert summary["kl"] == pytest.approx(7.0) and summary["kl_stderr"] == 0.0
    assert summary["log_px_stderr"] == pytest.approx(np.std(log_px) / 2.0)
    assert summary["bits_per_dim"] == pytest.approx(115.0 / (10 * math.log(2.0)))
    assert evaluate.summarize(results, num_dims=10, bits_defined=False)["bits_per_dim"] is None


def test_repeated_estimates_reuse_one_compiled_sampler_and_do_not_retrace(caplog):
    import logging

    from vae_keras import models

    vae = models.build_vae((6,), 2, likelihood="gaussian_fixed", hidden_units=(8,), seed=0)
    x = np.random.default_rng(0).random((30, 6)).astype("float32")
    with caplog.at_level(logging.WARNING):
        runs = [evaluate.log_likelihood(vae, x, num_samples=7, batch_size=10, seed=3, verbose=0) for _ in range(6)]
    assert not [record for record in caplog.records if "retracing" in record.getMessage()]
    assert len(evaluate._SAMPLERS[vae]) == 1
    # Reuse changes nothing: the same seed gives the same draws every time, another seed others.
    for run in runs[1:]:
        np.testing.assert_array_equal(run["log_px"], runs[0]["log_px"])
    other = evaluate.log_likelihood(vae, x, num_samples=7, batch_size=10, seed=4, verbose=0)
    assert not np.array_equal(other["log_px"], runs[0]["log_px"])
