"""The study helpers that keep a notebook cell a few lines: starting a page, comparing variants, the words.

Variants here are ``studies.Variant`` objects with made-up rows and histories: the helpers read nothing else.
"""

import json

import numpy as np

from vae_keras import studies


def _variant(name, seed_values=None, history=None, model=True, **row):
    """A ``Variant`` whose row is ``row`` and whose completed seeds hold ``seed_values`` (``{metric: [...]}``)."""
    seed_values = seed_values or {}
    count = max((len(v) for v in seed_values.values()), default=1)
    seed_rows = [
        {"seed": i, "status": "completed", **{metric: values[i] for metric, values in seed_values.items()}}
        for i in range(count)
    ]
    state = {"history": history or []}
    return studies.Variant(
        name, None, object() if model else None, None, state, {"status": "completed", **row}, seed_rows
    )


def test_begin_seeds_opens_the_output_and_records_the_banner(tmp_path):
    output = studies.begin("02_fixed_vs_fitted_variance", tmp_path, "digits", "smoke", 3, "2 epochs", "svhn")
    first = np.random.rand()
    studies.begin("02_fixed_vs_fitted_variance", tmp_path, "digits", "smoke", 3, "2 epochs", "svhn")
    assert np.random.rand() == first  # seeded the same way both times
    saved = json.loads((tmp_path / "results" / "02_fixed_vs_fitted_variance.json").read_text())
    assert saved["banner"]["budget"] == "2 epochs" and saved["banner"]["stand_in_for"] == "svhn"
    assert output.notebook == "02_fixed_vs_fitted_variance" and output.profile == "smoke"


def test_the_fitted_mlp_config_is_the_shared_model_with_the_settings_on_top():
    config = studies.fitted_mlp_config("digits", 64, 5, num_epochs=2, input_space="pca", pca_components=10)
    assert (config.architecture, list(config.hidden_units), config.latent_dim) == ("mlp", [64, 64], 5)
    assert config.likelihood == "gaussian_fitted" and config.num_epochs == 2 and config.input_space == "pca"
    assert studies.fitted_mlp_config("digits", 64, 5, likelihood="gaussian_fixed").likelihood == "gaussian_fixed"
    # the same settings through base_config give the same training (notebooks 02-04 reuse their runs)
    same = studies.base_config(
        dataset="digits",
        architecture="mlp",
        hidden_units=[64, 64],
        latent_dim=5,
        likelihood="gaussian_fitted",
        num_epochs=2,
        input_space="pca",
        pca_components=10,
    )
    assert config.to_dict() == same.to_dict()


def test_completed_ranked_and_best_named():
    variants = {
        "fixed a": _variant("fixed a", bits=3.0),
        "fixed b": _variant("fixed b", bits=2.0),
        "fitted": _variant("fitted", bits=2.5),
        "diverged": _variant("diverged", model=False),
        "unmeasured": _variant("unmeasured", bits=None),
    }
    assert list(studies.completed(variants)) == ["fixed a", "fixed b", "fitted", "unmeasured"]
    assert studies.ranked(variants, "bits") == ["fixed b", "fitted", "fixed a"]  # lowest first, None left out
    assert studies.ranked(variants, "bits", higher_is_better=True) == ["fixed a", "fitted", "fixed b"]
    assert studies.best_named(variants, "fixed", "bits") == "fixed b"
    assert studies.best_named(variants, "fitted", "bits") == "fitted"
    assert studies.best_named(variants, "shared", "bits") is None


def test_ranking_text_gives_mean_and_spread_over_seeds():
    variants = {"a": _variant("a", {"mse": [1.0, 3.0]}), "b": _variant("b", {"mse": [0.5]})}
    text = studies.ranking_text(variants, ["b", "a"], "mse", "Pixel MSE, lowest first", ".2f")
    assert text == "Pixel MSE, lowest first: **b** 0.50; **a** 2.00 ± 1.41."


def test_training_curves_keep_order_and_leave_out_empty_curves():
    history = [{"nelbo": 3.0, "val_nelbo": 2.0}, {"nelbo": 2.0, "val_nelbo": 1.5}]
    curves = studies.training_curves({"first": _variant("first", history=history), "empty": _variant("empty")})
    assert list(curves) == ["first (train)", "first (validation)"]
    np.testing.assert_array_equal(curves["first (validation)"], [2.0, 1.5])
    figure = studies.epoch_curves(curves, "negative ELBO", "A title")
    lines = figure.axes[0].get_lines()
    assert [list(line.get_xdata()) for line in lines] == [[1, 2], [1, 2]] and figure.axes[0].get_title() == "A title"


def test_a_table_can_leave_out_the_columns_no_row_has():
    rows = [{"variant": "a", "test_elbo": 1.0}, {"variant": "b"}]
    assert studies.Table(rows, columns=["variant", "bits", "test_elbo"], only_present=True).columns == [
        "variant",
        "test_elbo",
    ]
    assert studies.Table(rows, columns=["variant", "bits"]).columns == ["variant", "bits"]


def test_the_variance_page_in_words():
    assert studies.uniform_note(7.9) == "" and studies.uniform_note(None) == ""
    assert "no better than a uniform model" in studies.uniform_note(8.0)
    flat = np.full((2, 4, 4), 0.1)
    assert "nearly uniform" in studies.predicted_std_text(np.zeros((2, 4, 4)), flat * np.linspace(1, 1.2, 4))
    edges = np.zeros((1, 8, 8))
    edges[:, :, 4:] = 1.0  # one vertical edge between columns 3 and 4
    std = np.full((1, 8, 8), 0.01)
    std[:, :, 3:5] = 0.2  # largest on the edge
    assert "(higher on edges)" in studies.predicted_std_text(edges, std)
    assert "(lower on edges)" in studies.predicted_std_text(edges, 0.21 - std)


def test_the_floor_run_in_words():
    history = [{"nelbo": 5.0, "val_nelbo": 4.0}, {"nelbo": 4.0, "val_nelbo": 3.0}]
    finished = _variant("floor", history=history, epochs=2, test_elbo=-12.34)
    text = studies.floor_run_text(finished, 1e-9, 100)
    assert text.startswith("The 1e-09 floor finished all 2 epochs (200 training examples)") and "-12.3 nats" in text
    assert "at its best at the last epoch" in text
    stopped = _variant("floor", epochs=1, error="loss is NaN at batch 3")
    stopped.row["status"] = "diverged"
    assert studies.floor_run_text(stopped, 1e-9, 100) == (
        "The 1e-09 floor stopped after 1 completed epoch: loss is NaN at batch 3"
    )
