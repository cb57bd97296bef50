"""Encoders, decoders and the VAE: shapes, weights, training API, saving, bad input."""

import json
import subprocess
import sys

import keras
import numpy as np
import pytest

from vae_keras import likelihoods, models

INPUT_SHAPES = [(28, 28, 1), (32, 32, 3), (8, 8, 1), (500,)]
LIKELIHOODS = sorted(likelihoods.LIKELIHOODS)


@pytest.mark.parametrize("input_shape", INPUT_SHAPES)
def test_mlp_encoder_and_decoder_shapes(input_shape):
    encoder = models.build_mlp_encoder(input_shape, latent_dim=5, hidden_units=(16,))
    decoder = models.build_mlp_decoder(input_shape, latent_dim=5, hidden_units=(16,), num_params=2)
    x = np.zeros((3,) + input_shape, "float32")
    mean, log_var = encoder(x)
    assert mean.shape == log_var.shape == (3, 5)
    assert decoder(np.zeros((3, 5), "float32")).shape == (3,) + input_shape + (2,)


@pytest.mark.parametrize("input_shape", INPUT_SHAPES[:3])
def test_conv_encoder_and_decoder_shapes(input_shape):
    encoder = models.build_conv_encoder(input_shape, latent_dim=4, conv_filters=(8, 16), hidden_units=(32,))
    decoder = models.build_conv_decoder(input_shape, latent_dim=4, conv_filters=(16, 8), hidden_units=(32,))
    mean, log_var = encoder(np.zeros((2,) + input_shape, "float32"))
    assert mean.shape == log_var.shape == (2, 4)
    assert decoder(np.zeros((2, 4), "float32")).shape == (2,) + input_shape + (1,)


def test_mlp_weight_counts_match_the_architecture():
    # 784-1000-3-500-784 of the Kingma & Welling reproduction, split encoder output.
    encoder = models.build_mlp_encoder((28, 28, 1), 3, hidden_units=(1000,), split_output=True)
    decoder = models.build_mlp_decoder((28, 28, 1), 3, hidden_units=(500,))
    assert encoder.count_params() == (784 * 1000 + 1000) + (1000 * 6 + 6)
    assert decoder.count_params() == (3 * 500 + 500) + (500 * 784 + 784)
    assert len(encoder.trainable_weights) == 4


def test_batch_norm_and_dropout_layers_are_present():
    encoder = models.build_mlp_encoder((10,), 2, hidden_units=(8, 8), batch_norm=True, dropout=0.2)
    kinds = [type(layer).__name__ for layer in encoder.layers]
    assert kinds.count("BatchNormalization") == 2 and kinds.count("Dropout") == 2
    # BN replaces the dense bias: 10*8 + 8*8 kernels, 2 * (gamma, beta) trainable.
    assert sum(int(np.prod(w.shape)) for w in encoder.trainable_weights) == 10 * 8 + 8 * 8 + 4 * 8 + 2 * (8 * 2 + 2)


def test_split_encoder_output_is_the_two_halves_of_one_dense_layer():
    encoder = models.build_mlp_encoder((6,), 3, hidden_units=(4,), split_output=True)
    x = np.random.default_rng(0).normal(size=(5, 6)).astype("float32")
    both = keras.Model(encoder.inputs[0], encoder.get_layer("mean_log_var").output)(x)
    mean, log_var = encoder(x)
    np.testing.assert_allclose(np.concatenate([mean, log_var], axis=-1), both, rtol=1e-6)


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"latent_dim": 0}, r"latent_dim.*>= 1.*Received: latent_dim=0"),
        ({"dropout": 1.0}, r"dropout.*\[0, 1\).*Received: dropout=1.0"),
        ({"dropout": -0.1}, r"dropout.*Received: dropout=-0.1"),
        ({"activation": "gelu"}, r"activation='gelu'.*Accepted: relu, elu, softplus, tanh"),
        ({"architecture": "transformer"}, r"architecture='transformer'.*Accepted: mlp, conv"),
        ({"likelihood": "poisson"}, r"likelihood='poisson'.*Accepted"),
        ({"input_shape": (28, 28, 1, 0)}, r"input_shape.*positive integers"),
        ({"input_shape": (500,), "architecture": "conv"}, r"convolutional model needs images.*\(500,\)"),
        ({"input_shape": (30, 30, 1), "architecture": "conv"}, r"divisible by 2\*\*len\(conv_filters\)=4"),
        ({"hidden_units": (64, 0)}, r"hidden_units.*integers >= 1"),
        ({"beta": -1.0}, r"beta.*>= 0.*Received: beta=-1.0"),
    ],
)
def test_bad_arguments_raise_value_error_naming_the_value(kwargs, pattern):
    settings = {"input_shape": (8, 8, 1), "latent_dim": 2, **kwargs}
    with pytest.raises(ValueError, match=pattern):
        models.build_vae(**settings)


