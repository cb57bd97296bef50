"""Tests for vae_keras.numpy_vae: hand-written gradients, equality with Keras, Adam, training, bad input.

The gradients are checked twice: against central finite differences in float64,
and against TensorFlow's autodiff of the Keras model on the same weights and noise.
"""

import subprocess
import sys
from pathlib import Path

import keras
import numpy as np
import pytest

from vae_keras import data, models, numpy_vae, preprocessing

SHARED_MNIST = Path(__file__).resolve().parents[2] / "shared" / "data" / "mnist" / "mnist.npz"

requires_tensorflow = pytest.mark.skipif(
    keras.backend.backend() != "tensorflow", reason="the Keras reference gradients use tf.GradientTape"
)


def perturbed_model(activation, hidden_units, dtype="float64", seed=0):
    """A NumpyVAE with non-zero biases, so that every term of every gradient is exercised."""
    model = numpy_vae.NumpyVAE(12, 3, hidden_units, activation=activation, seed=seed, dtype=dtype)
    rng = np.random.default_rng(seed + 100)
    for weight in model.trainable_weights:
        weight += rng.normal(0.0, 0.1, weight.shape).astype(weight.dtype)
    return model


def perturbed_keras_vae(activation, latent_dim=4, hidden_units=(32,), seed=0):
    """A Keras VAE on 28x28x1 images whose weights (biases included) are moved off their initial values."""
    keras.utils.set_random_seed(seed)
    vae = models.build_vae((28, 28, 1), latent_dim, hidden_units=hidden_units, activation=activation, seed=seed)
    rng = np.random.default_rng(seed)
    weights = vae.get_weights()
    vae.set_weights([weights[0]] + [w + rng.normal(0.0, 0.05, w.shape).astype("float32") for w in weights[1:]])
    return vae


def keras_loss_and_gradients(vae, x, epsilon):
    """The Keras model's loss for given noise, and its gradients by tf.GradientTape."""
    import tensorflow as tf
    from keras import ops

    from vae_keras import likelihoods

    with tf.GradientTape() as tape:
        mean, log_var = vae.encoder(x)
        z = mean + ops.exp(0.5 * log_var) * epsilon
        params = vae.decoder(z)
        loss = ops.mean(-vae.likelihood.log_prob(x, params) + likelihoods.kl_standard_normal(mean, log_var))
    gradients = tape.gradient(loss, vae.trainable_weights)
    return float(loss), [ops.convert_to_numpy(g) for g in gradients]


# --------------------------------------------------------------------------
# Gradients
# --------------------------------------------------------------------------


@pytest.mark.parametrize("hidden_units", [(7,), (7, 5), ()])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_gradients_match_central_finite_differences_in_float64(activation, hidden_units):
    model = perturbed_model(activation, hidden_units)
    rng = np.random.default_rng(1)
    x = rng.random((6, 12))  # grey levels: exercises the full cross-entropy, not only 0/1 targets
    epsilon = rng.standard_normal((6, 3))
    _, gradients = model.loss_and_gradients(x, epsilon)
    step = 1e-5
    for name, weight, gradient in zip(model.weight_names, model.trainable_weights, gradients):
        assert gradient.shape == weight.shape, name
        entries = rng.choice(weight.size, size=min(8, weight.size), replace=False)
        numeric = []
        for flat in entries:
            index = np.unravel_index(flat, weight.shape)
            original = weight[index]
            weight[index] = original + step
            plus = model.forward(x, epsilon)["loss"]
            weight[index] = original - step
            minus = model.forward(x, epsilon)["loss"]
            weight[index] = original
            numeric.append((plus - minus) / (2 * step))
        analytic, numeric = gradient.ravel()[entries], np.array(numeric)
        # Central differences err by O(step^2) plus ~1e-16 * |loss| / step of round-off: ~1e-10 here,
        # far below 1e-6 of the gradients' size.
        relative_error = np.linalg.norm(analytic - numeric) / (np.linalg.norm(analytic) + np.linalg.norm(numeric))
        assert relative_error < 1e-6, f"{name}: relative error {relative_error:.2e}"


def gradient_check_inputs(seed=1):
    rng = np.random.default_rng(seed)
    return rng.random((6, 12)), rng.standard_normal((6, 3))


