"""`vae-keras progress OUT`: how far a long run has got, read from its files alone."""

import json
import subprocess
import sys

import pytest

from vae_keras import cli
from vae_keras.writeup import progress, runner


def _run_folder(path, num_epochs, epoch, status, seconds, csv=True):
    path.mkdir(parents=True)
    (path / "config.json").write_text(json.dumps({"num_epochs": num_epochs}))
    history = [{"epoch": i + 1, "loss": 1.0, "seconds": s} for i, s in enumerate(seconds)]
    (path / "state.json").write_text(json.dumps({"epoch": epoch, "status": status, "history": history}))
    if csv:
        rows = ["epoch,loss,seconds"] + [f"{h['epoch']},1.0,{h['seconds']}" for h in history]
        (path / "history.csv").write_text("\n".join(rows) + "\n")


@pytest.fixture
def run_out(tmp_path):
    out = tmp_path / "out"
    runs = out / "runs" / "06_mnist_reproduction"
    _run_folder(runs / "done", 3, 3, "completed", [10.0, 12.0, 11.0])
    _run_folder(runs / "half", 10, 4, "running", [20.0, 30.0, 20.0, 25.0], csv=False)  # only state.json so far
    status = {"06_mnist_reproduction": {"status": "running"}, "08_numpy_from_scratch": {"status": "completed"}}
    (out / "status.json").write_text(json.dumps(status))
    return out


def test_each_run_reports_its_epochs_pace_and_time_left(run_out):
    summary = progress.summarize(run_out)
    by_name = {n["name"]: n for n in summary["notebooks"]}
    assert list(by_name) == ["06_mnist_reproduction", "08_numpy_from_scratch"]  # the project's order
    runs = {r["name"]: r for r in by_name["06_mnist_reproduction"]["runs"]}
    assert runs["done"] == {
        "name": "done", "epoch": 3, "num_epochs": 3, "status": "completed", "trained_seconds": 33.0,
        "seconds_per_epoch": 11.0, "seconds_left": 0.0,
    }  # fmt: skip
    # The median epoch (22.5 s) times the 6 epochs to go.
    assert runs["half"]["seconds_per_epoch"] == 22.5 and runs["half"]["seconds_left"] == 6 * 22.5
    assert runs["half"]["trained_seconds"] == 95.0
    not_started = set(runner.list_notebooks()) - {"06_mnist_reproduction", "08_numpy_from_scratch"}
    assert set(summary["not_started"]) == not_started


def test_the_summary_reads_as_lines(run_out):
    text = progress.format_summary(progress.summarize(run_out))
    assert "06_mnist_reproduction: running or interrupted (`--resume` goes on)" in text
    assert "  done: completed, epoch 3/3, trained 33 s, 11.0 s/epoch\n" in text
    running = "running or interrupted (`--resume` goes on)"
    assert f"  half: {running}, epoch 4/10, trained 2 min, 22.5 s/epoch, ~2 min left" in text
    assert "08_numpy_from_scratch: completed" in text
    assert "Not started: 01_svhn_data" in text
    assert text.endswith("Trained 2 min so far; about 2 min left in the runs started so far.")


def test_a_run_without_a_pace_is_counted_as_unknown(run_out):
    _run_folder(run_out / "runs" / "07_latent_dimensions" / "fresh", 20, 0, "running", [])
    text = progress.format_summary(progress.summarize(run_out))
    assert "  fresh: running or interrupted (`--resume` goes on), epoch 0/20, trained 0 s, ~? left" in text
    assert text.endswith("(1 run could not be estimated).")


def test_a_folder_that_is_not_a_run_is_named(tmp_path, capsys):
    with pytest.raises(FileNotFoundError, match=r"`out` must be a folder written by `vae-keras run.*Received: '.*nope"):
        progress.summarize(tmp_path / "nope")
    assert cli.main(["progress", str(tmp_path)]) == cli.EXIT_BAD_INPUT
    assert "vae-keras progress: error: `out` must be a folder" in capsys.readouterr().err


def test_the_command_prints_it_without_loading_keras(run_out):
    code = (
        "import sys; from vae_keras import cli; status = cli.main(['progress', sys.argv[1]]); "
        "assert 'keras' not in sys.modules and 'tensorflow' not in sys.modules, 'progress loaded Keras'; "
        "sys.exit(status)"
    )
    done = subprocess.run([sys.executable, "-c", code, str(run_out)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(f"Progress of {run_out}\n") and "half:" in done.stdout
