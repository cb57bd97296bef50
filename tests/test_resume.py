"""Resume after SIGKILL: a real `python -m vae_keras train` is killed at random points and rerun.

Each kill lands at a point drawn from a seeded RNG, anchored to what the run is doing so that it
hits training rather than the interpreter's start-up:

* ``epoch``: a random moment inside an epoch (after at least one epoch of this launch);
* ``checkpoint``: while a checkpoint is being written (its temporary file exists);
* ``final``: while the final ``model.keras`` is being written;
* ``anytime``: a random number of seconds after launch (start-up, tracing, saves, anything).

After every kill the run folder must be consistent (state.json points at an existing checkpoint
of its epoch, history has epochs 1..epoch), no recorded epoch may be lost, and the rerun must
say that it resumes from exactly that epoch. At the end the run must be complete and exact.
"""

import csv
import json
import os
import queue
import random
import re
import signal
import subprocess
import sys
import threading
import time

import pytest

from vae_keras import io_utils

NUM_EPOCHS = 14
TIMEOUT = 120  # seconds one launch may take before the test gives up on it


def _command(run_dir, num_epochs=NUM_EPOCHS, **extra):
    settings = {
        "dataset": "digits",
        "binarize": "true",
        "latent-dim": 4,
        "hidden-units": 64,
        "batch-size": 32,
        "steps-per-execution": 1,
        "checkpoint-every": 1,
        "num-epochs": num_epochs,
        "seed": 3,
        **extra,
    }
    flags = [item for name, value in settings.items() for item in (f"--{name}", str(value))]
    return [sys.executable, "-m", "vae_keras", "train", "--out", str(run_dir), *flags]


class Launch:
    """One training process; a thread reads its stdout into ``lines`` (with arrival times)."""

    def __init__(self, command, cwd):
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.started = time.monotonic()
        self.process = subprocess.Popen(
            command, cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.queue = queue.Queue()
        self.lines = []
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.process.stdout:
            self.lines.append((time.monotonic() - self.started, line))
            self.queue.put(line)
        self.queue.put(None)

    @property
    def output(self):
        return "".join(line for _, line in self.lines)

    def seconds_until(self, pattern):
        """Seconds from launch to the first line matching ``pattern`` (``None`` if none)."""
        return next((seconds for seconds, line in self.lines if re.search(pattern, line)), None)

    def wait_for_line(self, pattern):
        """Blocks until a line matches ``pattern``; ``None`` if the process ended first."""
        while time.monotonic() < self.started + TIMEOUT:
            try:
                line = self.queue.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                return None
            if re.search(pattern, line):
                return line
        raise AssertionError(f"timed out waiting for {pattern!r}; output:\n{self.output}")

    def wait_for_file(self, folder, prefix):
        """Polls until a new file named ``prefix*`` appears; ``False`` if the process ended first.

        Files of that name left by an earlier kill do not count (the run removes them as it starts).
        """
        old = set(os.listdir(folder)) if folder.is_dir() else set()
        while time.monotonic() < self.started + TIMEOUT:
            if self.process.poll() is not None:
                return False
            try:
                if any(name.startswith(prefix) and name not in old for name in os.listdir(folder)):
                    return True
            except FileNotFoundError:
                pass
            time.sleep(0.001)
        raise AssertionError(f"timed out waiting for {prefix}* in {folder}; output:\n{self.output}")

    def kill(self):
        """SIGKILLs the process; returns whether it was still running (a real kill)."""
        alive = self.process.poll() is None
        if alive:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)
        self.reader.join(timeout=10)
        return alive and self.process.returncode == -signal.SIGKILL

    def finish(self):
        """Waits for the process to exit; returns ``(returncode, output)``."""
        self.process.wait(timeout=TIMEOUT)
        self.reader.join(timeout=10)
        return self.process.returncode, self.output


def _read_state(run_dir):
    path = run_dir / "state.json"
    return json.loads(path.read_text()) if path.exists() else None


def _stray_temporaries(run_dir):
    return sorted(str(p.relative_to(run_dir)) for p in run_dir.rglob("*") if io_utils.is_temporary(p))


def _history(run_dir):
    """Every per-epoch number of state.json but the wall-clock seconds."""
    return [{key: value for key, value in row.items() if key != "seconds"} for row in _read_state(run_dir)["history"]]


def _check_consistent(run_dir, state):
    """What a kill at any moment must leave: state.json, history and checkpoint agree."""
    epoch = state["epoch"]
    assert [row["epoch"] for row in state["history"]] == list(range(1, epoch + 1)), state["history"]
    if epoch:
        assert state["checkpoint"] == f"checkpoints/epoch-{epoch:06d}.keras"
        assert (run_dir / state["checkpoint"]).is_file()
    else:
        assert state["checkpoint"] is None


