"""The `vae-keras` command: train, evaluate, and clear errors with exit status 2."""

import json
import subprocess
import sys

import pytest

from vae_keras import cli

FAST = [
    "--dataset",
    "digits",
    "--num-epochs",
    "2",
    "--hidden-units",
    "32",
    "--latent-dim",
    "2",
    "--binarize",
    "true",
]


def test_train_then_evaluate(tmp_path, capsys):
    run_dir = tmp_path / "run"
    assert cli.main(["train", "--out", str(run_dir), *FAST]) == 0
    assert json.loads((run_dir / "config.json").read_text())["latent_dim"] == 2
    assert cli.main(["evaluate", str(run_dir), "--k", "20"]) == 0
    out = capsys.readouterr().out
    assert "log p(x) (IW, k=20" in out and "bits/dim" in out
    assert "± standard error over 360 images" in out and "binarised once with seed 0" in out
    test_metrics = json.loads((run_dir / "metrics-test-k20.json").read_text())
    assert test_metrics["num_samples"] == 20 and test_metrics["split"] == "test"
    assert test_metrics["num_examples"] == test_metrics["num_examples_in_split"] == 360
    assert test_metrics["seed"] == 0 and test_metrics["subset"] is None
    assert test_metrics["input_protocol"].startswith("binarised once with seed 0")
    assert test_metrics["stderr"] == "standard error of the mean over 360 images (std / sqrt(n))"
    # The whole test split is also the run's metrics.json (the file the README names).
    assert json.loads((run_dir / "metrics.json").read_text()) == test_metrics

    # Another split gets its own file and leaves the test split's alone.
    assert cli.main(["evaluate", str(run_dir), "--k", "5", "--split", "train", "--seed", "3"]) == 0
    train_metrics = json.loads((run_dir / "metrics-train-k5.json").read_text())
    assert train_metrics["split"] == "train" and train_metrics["seed"] == 3
    assert "binarised once with seed 3" in train_metrics["input_protocol"]
    assert json.loads((run_dir / "metrics.json").read_text()) == test_metrics
    assert json.loads((run_dir / "metrics-test-k20.json").read_text()) == test_metrics

    # --max-examples: a seeded random subset, said in the output and in the file name.
    capsys.readouterr()
    assert cli.main(["evaluate", str(run_dir), "--k", "5", "--max-examples", "40", "--seed", "7"]) == 0
    out = capsys.readouterr().out
    assert "40 of the 360 images, drawn at random with seed 7" in out
    assert "± standard error over 40 images" in out and "metrics-test-k5-n40.json" in out
    subset_metrics = json.loads((run_dir / "metrics-test-k5-n40.json").read_text())
    assert subset_metrics["num_examples"] == 40 and subset_metrics["seed"] == 7
    assert "seed 7" in subset_metrics["subset"]
    assert json.loads((run_dir / "metrics.json").read_text()) == test_metrics


def test_config_file_and_flags_combine(tmp_path):
    (tmp_path / "c.yaml").write_text("dataset: digits\nlatent_dim: 3\nnum_epochs: 1\nhidden_units: [16]\n")
    run_dir = tmp_path / "run"
    assert cli.main(["train", "--config", str(tmp_path / "c.yaml"), "--latent-dim", "5", "--out", str(run_dir)]) == 0
    saved = json.loads((run_dir / "config.json").read_text())
    assert (saved["latent_dim"], saved["num_epochs"], saved["hidden_units"]) == (5, 1, [16])


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["train", "--latent-dim", "0"], "latent_dim=0"),
        (["train", "--num-epochs", "-3"], "num_epochs=-3"),
        (["train", "--likelihood", "laplace"], "likelihood='laplace'"),
        (["train", "--dataset", "cifar"], "cifar"),
        (["train", "--config", "nope.yaml"], "nope.yaml"),
        (["evaluate", "no-such-run"], "Not a run folder"),
        (["evaluate", "no-such-run", "--k", "0"], "--k 0"),
    ],
)
def test_bad_input_exits_2_with_a_message_naming_the_value(argv, message, capsys, tmp_path):
    if argv[0] == "train":
        argv = [*argv, "--out", str(tmp_path / "run")]
    assert cli.main(argv) == cli.EXIT_BAD_INPUT
    err = capsys.readouterr().err
    assert message in err and "error:" in err
    assert not (tmp_path / "run" / "model.keras").exists()


def test_misspelled_flag_is_rejected_by_argparse(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["train", "--latent-dims", "3"])
    assert exit_info.value.code == 2
    assert "--latent-dim" in capsys.readouterr().err


def test_python_dash_m_and_the_console_script_agree():
    module = subprocess.run([sys.executable, "-m", "vae_keras", "--version"], capture_output=True, text=True)
    script = subprocess.run(
        [sys.executable.replace("python", "vae-keras"), "--version"], capture_output=True, text=True
    )
    assert module.returncode == script.returncode == 0
    assert module.stdout == script.stdout and module.stdout.strip()


def test_help_lists_every_setting(capsys):
    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    out = capsys.readouterr().out
    for flag in ("--latent-dim", "--variance-floor", "--kl-warmup-epochs", "--steps-per-execution"):
        assert flag in out


def test_the_command_line_logs_its_own_info_lines_and_not_other_libraries():
    # JAX logs "Unable to initialize backend 'tpu'" at INFO on every machine without a TPU.
    code = (
        "import logging; from vae_keras import cli; cli.main(['--version']); "
        "print(logging.getLogger('jax._src.xla_bridge').isEnabledFor(logging.INFO), "
        "logging.getLogger('vae_keras.train').isEnabledFor(logging.INFO))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.stdout.split()[-2:] == ["False", "True"], result.stderr


def test_a_failed_run_ends_with_a_count_not_the_failures_again(monkeypatch, capsys):
    from vae_keras.writeup import runner

    def fail(*args, **kwargs):
        raise runner.NotebookFailedError("01_svhn_data failed in cell 3: E: x; 02_x failed in cell 1: E: y")

    monkeypatch.setattr(runner, "run", fail)
    assert cli.main(["run", "--profile", "smoke", "--verbose"]) == 1
    assert capsys.readouterr().err == "vae-keras run: 2 notebooks failed (FAILED above)\n"