@pytest.mark.parametrize("hidden_units", [(7,), (7, 5), ()])
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_check_gradients_reports_tiny_errors_for_correct_gradients_and_restores_weights(activation, hidden_units):
    model = perturbed_model(activation, hidden_units)
    before = model.get_weights()
    x, epsilon = gradient_check_inputs()
    errors = numpy_vae.check_gradients(model, x, epsilon, num_entries=5)
    assert list(errors) == model.weight_names
    # Term-by-term differences keep round-off near 1e-10 here, and the O(step^2) truncation below 1e-6
    # even on small entries; a wrong gradient scores >= 1e-3.
    assert max(errors.values()) < 1e-6, errors
    for ours, original in zip(model.get_weights(), before):
        np.testing.assert_array_equal(ours, original)


@pytest.mark.parametrize("scale", [1.01, 0.0])
def test_check_gradients_flags_a_corrupted_gradient_array_and_only_that_one(scale, monkeypatch):
    model = perturbed_model("tanh", (7,))
    x, epsilon = gradient_check_inputs()
    corrupted = "encoder/log_var/kernel"
    backward = model.backward

    def corrupted_backward(cache):
        gradients = backward(cache)
        gradients[model.weight_names.index(corrupted)] *= scale
        return gradients

    monkeypatch.setattr(model, "backward", corrupted_backward)
    errors = numpy_vae.check_gradients(model, x, epsilon, num_entries=20)
    # A 1% error in every entry is a relative error of 0.01 / 1.01; a missing gradient is off by 100%.
    assert errors[corrupted] == pytest.approx(abs(1 - scale) / max(1, scale), rel=1e-4)
    assert max(error for name, error in errors.items() if name != corrupted) < 1e-6


def test_check_gradients_catches_a_wrong_activation_derivative(monkeypatch):
    model = perturbed_model("tanh", (7, 5))
    x, epsilon = gradient_check_inputs()
    # A classic slip: tanh' written as 1 - tanh instead of 1 - tanh^2 (the forward pass is untouched).
    # Patched where NumpyVAE.backward looks it up: the global of numpy_vae.model, not the package.
    monkeypatch.setattr(numpy_vae.model, "_activation_backward", lambda grad, output, activation: grad * (1 - output))
    errors = numpy_vae.check_gradients(model, x, epsilon, num_entries=20)
    for name in ("encoder/hidden0_dense/kernel", "encoder/hidden1_dense/bias", "decoder/hidden1_dense/kernel"):
        assert errors[name] > 1e-2, (name, errors[name])
    # Layers above the last hidden layer do not go through the activation's derivative.
    assert errors["decoder/params/kernel"] < 1e-6 and errors["decoder/params/bias"] < 1e-6


def test_check_gradients_rejects_float32_models_and_bad_settings():
    x, epsilon = gradient_check_inputs()
    with pytest.raises(ValueError, match="dtype='float64'.*Received: model=NumpyVAE with dtype=float32"):
        numpy_vae.check_gradients(perturbed_model("relu", (7,), dtype="float32"), x, epsilon)
    model = perturbed_model("relu", (7,))
    with pytest.raises(ValueError, match="Received: num_entries=0"):
        numpy_vae.check_gradients(model, x, epsilon, num_entries=0)
    with pytest.raises(ValueError, match="Received: step=0"):
        numpy_vae.check_gradients(model, x, epsilon, step=0)
    with pytest.raises(ValueError, match=r"Received: epsilon.shape=\(6, 2\)"):
        numpy_vae.check_gradients(model, x, epsilon[:, :2])


@requires_tensorflow
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_loss_and_gradients_equal_keras_on_shared_weights_and_noise(activation):
    vae = perturbed_keras_vae(activation)
    model = numpy_vae.from_keras(vae)
    # The NumPy gradients come back in the order of the Keras model's trainable weights.
    assert [w.path for w in vae.trainable_weights] == [name.split("/", 1)[1] for name in model.weight_names]
    rng = np.random.default_rng(0)
    x = rng.random((16, 28, 28, 1)).astype("float32")
    epsilon = rng.standard_normal((16, 4)).astype("float32")
    loss, gradients = model.loss_and_gradients(x, epsilon)
    keras_loss, keras_gradients = keras_loss_and_gradients(vae, x, epsilon)
    # Both sides compute in float32 (unit round-off 6e-8), summing 784 terms per example in different
    # orders: accumulated relative error ~1e-6. rtol=1e-5 leaves a margin but catches any missing term
    # (the smallest, the KL of one example, is ~1e-3 of the loss).
    np.testing.assert_allclose(loss, keras_loss, rtol=1e-5)
    for name, gradient, keras_gradient in zip(model.weight_names, gradients, keras_gradients):
        # Gradients are sums over the batch of products of float32 values. Entries near zero come from
        # cancellation, so they are compared with an absolute tolerance scaled to the array's largest entry.
        scale = np.abs(keras_gradient).max()
        np.testing.assert_allclose(gradient, keras_gradient, rtol=1e-4, atol=1e-4 * scale, err_msg=name)


