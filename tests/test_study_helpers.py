"""The study helpers that keep a notebook cell a few lines: starting a page, comparing variants, the words.

Variants here are ``studies.Variant`` objects with made-up rows and histories: the helpers read nothing else.
"""

import json

import numpy as np
import pytest

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


def test_collapsed_models_are_those_below_the_ledgers_kl_floor():
    variants = {
        "used": _variant("used", {"test_kl": [3.0, 4.0]}, test_kl=3.5, test_elbo=-10.0),
        "one seed gave up": _variant("one seed gave up", {"test_kl": [0.2, 1.6]}, test_kl=0.9),
        "gave up": _variant("gave up", {"test_kl": [0.1, 0.3], "test_elbo": [-20.0, -22.0]}, test_kl=0.2),
    }
    assert studies.collapsed(variants) == ["one seed gave up", "gave up"]  # on average
    assert studies.collapsed(variants, every_seed=True) == ["gave up"]
    assert studies.collapsed_text(variants, []) == ""
    assert studies.collapsed_text(variants, ["gave up"]) == (
        " This model stores almost nothing in z (KL below 1 nat), so the reconstructions are one average image: "
        "gave up (0.20 nats)."
    )
    text = studies.unit_normal_text(variants, ["gave up"], 10)
    assert "**gave up** -21.0 ± 1.4 nats" in text and f"scores {-10 * 0.5 * np.log(2 * np.pi * np.e):.1f}" in text
    assert studies.unit_normal_text(variants, [], 10) == ""


def test_run_outcome_and_images_per_second():
    assert studies.run_outcome(_variant("a", test_elbo=-90.06)) == "test ELBO -90.1 nats"
    diverged = _variant("b", epochs=3)
    diverged.row["status"] = "diverged"
    assert studies.run_outcome(diverged) == "diverged after 3 epochs (no test ELBO)"
    timed = _variant("batch 10", history=[{"seconds": 9.0}, {"seconds": 1.0}, {"seconds": 2.0}])
    timings = studies.timed_epochs({"batch 10": timed, "gone": _variant("gone", model=False)})
    assert list(timings) == ["batch 10"] and list(timings["batch 10"]) == [1.0, 2.0]  # the first epoch compiles
    rows = studies.images_per_second([{"variant": "batch 10"}, {"variant": "gone"}], timings, 100)
    assert rows == [{"variant": "batch 10", "images_per_second": 75.0}, {"variant": "gone", "images_per_second": None}]


class _Prepared:
    """The two things the recipe's words read of a run's data: its training images."""

    def __init__(self, train_images):
        self.train = (train_images, None)


def test_the_recipe_in_words():
    history = [{"val_nelbo": 30.0}, {"val_nelbo": 28.5}]
    learned = _variant("recipe", history=history, epochs=2, examples_seen=2000, test_kl=4.0)
    assert studies.validation_text(learned) == (
        "After 2 epochs (2,000 training examples) the validation negative ELBO is 28.5 nats, still falling (by "
        "1.50 in the last epoch); the test KL is 4.0 nats per image."
    )
    idle = _variant("recipe", history=history[::-1], epochs=2, examples_seen=2000, test_kl=0.1)
    assert "no longer falling (it rose by 1.50" in studies.validation_text(idle)
    assert "below 1 nat: the model ignores z" in studies.validation_text(idle)
    assert studies.validation_text(_variant("recipe", history=history[:1])) == ""
    images = np.zeros((4, 2, 2, 1), dtype=np.uint8)
    images[:2] = 255  # the average image is 0.5 everywhere: its squared error on these images is 0.25
    run = _variant("recipe", test_kl=2.0, pixel_mse=0.25)
    run.prepared = _Prepared(images)
    text = studies.reconstruction_text(run, images, num_epochs=10)
    assert "0.2500 per pixel, against 0.2500" in text and "(100% of it)" in text and "no better than" in text
    assert "This run trained 10 epochs; the write-up trained up to 1000." in text
    run.row["pixel_mse"] = 0.05
    assert "closer to each image than the average is" in studies.reconstruction_text(run, images, 10)
    assert studies.sample_spread_text(np.ones((5, 2, 2)), images).startswith(
        "The samples differ from each other by 0.000 (mean per-pixel standard deviation across the 5 samples"
    )


