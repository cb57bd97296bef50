"""Study helpers that notebooks call: tables, grids, budgets, spikes."""

import json
import os

import numpy as np
import pytest
from scipy.stats import norm

from vae_keras import studies


def test_table_renders_html_and_text_with_missing_values():
    table = studies.Table(
        [{"variant": "a", "test_elbo": -90.123456, "epochs": 12000}, {"variant": "<b>", "bits": None}]
    )
    html = table._repr_html_()
    assert "<th>variant</th><th>test ELBO (nats)</th><th>epochs</th><th>bits</th>" in html
    assert "-90.12" in html and "12,000" in html and "n/a" in html and "&lt;b&gt;" in html
    assert "-90.12" in repr(table)


def test_table_headers_are_words_not_keys():
    assert studies.column_header("test_kl_sd") == "test KL (nats), sd over seeds"
    assert studies.column_header("bits_per_dim") == "bits/dim"
    assert studies.column_header("some_new_metric") == "some new metric"
    html = studies.Table([{"gaussian_log_px": 1.0, "code_earns": True}])._repr_html_()
    assert "<th>factorised Gaussian log p(x) (nats)</th><th>the code earns its KL</th>" in html
    assert "_" not in html.split("<tbody>")[0]


def test_fmt_marks_undefined_metrics():
    assert studies.fmt(None, ".3f") == "n/a" and studies.fmt(1.23456, ".2f") == "1.23"


def test_latent_grid_spacings():
    grid = studies.latent_grid(9, spacing="inverse_cdf")
    np.testing.assert_allclose(norm.cdf(grid), np.arange(1, 10) / 10)  # equal probability steps
    np.testing.assert_allclose(studies.latent_grid(5, spacing="linear", limit=5.0), [-5, -2.5, 0, 2.5, 5])
    with pytest.raises(ValueError, match="spacing='log'.*inverse_cdf, linear"):
        studies.latent_grid(5, spacing="log")


def test_the_continuous_entropy_floor_is_the_summed_binary_entropy_of_the_grey_levels():
    black_and_white = np.array([[0, 255, 255, 0]], dtype=np.uint8)
    assert studies.continuous_entropy_floor(black_and_white) == 0.0  # binary targets: no floor
    half = np.full((2, 4), 128, dtype=np.uint8)
    assert studies.continuous_entropy_floor(half, scale=256.0) == pytest.approx(4 * np.log(2))  # 0.5: ln 2 each
    # Dividing by 256 keeps white below 1, so white pixels add to the floor.
    assert studies.continuous_entropy_floor(black_and_white, scale=256.0) == pytest.approx(
        2 * -(255 / 256 * np.log(255 / 256) + 1 / 256 * np.log(1 / 256))
    )
    with pytest.raises(ValueError, match=r"`images` must be uint8 grey levels \(0-255\). Received: dtype=float32"):
        studies.continuous_entropy_floor(half.astype(np.float32))
    with pytest.raises(ValueError, match=r"Received: scale=100. Accepted: 255.0, 256.0"):
        studies.continuous_entropy_floor(half, scale=100)


def _kw_row(test_difference, train_difference, share=1.0):
    return {"our test": 140.0, "test difference": test_difference, "train difference": train_difference,
            "our examples": share * 12_000_000, "their examples": 12_000_000}  # fmt: skip


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([_kw_row(-9.0, -8.0, share=0.5), {"status": "diverged"}], "No row trained on at least 90%"),
        ([_kw_row(-3.5, -3.0)], "That is within what the scaling of the grey levels (+1.30) and the 3-nat"),
        (
            [_kw_row(-9.0, -8.0), _kw_row(-10.0, -9.0), _kw_row(-30.0, -30.0, share=0.5)],
            "by -9.50 nats on average and our training numbers by -8.50. The scaling of the grey levels can account "
            "for about 1.3 nats of that, not all of it; the training images show a gap of the same sign",
        ),
        ([_kw_row(9.0, 1.0)], "cannot explain a gap in this direction; the training numbers are closer, so most"),
        ([_kw_row(9.0, -6.0)], "cannot explain a gap in this direction; on the training images the gap points the"),
    ],
)
def test_explain_gaps_reads_the_cause_off_the_full_budget_rows(rows, expected):
    assert expected in studies.explain_gaps(rows, floor_255=45.5, floor_256=46.8)