@requires_tensorflow
@pytest.mark.parametrize("activation", ["relu", "tanh"])
def test_compare_gradients_with_keras_reports_float32_round_off_only(activation):
    vae = perturbed_keras_vae(activation)
    rng = np.random.default_rng(0)
    x = rng.random((16, 28, 28, 1)).astype("float32")
    epsilon = rng.standard_normal((16, 4))  # float64 noise is cast to the model's float32
    comparison = numpy_vae.compare_gradients_with_keras(vae, x, epsilon)
    assert sorted(comparison) == ["gradients", "keras_loss", "loss_difference", "numpy_loss"]
    # The reference is independent: the Keras loss as the tests compute it by hand.
    keras_loss, keras_gradients = keras_loss_and_gradients(vae, x, epsilon.astype("float32"))
    assert comparison["keras_loss"] == pytest.approx(keras_loss, rel=1e-6)
    assert comparison["loss_difference"] == pytest.approx(abs(comparison["numpy_loss"] - keras_loss), abs=1e-3)
    assert comparison["loss_difference"] < 1e-5 * keras_loss
    assert list(comparison["gradients"]) == numpy_vae.from_keras(vae).weight_names
    for name, keras_gradient in zip(comparison["gradients"], keras_gradients):
        entry = comparison["gradients"][name]
        assert entry["max_relative_difference"] < 1e-4, (name, entry)
        assert entry["max_abs_difference"] == pytest.approx(
            entry["max_relative_difference"] * np.abs(keras_gradient).max(), rel=1e-3
        )


@requires_tensorflow
def test_compare_gradients_with_keras_flags_a_corrupted_gradient_and_loss(monkeypatch):
    vae = perturbed_keras_vae("relu")
    rng = np.random.default_rng(0)
    x = rng.random((16, 784)).astype("float32")  # flat inputs are reshaped to the encoder's images
    epsilon = rng.standard_normal((16, 4)).astype("float32")
    corrupted = "decoder/hidden0_dense/kernel"
    backward, forward = numpy_vae.NumpyVAE.backward, numpy_vae.NumpyVAE._forward

    def corrupted_backward(self, cache):
        gradients = backward(self, cache)
        gradients[self.weight_names.index(corrupted)] *= 1.01
        return gradients

    def corrupted_forward(self, x, epsilon):
        cache = forward(self, x, epsilon)
        cache["loss"] += 0.5
        return cache

    monkeypatch.setattr(numpy_vae.NumpyVAE, "backward", corrupted_backward)
    monkeypatch.setattr(numpy_vae.NumpyVAE, "_forward", corrupted_forward)
    comparison = numpy_vae.compare_gradients_with_keras(vae, x, epsilon)
    assert comparison["loss_difference"] == pytest.approx(0.5, rel=1e-3)
    differences = {name: entry["max_relative_difference"] for name, entry in comparison["gradients"].items()}
    assert differences[corrupted] == pytest.approx(0.01, rel=0.01)
    assert max(value for name, value in differences.items() if name != corrupted) < 1e-4


def test_compare_gradients_with_keras_needs_the_tensorflow_backend(monkeypatch):
    monkeypatch.setattr(keras.backend, "backend", lambda: "jax")
    with pytest.raises(RuntimeError, match="needs the TensorFlow backend. Received: backend 'jax'"):
        numpy_vae.compare_gradients_with_keras(None, np.zeros((1, 4)), np.zeros((1, 2)))


# --------------------------------------------------------------------------
# Adam
# --------------------------------------------------------------------------


def test_adam_defaults_are_keras_defaults():
    ours, theirs = numpy_vae.Adam(), keras.optimizers.Adam()
    assert ours.learning_rate == pytest.approx(float(theirs.learning_rate))
    assert (ours.beta_1, ours.beta_2, ours.epsilon) == (theirs.beta_1, theirs.beta_2, theirs.epsilon)