def test_the_showcase_is_the_first_model_that_learned(monkeypatch):
    candidates = {"recipe": _variant("recipe"), "ours": _variant("ours"), "also": _variant("also")}
    problems = {"recipe": "KL 0.1", "ours": None, "also": None}
    monkeypatch.setattr(studies.recipe, "showcase_problem", lambda run, images, seed: problems[run.name])
    assert studies.showcase(candidates, None) == ("ours", True)
    assert studies.showcase_text("KL 0.1", "ours", True) == (
        " The recipe cannot make this page's figures (KL 0.1). The figures below use **ours**."
    )
    problems.update(ours="KL 0.2", also="KL 0.3")
    assert studies.showcase(candidates, None) == ("recipe", False)
    assert (
        studies.showcase_text(None, "recipe", False)
        == " The figures below use **recipe**, although no model is fit for them."
    )
    assert "carry no style" in studies.conditional_text(_variant("c", epochs=5, test_kl=0.5))
    assert studies.conditional_text(_variant("c", epochs=1, test_kl=2.0)) == (
        "The conditional VAE trained 1 epoch; its test KL is 2.0 nats."
    )


def test_paired_evidence_names_each_runs_values_and_kl():
    runs = {
        "conv": _variant("c", {"pixel_mse": [0.1, 0.2], "test_kl": [3.0, 4.0]}),
        "mlp": _variant("m", {"pixel_mse": [0.3], "test_kl": [2.0]}),
    }
    assert studies.paired_evidence(runs) == {"conv": [0.1, 0.2], "conv_kl": [3.0, 4.0], "mlp": [0.3], "mlp_kl": [2.0]}


class _Config:
    def __init__(self, latent_dim):
        self.latent_dim = latent_dim


def _latent_grid(rows):
    """A 2 (latent sizes) x 2 (decoders) x 1 (encoder) ``Grid`` with runs whose rows are ``rows[name]``; a name
    missing from ``rows`` did not complete."""
    axes = {
        "latent_size": {2: {"latent_dim": 2}, 20: {"latent_dim": 20}},
        "decoder": {"bernoulli": {"likelihood": "bernoulli"}, "gaussian": {"likelihood": "gaussian_fitted"}},
        "encoder": {"mlp": {"architecture": "mlp"}},
    }
    grid = studies.Grid(axes, "z={latent_size} {decoder} {encoder}")
    trained = {}
    for name, changes in grid.variants().items():
        row = rows.get(name)
        seeds = {"test_log_px": [row["test_log_px"]], "test_kl": [row["test_kl"]]} if row else {}
        trained[name] = _variant(name, seeds, model=row is not None, **(row or {"status": "diverged", "epochs": 1}))
        trained[name].config = _Config(changes["latent_dim"])
    return grid.attach(trained), trained


def _row(log_px, kl, mse):
    return {"test_log_px": log_px, "test_kl": kl, "pixel_mse": mse, "mean_image_mse": 0.1, "epochs": 2}


