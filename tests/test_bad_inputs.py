"""The bad-input catalogue: every case fails with a message naming the bad value and what is accepted.

Sections: the command line (flags), config files, run folders (existing, damaged or unfinished),
the Python API, and papermill parameters. Each case checks three things:

1. it exits non-zero (status 2) or raises ``ValueError``/``FileNotFoundError``;
2. the message names the bad value and says what would be accepted;
3. it leaves nothing behind that could pass for a result: a fresh ``--out`` folder is not even
   created, and an existing run folder is left byte for byte as it was.
"""

import json
import shutil

import numpy as np
import pytest

from vae_keras import cli

# --------------------------------------------------------------------------
# Fixtures: bad files, and one small completed run to damage
# --------------------------------------------------------------------------

BAD_FILES = {
    "typo.yaml": "latent_dims: 3\n",
    "wrong_type.yaml": "num_epochs: ten\n",
    "negative_epochs.yaml": "num_epochs: -1\n",
    "unknown_likelihood.json": '{"likelihood": "poisson"}',
    "corrupt.yaml": "latent_dim: [3\n  bad: {",
    "corrupt.json": '{"latent_dim": 3,',
    "list.yaml": "- latent_dim\n- 3\n",
    "settings.txt": "latent_dim = 3\n",
    "corrupt.npz": "this is not a zip file",
}

# The settings of the small completed run; CLI cases that resume it pass the same flags.
RUN_FLAGS = [
    "--dataset", "digits", "--binarize", "true", "--latent-dim", "2", "--hidden-units", "16",
    "--batch-size", "256", "--num-epochs", "1",
]  # fmt: skip


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad_files")
    for name, text in BAD_FILES.items():
        (folder / name).write_text(text)
    # Keras-layout .npz files: no training images at all, and only three.
    three = {"x": np.zeros((3, 8, 8), np.uint8), "y": np.zeros(3, np.int64)}
    for name, size in (("empty.npz", 0), ("three.npz", 3)):
        np.savez(
            folder / name, x_train=three["x"][:size], y_train=three["y"][:size], x_test=three["x"], y_test=three["y"]
        )
    return folder


@pytest.fixture(scope="module")
def completed_run(tmp_path_factory):
    run_dir = tmp_path_factory.mktemp("completed") / "run"
    assert cli.main(["train", "--out", str(run_dir), *RUN_FLAGS]) == 0
    return run_dir


def _snapshot(folder):
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _run_cli(argv, capsys):
    """``cli.main(argv)``: (exit status, stderr). argparse's own errors exit via SystemExit."""
    try:
        status = cli.main(argv)
    except SystemExit as error:
        status = error.code
    return status, capsys.readouterr().err


def _assert_names(message, bad, accepted):
    assert bad in message, f"the message does not name the bad value {bad!r}:\n{message}"
    assert accepted in message, f"the message does not say what is accepted ({accepted!r}):\n{message}"


# --------------------------------------------------------------------------
# Command line: flags of `vae-keras train`, `evaluate` and `run`
# --------------------------------------------------------------------------