def test_epochs_for_examples():
    assert studies.epochs_for_examples(12_000_000, 60_000) == 200
    assert studies.epochs_for_examples(12_000_000, 60_000, scale=0.02) == 4
    assert studies.epochs_for_examples(10, 60_000) == 1  # at least one epoch


def test_count_spikes_finds_jumps_but_not_noise():
    rng = np.random.default_rng(0)
    losses = 100 - np.arange(500) * 0.05 + rng.normal(scale=0.1, size=500)
    assert studies.count_spikes(losses) == 0
    losses[[100, 300]] += 50.0
    assert studies.count_spikes(losses) == 2


def test_usable_components_is_capped_by_the_rank():
    rng = np.random.default_rng(0)
    images = np.zeros((200, 4, 4, 1), np.uint8)
    images[:, :2, :2, 0] = rng.integers(0, 256, size=(200, 2, 2))  # only 4 pixels vary
    assert studies.usable_components(images, 10) == 4
    assert studies.usable_components(images, 3) == 3


def test_prepend_column_interleaves_inputs_and_rows():
    first = np.stack([np.full((2, 2, 1), i) for i in (10, 20)])
    rows = np.stack([np.full((2, 2, 1), i) for i in range(6)])
    grid = studies.prepend_column(first, rows)
    assert [int(img[0, 0, 0]) for img in grid] == [10, 0, 1, 2, 20, 3, 4, 5]


def test_validation_turn_says_where_validation_was_best_and_what_training_did_after():
    train = [10.0, 8.0, 6.0, 5.0, 4.0]
    text = studies.validation_turn(train, [11.0, 9.0, 8.5, 9.0, 9.5])
    assert text == (
        "Its validation objective was best at epoch 3 (8.5 nats) and ended 1.0 nats above that, while the "
        "training objective fell another 2.0 nats: after epoch 3, the gains were on the training images only."
    )
    # Still improving at the end, or training not falling after the best epoch: no overfitting sentence.
    assert studies.validation_turn(train, [11.0, 9.0, 8.5, 8.0, 7.5]) == (
        "Its validation objective was at its best at the last epoch, 7.5 nats."
    )
    assert "training images only" not in studies.validation_turn([5.0, 4.0, 4.0, 4.5, 4.5], [6.0, 5.0, 5.5, 6, 6])
    assert studies.validation_turn(train, []) == studies.validation_turn(train, [1.0, float("nan")]) == ""
    assert "at its best at the last epoch, 8.5 nats" in studies.validation_turn(train, [11.0, 9.0, 8.5, 8.5, 8.5])


def test_effective_beta_of_a_fixed_sigma():
    assert studies.effective_beta(0.1) == pytest.approx(0.02)


# --------------------------------------------------------------------------
# Seeds, generated prose and verdicts (the truthful writeup)
# --------------------------------------------------------------------------


def test_train_variants_over_seeds_reports_mean_and_spread(tmp_path):
    base = studies.base_config(dataset="digits", hidden_units=[16], latent_dim=2, num_epochs=1, batch_size=200)
    output = studies.Output(tmp_path, "02_fixed_vs_fitted_variance")
    trained, table = studies.train_variants(base, {"a": {}}, output, num_samples=2, eval_examples=32, seeds=[0, 1, 2])
    variant = trained["a"]
    assert [row["seed"] for row in variant.seed_rows] == [0, 1, 2]
    values = variant.values("test_elbo")
    assert len(values) == 3 and len(set(values)) == 3  # three different seeds, three different models
    assert variant.row["test_elbo"] == pytest.approx(np.mean(values))
    assert variant.row["test_elbo_sd"] == pytest.approx(np.std(values, ddof=1))
    assert table.rows[0]["seeds"] == 3
    # the first seed keeps the plain folder name; the others get their own folders
    assert (tmp_path / "runs" / "02_fixed_vs_fitted_variance" / "a" / "state.json").exists()
    assert (tmp_path / "runs" / "02_fixed_vs_fitted_variance" / "a seed=2" / "state.json").exists()
    with pytest.raises(ValueError, match=r"Seeds must differ. Received: seeds=\[1, 1\]"):
        studies.train_variants(base, {"a": {}}, output, seeds=[1, 1])
    with pytest.raises(ValueError, match=r"num_seeds must be at least 1. Received: num_seeds=0"):
        studies.seeds_for(0, 0)


