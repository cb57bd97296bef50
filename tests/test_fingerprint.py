"""A training is reused only when it is the same training: run folders' fingerprints (vae_keras.fingerprint)."""

import hashlib
import json
import shutil
from pathlib import Path

import nbformat
import numpy as np
import pytest

from vae_keras import data, fingerprint, studies, train
from vae_keras.config import ExperimentConfig
from vae_keras.writeup import runner


def _config(**changes):
    settings = dict(
        dataset="digits", binarize=True, latent_dim=2, hidden_units=(16,), batch_size=256, num_epochs=1,
        tensorboard=False, seed=0,
    )  # fmt: skip
    return ExperimentConfig(**{**settings, **changes})


def _train(config, run_dir, **options):
    return train.train(config, run_dir, verbose=0, figures=False, **options)


def _write_npz(path, flip=0):
    """A Keras-layout .npz of the digits; ``flip`` > 0 changes that many pixels of the training images."""
    (x_train, y_train), (x_test, y_test) = (data.load("digits", split) for split in ("train", "test"))
    x_train = x_train[..., 0].copy()
    x_train.reshape(-1)[:flip] = 255 - x_train.reshape(-1)[:flip]
    np.savez(path, x_train=x_train, y_train=y_train, x_test=x_test[..., 0], y_test=y_test)
    return f"npz:{path}"


