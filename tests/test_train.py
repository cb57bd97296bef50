"""Training runs on real data: improvement, run folder, resume, divergence guard."""

import json
import math

import numpy as np
import pytest

from vae_keras import evaluate, fingerprint, guards, train
from vae_keras.config import ExperimentConfig


def _config(**changes):
    settings = dict(
        dataset="digits",
        binarize=True,
        latent_dim=4,
        hidden_units=(64,),
        batch_size=64,
        num_epochs=4,
        steps_per_execution=5,
        seed=0,
    )
    return ExperimentConfig(**{**settings, **changes})


def test_training_on_digits_improves_the_test_elbo_by_a_wide_margin(tmp_path):
    config = _config(num_epochs=40, hidden_units=(128,))
    prepared = train.prepare_data(config)
    untrained = train.compile_model(train.build_model(config, prepared.input_shape, 1), config)
    x_test = prepared.model_inputs(prepared.test[0], seed=0)
    before = evaluate.elbo(untrained, x_test)["elbo"].mean()
    vae, prepared, state = train.train(config, tmp_path / "run", verbose=0)
    after = evaluate.elbo(vae, x_test)["elbo"].mean()
    # 64 binary pixels: the untrained model is near 64 * log 2 = 44 nats (plus KL);
    # 40 epochs reach about -25 (measured -24 to -26). Require at least 12 nats of gain.
    assert before < -40
    assert after > before + 12, (before, after)
    assert state["status"] == "completed" and state["epoch"] == 40


def test_run_folder_contents_and_evaluation(tmp_path):
    run_dir = tmp_path / "run"
    train.train(_config(), run_dir, verbose=0)
    for name in ("config.json", "state.json", "history.csv", "model.keras", "logs"):
        assert (run_dir / name).exists(), name
    for name in ("reconstructions", "samples", "loss_curves"):
        assert (run_dir / "figures" / f"{name}.png").stat().st_size > 1000
    assert [p.name for p in (run_dir / "checkpoints").iterdir()] == ["epoch-000004.keras"]
    lines = (run_dir / "history.csv").read_text().splitlines()
    assert lines[0].startswith("epoch,") and [int(line.split(",")[0]) for line in lines[1:]] == [1, 2, 3, 4]
    metrics = evaluate.evaluate_run(run_dir, num_samples=50, verbose=0)
    saved = json.loads((run_dir / "metrics.json").read_text())
    assert saved == metrics
    assert metrics["log_px"] >= metrics["elbo"] - 0.5  # IW bound is tighter (up to MC noise)
    assert metrics["bits_per_dim"] == pytest.approx(-metrics["log_px"] / (64 * math.log(2)), rel=1e-9)


def test_resume_continues_from_the_last_checkpoint_without_gaps(tmp_path):
    run_dir = tmp_path / "run"
    train.train(_config(num_epochs=2), run_dir, verbose=0)
    vae, _, state = train.train(_config(num_epochs=5), run_dir, verbose=0)
    assert [row["epoch"] for row in state["history"]] == [1, 2, 3, 4, 5]
    assert state["status"] == "completed"
    # The optimizer state came back with the checkpoint: 5 epochs of steps in total.
    steps_per_epoch = math.ceil(len(train.prepare_data(_config()).train[0]) / 64)
    assert int(vae.optimizer.iterations.numpy()) == 5 * steps_per_epoch
    # Asking again does not retrain.
    _, _, again = train.train(_config(num_epochs=5), run_dir, verbose=0)
    assert again["history"] == state["history"]


def _rate(schedule, step):
    return float(schedule(step))