def test_a_grid_names_its_variants_from_their_settings_and_looks_them_up_by_them():
    grid, trained = _latent_grid(
        {
            "z=2 bernoulli mlp": _row(-100.0, 5.0, 0.05),
            "z=20 bernoulli mlp": _row(-90.0, 0.5, 0.04),
            "z=2 gaussian mlp": _row(800.0, 3.0, 0.06),
        }
    )
    assert list(grid.variants()) == ["z=2 bernoulli mlp", "z=2 gaussian mlp", "z=20 bernoulli mlp", "z=20 gaussian mlp"]
    assert grid.variants()["z=20 gaussian mlp"] == {
        "latent_dim": 20,
        "likelihood": "gaussian_fitted",
        "architecture": "mlp",
    }
    assert grid.run(latent_size=2, decoder="bernoulli", encoder="mlp") is trained["z=2 bernoulli mlp"]
    assert grid.run(latent_size=20, decoder="gaussian", encoder="mlp") is None  # did not complete
    assert grid.run(latent_size=5, decoder="gaussian", encoder="mlp") is None  # not in the grid
    with pytest.raises(ValueError, match="every axis"):
        grid.run(latent_size=2)
    assert grid.lines("latent_size") == [
        ("bernoulli mlp", {"decoder": "bernoulli", "encoder": "mlp"}),
        ("gaussian mlp", {"decoder": "gaussian", "encoder": "mlp"}),
    ]
    series = grid.series("pixel_mse", "latent_size", decoder="gaussian", encoder="mlp")
    assert series[0] == 0.06 and np.isnan(series[1])
    assert list(grid.select("z={latent_size} {decoder}", encoder="mlp")) == [
        "z=2 bernoulli",
        "z=2 gaussian",
        "z=20 bernoulli",
    ]  # grid order: the latent size first, as the reconstructions figure shows them
    assert studies.best_by_line(grid) == {"bernoulli mlp": "z=20 bernoulli mlp", "gaussian mlp": "z=2 gaussian mlp"}


def test_the_latent_grid_in_words_and_evidence():
    grid, trained = _latent_grid(
        {
            "z=2 bernoulli mlp": _row(-100.0, 5.0, 0.05),
            "z=20 bernoulli mlp": _row(-90.0, 0.5, 0.04),
            "z=2 gaussian mlp": _row(800.0, 3.0, 0.06),
        }
    )
    completed = studies.completed(trained)
    assert studies.unfinished_text(trained, completed, 2, 1) == (
        "1 of 4 models did not finish (every seed diverged) and are left out below: **z=20 gaussian mlp** "
        "(diverged after 1 epoch)."
    )
    assert (
        studies.unfinished_text(completed, completed, 2, 3)
        == "All 3 models finished their 2 epochs with every seed (3)."
    )
    ranking = studies.log_px_ranking_text(grid)
    assert "* **bernoulli mlp**: z=20 -90.00; z=2 -100.00 (best z=20 against z=2: gap +10.00" in ranking
    assert "* **gaussian mlp**: z=2 800.00." in ranking
    collapsed = studies.collapsed_seeds(completed)
    assert collapsed == {"z=20 bernoulli mlp": [(0, 0.5)]}
    assert "in 1 of 3 finished models: **z=20 bernoulli mlp** 0.50 nats." in studies.collapsed_seeds_text(
        collapsed, completed, 1
    )
    assert "the lowest is 3.00 nats, z=2 gaussian mlp" in studies.collapsed_seeds_text(
        {}, {"z=2 gaussian mlp": completed["z=2 gaussian mlp"]}, 1
    )
    evidence = studies.family_evidence(grid)
    assert evidence["bernoulli mlp"] == {
        "latent_sizes": [2, 20],
        "pixel_mse": [0.05, 0.04],
        "kl": [5.0, 0.5],
        "mean_image_mse": 0.1,
    }
    assert evidence["gaussian mlp"]["latent_sizes"] == [2]
    assert studies.family_mse_text(evidence).startswith(
        "Pixel MSE by latent size (mean over seeds): **bernoulli mlp** z=2 0.0500, z=20 0.0400;"
    )
    pairs, text = studies.decoder_pairs(grid, encoder="mlp")
    assert pairs["latent_sizes"] == [2] and pairs["bernoulli_mse"] == [0.05] and pairs["gaussian_kl"] == [3.0]
    assert text == "Pixel MSE, Bernoulli against Gaussian (MLP encoder): z=2 0.0500 vs 0.0600 (KL 5.0 vs 3.0 nats)."
    empty, text = studies.decoder_pairs(grid, encoder="conv")
    assert empty["latent_sizes"] == [] and empty["mean_image_mse"] is None and text.startswith("No latent size")