# (argv, text naming the bad value, text naming what is accepted); {files} is the fixture folder.
CLI_CASES = [
    pytest.param(["train", "--latent-dims", "3"], "--latent-dims", "Did you mean --latent-dim", id="misspelled-flag"),
    pytest.param(["train", "--latent-dim", "0"], "latent_dim=0", "integer >= 1", id="latent-dim-zero"),
    pytest.param(["train", "--num-epochs", "-3"], "num_epochs=-3", "integer >= 0", id="negative-epochs"),
    pytest.param(["train", "--batch-size", "abc"], "batch_size='abc'", "must be an integer", id="batch-size-text"),
    pytest.param(
        ["train", "--batch-size", "5000"],
        "batch_size=5000",
        "must not exceed the number of training examples (1293)",
        id="batch-size-larger-than-dataset",
    ),
    pytest.param(["train", "--learning-rate", "fast"], "learning_rate='fast'", "must be a number", id="lr-text"),
    pytest.param(["train", "--learning-rate", "0"], "learning_rate=0.0", "finite number > 0", id="lr-zero"),
    pytest.param(["train", "--binarize", "maybe"], "binarize='maybe'", "must be true or false", id="bool-text"),
    pytest.param(
        ["train", "--hidden-units", "512,abc"], "hidden_units=['512', 'abc']", "list of integers", id="units-list"
    ),
    pytest.param(
        ["train", "--validation-fraction", "1.5"], "validation_fraction=1.5", "in [0, 1)", id="fraction-range"
    ),
    pytest.param(["train", "--variance-floor", "nan"], "variance_floor=nan", "finite number > 0", id="floor-nan"),
    pytest.param(
        ["train", "--likelihood", "laplace"], "likelihood='laplace'", "Accepted: bernoulli", id="unknown-likelihood"
    ),
    pytest.param(
        ["train", "--jit-compile", "maybe"], "jit_compile='maybe'", "Accepted: auto, true, false", id="unknown-choice"
    ),
    pytest.param(
        ["train", "--likelihood", "gaussian_fixed"],  # with --binarize true, added below
        "likelihood='gaussian_fixed'",
        "needs a likelihood of binary pixels ('bernoulli')",
        id="binarize-needs-bernoulli",
    ),
    pytest.param(
        ["train", "--max-train-examples", "-5"], "max_train_examples=-5", "integer >= 0", id="negative-examples"
    ),
    pytest.param(["train", "--dataset", "cifar"], "name='cifar'", "Accepted: digits, mnist, svhn", id="dataset"),
    pytest.param(
        ["train", "--train-split", "validation"], "split='validation'", "Accepted: train, test, all", id="split"
    ),
    pytest.param(
        ["train", "--dataset", "npz:{files}/missing.npz"],
        "missing.npz",
        "Pass an existing file as 'npz:PATH'",
        id="dataset-file-missing",
    ),
    pytest.param(
        ["train", "--dataset", "npz:{files}/corrupt.npz"], "corrupt.npz", "as an .npz file", id="dataset-file-corrupt"
    ),
    pytest.param(
        ["train", "--dataset", "npz:{files}/empty.npz", "--validation-fraction", "0"],
        "0 examples",
        "must hold at least one example",
        id="empty-dataset",
    ),
    pytest.param(
        ["train", "--dataset", "npz:{files}/empty.npz"], "Received: 0", "at least 2 examples", id="empty-to-split"
    ),
    pytest.param(
        ["train", "--dataset", "npz:{files}/three.npz", "--validation-fraction", "0"],
        "batch_size=100",
        "must not exceed the number of training examples (3)",
        id="dataset-smaller-than-batch",
    ),
    pytest.param(["evaluate", "{files}/no-run"], "no-run", "Create one with `vae-keras train", id="evaluate-no-run"),
    pytest.param(["evaluate", "{files}/no-run", "--k", "0"], "--k 0", "integer >= 1", id="evaluate-k-zero"),
    pytest.param(["evaluate", "{files}/no-run", "--k", "many"], "'many'", "invalid int value", id="evaluate-k-text"),
    pytest.param(["evaluate", "{files}/no-run", "--kk", "5"], "--kk", "Did you mean --k", id="evaluate-misspelled"),
    pytest.param(["run", "--profile", "nope"], "'nope'", "or the path of a YAML file", id="unknown-profile"),
]


@pytest.mark.parametrize(("argv", "bad", "accepted"), CLI_CASES)
def test_command_line(argv, bad, accepted, files, tmp_path, capsys):
    argv = [arg.replace("{files}", str(files)) for arg in argv]
    out = tmp_path / "out"
    if argv[0] in ("train", "run"):
        argv += ["--out", str(out)]
    if argv[0] == "train" and "--likelihood" in argv and "gaussian_fixed" in argv:
        argv += ["--binarize", "true"]
    if argv[0] == "train" and "--num-epochs" not in argv:
        argv += ["--num-epochs", "1"]  # should a case train by mistake, it stays short
    before = _snapshot(files)
    status, err = _run_cli(argv, capsys)
    assert status == cli.EXIT_BAD_INPUT, err
    assert "error:" in err
    _assert_names(err, bad, accepted)
    assert not out.exists(), sorted(p.name for p in out.rglob("*"))
    assert _snapshot(files) == before