def test_a_rerun_reuses_the_saved_evaluation_of_the_same_checkpoint(tmp_path, monkeypatch):
    base = studies.base_config(dataset="digits", hidden_units=[16], latent_dim=2, num_epochs=1, batch_size=200)
    output = studies.Output(tmp_path, "02_fixed_vs_fitted_variance")
    first, _ = studies.train_variants(base, {"a": {}}, output, num_samples=2, eval_examples=32)

    def refuse(*args, **kwargs):
        raise AssertionError("evaluated again")

    # _cached_evaluation looks evaluate_variant up in its own module, so patch it there.
    monkeypatch.setattr(studies.variants, "evaluate_variant", refuse)
    again, _ = studies.train_variants(base, {"a": {}}, output, num_samples=2, eval_examples=32)
    assert again["a"].row["test_elbo"] == first["a"].row["test_elbo"]
    # Another k, or a longer-trained checkpoint, is a new evaluation.
    with pytest.raises(AssertionError, match="evaluated again"):
        studies.train_variants(base, {"a": {}}, output, num_samples=3, eval_examples=32)
    with pytest.raises(AssertionError, match="evaluated again"):
        studies.train_variants(base.replace(num_epochs=2), {"a": {}}, output, num_samples=2, eval_examples=32)


def test_output_records_verdicts_banner_settings_and_headline(tmp_path):
    output = studies.Output(tmp_path, "04_implementation_notes")
    output.banner("npz:/somewhere/private/mnist.npz", "demo", "3 epochs per model")
    table = output.settings(dataset="npz:/somewhere/private/mnist.npz", epochs=3, seeds=[0, 1])
    assert "/somewhere" not in table._repr_html_() and "npz:mnist.npz" in table._repr_html_()
    shown = output.settings(epochs=3, backend="tensorflow", seeds=[0, 1])  # the device follows the backend
    assert [row["setting"] for row in shown.rows] == ["epochs", "backend", "device", "seeds"]
    recorded = json.loads((tmp_path / "results" / "04_implementation_notes.json").read_text())["settings"]
    assert recorded["device"] == studies.page.device_text() == f"CPU ({os.cpu_count()} cores)"
    verdict = output.decide("big_term_first", reconstruction=[1, 2], kl=[1, 2], pixel_mse=0.01, mean_image_mse=0.06)
    assert verdict.verdict == "inconclusive"
    output.undecided("big_batch_faster", "only one batch size was run")
    with pytest.raises(ValueError, match=r"belongs to notebook '02_fixed_vs_fitted_variance'"):
        output.decide("fixed_sigma_poor", fixed=[1.0], fitted=[1.0], kl=[5.0])
    import matplotlib

    matplotlib.use("Agg")
    from vae_keras import plots

    output.show(plots.bars({"a": 1.0}, "y"), "first")
    output.show(plots.bars({"b": 2.0}, "y"), "second", headline=True)
    output.show(plots.bars({"c": 3.0}, "y"), "third")
    saved = json.loads((tmp_path / "results" / "04_implementation_notes.json").read_text())
    assert [c["id"] for c in saved["claims"]] == ["big_term_first", "big_batch_faster"]
    # A figure's alt text on the page: its title, else its panels' titles, else its name.
    figure = plots.bars({"a": 1.0}, "y", title="Loss by run")
    assert studies.page.figure_description(figure, "loss_by_run") == "Loss by run"
    assert studies.page.figure_description(plots.bars({"a": 1.0}, "y"), "loss_by_run") == "loss by run"
    figure.suptitle("Everything")
    assert studies.page.figure_description(figure, "loss_by_run") == "Everything"
    assert saved["claims"][1]["reason"] == "only one batch size was run"
    assert saved["banner"] == {
        "dataset": "npz:/somewhere/private/mnist.npz",
        "profile": "demo",
        "budget": "3 epochs per model",
        "data": None,  # a file that is not there: no data family can be told
    }
    assert saved["settings"]["epochs"] == 3
    assert saved["headline_figure"] == "04_implementation_notes__second.png"