def test_the_kingma_welling_table_and_the_evidence_of_its_claims():
    from vae_keras.writeup import claims

    reference = studies.kingma_welling_reference()
    assert list(reference) == [run for run, *_ in claims.KINGMA_WELLING_ROWS.values()]
    assert reference["z=20"] == {
        "train": 94.25,
        "test": 96.1,
        "examples": 15_000_000,
        "protocol": "continuous targets, cross-entropy",
    }
    rows = [{"run": run, "our train": i + 100.0, "our test": i + 101.0} for i, run in enumerate(reference)]
    rows[-1] = {"run": rows[-1]["run"], "status": "diverged"}  # no numbers for the last run
    trained = {run: _variant(run, examples_seen=1000 * (i + 1)) for i, run in enumerate(reference)}
    evidence = studies.kingma_welling_evidence(rows, trained)
    assert list(evidence) == [*claims.KINGMA_WELLING_ROWS, "kw_paper_z3", "kw_elu_less_overfitting", "kw_z2_overfit"]
    assert (
        evidence["kw_adagrad"]
        == evidence["kw_paper_z3"]
        == {
            "ours_test": 101.0,
            "ours_train": 100.0,
            "examples_seen": 1000,
        }
    )
    assert evidence["kw_elu_less_overfitting"] == {
        "relu_train": 101.0,
        "relu_test": 102.0,
        "elu_train": 102.0,
        "elu_test": 103.0,
    }
    after = evidence["kw_z2_overfit"]
    assert after["before_test"] == 106.0 and np.isnan(after["after_test"]) and np.isnan(after["after_train"])
    assert evidence["kw_z2_more"]["ours_test"] is None  # a run without numbers: the ledger says inconclusive
    for claim_id, claim_evidence in evidence.items():  # every rule reads the evidence it is given
        assert claims.judge(claim_id, **claim_evidence).verdict in claims.VERDICTS


def test_the_runs_settings_and_the_rows_within_the_ledgers_tolerance():
    trained = {"a": _variant("a", test_kl=3.0)}
    trained["a"].config = type("Config", (), {"activation": "elu"})()
    assert studies.with_run_settings([{"run": "a", "our test": 1.0}], trained) == [
        {"run": "a", "our test": 1.0, "activation": "elu", "test KL": 3.0}
    ]
    rows = [{"test difference": 2.9}, {"test difference": -3.5}, {"status": "diverged"}, {"test difference": -1.0}]
    assert studies.within_tolerance(rows) == (2, 3.0)


def test_the_manifold_distances_in_words():
    nearest = np.full(400, 0.1)
    nearest[200:] = 0.3
    nearest[390] = 0.9
    distances = {"nearest": nearest, "real_distance": 0.12, "num_reference": 1000}
    assert studies.manifold_distance_text(distances, kl=4.5, kl_images=64) == (
        "Distances were measured against 1,000 random training images. The z=2 model's test KL is 4.50 nats (on "
        "64 test images). Mean distance to the nearest training image: top half 0.1000, bottom half 0.3030, real "
        "test images 0.1200; the most distant tile is in row 20 of 20."
    )


def test_claim_lines_quote_the_reasons_asked_for_and_name_the_claims_not_decided(tmp_path):
    output = studies.Output(tmp_path, "04_implementation_notes")
    output.undecided("big_batch_faster", "only one batch size was run")
    lines = output.claim_lines(with_reasons=["big_batch_faster"])
    assert lines == [lines[0]] and lines[0].endswith("**inconclusive**: only one batch size was run.")
    assert output.claim_lines()[0].endswith("**inconclusive**.")
    from vae_keras.writeup import claims

    expected = [c.statement for c in claims.for_notebook("04_implementation_notes") if c.id != "big_batch_faster"]
    assert output.undecided_statements() == expected and expected