# --------------------------------------------------------------------------
# Config files (`vae-keras train --config FILE`)
# --------------------------------------------------------------------------

CONFIG_CASES = [
    pytest.param("typo.yaml", "'latent_dims'", "Did you mean 'latent_dim'?", id="misspelled-setting"),
    pytest.param("wrong_type.yaml", "num_epochs='ten'", "must be an integer", id="wrong-type"),
    pytest.param("negative_epochs.yaml", "num_epochs=-1", "integer >= 0", id="negative-epochs"),
    pytest.param("unknown_likelihood.json", "likelihood='poisson'", "Accepted: bernoulli", id="unknown-choice"),
    pytest.param("corrupt.yaml", "corrupt.yaml", "Accepted: a YAML mapping of settings", id="corrupt-yaml"),
    pytest.param("corrupt.json", "corrupt.json", "Accepted: a JSON object of settings", id="corrupt-json"),
    pytest.param("list.yaml", "Received: a list", "a mapping of settings", id="not-a-mapping"),
    pytest.param("settings.txt", "settings.txt", "Accepted: .json, .yaml, .yml", id="unsupported-type"),
    pytest.param("missing.yaml", "missing.yaml", "Accepted: an existing .json, .yaml or .yml file", id="missing"),
]


@pytest.mark.parametrize(("name", "bad", "accepted"), CONFIG_CASES)
def test_config_file(name, bad, accepted, files, tmp_path, capsys):
    out = tmp_path / "out"
    status, err = _run_cli(["train", "--config", str(files / name), "--out", str(out)], capsys)
    assert status == cli.EXIT_BAD_INPUT, err
    _assert_names(err, bad, accepted)
    assert not out.exists()


# --------------------------------------------------------------------------
# Run folders: another run's folder, damaged files, an unfinished run
# --------------------------------------------------------------------------


def _damage_checkpoint(run_dir):
    checkpoint = run_dir / "checkpoints" / "epoch-000001.keras"
    checkpoint.write_bytes(checkpoint.read_bytes()[:2000])


def _damage_state(run_dir):
    (run_dir / "state.json").write_text('{"status": "runn')


def _damage_model(run_dir):
    (run_dir / "model.keras").write_bytes(b"PK\x03\x04 truncated")


def _unfinish(run_dir):
    state = json.loads((run_dir / "state.json").read_text())
    state["status"] = "running"
    (run_dir / "state.json").write_text(json.dumps(state))
    (run_dir / "model.keras").unlink()


def _run_flags(**changes):
    flags = list(RUN_FLAGS)
    for name, value in changes.items():
        flags[flags.index(f"--{name.replace('_', '-')}") + 1] = value
    return flags


# Other settings in a run folder are not bad input: that folder is moved aside and trained anew
# (tests/test_fingerprint.py).
RUN_FOLDER_CASES = [
    pytest.param(
        None, ["train", "--no-resume", *RUN_FLAGS], "already holds a run", "leave out --no-resume", id="no-resume"
    ),
    pytest.param(
        _damage_checkpoint,
        ["train", *_run_flags(num_epochs="2")],
        "epoch-000001.keras",
        "Accepted: a complete .keras file",
        id="corrupt-checkpoint",
    ),
    pytest.param(
        _damage_state, ["train", *RUN_FLAGS], "state.json", "Accepted: a state.json written by", id="corrupt-state"
    ),
    pytest.param(
        _damage_model, ["evaluate", "--k", "2"], "model.keras", "an accessible `.keras` zip file", id="corrupt-model"
    ),
    pytest.param(
        _unfinish,
        ["evaluate", "--k", "2"],
        "status='running'",
        "Finish it with `vae-keras train`",
        id="evaluate-unfinished",
    ),
    pytest.param(
        None, ["evaluate", "--split", "validation"], "split='validation'", "Accepted: train, test", id="evaluate-split"
    ),
    pytest.param(
        None, ["evaluate", "--max-examples", "-1"], "--max-examples -1", "integer >= 0", id="evaluate-max-examples"
    ),
    pytest.param(
        None, ["evaluate", "--batch-size", "0"], "--batch-size 0", "integer >= 1", id="evaluate-batch-size-zero"
    ),
]