def _stale(run_dir):
    return sorted(p.name for p in run_dir.parent.iterdir() if fingerprint.is_stale(p))


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A run folder of ``_config()``, trained once for the module: four tests start from a copy of it."""
    run_dir = tmp_path_factory.mktemp("trained") / "run"
    _train(_config(), run_dir)
    return run_dir


@pytest.fixture
def run_dir(trained, tmp_path):
    """A copy of ``trained`` in this test's folder: the same training, as if this test had trained it (a copy
    costs milliseconds, a training about 1.5 s of CPU; fingerprints hold no path)."""
    return Path(shutil.copytree(trained, tmp_path / "run"))


def test_the_same_training_is_reused_and_its_fingerprint_recorded(run_dir, capsys):
    first = train.read_state(run_dir)
    recorded = json.loads((run_dir / fingerprint.FILE).read_text())
    assert recorded["config"] == _config().to_dict()
    assert recorded["dataset_sha256"] is None  # digits is generated: no file behind it
    assert recorded["keras_backend"] == "tensorflow" and len(recorded["code_sha256"]) == 64
    # The modules a training runs, followed through the imports (architectures.py through models.py).
    assert {"vae_keras/train.py", "vae_keras/architectures.py", "vae_keras/data/pipeline.py"} <= set(
        recorded["code_files"]
    )
    assert "vae_keras/validation.py" not in recorded["code_files"]  # it only checks
    capsys.readouterr()
    _, _, again = _train(_config(), run_dir)
    assert "nothing to train" in capsys.readouterr().out
    assert again["history"] == first["history"] and _stale(run_dir) == []


def test_another_config_is_trained_from_scratch_and_the_old_folder_kept(run_dir, tmp_path, capsys):
    _, _, state = _train(_config(latent_dim=3), run_dir)
    out = capsys.readouterr().out
    assert "holds another training (latent_dim: 2 -> 3): moved it to run.stale-1; training from scratch." in out
    assert "nothing to train" not in out and state["epoch"] == 1 and len(state["history"]) == 1
    assert json.loads((run_dir / "config.json").read_text())["latent_dim"] == 3
    kept = tmp_path / "run.stale-1"
    assert json.loads((kept / "config.json").read_text())["latent_dim"] == 2 and (kept / "model.keras").is_file()


def test_other_data_bytes_at_the_same_path_retrain_and_the_same_bytes_elsewhere_do_not(tmp_path, capsys):
    run_dir, npz = tmp_path / "run", tmp_path / "digits.npz"
    dataset = _write_npz(npz)
    _train(_config(dataset=dataset), run_dir)
    sha = hashlib.sha256(npz.read_bytes()).hexdigest()
    assert json.loads((run_dir / fingerprint.FILE).read_text())["dataset_sha256"] == sha
    moved = tmp_path / "elsewhere.npz"
    npz.rename(moved)  # the same bytes at another path: the checksum decides, not the path
    capsys.readouterr()
    _train(_config(dataset=f"npz:{moved}"), run_dir)
    assert "nothing to train" in capsys.readouterr().out and _stale(run_dir) == []
    _write_npz(moved, flip=5)  # five pixels changed, same path, same shapes
    _, _, state = _train(_config(dataset=f"npz:{moved}"), run_dir)
    changed = hashlib.sha256(moved.read_bytes()).hexdigest()
    assert f"holds another training (dataset_sha256: {sha[:12]} -> {changed[:12]})" in capsys.readouterr().out
    assert state["epoch"] == 1 and _stale(run_dir) == ["run.stale-1"]


def test_another_backend_or_fewer_epochs_is_not_reused_as_is_but_a_checkpoint_may_continue(run_dir, capsys):
    recorded = json.loads((run_dir / fingerprint.FILE).read_text())
    (run_dir / fingerprint.FILE).write_text(json.dumps({**recorded, "keras_backend": "jax"}))
    capsys.readouterr()
    _, _, state = _train(_config(num_epochs=2), run_dir)  # continued: checkpoints cross backends
    assert _stale(run_dir) == [] and state["epoch"] == 2
    recorded = json.loads((run_dir / fingerprint.FILE).read_text())
    assert recorded["keras_backend"] == "tensorflow"  # the backend that trained last
    (run_dir / fingerprint.FILE).write_text(json.dumps({**recorded, "keras_backend": "jax"}))
    capsys.readouterr()
    _, _, state = _train(_config(num_epochs=2), run_dir)  # reused as it is: only on its own backend
    assert "(keras_backend: 'jax' -> 'tensorflow'): moved it to run.stale-1" in capsys.readouterr().out
    assert _stale(run_dir) == ["run.stale-1"] and len(state["history"]) == 2
    # Fewer epochs than a run trained is another training too; the next stale number is taken.
    _train(_config(), run_dir)
    assert "(num_epochs: 1 asked, fewer than the 2 it trained): moved it to run.stale-2" in capsys.readouterr().out


class _StopAfterFirstEpoch(train.keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        raise KeyboardInterrupt


def test_a_half_finished_run_of_other_code_is_not_resumed(tmp_path, capsys, monkeypatch):
    run_dir = tmp_path / "run"
    with pytest.raises(KeyboardInterrupt):
        _train(_config(num_epochs=2, checkpoint_every=1), run_dir, callbacks=[_StopAfterFirstEpoch()])
    assert train.read_state(run_dir)["status"] == "interrupted" and train.read_state(run_dir)["epoch"] == 1
    original = fingerprint.module_hash
    monkeypatch.setattr(  # as if vae_keras/models.py had been edited since
        fingerprint, "module_hash", lambda path: "0" * 64 if path.name == "models.py" else original(path)
    )
    capsys.readouterr()
    _, _, state = _train(_config(num_epochs=2, checkpoint_every=1), run_dir)
    out = capsys.readouterr().out
    assert "holds another training (code_sha256: vae_keras/models.py changed): moved it to run.stale-1" in out
    assert "Resuming" not in out and [row["epoch"] for row in state["history"]] == [1, 2]
    assert train.read_state(tmp_path / "run.stale-1")["status"] == "interrupted"


def test_a_folder_from_before_fingerprints_is_compared_by_its_settings(run_dir, capsys):
    (run_dir / fingerprint.FILE).unlink()
    capsys.readouterr()
    _train(_config(), run_dir)
    assert "has no fingerprint (it was trained before they were recorded); its settings match" in (
        capsys.readouterr().out
    )
    assert (run_dir / fingerprint.FILE).is_file() and _stale(run_dir) == []
    (run_dir / fingerprint.FILE).unlink()
    _train(_config(beta=0.5), run_dir)
    assert "holds another training (beta: 1.0 -> 0.5)" in capsys.readouterr().out


def test_the_code_hash_ignores_docstrings_comments_and_layout_but_not_code(tmp_path):
    versions = {
        "a": 'def f(x):\n    """Doubles."""\n    return 2 * x\n',
        "same": "# a comment\ndef f(x):\n\n    return 2*x  # why\n",
        "other": 'def f(x):\n    """Doubles."""\n    return 3 * x\n',
    }
    hashes = {}
    for name, source in versions.items():
        (tmp_path / f"{name}.py").write_text(source)
        hashes[name] = fingerprint.module_hash(tmp_path / f"{name}.py")
    assert hashes["a"] == hashes["same"] != hashes["other"]


def test_a_cached_evaluation_is_used_only_for_the_same_training_and_evaluation_code(tmp_path, capsys, monkeypatch):
    output = studies.Output(tmp_path, "nb")
    base = studies.base_config(**_config().to_dict())

    def evaluate_once():
        _, table = studies.train_variants(base, {"a": {}}, output, num_samples=2, eval_examples=50)
        return table.rows[0]["test_elbo"]

    evaluate_once()
    [cache] = output.run_dir("a").glob("study-evaluation-*.json")
    record = json.loads(cache.read_text())
    assert record["fingerprint"] == fingerprint.evaluation_fingerprint(output.run_dir("a"))
    record["metrics"]["elbo"] = 12345.0  # a marker: it shows whether the cache was used
    cache.write_text(json.dumps(record))
    assert evaluate_once() == 12345.0
    original = fingerprint.module_hash
    monkeypatch.setattr(  # as if vae_keras/evaluate.py had been edited since
        fingerprint, "module_hash", lambda path: "0" * 64 if path.name == "evaluate.py" else original(path)
    )
    capsys.readouterr()
    assert evaluate_once() != 12345.0
    assert "evaluated with another evaluation code; evaluating again." in capsys.readouterr().err
    record = json.loads(cache.read_text())
    record["metrics"]["elbo"] = 12345.0
    cache.write_text(json.dumps({**record, "fingerprint": {**record["fingerprint"], "training": "0" * 64}}))
    assert evaluate_once() != 12345.0
    assert "evaluated with another training; evaluating again." in capsys.readouterr().err


def test_results_json_records_the_datas_sha256_and_resume_reruns_a_notebook_on_other_bytes(
    tmp_path, capsys, monkeypatch
):
    import papermill

    out, npz = tmp_path / "out", tmp_path / "digits.npz"
    executed = []

    def fake_execute(source, target, parameters, **kwargs):
        executed.append(parameters["dataset"])
        nbformat.write(nbformat.v4.new_notebook(), target)

    monkeypatch.setattr(papermill, "execute_notebook", fake_execute)
    dataset = _write_npz(npz)
    runner.run("smoke", dataset=dataset, only="01", out=out, report=False)
    sha = hashlib.sha256(npz.read_bytes()).hexdigest()
    results = json.loads((out / "results.json").read_text())
    assert results["run"]["dataset_sha256"] == sha and results["notebooks"]["01_svhn_data"]["dataset_sha256"] == sha
    capsys.readouterr()
    runner.run("smoke", dataset=dataset, only="01", out=out, report=False, resume=True)
    assert "completed earlier, skipped (--resume)" in capsys.readouterr().out and len(executed) == 1
    _write_npz(npz, flip=5)
    runner.run("smoke", dataset=dataset, only="01", out=out, report=False, resume=True)
    changed = hashlib.sha256(npz.read_bytes()).hexdigest()
    assert f"completed earlier with other data (sha256 {sha[:12]} -> {changed[:12]})" in capsys.readouterr().out
    assert len(executed) == 2
    assert json.loads((out / "results.json").read_text())["run"]["dataset_sha256"] == changed