def test_claims_gap_says_whether_the_gap_beats_the_noise():
    assert "beyond noise" in studies.claims_gap([1.0, 1.1, 0.9], [3.0, 3.1, 2.9], "A", "B") and "A is better" in (
        studies.claims_gap([1.0, 1.1, 0.9], [3.0, 3.1, 2.9], "A", "B")
    )
    assert "within noise" in studies.claims_gap([1.0, 2.0, 3.0], [1.5, 2.5, 3.5])
    assert "spread between seeds is unknown" in studies.claims_gap([1.0], [2.0])
    assert studies.mean_sd([1.0, 3.0], ".1f") == "2.0 ± 1.4" and studies.mean_sd([2.0]) == "2"


def test_image_measures():
    flat = np.full((2, 8, 8), 0.5)
    stripes = np.tile([0.0, 1.0], (2, 8, 4))
    assert studies.sharpness(flat).tolist() == [0.0, 0.0]
    assert studies.sharpness(stripes)[0] == pytest.approx(0.5)  # horizontal differences 1, vertical 0
    reference = np.stack([flat[0], stripes[0]])
    assert studies.nearest_distances(np.stack([stripes[0], flat[0] + 0.1]), reference) == pytest.approx([0.0, 0.1])
    edges = np.zeros((1, 8, 8))
    edges[:, :, 4:] = 1.0
    assert studies.edge_correlation(edges, np.abs(np.gradient(edges, axis=2))) > 0.9


def test_digit_classifier_learns_the_real_digits():
    from vae_keras import data

    images, labels = data.load("digits", "train")
    test_images, test_labels = data.load("digits", "test")
    classify, accuracy = studies.digit_classifier(images, labels, test_images, test_labels)
    assert accuracy > 0.9
    assert classify(test_images[:5] / 255.0).shape == (5,)


def test_a_verdict_on_stand_in_data_is_indicative_and_named(tmp_path):
    digits = tmp_path / "digits.npz"
    rng = np.random.default_rng(0)
    np.savez(digits, x_train=rng.integers(0, 256, (20, 8, 8), dtype=np.uint8), y_train=np.arange(20) % 10)
    output = studies.Output(tmp_path, "04_implementation_notes")
    output.banner(f"npz:{digits}", "cpu", "20 epochs per model", written_for="svhn")
    curve = [100.0, 60.0, 50.0, 45.0, 44.0, 43.0]
    evidence = dict(reconstruction=curve, kl=[2.0, 4.0, 8.0, 9.0, 9.5, 10.0], pixel_mse=0.01, mean_image_mse=0.06)
    verdict = output.decide("big_term_first", **evidence)
    assert verdict.verdict == "indicative" and verdict.outcome in ("reproduced", "refuted", "differs")
    assert "on other data, not SVHN" in verdict.reason and "indicative only" in verdict.reason
    saved = json.loads((tmp_path / "results" / "04_implementation_notes.json").read_text())
    assert saved["banner"]["stand_in_for"] == "svhn" and saved["claims"][0]["scope"] == "other data"
    same = studies.Output(tmp_path, "04_implementation_notes")
    same.banner("svhn", "full", "100 epochs per model", written_for="svhn")
    decided = same.decide("big_term_first", **evidence)
    assert decided.verdict == decided.outcome and "indicative" not in decided.reason
    assert decided.to_dict()["scope"] == "claim's data" and "one seed" in decided.reason


def test_a_study_evaluates_a_seeded_random_subset_not_the_first_test_images(monkeypatch):
    from vae_keras import evaluate, train
    from vae_keras.config import ExperimentConfig

    config = ExperimentConfig(dataset="digits", binarize=True, latent_dim=2, hidden_units=(8,), seed=0)
    prepared = train.prepare_data(config)
    vae = train.build_model(config, prepared.input_shape, 1)
    seen = []
    real = evaluate.log_likelihood

    def record(vae, x, **kwargs):
        seen.append(x)
        return real(vae, x, **kwargs)

    monkeypatch.setattr(evaluate, "log_likelihood", record)
    summary = studies.evaluate_variant(vae, prepared, num_samples=2, max_examples=50, seed=0)
    chosen = evaluate.random_subset(len(prepared.test[0]), 50, 0)
    assert len(chosen) == 50 and chosen.max() > 50  # not the first 50
    np.testing.assert_array_equal(seen[0], prepared.model_inputs(prepared.test[0][chosen], seed=0))
    assert summary["num_examples"] == 50