def test_adam_steps_equal_keras_adam_from_identical_weights_and_gradients():
    vae = perturbed_keras_vae("relu", latent_dim=3, hidden_units=(16,))
    model = numpy_vae.from_keras(vae)
    initial = model.get_weights()[1:]
    keras_optimizer = keras.optimizers.Adam(learning_rate=0.01)
    optimizer = numpy_vae.Adam(learning_rate=0.01)
    rng = np.random.default_rng(0)
    # Three steps test the bias correction at t = 1, 2, 3. Gradient scales from 1e-9 (where epsilon
    # dominates sqrt(v)) to 10, and some zeros.
    for _ in range(3):
        gradients = []
        for weight in model.trainable_weights:
            scale = 10.0 ** rng.integers(-9, 2, size=weight.shape)
            gradient = (rng.standard_normal(weight.shape) * scale * (rng.random(weight.shape) > 0.1)).astype("float32")
            gradients.append(gradient)
        keras_optimizer.apply_gradients(zip(gradients, vae.trainable_weights))
        optimizer.apply(gradients, model.trainable_weights)
    assert optimizer.iterations == int(keras_optimizer.iterations) == 3
    for name, weight, start, keras_weight in zip(model.weight_names, model.trainable_weights, initial, vae.weights[1:]):
        keras_weight = keras.ops.convert_to_numpy(keras_weight)
        assert np.abs(weight - start).max() > 1e-3, name  # the steps moved the weights
        # Same float32 formula: updates (<= 0.01 per step) agree to a few ulp of the weights (~1e-8).
        np.testing.assert_allclose(weight, keras_weight, rtol=1e-6, atol=1e-7, err_msg=name)


def test_adam_rejects_gradients_that_do_not_match_the_variables():
    with pytest.raises(ValueError, match="Received: gradient shapes"):
        numpy_vae.Adam().apply([np.zeros(3)], [np.zeros(4)])


# --------------------------------------------------------------------------
# Weights and inference against Keras
# --------------------------------------------------------------------------


def test_get_weights_has_the_order_and_shapes_of_the_keras_vae():
    vae = models.build_vae((28, 28, 1), 5, hidden_units=(24, 12), activation="tanh")
    model = numpy_vae.NumpyVAE(784, 5, (24, 12), activation="tanh", seed=3)
    assert [w.shape for w in model.get_weights()] == [w.shape for w in vae.get_weights()]
    model.training_steps = 7
    vae.set_weights(model.get_weights())  # positional copy...
    copied = numpy_vae.from_keras(vae)  # ...agrees with the copy by layer name
    for ours, theirs in zip(model.get_weights(), copied.get_weights()):
        np.testing.assert_array_equal(ours, theirs)
    assert copied.training_steps == 7 and (copied.hidden_units, copied.activation) == ((24, 12), "tanh")


def test_to_keras_round_trips_and_builds_a_matching_model():
    model = perturbed_model("tanh", (7,), dtype="float32")
    vae = numpy_vae.to_keras(model)
    assert isinstance(vae, models.VAE)
    for ours, theirs in zip(model.get_weights(), numpy_vae.from_keras(vae).get_weights()):
        np.testing.assert_array_equal(ours, theirs)


