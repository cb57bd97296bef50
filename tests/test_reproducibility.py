"""Same seed, backend and machine (CPU): identical losses, run in separate fresh processes.

The runs start at the same time, so they also show that the result does not depend on how the
operating system schedules threads between competing processes.
"""

import json
import os
import subprocess
import sys

import numpy as np

SETTINGS = {
    "dataset": "digits",
    "likelihood": "gaussian_fitted",
    "dequantize": "true",  # a random transform redrawn every epoch
    "latent-dim": 4,
    "hidden-units": "64,32",
    "batch-size": 32,
    "steps-per-execution": 4,
    "num-epochs": 3,
}


def _start(run_dir, seed, cwd):
    flags = [item for name, value in {**SETTINGS, "seed": seed}.items() for item in (f"--{name}", str(value))]
    command = [sys.executable, "-m", "vae_keras", "train", "--out", str(run_dir), *flags]
    return subprocess.Popen(command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _losses(run_dir):
    """Every per-epoch number of state.json but the wall-clock seconds."""
    history = json.loads((run_dir / "state.json").read_text())["history"]
    return [{key: value for key, value in row.items() if key != "seconds"} for row in history]


def test_same_seed_gives_identical_losses_and_weights_a_different_seed_does_not(tmp_path):
    import keras

    from vae_keras import config, models, train  # noqa: F401  (models registers the VAE class for loading)

    runs = [tmp_path / "first", tmp_path / "second"]
    processes = [_start(run_dir, 5, tmp_path) for run_dir in runs]
    # Meanwhile, in this process: the same settings with another seed.
    other = config.ExperimentConfig.from_dict({**{k.replace("-", "_"): v for k, v in SETTINGS.items()}, "seed": 6})
    train.train(other, tmp_path / "other", verbose=0)
    for run_dir, process in zip(runs, processes):
        output, _ = process.communicate(timeout=600)
        assert process.returncode == 0, f"{run_dir.name}:\n{output}"
    first, second, other = (_losses(run_dir) for run_dir in [*runs, tmp_path / "other"])

    assert [row["epoch"] for row in first] == [1, 2, 3]
    assert {"loss", "reconstruction", "kl", "val_loss"} <= set(first[0])
    assert first == second  # exact float equality, every term of every epoch
    assert all(row["loss"] != other_row["loss"] for row, other_row in zip(first, other))

    weights = [keras.saving.load_model(run_dir / "model.keras").get_weights() for run_dir in runs]
    assert len(weights[0]) == len(weights[1]) > 0
    for a, b in zip(*weights):
        np.testing.assert_array_equal(a, b)
    assert os.listdir(tmp_path / "first" / "checkpoints") == ["epoch-000003.keras"]
