"""Shared test set-up: a fixed backend, headless plots, caches inside the project."""

import os
from pathlib import Path

from vae_keras import environment  # imports nothing heavy

# Must happen before keras is imported anywhere: the environment `vae-keras` starts with (caches in
# .cache/, TensorFlow quiet), on TensorFlow unless the caller chose, with headless plots.
environment.apply()
os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402

#: Real MNIST and SVHN files shared beside the checkout (absent for users who clone).
SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"


@pytest.fixture
def shared_data():
    """The ``../shared/data`` folder, or a skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data folder {SHARED_DATA} is absent (only on the project's own machines)")
    return SHARED_DATA


def _run_at_once(commands, timeout=600):
    """Starts every ``{name: (argv, env)}`` process at once, waits for all: ``{name: CompletedProcess}``.

    The tests that need a fresh process per Keras backend spend most of their time importing and
    compiling, mostly on one core each, so on a 2-core machine two of them take about the time of one.
    Output goes to files, not pipes, so a chatty process cannot block while another is waited for.
    """
    import subprocess
    import tempfile

    started = {}
    try:
        for name, (argv, env) in commands.items():
            out, err = tempfile.TemporaryFile("w+"), tempfile.TemporaryFile("w+")
            started[name] = (subprocess.Popen(argv, stdout=out, stderr=err, text=True, env=env), out, err)
        results = {}
        for name, (process, out, err) in started.items():
            process.wait(timeout=timeout)
            out.seek(0), err.seek(0)
            results[name] = subprocess.CompletedProcess(process.args, process.returncode, out.read(), err.read())
        return results
    finally:
        for process, out, err in started.values():
            if process.poll() is None:
                process.kill()
                process.wait()
            out.close(), err.close()


@pytest.fixture(scope="session")
def run_per_backend(tmp_path_factory):
    """``run_per_backend(script, backends, **env)``: ``python -c script FOLDER`` once per Keras backend, side by
    side (see ``_run_at_once``), each with ``KERAS_BACKEND`` set, ``env`` added and an empty ``FOLDER`` of its
    own. Returns ``{backend: CompletedProcess}``; JAX is left out where it is not installed."""
    import importlib.util
    import sys

    def run(script, backends, **environment):
        commands = {}
        for backend in backends:
            if backend == "jax" and importlib.util.find_spec("jax") is None:
                continue
            argv = [sys.executable, "-c", script, str(tmp_path_factory.mktemp(backend))]
            commands[backend] = (argv, {**os.environ, **environment, "KERAS_BACKEND": backend})
        return _run_at_once(commands)

    return run


@pytest.fixture(scope="session")
def json_report():
    """``json_report(results, backend)``: the JSON last line a backend's process printed; a skip where that
    backend did not run (no JAX), a failure with the end of its stderr where the process failed."""
    import json

    def read(results, backend):
        if backend not in results:
            pytest.skip(f"{backend} is not installed")
        result = results[backend]
        assert result.returncode == 0, result.stderr[-4000:]
        return json.loads(result.stdout.strip().splitlines()[-1])

    return read


#: The slowest test files, started first: `make test` spreads whole files over two worker processes
#: (in this order: the Makefile turns xdist's reordering by number of tests off), and a long file started last
#: would leave one worker idle at the end. Ranked by CPU seconds (`python -m benchmarks.test_suite`, issue 29):
#: the notebooks 171, then 20-60 each; the held-out datasets' three smoke runs lead `make test-slow`.
SLOWEST_FILES = (
    "test_notebooks.py",
    "test_heldout_datasets.py",
    "test_backend_choice.py",
    "test_train.py",
    "test_resume.py",
    "test_models.py",
    "test_reproducibility.py",
    "test_distribute.py",
)


def pytest_collection_modifyitems(items):
    rank = {name: position for position, name in enumerate(SLOWEST_FILES)}
    items.sort(key=lambda item: rank.get(item.path.name, len(SLOWEST_FILES)))  # stable: each file keeps its order