def test_predict_reconstruct_and_generate_equal_the_keras_vae():
    vae = perturbed_keras_vae("relu")
    model = numpy_vae.from_keras(vae)
    x = np.random.default_rng(0).random((50, 28, 28, 1)).astype("float32")
    mean, log_var = model.predict(x, batch_size=16)
    keras_mean, keras_log_var = vae.encode(x)
    np.testing.assert_allclose(mean, keras_mean, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(log_var, keras_log_var, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(model.reconstruct(x), vae.reconstruct(x).reshape(50, 784), atol=1e-5)
    np.testing.assert_allclose(model.generate(20, seed=4), vae.sample(20, seed=4).reshape(20, 784), atol=1e-5)


def test_from_keras_rejects_models_it_does_not_mirror():
    with pytest.raises(ValueError, match="Received: encoder layers of types"):
        numpy_vae.from_keras(models.build_vae((8, 8, 1), 2, hidden_units=(8,), batch_norm=True))
    with pytest.raises(ValueError, match="Received: vae with likelihood"):
        numpy_vae.from_keras(models.build_vae((8, 8, 1), 2, hidden_units=(8,), likelihood="gaussian_fixed"))
    with pytest.raises(ValueError, match=r"Received: activation=\['elu'\]"):
        numpy_vae.from_keras(models.build_vae((8, 8, 1), 2, hidden_units=(8,), activation="elu"))
    with pytest.raises(ValueError, match="Received: vae with"):
        numpy_vae.to_keras(numpy_vae.NumpyVAE(64, 3, (8,)), models.build_vae((8, 8, 1), 2, hidden_units=(8,)))


# --------------------------------------------------------------------------
# Training
# --------------------------------------------------------------------------


def test_training_is_reproducible_and_reports_every_epoch():
    x = (np.random.default_rng(0).random((120, 12)) < 0.3).astype("float32")
    histories, weights = [], []
    for _ in range(2):
        model = numpy_vae.NumpyVAE(12, 2, (8,), seed=5)
        histories.append(model.train(x, 3, batch_size=50, seed=9, verbose=0, x_val=x[:20]))
        weights.append(model.get_weights())
    assert histories[0]["loss"] == histories[1]["loss"]
    assert sorted(histories[0]) == sorted(
        ["loss", "reconstruction", "kl", "seconds", "val_loss", "val_reconstruction", "val_kl"]
    )
    assert all(len(values) == 3 for values in histories[0].values())
    np.testing.assert_allclose(
        histories[0]["loss"], np.add(histories[0]["reconstruction"], histories[0]["kl"]), rtol=1e-12
    )
    # 3 epochs of ceil(120 / 50) = 3 steps; the step counter leads get_weights() as in Keras.
    assert weights[0][0] == 9 and model.optimizer.iterations == 9
    other = numpy_vae.NumpyVAE(12, 2, (8,), seed=5)
    assert other.train(x, 3, batch_size=50, seed=10, verbose=0)["loss"] != histories[0]["loss"]


def test_training_on_real_mnist_lowers_the_loss():
    if not SHARED_MNIST.is_file():
        pytest.skip(f"real MNIST not found at {SHARED_MNIST} (only on the project's own machines)")
    images, _ = data.load(f"npz:{SHARED_MNIST}", "train")
    x_train = preprocessing.binarize(images[:2000], seed=0)
    x_test = preprocessing.binarize(images[-1000:], seed=1)  # held out from x_train
    model = numpy_vae.NumpyVAE(784, 10, (64,), seed=0)
    before = model.elbo(x_test, seed=0).mean()
    history = model.train(x_train, 3, batch_size=100, learning_rate=1e-3, seed=0, verbose=0)
    after = model.elbo(x_test, seed=0).mean()
    assert history["loss"][0] > history["loss"][1] > history["loss"][2]
    # An untrained decoder scores about -784 log 2 = -543 nats; 60 steps reach about -237 (measured).
    assert before < -500 and after > -280, (before, after)


@requires_tensorflow
def test_compare_with_keras_returns_one_row_per_model_and_epoch():
    x = preprocessing.binarize(np.random.default_rng(0).random((200, 8, 8, 1)), seed=0)
    table, numpy_model, vae = numpy_vae.compare_with_keras(
        x[:150],
        x[150:],
        num_epochs=2,
        batch_size=50,
        hidden_units=(16,),
        latent_dim=2,
        blas_threads=1,
        return_models=True,
    )
    assert sorted(table) == ["epoch", "model", "seconds", "test_elbo", "train_loss"]
    # The returned models are the trained ones: they score the table's last test ELBOs.
    elbos = dict(zip(zip(table["model"], table["epoch"]), table["test_elbo"]))
    assert numpy_model.elbo(x[150:]).mean() == pytest.approx(elbos["numpy", 2], rel=1e-6)
    assert numpy_vae.from_keras(vae).elbo(x[150:]).mean() == pytest.approx(elbos["keras", 2], rel=1e-6)
    assert numpy_model.training_steps == int(keras.ops.convert_to_numpy(vae.training_steps)) == 6
    assert sorted(zip(table["model"], table["epoch"])) == [("keras", 1), ("keras", 2), ("numpy", 1), ("numpy", 2)]
    assert all(s > 0 for s in table["seconds"]) and np.all(np.isfinite(table["test_elbo"]))
    # Same initial weights and data: after one epoch the two losses agree closely.
    losses = dict(zip(zip(table["model"], table["epoch"]), table["train_loss"]))
    assert losses["numpy", 1] == pytest.approx(losses["keras", 1], rel=0.02)


def test_side_by_side_and_summary_of_a_comparison_table():
    table = {
        "model": ["keras", "numpy", "numpy", "keras", "keras", "numpy"],
        "epoch": [1, 1, 2, 2, 3, 3],
        "seconds": [9.0, 2.0, 1.0, 0.5, 0.7, 3.0],
        "train_loss": [0.0] * 6,
        "test_elbo": [-200.0, -210.0, -190.0, -180.0, -170.0, -175.0],
    }
    rows = numpy_vae.side_by_side(table)
    assert list(rows[0].items()) == [
        ("epoch", 1),
        ("numpy_seconds", 2.0),
        ("keras_seconds", 9.0),
        ("numpy_test_elbo", -210.0),
        ("keras_test_elbo", -200.0),
    ]
    assert [row["epoch"] for row in rows] == [1, 2, 3] and rows[2]["numpy_test_elbo"] == -175.0
    # Epoch 1 (Keras's tracing) is left out of the time per epoch; the ELBO is the last epoch's.
    assert numpy_vae.summarize_comparison(table) == {
        "numpy_seconds_per_epoch": 2.0,
        "numpy_test_elbo": -175.0,
        "keras_seconds_per_epoch": 0.6,
        "keras_test_elbo": -170.0,
        "keras_first_epoch_seconds": 9.0,
    }
    one_epoch = {key: values[:2] for key, values in table.items()}
    assert numpy_vae.summarize_comparison(one_epoch)["keras_seconds_per_epoch"] == 9.0
    with pytest.raises(ValueError, match="Received: no rows with model='keras'"):
        numpy_vae.summarize_comparison({key: values[1:3] for key, values in table.items()})


def test_limit_blas_threads_limits_and_restores_numpys_blas():
    threadpoolctl = pytest.importorskip("threadpoolctl")

    def blas_threads():
        return [pool["num_threads"] for pool in threadpoolctl.threadpool_info() if pool["user_api"] == "blas"]

    before = blas_threads()
    with numpy_vae.limit_blas_threads(1):
        assert blas_threads() and set(blas_threads()) == {1}
    assert blas_threads() == before
    for no_limit in (None, 0):
        with numpy_vae.limit_blas_threads(no_limit):
            assert blas_threads() == before
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="Received: blas_threads="):
            numpy_vae.limit_blas_threads(bad)


def test_the_module_imports_without_keras():
    code = "import sys, vae_keras.numpy_vae; sys.exit(int('keras' in sys.modules or 'tensorflow' in sys.modules))"
    assert subprocess.run([sys.executable, "-c", code], check=False).returncode == 0


# --------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "arguments, message",
    [
        (dict(latent_dim=0), "Received: latent_dim=0"),
        (dict(input_dim=-3), "Received: input_dim=-3"),
        (dict(hidden_units=(16, 0)), r"Received: hidden_units=\(16, 0\)"),
        (dict(hidden_units=16), "Received: hidden_units=16"),
        (dict(activation="sigmoid"), "Received: activation='sigmoid'"),
        (dict(dtype="float16"), "Received: dtype='float16'"),
    ],
)
def test_constructor_rejects_bad_arguments(arguments, message):
    settings = dict(input_dim=12, latent_dim=2, hidden_units=(4,), activation="relu") | arguments
    with pytest.raises(ValueError, match=message):
        numpy_vae.NumpyVAE(**settings)