@pytest.mark.parametrize(("damage", "argv", "bad", "accepted"), RUN_FOLDER_CASES)
def test_run_folder(damage, argv, bad, accepted, completed_run, tmp_path, capsys):
    run_dir = tmp_path / "run"
    shutil.copytree(completed_run, run_dir)
    if damage is not None:
        damage(run_dir)
    before = _snapshot(run_dir)
    if argv[0] == "train":
        argv = [*argv, "--out", str(run_dir)]
    else:
        argv = [argv[0], str(run_dir), *argv[1:]]
    status, err = _run_cli(argv, capsys)
    assert status == cli.EXIT_BAD_INPUT, err
    _assert_names(err, bad, accepted)
    # Nothing written: no metrics.json, no new checkpoint or model, state.json untouched.
    assert _snapshot(run_dir) == before


# --------------------------------------------------------------------------
# Python API
# --------------------------------------------------------------------------


def _config(**changes):
    from vae_keras import config

    settings = dict(dataset="digits", binarize=True, latent_dim=2, hidden_units=(16,), batch_size=256, num_epochs=1)
    return config.ExperimentConfig(**{**settings, **changes})


def _small_vae():
    from vae_keras import models

    return models.build_vae((8, 8, 1), 2, hidden_units=(8,))


def _api_case(name):
    """The call of case ``name``; ``run_dir`` is where a training call would write."""
    from vae_keras import config, data, evaluate, likelihoods, models, train

    def train_with(**changes):
        return lambda run_dir: train.train(_config(**changes), run_dir, verbose=0)

    calls = {
        "config-wrong-type": lambda run_dir: _config(latent_dim="eight"),
        "config-bool-for-int": lambda run_dir: _config(num_epochs=True),
        "config-negative-epochs": lambda run_dir: _config(num_epochs=-1),
        "config-unknown-choice": lambda run_dir: _config(optimizer="adamw"),
        "config-misspelled-key": lambda run_dir: config.ExperimentConfig.from_dict({"latnet_dim": 3}),
        "config-replace-zero-batch": lambda run_dir: _config().replace(batch_size=0),
        "config-load-missing": lambda run_dir: config.ExperimentConfig.load(run_dir / "missing.json"),
        "train-unknown-dataset": train_with(dataset="cifar"),
        "train-batch-larger-than-data": train_with(batch_size=5000),
        "train-init-from-missing": train_with(init_from="nope.keras"),
        "data-unknown-split": lambda run_dir: data.load("digits", "validation"),
        "likelihood-unknown": lambda run_dir: likelihoods.get("laplace"),
        "likelihood-negative-sigma": lambda run_dir: likelihoods.get("gaussian_fixed", sigma=-1.0),
        "model-unknown-architecture": lambda run_dir: models.build_vae((8, 8, 1), 2, architecture="rnn"),
        "log-likelihood-zero-samples": lambda run_dir: evaluate.log_likelihood(
            _small_vae(), np.zeros((2, 8, 8, 1), "float32"), num_samples=0
        ),
        "log-likelihood-wrong-shape": lambda run_dir: evaluate.log_likelihood(
            _small_vae(), np.zeros((2, 28, 28, 1), "float32"), num_samples=2
        ),
        "bits-per-dim-zero-dims": lambda run_dir: evaluate.bits_per_dim(-10.0, num_dims=0),
        "evaluate-run-missing": lambda run_dir: evaluate.evaluate_run(run_dir),
    }
    return calls[name]


