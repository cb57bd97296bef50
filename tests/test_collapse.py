"""The collapse analysis: a VAE against the factorised Gaussian in its own input space (studies.collapse)."""

import types

import numpy as np
import pytest
from scipy import stats

from vae_keras.studies import collapse


def test_the_gaussian_baseline_is_the_sum_of_per_value_normal_log_densities():
    rng = np.random.default_rng(0)
    train = rng.normal([1.0, -2.0, 0.5], [0.5, 2.0, 0.1], size=(500, 3))
    test = rng.normal(size=(7, 3))
    expected = stats.norm(train.mean(axis=0), train.std(axis=0)).logpdf(test).sum(axis=1)
    np.testing.assert_allclose(collapse.gaussian_log_density(train, test), expected, rtol=1e-10)


def test_the_gaussian_baseline_refuses_mismatched_or_constant_inputs():
    with pytest.raises(ValueError, match=r"same size. Received: 3 and 2 values"):
        collapse.gaussian_log_density(np.ones((4, 3)), np.ones((2, 2)))
    train = np.random.default_rng(0).normal(size=(10, 3))
    train[:, 1] = 0.5
    with pytest.raises(ValueError, match=r"Received: 1 constant values"):
        collapse.gaussian_log_density(train, train)


class _Prepared:
    """The part of PreparedData the analysis reads: splits and model_inputs (here, pixels as floats)."""

    def __init__(self, train, test):
        self.train, self.test = (train, None), (test, None)

    def model_inputs(self, images, seed=0):
        return np.asarray(images, dtype="float32")


def _variant(train, test):
    return types.SimpleNamespace(prepared=_Prepared(train, test), vae=object())


@pytest.mark.parametrize(
    ("offset", "earns"),
    [(0.0, False), (0.9, False), (1.5, True)],
    ids=["same-as-gaussian", "below-one-nat", "clear-gain"],
)
def test_the_code_earns_its_keep_only_beyond_one_nat_and_the_noise(monkeypatch, offset, earns):
    rng = np.random.default_rng(1)
    train, test = rng.normal(size=(400, 4)), rng.normal(size=(50, 4))
    variant = _variant(train, test)
    baseline = collapse.gaussian_baseline(variant)
    # A fake VAE whose log p(x) is the Gaussian's plus `offset` and a little per-image noise.
    noise = rng.normal(0, 0.2, size=len(test))

    def fake_log_likelihood(vae, x, num_samples, seed, verbose):
        np.testing.assert_array_equal(x, test.astype("float32"))
        return {"log_px": baseline + offset + noise, "kl": np.full(len(x), 3.0)}

    monkeypatch.setattr(collapse.evaluate, "log_likelihood", fake_log_likelihood)
    result = collapse.code_gain(variant, num_samples=10)
    assert result["gain"] == pytest.approx(offset + noise.mean())
    assert result["gain_stderr"] == pytest.approx(noise.std(ddof=1) / np.sqrt(50))
    assert result["code_earns"] is earns
    assert result["kl"] == 3.0 and result["num_examples"] == 50


def test_a_gain_above_one_nat_but_inside_the_noise_does_not_count(monkeypatch):
    rng = np.random.default_rng(2)
    train, test = rng.normal(size=(400, 2)), rng.normal(size=(8, 2))
    variant = _variant(train, test)
    baseline = collapse.gaussian_baseline(variant)
    spread = np.array([-20.0, 25.0, -15.0, 30.0, -18.0, 22.0, -10.0, 0.0])  # mean 1.75, very noisy
    monkeypatch.setattr(
        collapse.evaluate,
        "log_likelihood",
        lambda vae, x, num_samples, seed, verbose: {"log_px": baseline + spread, "kl": np.zeros(len(x))},
    )
    result = collapse.code_gain(variant, num_samples=10)
    assert result["gain"] == pytest.approx(1.75) and result["code_earns"] is False


def test_the_evaluated_test_subset_is_the_one_evaluate_variant_uses():
    rng = np.random.default_rng(3)
    train, test = rng.normal(size=(100, 2)), rng.normal(size=(30, 2))
    variant = _variant(train, test)
    subset = collapse.evaluate.random_subset(30, 10, 5)
    np.testing.assert_allclose(
        collapse.gaussian_baseline(variant, max_examples=10, seed=5),
        collapse.gaussian_log_density(train.astype("float32"), test[subset].astype("float32")),
    )


def test_the_finding_names_which_models_beat_the_gaussian():
    rows = [
        {"variant": "PCA, MLP", "code_earns": False, "gain": 0.5, "gain_stderr": 0.4, "num_examples": 183},
        {"variant": "pixels, MLP", "code_earns": True, "gain": 40.0, "gain_stderr": 3.0, "num_examples": 183},
        {"variant": "recipe", "code_earns": False, "gain": -9.0, "gain_stderr": 4.0, "num_examples": 183},
    ]
    text = collapse.collapse_finding(rows)
    assert text.startswith("On 183 test images, one seed per model: recipe: worse than the factorised Gaussian")
    assert "; PCA, MLP: no better than that Gaussian" in text
    assert "pixels, MLP: the code buys likelihood" in text


def test_learned_problem_reads_the_ledger_gate():
    variant = types.SimpleNamespace(name="recipe", row={"pixel_mse": 0.05, "mean_image_mse": 0.05, "test_kl": 3.0})
    assert collapse.learned_problem(variant).startswith("recipe reconstructs no better than the mean image")
    variant.row = {"pixel_mse": 0.01, "mean_image_mse": 0.05, "test_kl": 3.0}
    assert collapse.learned_problem(variant) is None
    assert collapse.collapse_finding([]).startswith("No model completed")


def test_a_trained_vae_on_structured_data_beats_the_gaussian_and_one_on_gaussian_data_does_not():
    """End to end on real training: two well-separated clusters need z; Gaussian noise does not."""
    import keras

    from vae_keras import models

    rng = np.random.default_rng(0)
    centres = rng.choice([-3.0, 3.0], size=(1200, 1)) * np.ones((1, 6))
    clustered = (centres + rng.normal(0, 0.3, size=(1200, 6))).astype("float32")
    gaussian = rng.normal(size=(1200, 6)).astype("float32")
    gains = {}
    for name, x in {"clustered": clustered, "gaussian": gaussian}.items():
        keras.utils.set_random_seed(0)
        vae = models.build_vae(
            (6,), 2, likelihood="gaussian_fitted", hidden_units=(32,), likelihood_options={"variance_floor": 1e-4}
        )
        vae.compile(optimizer=keras.optimizers.Adam(3e-3))
        vae.fit(x[:1000], epochs=40, batch_size=100, verbose=0)
        variant = _variant(x[:1000], x[1000:])
        variant.vae = vae
        gains[name] = collapse.code_gain(variant, num_samples=50)
    assert gains["clustered"]["code_earns"] and gains["clustered"]["gain"] > 3
    assert not gains["gaussian"]["code_earns"]