def _kill_once(kind, rng, run_dir, command, cwd, startup_seconds):
    """Starts ``command`` and SIGKILLs it at a point of ``kind``.

    Returns:
        ``(launch, killed, leftovers)``: the launch, whether the kill hit a running
        process, and the temporary files it left in the run folder.
    """
    launch = Launch(command, cwd)
    if kind == "anytime":
        time.sleep(rng.uniform(0.3, startup_seconds + 1.5))
    else:
        line = launch.wait_for_line(r"^Training .* for epochs")
        first = int(re.search(r"for epochs (\d+)\.\.", line).group(1)) if line else NUM_EPOCHS + 1
        if kind == "epoch":
            # Inside epoch first + 1 or first + 2: this launch completes at least one epoch first.
            target = first + rng.choice([1, 2])
            if target <= NUM_EPOCHS and launch.wait_for_line(rf"^Epoch {target}/{NUM_EPOCHS}$"):
                time.sleep(rng.uniform(0.0, 0.4))
        elif kind == "checkpoint":
            launch.wait_for_file(run_dir / "checkpoints", ".epoch-")
        elif kind == "final":
            launch.wait_for_file(run_dir, ".model.keras.")
        else:
            raise ValueError(f"Unknown kill point. Received: kind={kind!r}")
    killed = launch.kill()
    return launch, killed, _stray_temporaries(run_dir) if killed else []


def _kill_and_resume(tmp_path, kinds, seed):
    """Kills the same command once per entry of ``kinds``, then runs it to completion."""
    rng = random.Random(seed)
    run_dir = tmp_path / "run"
    command = _command(run_dir)
    recorded = 0  # the epoch state.json records: no kill may lose it
    kills, leftovers, startup_seconds = 0, [], None
    for kind in kinds:
        launch, killed, left = _kill_once(kind, rng, run_dir, command, tmp_path, startup_seconds or 6.0)
        startup_seconds = startup_seconds or launch.seconds_until(r"^Training ")
        kills += killed
        leftovers += left
        _check_resumed_from(launch.output, recorded, run_dir)
        state = _read_state(run_dir)
        if state is not None:
            _check_consistent(run_dir, state)
            assert state["epoch"] >= recorded, f"a kill lost epochs: {recorded} -> {state['epoch']}"
            recorded = state["epoch"]
    returncode, output = Launch(command, tmp_path).finish()
    assert returncode == 0, output
    _check_resumed_from(output, recorded, run_dir)
    return run_dir, kills, leftovers


def _check_resumed_from(output, recorded, run_dir):
    """A launch must continue right after the last recorded epoch (when it got that far)."""
    match = re.search(r"for epochs (\d+)\.\.", output)
    if match:
        assert int(match.group(1)) == recorded + 1, f"epoch {recorded} was recorded:\n{output}"
    if recorded and match:
        assert f"Resuming {run_dir} from the checkpoint of epoch {recorded}." in output