def test_vae_rejects_a_non_likelihood_head():
    encoder = models.build_mlp_encoder((4,), 2, hidden_units=(4,))
    decoder = models.build_mlp_decoder((4,), 2, hidden_units=(4,))
    with pytest.raises(ValueError, match="likelihoods.get"):
        models.VAE(encoder, decoder, likelihood="bernoulli")


def _binary_digits(n=256, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.random((n, 8, 8, 1)) < 0.3).astype("float32")


@pytest.mark.parametrize("architecture", ["mlp", "conv"])
@pytest.mark.parametrize("likelihood", LIKELIHOODS)
def test_every_variant_round_trips_config_and_keras_file(tmp_path, architecture, likelihood):
    vae = models.build_vae(
        (8, 8, 1),
        3,
        architecture=architecture,
        likelihood=likelihood,
        hidden_units=(16,),
        conv_filters=(4, 8),
        batch_norm=True,
        dropout=0.1,
        seed=3,
    )
    clone = models.VAE.from_config(vae.get_config())
    assert clone.get_config()["likelihood"] == vae.get_config()["likelihood"]
    assert clone.count_params() == vae.count_params()
    x = _binary_digits(8)  # 0 and 1 lie on the 8-bit grid the discretised logistic needs
    vae.save(tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    for a, b in zip(vae.predict(x, verbose=0), loaded.predict(x, verbose=0)):
        np.testing.assert_array_equal(a, b)
    z = np.random.default_rng(1).normal(size=(4, 3)).astype("float32")
    np.testing.assert_array_equal(vae.decode(z), loaded.decode(z))


def test_fit_evaluate_predict_and_helpers():
    x = _binary_digits()
    vae = models.build_vae((8, 8, 1), 2, hidden_units=(32,), seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(1e-3))
    history = vae.fit(x, epochs=2, batch_size=64, validation_data=(x[:64],), verbose=0)
    for name in ("loss", "reconstruction", "kl", "nelbo", "val_loss", "val_nelbo"):
        assert name in history.history and np.all(np.isfinite(history.history[name]))
    # beta = 1 and no warm-up: the objective is the negative ELBO.
    np.testing.assert_allclose(history.history["loss"], history.history["nelbo"], rtol=1e-5)
    results = vae.evaluate(x, verbose=0, return_dict=True)
    assert results["nelbo"] == pytest.approx(results["reconstruction"] + results["kl"], rel=1e-5)
    mean, log_var = vae.predict(x[:10], verbose=0)
    assert mean.shape == log_var.shape == (10, 2)
    assert vae.reconstruct(x[:10]).shape == (10, 8, 8, 1)
    samples = vae.sample(7, seed=0)
    assert samples.shape == (7, 8, 8, 1) and samples.min() >= 0 and samples.max() <= 1
    np.testing.assert_array_equal(samples, vae.sample(7, seed=0))


def test_beta_weights_the_kl_term_and_warm_up_ramps_it():
    x = _binary_digits(100)
    vae = models.build_vae((8, 8, 1), 2, hidden_units=(16,), beta=4.0, kl_warmup_steps=10, seed=0)
    vae.compile(optimizer=keras.optimizers.SGD(0.0))  # lr 0: weights fixed, only the step counter moves
    assert float(vae.kl_weight(training=False)) == 4.0
    vae.fit(x, epochs=1, batch_size=20, verbose=0)  # 5 steps
    assert float(vae.training_steps.numpy()) == 5
    assert float(vae.kl_weight(training=True)) == pytest.approx(2.0)
    vae.fit(x, epochs=2, batch_size=20, verbose=0)
    assert float(vae.kl_weight(training=True)) == pytest.approx(4.0)
    results = vae.evaluate(x, verbose=0, return_dict=True)
    # Evaluation uses the full beta: the objective exceeds the negative ELBO by 3 * KL > 0.
    assert results["loss"] > results["nelbo"] + 2.9 * results["kl"]


def test_training_improves_the_elbo_on_structured_data():
    # Two prototype patterns with pixel noise: a VAE must learn them.
    rng = np.random.default_rng(0)
    prototypes = (rng.random((2, 8, 8, 1)) < 0.5).astype("float32")
    x = prototypes[rng.integers(0, 2, 512)]
    x = np.where(rng.random(x.shape) < 0.05, 1 - x, x).astype("float32")
    vae = models.build_vae((8, 8, 1), 2, hidden_units=(32,), seed=0)
    vae.compile(optimizer=keras.optimizers.Adam(3e-3))
    before = vae.evaluate(x, verbose=0, return_dict=True)["nelbo"]
    vae.fit(x, epochs=15, batch_size=64, verbose=0)
    after = vae.evaluate(x, verbose=0, return_dict=True)["nelbo"]
    # Untrained: ~64 * log 2 = 44 nats. Learned: 64 * H(0.05) + KL ~ 13 + a few nats.
    assert before > 40 and after < 25


# --------------------------------------------------------------------------
# compute_loss honours the Keras contract: regularisers and sample weights
# --------------------------------------------------------------------------


def _near_deterministic_vae(kernel_regularizer=None, num_classes=None, seed=0):
    """A small VAE whose q(z|x) has standard deviation e^-10, so one draw of z is its mean."""
    encoder_input = keras.Input((8, 8, 1))
    flat = keras.layers.Flatten()(encoder_input)
    hidden = keras.layers.Dense(8, activation="tanh", kernel_regularizer=kernel_regularizer, name="hidden")(flat)
    mean = keras.layers.Dense(2, name="mean")(hidden)
    log_var = keras.layers.Dense(2, kernel_initializer="zeros", bias_initializer=keras.initializers.Constant(-20.0))(
        hidden
    )
    encoder = keras.Model(encoder_input, [mean, log_var])
    decoder = models.build_mlp_decoder((8, 8, 1), 2, hidden_units=(8,), num_classes=num_classes)
    model_class = models.VAE if num_classes is None else models.ConditionalVAE
    vae = model_class(encoder, decoder, likelihoods.get("bernoulli"), seed=seed)
    vae.compile(optimizer=keras.optimizers.SGD(0.0))
    return vae


def test_loss_adds_the_regularisers_of_the_encoder():
    x = _binary_digits(32)
    regularizer = keras.regularizers.L2(0.1)
    plain = _near_deterministic_vae()
    regularized = _near_deterministic_vae(kernel_regularizer=regularizer)
    regularized.set_weights(plain.get_weights())
    penalty = 0.1 * float(np.sum(np.square(regularized.encoder.get_layer("hidden").kernel.numpy())))
    assert penalty > 1.0  # large enough to see
    without = plain.evaluate(x, batch_size=32, verbose=0, return_dict=True)
    with_penalty = regularized.evaluate(x, batch_size=32, verbose=0, return_dict=True)
    # Same weights, same seed: the negative ELBO is the same, the objective is larger by the penalty.
    assert with_penalty["nelbo"] == pytest.approx(without["nelbo"], rel=1e-6)
    assert with_penalty["loss"] - without["loss"] == pytest.approx(penalty, rel=1e-4)
    # The training objective carries it too (lr 0: the weights do not move).
    history = regularized.fit(x, epochs=1, batch_size=32, verbose=0)
    assert history.history["loss"][0] - history.history["nelbo"][0] == pytest.approx(penalty, rel=1e-4)


@pytest.mark.parametrize("conditional", [False, True], ids=["vae", "conditional-vae"])
def test_sample_weights_of_zero_drop_examples_from_the_loss(conditional):
    x = _binary_digits(32)
    x[16:] = 1.0 - x[16:]  # the second half is mostly ones, the first mostly zeros
    labels = np.arange(32) % 10
    vae = _near_deterministic_vae(num_classes=10 if conditional else None)
    # Decoder probabilities near sigmoid(-2) = 0.12, whatever the initial weights: the halves then
    # cost very different amounts (at p = 0.5 every image would cost 64 ln 2).
    params = vae.decoder.get_layer("params")
    params.bias.assign(np.full(params.bias.shape, -2.0, "float32"))
    weights = np.r_[np.ones(16), np.zeros(16)].astype("float32")

    def evaluate(x, labels, sample_weight=None):
        # Keras drops sample weights when y is None: a VAE takes (and ignores) a placeholder y.
        y = labels if conditional else np.zeros(len(x), "float32")
        return vae.evaluate(x, y, sample_weight=sample_weight, batch_size=32, verbose=0, return_dict=True)

    weighted = evaluate(x, labels, sample_weight=weights)
    first_half = evaluate(x[:16], labels[:16])
    unweighted = evaluate(x, labels)
    for name in ("loss", "nelbo", "reconstruction", "kl"):
        assert weighted[name] == pytest.approx(first_half[name], rel=1e-4), name
    assert unweighted["loss"] > first_half["loss"] + 10.0  # the halves really differ
    # Weights are relative: doubling them all changes nothing.
    doubled = evaluate(x, labels, sample_weight=2 * weights)
    assert doubled["loss"] == pytest.approx(weighted["loss"], rel=1e-5)


# --------------------------------------------------------------------------
# A saved model loads after `import vae_keras` alone
# --------------------------------------------------------------------------

LOAD_SCRIPT = """
import sys
{first}
assert {light}, "import vae_keras alone must not import keras"
import json
import keras
import numpy as np
model = keras.saving.load_model(sys.argv[1])
mean = np.asarray(model.predict(np.load(sys.argv[2]), verbose=0)[0]).tolist()
print(json.dumps(dict(model=type(model).__name__, likelihood=type(model.likelihood).__name__, mean=mean)))
"""


@pytest.mark.parametrize(
    ("first", "light"),
    [
        ("import vae_keras", "'keras' not in sys.modules"),  # keras imported after vae_keras
        ("import keras\nimport vae_keras", "True"),  # keras imported before vae_keras
    ],
    ids=["vae-keras-first", "keras-first"],
)
def test_saved_model_loads_in_a_fresh_process_after_only_import_vae_keras(tmp_path, first, light):
    vae = models.build_vae((8, 8, 1), 2, hidden_units=(8,), likelihood="gaussian_fitted", seed=0)
    x = _binary_digits(3)
    vae.save(tmp_path / "model.keras")
    np.save(tmp_path / "x.npy", x)
    script = LOAD_SCRIPT.format(first=first, light=light)
    result = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "model.keras"), str(tmp_path / "x.npy")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    loaded = json.loads(result.stdout.strip().splitlines()[-1])
    assert (loaded["model"], loaded["likelihood"]) == ("VAE", type(vae.likelihood).__name__)
    np.testing.assert_allclose(loaded["mean"], vae.predict(x, verbose=0)[0], rtol=1e-6)