def test_the_from_scratch_checks_in_words():
    passing = {"W1": 1e-8, "b1": 0.0}
    assert studies.over_tolerance({"W1": 1e-8, "W2": 2e-3, "b": float("nan")}, 1e-5) == ["W2", "b"]
    assert studies.gradient_check_text(passing, 1e-5).startswith(
        "Every checked entry of all 2 weight arrays agrees with central differences to a relative error of at "
        "most 1e-08, below the tolerance of 1e-05"
    )
    assert "(W2: 0.002)" in studies.gradient_check_text({"W1": 1e-8, "W2": 2e-3}, 1e-5)
    assert studies.gradient_line(passing, 1e-5).startswith("* the hand-written gradient matches")
    assert studies.gradient_line({"W2": 2e-3}, 1e-5) == (
        "* the hand-written gradient **fails** the finite-difference check: 1 of 1 arrays reach a relative error "
        "of at least 1e-05 (largest 0.002, float64);"
    )
    comparison = {
        "numpy_loss": 10.0,
        "keras_loss": 10.0,
        "loss_difference": 0.0,
        "gradients": {"W1": {"max_relative_difference": 2e-7}, "W2": {"max_relative_difference": 0.5}},
    }
    assert studies.keras_differences(comparison) == {"W1": 2e-7, "W2": 0.5}
    assert "do **not** agree with TensorFlow's in 1 of 2 arrays" in studies.keras_check_text(comparison, 1e-4)
    assert studies.keras_line(comparison, 1e-4, "tensorflow").startswith("* the hand-written gradient **differs**")
    assert studies.keras_line(None, 1e-4, "jax") == (
        "* the comparison with TensorFlow's gradients was skipped (Keras backend jax);"
    )
    assert studies.keras_gradient_rows(comparison)[1] == {"weight": "W2", "max_relative_difference": 0.5}
    summary = {
        "numpy_test_elbo": -90.0,
        "keras_test_elbo": -91.0,
        "numpy_seconds_per_epoch": 2.0,
        "keras_seconds_per_epoch": 4.0,
        "keras_first_epoch_seconds": 9.0,
    }
    elbo, timing = studies.training_lines(summary, num_epochs=3)
    assert "the NumPy model is higher by 1.00 nats" in elbo
    assert "(median over epochs 2 and later)" in timing and timing.endswith("Keras takes 2.00 times as long as NumPy;")


def test_the_benchmark_beside_the_published_numbers():
    row = {"test_log_px": -90.0, "test_elbo": -95.0, "test_kl": 20.0, "epochs": 3, "seconds_per_epoch": 1.5}
    assert studies.result_row("VAE", row) == {
        "model": "VAE",
        "epochs": 3,
        "test -log p(x)": 90.0,
        "test -ELBO": 95.0,
        "gap (-ELBO minus -log p(x))": 5.0,
        "test KL": 20.0,
        "seconds per epoch": 1.5,
    }
    assert list(studies.result_row("IWAE", row, "k=5"))[:3] == ["model", "train bound", "epochs"]
    assert studies.last_tenth_gain([5.0]) == 0.0
    assert studies.last_tenth_gain([10.0, 8.0, 7.0, 6.5]) == pytest.approx(0.5)  # one epoch back, at least
    protocol = [{"setting": "epochs", "same": "no"}, {"setting": "model", "same": "yes"}]
    text = studies.benchmark_text(90.0, 95.0, 3, 100, 500, protocol, [10.0, 8.0])
    assert "+3.24 from Burda et al.'s VAE (86.76)" in text and "+0.22 from Pythae's VAE (89.78)" in text
    assert "departs from theirs in 1 of 2 settings (epochs), so the comparison with 86.76 is indicative" in text
    assert text.endswith("Over the last tenth of training the training negative ELBO fell by 2.00 nats.")
    other = studies.benchmark_text(90.0, 95.0, 3, 100, 500, protocol[1:], [8.0, 9.0], other_data="npz:x.npz")
    assert "86.76" not in other and "on `npz:x.npz`: the published numbers are about other data" in other
    assert "matches theirs in every setting listed" in other and "rose by 1.00 nats" in other