def _assert_completed_exactly(run_dir):
    import keras

    from vae_keras import models  # noqa: F401  (registers the VAE class for loading)

    state = _read_state(run_dir)
    assert state["status"] == "completed"
    assert state["epoch"] == NUM_EPOCHS
    epochs = [row["epoch"] for row in state["history"]]
    assert epochs == list(range(1, NUM_EPOCHS + 1))
    with open(run_dir / "history.csv", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [int(row["epoch"]) for row in rows] == list(range(1, NUM_EPOCHS + 1))
    assert [float(row["loss"]) for row in rows] == [row["loss"] for row in state["history"]]
    assert sorted(p.name for p in (run_dir / "checkpoints").iterdir()) == [f"epoch-{NUM_EPOCHS:06d}.keras"]
    assert _stray_temporaries(run_dir) == []
    for name in ("reconstructions", "samples", "loss_curves"):
        assert (run_dir / "figures" / f"{name}.png").is_file()
    vae = keras.saving.load_model(run_dir / "model.keras")
    assert vae.input_shape_ == (8, 8, 1)
    # 14 epochs of 41 steps: the optimizer counted every step once, across all the kills.
    assert int(vae.optimizer.iterations.numpy()) == NUM_EPOCHS * 41


def test_sigkill_at_random_points_then_rerun_completes_exactly(tmp_path):
    # Three kills, four launches (each about 8-10 s of interpreter and TensorFlow start-up); the
    # slow variant below kills twelve times at random points.
    kinds = ["epoch", "checkpoint", "final"]
    run_dir, kills, leftovers = _kill_and_resume(tmp_path, kinds, seed=20240607)
    assert kills >= 3, f"only {kills} of the {len(kinds)} kills hit a running process"
    # Kills during saves left temporary files behind (the runs that followed removed them).
    assert any("epoch-" in name for name in leftovers) and any("model.keras" in name for name in leftovers)
    _assert_completed_exactly(run_dir)


@pytest.mark.slow
def test_many_sigkills_at_random_points(tmp_path):
    rng = random.Random(7)
    kinds = [rng.choice(["epoch", "checkpoint", "anytime"]) for _ in range(11)] + ["final"]
    run_dir, kills, _ = _kill_and_resume(tmp_path, kinds, seed=7)
    assert kills >= 10
    _assert_completed_exactly(run_dir)
    # Running the finished command again trains nothing and changes nothing.
    before = (run_dir / "state.json").read_bytes()
    returncode, output = Launch(_command(run_dir), tmp_path).finish()
    assert returncode == 0 and "nothing to train" in output
    assert (run_dir / "state.json").read_bytes() == before


def test_a_rerun_after_a_kill_between_the_last_checkpoint_and_completion_cleans_up(tmp_path):
    """In process: the state a kill leaves after the last epoch's checkpoint and state.json were
    written, but before the older checkpoint was removed and model.keras saved."""
    from vae_keras import train
    from vae_keras.config import ExperimentConfig

    config = ExperimentConfig(
        dataset="digits", binarize=True, latent_dim=2, hidden_units=(16,), batch_size=256, num_epochs=2
    )
    run_dir = tmp_path / "run"
    train.train(config, run_dir, verbose=0)
    checkpoints = run_dir / "checkpoints"
    (checkpoints / "epoch-000001.keras").write_bytes((checkpoints / "epoch-000002.keras").read_bytes())
    (run_dir / "model.keras").unlink()
    state = train.read_state(run_dir)
    state["status"] = "running"
    train.write_state(run_dir, state)
    stale = [
        run_dir / ".state.json.abcd1234.tmp",
        run_dir / ".model.keras.x_y_z012.tmp.keras",
        checkpoints / ".epoch-000003.keras.q1w2e3r4.tmp.keras",
        run_dir / "figures" / ".samples.png.aaaaaaaa.tmp.png",
    ]
    for path in stale:
        path.write_bytes(b"partial")
    mine = run_dir / "notes.tmp"  # not named like io_utils' temporaries: it stays
    mine.write_text("mine")

    _, _, state = train.train(config, run_dir, verbose=0)

    assert state["status"] == "completed" and state["epoch"] == 2
    assert [p.name for p in checkpoints.iterdir()] == ["epoch-000002.keras"]
    assert (run_dir / "model.keras").is_file()
    assert not any(path.exists() for path in stale)
    assert _stray_temporaries(run_dir) == []
    assert mine.read_text() == "mine"


# The JAX side (its PyDataset pipeline, fit's epoch given through a callback) is slow: tests/test_data.py
# checks its epochs in process.
@pytest.mark.parametrize("backend", ["tensorflow", pytest.param("jax", marks=pytest.mark.slow)])
def test_a_run_killed_inside_an_epoch_resumes_as_the_same_run(tmp_path, backend):
    """Kill -9 inside epoch 4 of 6, rerun: every epoch's numbers equal an uninterrupted run's, bit for bit.

    The settings draw on every source of randomness a training has: the shuffle order and the binarisation
    noise of each epoch (the data pipeline: tf.data on TensorFlow, a PyDataset on JAX), the sampling layer's
    and the dropout layers' seed generators, the KL warm-up's step counter and Adam's moments.
    """
    if backend == "jax":
        pytest.importorskip("jax")
    num_epochs = 6
    settings = {"dropout": 0.1, "kl-warmup-epochs": 2, "keras-backend": backend}
    uninterrupted = tmp_path / "uninterrupted"
    reference = Launch(_command(uninterrupted, num_epochs, **settings), tmp_path)  # runs alongside
    run_dir = tmp_path / "killed"
    command = _command(run_dir, num_epochs, **settings)
    first = Launch(command, tmp_path)
    assert first.wait_for_line(rf"^Epoch 4/{num_epochs}$"), first.output
    assert first.kill(), f"the run ended before the kill:\n{first.output}"
    killed_at = _read_state(run_dir)["epoch"]
    assert 3 <= killed_at < num_epochs, first.output  # killed in epoch 4 (or, under load, a little later)
    returncode, output = Launch(command, tmp_path).finish()
    assert returncode == 0, output
    assert f"Resuming {run_dir} from the checkpoint of epoch {killed_at}." in output
    returncode, reference_output = reference.finish()
    assert returncode == 0, reference_output

    resumed, expected = _history(run_dir), _history(uninterrupted)
    assert [row["epoch"] for row in resumed] == list(range(1, num_epochs + 1))
    assert {"loss", "reconstruction", "kl", "val_loss"} <= set(resumed[0])
    # Exact float equality, every term of every epoch; the resumed epochs first, for a readable failure.
    assert resumed[killed_at:] == expected[killed_at:]
    assert resumed == expected