def test_decode_as_every_label_draws_the_labels_it_is_given():
    class Recorder:
        num_classes = 8

        def encode(self, x):
            return np.zeros((len(x), 2)), None

        def decode(self, z, labels):
            self.labels = labels
            return np.zeros((len(z), 3))

    model = Recorder()
    out = studies.decode_as_every_label(model, np.zeros((2, 3)), labels=np.array([1, 3, 5, 7]))
    assert out.shape == (8, 3) and list(model.labels) == [1, 3, 5, 7, 1, 3, 5, 7]
    studies.decode_as_every_label(model, np.zeros((1, 3)))
    assert list(model.labels) == list(range(8))


# --- the run's data in words (issue 30: the report names what ran) ----------------------------------------


def test_label_balance_never_names_one_label_as_both_the_most_and_the_least_common():
    balanced = {label: 0.1 for label in range(10)}  # notMNIST: 10% each
    assert (
        studies.label_balance_text(balanced) == "All 10 labels are equally common in the training split (10.0% each)."
    )
    assert studies.label_balance_text({3: 1.0}) == "Every training image has the label **3**."
    text = studies.label_balance_text({1: 0.5, 2: 0.25, 26: 0.25})  # letters 1..26: no label 0 anywhere
    assert "most common label is **1** (50.0%)" in text and "least common **2** and **26** (25.0% each)" in text
    assert "against 33.3% each if balanced; the largest share is 2.00 times the smallest" in text


def test_label_shares_and_examples_use_the_labels_the_data_has():
    labels = np.array([1, 1, 2, 26, 26, 26])
    splits = {"train": (np.zeros((6, 4, 4, 1)), labels), "extra": (np.zeros((2, 4, 4, 1)), None)}
    assert studies.label_shares(splits) == {"train": {1: 2 / 6, 2: 1 / 6, 26: 3 / 6}}
    chosen = studies.examples_per_class(labels, per_class=2)
    assert [int(labels[i]) for i in chosen] == [1, 1, 2, 26, 26]


def test_a_label_problem_says_why_a_labelled_section_cannot_run():
    assert studies.label_problem(None) == "the training images carry no labels"
    assert studies.label_problem(np.full(5, 3)) == "every training image has the same label (3)"
    assert studies.label_problem(np.array([0, 1])) is None
    assert studies.label_problem(np.full(5, 3), min_classes=1) is None  # one class is enough to count labels
    assert studies.label_problem(np.array([0, 1]), min_classes=3) == (
        "the training images have 2 labels, and it needs at least 3"
    )


def test_images_are_called_digits_only_on_digits_and_models_by_their_sizes(tmp_path):
    assert studies.image_noun("mnist") == "digits" and studies.image_noun("svhn_sample", plural=False) == "digit"
    assert studies.image_noun("digits") == "digits"
    faces = tmp_path / "faces.npz"
    np.savez(faces, x_train=np.zeros((2, 28, 20), np.uint8), x_test=np.zeros((2, 28, 20), np.uint8))
    assert studies.image_noun(f"npz:{faces}") == "images"
    assert studies.data_title(f"npz:{faces}") == "npz:faces.npz" and studies.data_title("mnist") == "MNIST"
    assert studies.is_family("mnist", "mnist") and not studies.is_family(f"npz:{faces}", "mnist")
    assert not studies.is_family(f"npz:{faces}", None)
    assert studies.layer_sizes((28, 28, 1), [200, 200], 50) == "784-200-200-50"
    assert studies.layer_sizes((28, 20, 1), [200, 200], 50) == "560-200-200-50"  # Frey faces


class _Run:
    """The parts of a trained ``Variant`` that ``reproduction_table`` reads."""

    def __init__(self, train, test):
        self.vae, self.row, self.state = object(), {"status": "completed"}, {"epoch": 2}
        self.prepared = type("Prepared", (), {"train": (np.zeros((100, 1)), None)})()
        self.ours = {"train": train, "test": test}