# (case, exception, text naming the bad value, text naming what is accepted)
API_CASES = [
    ("config-wrong-type", ValueError, "latent_dim='eight'", "must be an integer"),
    ("config-bool-for-int", ValueError, "num_epochs=True", "must be an integer"),
    ("config-negative-epochs", ValueError, "num_epochs=-1", "integer >= 0"),
    ("config-unknown-choice", ValueError, "optimizer='adamw'", "Accepted: adam, adagrad, sgd, rmsprop"),
    ("config-misspelled-key", ValueError, "'latnet_dim'", "Did you mean 'latent_dim'?"),
    ("config-replace-zero-batch", ValueError, "batch_size=0", "integer >= 1"),
    ("config-load-missing", FileNotFoundError, "missing.json", "Accepted: an existing .json"),
    ("train-unknown-dataset", ValueError, "name='cifar'", "Accepted: digits, mnist, svhn"),
    ("train-batch-larger-than-data", ValueError, "batch_size=5000", "number of training examples (1293)"),
    ("train-init-from-missing", FileNotFoundError, "init_from='nope.keras'", "must name a saved .keras model"),
    ("data-unknown-split", ValueError, "split='validation'", "Accepted: train, test, all"),
    ("likelihood-unknown", ValueError, "likelihood='laplace'", "Accepted: bernoulli"),
    ("likelihood-negative-sigma", ValueError, "sigma=-1.0", "finite number > 0"),
    ("model-unknown-architecture", ValueError, "architecture='rnn'", "Accepted: "),
    ("log-likelihood-zero-samples", ValueError, "num_samples=0", "integer >= 1"),
    ("log-likelihood-wrong-shape", ValueError, "x.shape=(2, 28, 28, 1)", "must have shape (n, 8, 8, 1)"),
    ("bits-per-dim-zero-dims", ValueError, "num_dims=0", ">= 1"),
    ("evaluate-run-missing", FileNotFoundError, "run_dir=", "Create one with `vae-keras train"),
]


@pytest.mark.parametrize(("name", "error", "bad", "accepted"), API_CASES, ids=[case[0] for case in API_CASES])
def test_python_api(name, error, bad, accepted, tmp_path):
    run_dir = tmp_path / "run"
    with pytest.raises(error) as raised:
        _api_case(name)(run_dir)
    _assert_names(str(raised.value), bad, accepted)
    assert not run_dir.exists()


# --------------------------------------------------------------------------
# Papermill parameters (`vae-keras run` / notebooks)
# --------------------------------------------------------------------------
# Profiles are flat YAML files of notebook parameters; the runner checks them against every
# notebook's `parameters` cell before it executes anything, so a bad profile creates no run folder.
PROFILE_CASES = [
    pytest.param("num_epoch: 3\n", [], "'num_epoch'", "Did you mean 'num_epochs'", id="misspelled-parameter"),
    pytest.param("num_epochs: three\n", [], "num_epochs='three'", "must be of type int", id="wrong-type-int"),
    pytest.param("sigmas: 0.1\n", [], "sigmas=0.1", "must be of type list", id="wrong-type-list"),
    pytest.param("- 1\n- 2\n", [], "holds a list", "a mapping of parameter names", id="profile-not-a-mapping"),
    pytest.param("num_epochs: [1\n", [], "not valid YAML", "Accepted: a mapping", id="profile-invalid-yaml"),
    pytest.param("num_epochs: 1\n", ["--only", "42"], "'42'", "Accepted: 01_svhn_data", id="unknown-notebook"),
]


@pytest.mark.parametrize(("profile", "extra", "bad", "accepted"), PROFILE_CASES)
def test_papermill_parameters(profile, extra, bad, accepted, tmp_path, capsys):
    (tmp_path / "profile.yaml").write_text(profile)
    out = tmp_path / "study"
    status, err = _run_cli(["run", "--profile", str(tmp_path / "profile.yaml"), "--out", str(out), *extra], capsys)
    assert status == 2
    _assert_names(err, bad, accepted)
    assert not out.exists()


def test_a_bad_dataset_parameter_is_refused_before_any_notebook_starts(tmp_path, capsys):
    # `vae-keras run` checks the dataset once (vae_keras.validation.check_dataset) before it starts a kernel:
    # an unknown name no longer fails inside notebook 01, it creates no run folder at all.
    out = tmp_path / "study"
    status, err = _run_cli(
        ["run", "--profile", "smoke", "--only", "01", "--dataset", "cifar", "--out", str(out)], capsys
    )
    assert status == cli.EXIT_BAD_INPUT
    _assert_names(err, "'cifar'", "digits")
    assert not out.exists()
