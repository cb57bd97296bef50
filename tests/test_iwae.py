"""The importance-weighted objective (IWAE, Burda et al. 2016): ``train_samples`` K > 1."""

import json

import keras
import numpy as np
import pytest

from vae_keras import evaluate, models


def _restart(generator, seed):
    state = generator.state
    state.assign(keras.ops.cast(keras.ops.convert_to_tensor([seed, 0]), state.dtype))


def test_the_iwae_objective_is_the_importance_weighted_bound_of_the_model_s_own_draws():
    vae = models.build_vae((6,), 2, likelihood="gaussian_fixed", hidden_units=(8,), seed=0, train_samples=5)
    x = np.random.default_rng(0).random((16, 6)).astype("float32")
    mean, log_var = vae.encoder(x)
    _restart(vae.sampler.seed_generator, 7)
    loss = float(vae.compute_loss(x=x, y_pred=(mean, log_var), training=False))
    # The evaluator's k=5 estimate from the same noise is the same bound.
    log_px = evaluate.log_likelihood(vae, x, num_samples=5, batch_size=16, seed=7, verbose=0)["log_px"]
    assert loss == pytest.approx(-log_px.mean(), rel=1e-5)
    # It is tighter than the ELBO of the same draws (Jensen's inequality).
    elbo = -float(vae.nelbo_tracker.result())
    assert -loss >= elbo - 1e-4


def test_iwae_needs_beta_one_and_no_warmup_and_saves_its_k(tmp_path):
    with pytest.raises(ValueError, match=r"train_samples=3, beta=0.5"):
        models.build_vae((6,), 2, likelihood="gaussian_fixed", hidden_units=(8,), beta=0.5, train_samples=3)
    with pytest.raises(ValueError, match="`train_samples` must be an integer >= 1. Received: train_samples=0"):
        models.build_vae((6,), 2, likelihood="gaussian_fixed", hidden_units=(8,), train_samples=0)
    vae = models.build_vae((6,), 2, likelihood="gaussian_fixed", hidden_units=(8,), train_samples=3)
    vae.save(tmp_path / "iwae.keras")
    assert keras.saving.load_model(tmp_path / "iwae.keras").train_samples == 3


def test_an_iwae_run_trains_from_the_command_line(tmp_path):
    from vae_keras import cli

    run_dir = tmp_path / "iwae"
    cli.main(
        [
            "train",
            "--out",
            str(run_dir),
            "--binarize",
            "true",
            "--train-samples",
            "4",
            "--latent-dim",
            "4",
            "--hidden-units",
            "64",
            "--num-epochs",
            "3",
            "--batch-size",
            "64",
            "--tensorboard",
            "false",
        ]
    )
    config = json.loads((run_dir / "config.json").read_text())
    assert config["train_samples"] == 4
    history = [row.split(",") for row in (run_dir / "history.csv").read_text().splitlines()]
    header, rows = history[0], history[1:]
    loss, nelbo = header.index("loss"), header.index("nelbo")
    # The bound trained on is tighter than the ELBO (strictly: K=4 draws, not one), and it improves.
    assert all(float(row[loss]) < float(row[nelbo]) - 0.05 for row in rows), rows
    assert float(rows[-1][loss]) < float(rows[0][loss])