def test_the_write_ups_numbers_go_beside_ours_only_on_their_data(monkeypatch):
    from vae_keras.studies import reproduction

    monkeypatch.setattr(reproduction, "negative_elbo_by_split", lambda variant, max_examples: variant.ours)
    reference = {"z=2": {"train": 140.0, "test": 145.0, "examples": 1000, "protocol": "continuous"}}
    trained = {"z=2": _Run(150.0, 151.0)}
    beside = studies.reproduction_table(trained, reference).rows[0]
    assert beside["their test"] == 145.0 and beside["test difference"] == 6.0
    alone = studies.reproduction_table(trained, reference, compare=False).rows[0]
    assert alone["our test"] == 151.0 and alone["their examples"] == 1000
    assert not {"their train", "their test", "train difference", "test difference"} & set(alone)
    text = studies.reproduction_summary([alone], 100, 50, 20, other_data="npz:letters.npz")
    assert "other data than `npz:letters.npz`, so the table shows ours alone" in text and "within" not in text
    text = studies.reproduction_summary([beside], 100, 50, 20)
    assert "0 of 1 test numbers are within 3 nats of the write-up's; the largest gap is +6.00 nats (z=2)" in text


def test_the_iwae_finding_is_only_indicative_on_other_data():
    assert studies.iwae_verdict(1.5, 5.0, 100).startswith("reproduced: the IWAE is 1.50 nats better")
    assert studies.iwae_verdict(0.5, 5.0, 100).startswith("differs: ")
    assert studies.iwae_verdict(-0.5, 5.0, 100) == "refuted at this budget: the IWAE is 0.50 nats worse"
    assert studies.iwae_verdict(1.5, 0.5, 100).startswith("inconclusive: one of the models did not train")
    assert studies.iwae_verdict(1.5, 5.0, 1).startswith("inconclusive: 1 epoch is too few")
    other = studies.iwae_verdict(1.5, 5.0, 100, same_data=False)
    assert other == "indicative only, on other data than theirs: the IWAE is 1.50 nats better, at least the 1 nat " \
        "Burda et al. found"  # fmt: skip


def test_the_manifold_classes_are_the_data_s_own_labels_in_its_own_words():
    rng = np.random.default_rng(0)
    labels = np.repeat([1, 2, 26], 20)  # letters: labels need not start at 0
    images = (rng.random((60, 4, 4, 1)) * 60 + labels[:, None, None, None] * 7).astype(np.uint8)
    tiles = np.clip(rng.random((9, 4, 4, 1)), 0, 1)
    evidence, text = studies.manifold_classes(tiles, (images, labels), (images, labels), 2.5, 1.5, noun="images")
    assert evidence["num_classes"] == 3 and set(evidence["tile_labels"]) <= {1, 2, 26}
    assert "It reads the 9 tiles as: 1: " in text and ", 26: " in text and "0: " not in text
    assert "digit" not in text


def test_a_verdict_on_a_sample_of_the_claims_data_states_the_sample_size(tmp_path, monkeypatch):
    """On svhn_sample (a sample of SVHN) each verdict's reason says how many images it rests on."""
    from vae_keras import data

    # A stand-in sample file in the svhn_sample layout (the real one lives in ../shared/data).
    (tmp_path / "data" / "svhn").mkdir(parents=True)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (1083, 32, 32, 3), dtype=np.uint8)
    np.savez(
        tmp_path / "data" / "svhn" / "svhn_train_sample.npz", x=images, y=rng.integers(0, 10, 1083).astype(np.uint8)
    )
    np.savez(tmp_path / "data" / "svhn" / "svhn_extra_sample.npz", x=images[:181])
    monkeypatch.setenv("VAE_KERAS_DATA_DIR", str(tmp_path / "data"))
    assert studies.page.sample_note("svhn_sample") == (
        "svhn_sample, a sample of SVHN (train 900, test 183, extra 181 images), not the full dataset"
    )
    assert studies.page.sample_note("digits") is None and studies.page.sample_note("npz:/x.npz") is None
    output = studies.Output(tmp_path / "out", "04_implementation_notes")
    output.banner("svhn_sample", "cpu-svhn-sample", "120 epochs per model", written_for="svhn")
    verdict = output.decide("big_term_first", reconstruction=[1, 2], kl=[1, 2], pixel_mse=0.01, mean_image_mse=0.06)
    assert verdict.reason.endswith("(data: " + studies.page.sample_note("svhn_sample") + ")")
    assert data.dataset_family("svhn_sample") == "svhn" and verdict.to_dict()["scope"] != "indicative"