def test_burda_schedule_is_theirs_at_3280_epochs_and_scaled_below():
    assert train.burda_stage_ends(3280) == [float((3 ** (i + 1) - 1) // 2) for i in range(8)]  # 1, 4, 13, ...
    assert train.burda_stage_ends(1000)[-1] == 1000
    np.testing.assert_allclose(train.burda_learning_rates(1e-3), [1e-3 * 10 ** (-i / 7) for i in range(8)])
    assert train.burda_learning_rates(1e-3)[-1] == pytest.approx(1e-4)


def test_the_optimizer_follows_the_schedule_by_steps_and_takes_adam_epsilon():
    config = _config(lr_schedule="burda", num_epochs=3280, adam_epsilon=1e-4)
    optimizer_config = train.make_optimizer(config, 5).get_config()
    assert optimizer_config["epsilon"] == 1e-4
    assert optimizer_config["learning_rate"]["class_name"] == "PiecewiseConstantDecay"
    schedule = train.learning_rate_for(config, 5)
    # Stage 0 is epoch 1 (steps 0-4), stage 1 epochs 2-4 (steps 5-19), stage 2 starts at step 20.
    expected = {0: 0, 4: 0, 5: 1, 19: 1, 20: 2, 3279 * 5: 7, 10**7: 7}
    for step, stage in expected.items():
        assert _rate(schedule, step) == pytest.approx(1e-3 * 10 ** (-stage / 7)), step
    # Scaled to 10 epochs of 1,000 steps: stage 0 is the first 1/3280 of 10,000 steps (3 steps),
    # stage 1 the next 3/3280 (9 steps).
    short = train.learning_rate_for(_config(lr_schedule="burda", num_epochs=10), 1000)
    rates = [_rate(short, s) for s in (0, 2, 3, 11, 12, 9999)]
    assert rates == pytest.approx([1e-3 * 10 ** (-i / 7) for i in (0, 0, 1, 1, 2, 7)])
    assert float(train.make_optimizer(_config()).learning_rate) == pytest.approx(1e-3)  # constant by default


def test_output_bias_starts_at_the_logit_of_the_training_mean(tmp_path):
    config = _config(output_bias_init="data_mean", num_epochs=0)
    vae, prepared, _ = train.train(config, tmp_path / "run", verbose=0)
    bias = vae.decoder.get_layer("params").get_weights()[1]
    mean = np.clip(prepared.model_inputs(prepared.train[0], seed=0).mean(axis=0).reshape(-1), 1e-3, 1 - 1e-3)
    np.testing.assert_allclose(bias, np.log(mean / (1 - mean)), rtol=1e-5, atol=1e-5)
    assert bias.std() > 1  # not the zeros of the default: the digits' corners are almost never on
    zeros = train.build_model(_config(), prepared.input_shape, 1).decoder.get_layer("params").get_weights()[1]
    assert not zeros.any()


def test_a_scheduled_run_cannot_resume_with_another_length():
    def differences(saved, asked):
        current = {"config": asked.to_dict(), "dataset_sha256": None, "code_sha256": "", "keras_backend": ""}
        return fingerprint.differences({"config": saved.to_dict()}, current, trained_epochs=1)

    burda = _config(num_epochs=1, lr_schedule="burda")
    assert differences(burda, burda) == []  # the same length resumes
    assert differences(burda, burda.replace(num_epochs=3)) == ["num_epochs: 1 -> 3 (its learning-rate schedule)"]
    assert differences(_config(num_epochs=1), _config(num_epochs=3)) == []  # a constant rate may go on longer


def test_a_run_folder_of_other_settings_is_set_aside_and_one_not_to_resume_refused(tmp_path, capsys):
    run_dir = tmp_path / "run"
    train.train(_config(num_epochs=1), run_dir, verbose=0)
    train.train(_config(num_epochs=1, latent_dim=6), run_dir, verbose=0)
    assert "holds another training (latent_dim: 4 -> 6): moved it to run.stale-1" in capsys.readouterr().out
    assert json.loads((tmp_path / "run.stale-1" / "config.json").read_text())["latent_dim"] == 4
    with pytest.raises(ValueError, match="already holds a run"):
        train.train(_config(num_epochs=1), run_dir, resume=False, verbose=0)


def test_an_unfinished_run_cannot_be_evaluated(tmp_path):
    run_dir = tmp_path / "run"
    train.train(_config(num_epochs=1), run_dir, verbose=0)
    state = train.read_state(run_dir)
    state["status"] = "running"
    train.write_state(run_dir, state)
    with pytest.raises(ValueError, match=r"has not completed \(status='running'"):
        evaluate.evaluate_run(run_dir, num_samples=2, verbose=0)
    with pytest.raises(FileNotFoundError, match="Not a run folder"):
        evaluate.evaluate_run(tmp_path / "nothing", verbose=0)


def test_divergence_stops_at_once_and_keeps_the_last_good_checkpoint(tmp_path):
    run_dir = tmp_path / "run"
    train.train(_config(num_epochs=2), run_dir, verbose=0)
    checkpoint = (run_dir / "checkpoints" / "epoch-000002.keras").read_bytes()
    guard = guards.DivergenceGuard(run_dir)
    guard.set_params({"epochs": 5, "steps": 19, "verbose": 0})
    guard.on_epoch_begin(2)
    for batch in range(6):
        guard.on_train_batch_end(batch, {"loss": 1.0, "reconstruction": 2.0, "kl": 0.5})
    with pytest.raises(
        train.TrainingDivergedError,
        match=r"epoch 3, batch 7 of 19: the 'kl' term is inf\. The checkpoint of epoch 2 "
        r"\(checkpoints/epoch-000002\.keras\) is kept",
    ):
        guard.on_train_batch_end(6, {"loss": 1.0, "reconstruction": 2.0, "kl": float("inf")})
    guard.on_train_batch_end(7, {"loss": 1.0, "reconstruction": 2.0, "kl": 0.5})  # finite: no error
    assert (run_dir / "checkpoints" / "epoch-000002.keras").read_bytes() == checkpoint


def test_the_guard_names_the_batches_of_the_epoch_not_a_step_past_its_end():
    # An epoch of 2 batches run as one compiled call of steps_per_execution=10: Keras reports step index 9.
    guard = guards.DivergenceGuard()
    guard.set_params({"epochs": 3, "steps": 2, "verbose": 0})
    guard.on_epoch_begin(0)
    with pytest.raises(train.TrainingDivergedError, match=r"epoch 1, batches 1-2 of 2 \(one compiled call\)"):
        guard.on_train_batch_end(9, {"loss": float("nan"), "kl": 1.0})


def test_the_guard_stops_a_finite_but_exploded_kl():
    # The run: an MLP on 256x256x3 noise "completed" with a KL of 1.36e31 nats.
    guard = guards.DivergenceGuard()
    guard.set_params({"epochs": 3, "steps": 4, "verbose": 0})
    guard.on_epoch_begin(0)
    with pytest.raises(train.TrainingDivergedError, match=r"'kl' term is 1\.36e\+31 nats, beyond the bound of 1e\+12"):
        guard.on_train_batch_end(0, {"loss": 1.36e31, "reconstruction": 5e4, "kl": 1.36e31})


def test_the_guard_stops_a_term_a_million_times_its_first_epoch_but_not_a_small_kl_that_grows():
    guard = guards.DivergenceGuard()
    guard.set_params({"epochs": 3, "steps": 4, "verbose": 0})
    guard.on_epoch_begin(0)
    guard.on_epoch_end(0, {"kl": 1e-4, "reconstruction": 40.0, "loss": 40.0})
    guard.on_epoch_begin(1)
    guard.on_train_batch_end(0, {"kl": 50.0, "reconstruction": 30.0})  # a collapsed posterior that learns
    guard.on_train_batch_end(1, {"kl": 9e5, "reconstruction": 30.0})  # below 1e6 x max(1e-4, 1 nat)
    with pytest.raises(
        train.TrainingDivergedError,
        match=r"epoch 2, batch 3 of 4: the 'reconstruction' term is 4\.1e\+07 nats, beyond 1e\+06 times its "
        r"first-epoch mean \(40",
    ):
        guard.on_train_batch_end(2, {"kl": 10.0, "reconstruction": 4.1e7})


def test_a_diverged_run_says_that_no_checkpoint_exists_when_none_was_saved(tmp_path, monkeypatch):
    monkeypatch.setattr(guards, "EXPLODED_NATS", 1e-3)  # every batch "explodes": the run stops in epoch 1
    run_dir = tmp_path / "run"
    with pytest.raises(train.TrainingDivergedError) as raised:
        train.train(_config(num_epochs=1, steps_per_execution=1), run_dir, verbose=0)
    message = str(raised.value)
    assert "epoch 1, batch 1 of 21" in message, message  # 1293 training digits in batches of 64
    assert "No checkpoint exists yet" in message and "kept" not in message
    state = train.read_state(run_dir)
    assert state["status"] == "diverged" and state["checkpoint"] is None and state["error"] == message


def test_batch_size_larger_than_the_data_is_refused():
    with pytest.raises(ValueError, match=r"batch_size.*Received: batch_size=5000"):
        train.prepare_data(_config(batch_size=5000))


def test_pca_input_space_trains_a_gaussian_vae(tmp_path):
    config = _config(
        input_space="pca_whitened",
        pca_components=20,
        likelihood="gaussian_fitted",
        binarize=False,
        num_epochs=2,
    )
    vae, prepared, _ = train.train(config, tmp_path / "run", verbose=0)
    assert vae.input_shape_ == (20,)
    assert (tmp_path / "run" / "preprocessor.json").exists()
    images = prepared.to_images(vae.sample(3, seed=0))
    assert images.shape == (3, 8, 8, 1) and np.all((images >= 0) & (images <= 1))


def test_conditional_vae_trains_and_evaluates_log_p_x_given_y(tmp_path):
    config = _config(conditional=True, num_epochs=3)
    vae, prepared, _ = train.train(config, tmp_path / "run", verbose=0)
    assert type(vae).__name__ == "ConditionalVAE" and vae.num_classes == 10
    metrics = evaluate.evaluate_run(tmp_path / "run", num_samples=20, verbose=0)
    assert math.isfinite(metrics["log_px"]) and metrics["log_px"] >= metrics["elbo"] - 0.5
    x = prepared.model_inputs(prepared.test[0][:5])
    with pytest.raises(ValueError, match="labels"):
        evaluate.log_likelihood(vae, x, num_samples=2, verbose=0)
    # Same style, every label: ten different images.
    z = vae.encode(x[:1])[0].repeat(10, axis=0)
    drawn = vae.decode(z, labels=np.arange(10))
    assert drawn.shape == (10, 8, 8, 1) and np.abs(drawn[0] - drawn[1]).max() > 0.05


def test_init_from_starts_a_run_from_saved_weights(tmp_path):
    first, _, _ = train.train(_config(num_epochs=2), tmp_path / "first", verbose=0)
    config = _config(num_epochs=0, learning_rate=1e-4, init_from=str(tmp_path / "first" / "model.keras"))
    second, _, _ = train.train(config, tmp_path / "second", verbose=0)
    for a, b in zip(first.get_weights(), second.get_weights()):
        np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="same architecture"):
        train.train(_config(num_epochs=0, latent_dim=3, init_from=config.init_from), tmp_path / "third", verbose=0)
    with pytest.raises(FileNotFoundError, match="init_from='nope.keras'"):
        train.train(_config(num_epochs=0, init_from="nope.keras"), tmp_path / "fourth", verbose=0)


def _digits_npz(path, with_labels=True, label_map=None):
    """The digits as a Keras-layout npz; labels left out, or renumbered by ``label_map``."""
    from vae_keras import data

    arrays = {}
    for split in ("train", "test"):
        images, labels = data.load("digits", split)
        keep = np.ones(len(labels), bool) if label_map is None else np.isin(labels, list(label_map))
        arrays[f"x_{split}"] = images[keep]
        if with_labels:
            arrays[f"y_{split}"] = labels[keep] if label_map is None else np.vectorize(label_map.get)(labels[keep])
    np.savez(path, **arrays)
    return f"npz:{path}"


def test_a_dataset_without_labels_trains_and_evaluates(tmp_path):
    dataset = _digits_npz(tmp_path / "unlabelled.npz", with_labels=False)
    vae, prepared, state = train.train(_config(dataset=dataset, num_epochs=2), tmp_path / "run", verbose=0)
    assert prepared.train[1] is None and state["status"] == "completed"
    metrics = evaluate.evaluate_run(tmp_path / "run", num_samples=5, verbose=0)
    assert math.isfinite(metrics["log_px"])


def test_a_conditional_vae_on_a_dataset_without_labels_is_refused_before_any_work(tmp_path):
    dataset = _digits_npz(tmp_path / "unlabelled.npz", with_labels=False)
    with pytest.raises(ValueError, match=r"conditional VAE \(conditional=True\) needs labels.*y_train"):
        train.train(_config(dataset=dataset, conditional=True), tmp_path / "run", verbose=0)
    assert not (tmp_path / "run").exists()


def test_conditional_samples_use_the_dataset_s_own_labels(tmp_path, monkeypatch):
    # Letters-like numbering: the classes are 1, 3, 5 and 7; there is no 0, 2, 4 or 6.
    dataset = _digits_npz(tmp_path / "odd.npz", label_map={0: 1, 1: 3, 2: 5, 3: 7})
    config = _config(dataset=dataset, conditional=True, num_epochs=1, batch_size=32)
    drawn = []
    original = train.models.ConditionalVAE.sample

    def record(self, num_samples, labels=None, **kwargs):
        drawn.append(np.asarray(labels))
        return original(self, num_samples, labels=labels, **kwargs)

    monkeypatch.setattr(train.models.ConditionalVAE, "sample", record)
    vae, prepared, _ = train.train(config, tmp_path / "run", verbose=0)
    assert list(prepared.classes) == [1, 3, 5, 7] and vae.num_classes == 8
    assert drawn and set(np.concatenate(drawn)) == {1, 3, 5, 7}


def test_a_run_whose_figures_fail_leaves_no_final_model_and_a_rerun_completes_it(tmp_path, monkeypatch):
    run_dir = tmp_path / "run"

    def broken(*args, **kwargs):
        raise RuntimeError("no figures today")

    monkeypatch.setattr(train, "save_figures", broken)
    with pytest.raises(RuntimeError, match="no figures today"):
        train.train(_config(num_epochs=2), run_dir, verbose=0)
    state = train.read_state(run_dir)
    assert state["status"] == "failed" and "figures" in state["error"] and state["epoch"] == 2
    assert not (run_dir / "model.keras").exists()
    # A final model left beside an unfinished run (say, by a kill) is removed when the run resumes.
    (run_dir / "model.keras").write_bytes(b"stale")
    monkeypatch.undo()
    vae, _, state = train.train(_config(num_epochs=2), run_dir, verbose=0)
    assert state["status"] == "completed" and (run_dir / "model.keras").stat().st_size > 1000
