"""Atomic saves: an interrupted write leaves the previous file intact and no partial destination.

Every artefact (model.keras, checkpoints, state.json, history.csv, config.json, results.json,
metrics.json, figures) goes through ``vae_keras.io_utils``. Here each writer is made to fail half
way through; test_resume.py kills real processes during saves.
"""

import json
import os

import numpy as np
import pytest

from vae_keras import io_utils


def _files(folder):
    return sorted(p.name for p in folder.iterdir())


def _fail_on_replace(monkeypatch):
    """Makes the final rename fail, after the temporary file was written in full."""

    def replace(source, destination):
        raise OSError(f"simulated crash before renaming {source} to {destination}")

    monkeypatch.setattr(io_utils.os, "replace", replace)


@pytest.mark.parametrize("failure", ["not-serialisable", "non-finite", "rename"])
def test_an_interrupted_json_write_keeps_the_previous_file(failure, tmp_path, monkeypatch):
    path = tmp_path / "results.json"
    io_utils.atomic_write_json(path, {"log_px": -80.5})
    before = path.read_bytes()
    value = {"log_px": -79.0}
    if failure == "not-serialisable":
        value = {"log_px": object()}
    elif failure == "non-finite":
        value = {"log_px": float("nan")}  # JSON has no NaN: refused, not written as invalid JSON
    else:
        _fail_on_replace(monkeypatch)
    with pytest.raises((TypeError, ValueError, OSError)):
        io_utils.atomic_write_json(path, value)
    assert path.read_bytes() == before and json.loads(before) == {"log_px": -80.5}
    assert _files(tmp_path) == ["results.json"]  # no temporary file left


def test_a_write_that_dies_mid_file_keeps_the_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "state.json"
    path.write_text('{"epoch": 3}')

    def fsync(descriptor):
        raise OSError("simulated disk failure after part of the data was written")

    monkeypatch.setattr(io_utils.os, "fsync", fsync)
    with pytest.raises(OSError, match="simulated"):
        io_utils.atomic_write_text(path, '{"epoch": 4, "history": [' + "1, " * 100_000 + "1]}")
    assert path.read_text() == '{"epoch": 3}'
    assert _files(tmp_path) == ["state.json"]


def test_a_first_write_that_fails_leaves_no_destination(tmp_path, monkeypatch):
    _fail_on_replace(monkeypatch)
    with pytest.raises(OSError):
        io_utils.atomic_write_json(tmp_path / "metrics.json", {"elbo": -90.0})
    assert _files(tmp_path) == []


def _small_vae(seed):
    from vae_keras import models

    return models.build_vae((8, 8, 1), 2, hidden_units=(8,), seed=seed)


def test_an_interrupted_model_save_keeps_the_previous_model(tmp_path, monkeypatch):
    import keras

    from vae_keras import models

    path = tmp_path / "model.keras"
    first = _small_vae(seed=1)
    io_utils.atomic_save_model(first, path)
    before = path.read_bytes()

    def save(self, filepath, *args, **kwargs):
        with open(filepath, "wb") as handle:
            handle.write(b"PK\x03\x04 half a zip file")
        raise OSError("simulated crash in the middle of model.save")

    monkeypatch.setattr(models.VAE, "save", save)
    with pytest.raises(OSError, match="simulated"):
        io_utils.atomic_save_model(_small_vae(seed=2), path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert _files(tmp_path) == ["model.keras"]
    loaded = keras.saving.load_model(path)
    for a, b in zip(first.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)


def test_an_interrupted_figure_save_keeps_the_previous_figure(tmp_path, monkeypatch):
    import matplotlib.figure

    path = tmp_path / "samples.png"
    figure = matplotlib.figure.Figure()
    figure.add_subplot().plot([0, 1])
    io_utils.atomic_save_figure(figure, path)
    before = path.read_bytes()

    def savefig(self, filename, **kwargs):
        with open(filename, "wb") as handle:
            handle.write(b"\x89PNG half")
        raise OSError("simulated crash while drawing")

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", savefig)
    with pytest.raises(OSError, match="simulated"):
        io_utils.atomic_save_figure(figure, path)
    assert path.read_bytes() == before
    assert _files(tmp_path) == ["samples.png"]


def test_a_checkpoint_save_that_fails_during_training_keeps_the_last_good_one(tmp_path, monkeypatch):
    from vae_keras import config, models, train

    run_dir = tmp_path / "run"
    settings = dict(dataset="digits", binarize=True, latent_dim=2, hidden_units=(16,), batch_size=256, num_epochs=3)
    real_save = models.VAE.save
    calls = []

    def save(self, filepath, *args, **kwargs):
        calls.append(filepath)
        if len(calls) == 2:  # the checkpoint of epoch 2
            with open(filepath, "wb") as handle:
                handle.write(b"PK\x03\x04 half a zip file")
            raise OSError("simulated disk full")
        return real_save(self, filepath, *args, **kwargs)

    monkeypatch.setattr(models.VAE, "save", save)
    with pytest.raises(OSError, match="simulated disk full"):
        train.train(config.ExperimentConfig(**settings), run_dir, verbose=0)
    monkeypatch.undo()

    state = train.read_state(run_dir)
    assert state["status"] == "failed" and "simulated disk full" in state["error"]
    assert (state["epoch"], state["checkpoint"]) == (1, "checkpoints/epoch-000001.keras")
    assert [row["epoch"] for row in state["history"]] == [1]
    assert _files(run_dir / "checkpoints") == ["epoch-000001.keras"]
    assert not (run_dir / "model.keras").exists()
    # The same command resumes from epoch 1 and completes.
    _, _, state = train.train(config.ExperimentConfig(**settings), run_dir, verbose=0)
    assert state["status"] == "completed" and [row["epoch"] for row in state["history"]] == [1, 2, 3]


def test_artefacts_get_ordinary_permissions_not_the_temporary_files_0600(tmp_path):
    umask = os.umask(0o022)
    os.umask(umask)
    io_utils.atomic_write_text(tmp_path / "config.json", "{}")
    assert (tmp_path / "config.json").stat().st_mode & 0o777 == 0o666 & ~umask


@pytest.mark.parametrize(
    ("name", "temporary"),
    [
        (".state.json.abcd1234.tmp", True),
        (".model.keras.k2j3h_g5.tmp.keras", True),
        (".samples.png.0a1b2c3d.tmp.png", True),
        ("state.json", False),
        ("epoch-000001.keras", False),
        (".gitignore", False),
        ("notes.tmp", False),
        (".notes.tmp", False),
    ],
)
def test_temporary_files_are_recognised_by_name_only(name, temporary, tmp_path):
    assert io_utils.is_temporary(name) is temporary
    (tmp_path / name).write_text("x")
    removed = io_utils.remove_temporaries(tmp_path)
    assert removed == ([name] if temporary else [])
    assert (tmp_path / name).exists() is not temporary