def test_methods_reject_bad_data_naming_the_value():
    model = numpy_vae.NumpyVAE(12, 2, (4,))
    x = np.full((3, 12), 0.5, "float32")
    with pytest.raises(ValueError, match="Received: x with min=0.5 and max=1.5"):
        model.loss_and_gradients(np.concatenate([x, x + 1.0]), np.zeros((6, 2)))
    with pytest.raises(ValueError, match="max=nan"):
        model.elbo(np.full((3, 12), np.nan))
    with pytest.raises(ValueError, match=r"Received: x.shape=\(3, 11\)"):
        model.predict(x[:, :11])
    with pytest.raises(ValueError, match=r"Received: epsilon.shape=\(3, 3\)"):
        model.loss_and_gradients(x, np.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"Received: z.shape=\(3,\)"):
        model.decode(np.zeros(3))
    with pytest.raises(ValueError, match="Received: num_epochs=0"):
        model.train(x, 0)
    with pytest.raises(ValueError, match="Received: batch_size=0"):
        model.train(x, 1, batch_size=0)
    with pytest.raises(ValueError, match="Received: learning_rate=-0.1"):
        model.train(x, 1, learning_rate=-0.1)
    with pytest.raises(ValueError, match=r"Received: x_val.shape=\(3, 4\)"):
        model.train(x, 1, x_val=np.zeros((3, 4)))
    with pytest.raises(ValueError, match="Received: weights with shapes"):
        model.set_weights(model.get_weights()[1:])
