"""vae_keras.run_folder: one place names the files of a training's run folder, and they are the files train writes."""

import ast
import inspect
import json

import pytest

from vae_keras import evaluate, fingerprint, run_folder, train
from vae_keras.config import ExperimentConfig
from vae_keras.run_folder import RunFolder


def test_the_names_train_and_fingerprint_define_are_the_same():
    assert run_folder.STATE == train.STATE_FILE
    assert run_folder.PREPROCESSOR == train.PREPROCESSOR_FILE
    assert run_folder.COMPLETED == train.COMPLETED
    assert run_folder.FINGERPRINT == fingerprint.FILE


def test_the_names_train_writes_as_literals_are_in_its_source():
    # train.py keeps its own literals for these (it is not edited while a study trains against its code's hash);
    # renaming one there must fail here, not in a reader of the folder.
    literals = {node.value for node in ast.walk(ast.parse(inspect.getsource(train))) if isinstance(node, ast.Constant)}
    names = (run_folder.CONFIG, run_folder.HISTORY, run_folder.MODEL, run_folder.CHECKPOINTS, run_folder.FIGURES)
    assert {name for name in names if name not in literals} == set()
    assert run_folder.DIVERGED in literals  # the status the divergence guard's stop is marked with


def test_a_run_folder_names_its_files_under_its_path(tmp_path):
    folder = RunFolder(str(tmp_path / "run"))
    assert folder.path == tmp_path / "run"
    assert folder.state == tmp_path / "run" / "state.json"
    assert folder.preprocessor == tmp_path / "run" / "preprocessor.json"
    assert folder.checkpoints == tmp_path / "run" / "checkpoints"
    assert "status" in type(folder).state.__doc__
    with pytest.raises(AttributeError):
        folder.path = tmp_path  # a value: one folder, one set of names


def test_reading_a_missing_or_half_written_state_gives_none(tmp_path):
    folder = RunFolder(tmp_path)
    assert folder.read_state() is None and folder.read_config() is None
    folder.state.write_text('{"status": "runn')  # another process is writing it
    assert folder.read_state() is None
    folder.state.write_text(json.dumps({"status": run_folder.COMPLETED, "epoch": 2}))
    assert folder.read_state() == {"status": "completed", "epoch": 2}


def test_a_training_writes_every_file_the_run_folder_names_and_evaluate_reads_them(tmp_path):
    config = ExperimentConfig(
        dataset="digits",
        input_space="pca",
        pca_components=10,
        likelihood="gaussian_fitted",
        latent_dim=2,
        hidden_units=(16,),
        batch_size=64,
        num_epochs=2,
        seed=0,
    )
    folder = RunFolder(tmp_path / "run")
    train.train(config, folder.path, verbose=0)
    for path in (folder.config, folder.state, folder.history, folder.model, folder.preprocessor, folder.fingerprint):
        assert path.is_file(), path.name
    assert [p.suffix for p in folder.checkpoints.iterdir()] == [".keras"] and folder.figures.is_dir()
    assert folder.read_state()["status"] == run_folder.COMPLETED and folder.read_state()["epoch"] == 2
    assert folder.read_config()["pca_components"] == 10
    metrics = evaluate.evaluate_run(folder.path, num_samples=4, verbose=0)
    assert json.loads(folder.metrics.read_text()) == metrics  # the whole test split's evaluation
    assert "log_det_jacobian" in metrics  # set only when the preprocessor was found and reloaded
