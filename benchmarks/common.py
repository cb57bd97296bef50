"""Helpers shared by the benchmarks: timing, memory, machine info and JSON results.

Run the benchmarks from the project root as modules (``python -m benchmarks.NAME``) so that
``benchmarks`` is importable. Timings on a shared machine are noisy: each script interleaves the
variants it compares (A, B, A, B, ...) inside one process and reports medians and ratios of
medians, never numbers taken in separate runs.
"""

import argparse
import datetime
import json
import logging
import os
import platform
import resource
import shlex
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

RESULTS_DIR = Path(__file__).resolve().parent / "results"
# Other processes' load when the benchmark started; saved with the results (noisy-machine check).
LOAD_AVERAGE_AT_START = list(os.getloadavg()) if hasattr(os, "getloadavg") else None
PROJECT_ROOT = Path(__file__).resolve().parents[1]


def set_environment_defaults():
    """The environment ``vae-keras`` starts with (``vae_keras.environment``: caches inside the project, TensorFlow's
    oneDNN kernels on and its log quiet, unless already set); call before importing keras."""
    from vae_keras import environment

    environment.apply()
    # Building many models in one process makes TensorFlow warn about retracing; it is expected.
    logging.getLogger("tensorflow").setLevel(logging.ERROR)


def add_output_argument(parser: argparse.ArgumentParser):
    parser.add_argument(
        "--out",
        default=str(RESULTS_DIR),
        help="folder for the JSON result (default: benchmarks/results)",
    )


def add_worker_arguments(parser: argparse.ArgumentParser, workers):
    """The options of a benchmark whose orchestrator runs ``workers`` as processes (``run_worker_process``).

    ``--worker-timeout`` is the orchestrator's; ``--worker``, ``--images-file`` and ``--result-file`` (hidden) are what
    it passes to a worker process.
    """
    parser.add_argument("--worker-timeout", type=positive_int, default=1800, help="seconds per worker process")
    parser.add_argument("--worker", choices=tuple(workers), help=argparse.SUPPRESS)
    parser.add_argument("--images-file", help=argparse.SUPPRESS)
    parser.add_argument("--result-file", help=argparse.SUPPRESS)


def name_list(parser, option, text, choices):
    """The names in the comma-separated ``text`` of ``option``; ``parser.error`` unless they are some of ``choices``."""
    names = tuple(name.strip() for name in text.split(",") if name.strip())
    if not names or set(names) - set(choices):
        parser.error(f"{option} must name some of {tuple(choices)}; received {names!r}")
    return names


def run_rounds(names, rounds, run_one, describe):
    """Runs every worker process once per round, the order rotated by one each round (interleaved processes).

    Args:
        names: the workers, in the first round's order.
        rounds: how many rounds.
        run_one: ``run_one(name, round_index)`` runs one worker and returns its result, a dict with an ``error``
            key when it failed (as ``run_worker_process`` returns).
        describe: ``describe(name, result)``, the line printed after a worker succeeded.

    Returns:
        ``(runs, errors)``: each name's successful results in round order, and each failed name's messages.
    """
    runs, errors = {name: [] for name in names}, {}
    for round_index in range(rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            result = run_one(name, round_index)
            if "error" in result:
                errors.setdefault(name, []).append(f"round {round_index + 1}: {result['error']}")
                print(f"round {round_index + 1} {name}: FAILED {result['error']}", flush=True)
                continue
            runs[name].append(result)
            print(f"round {round_index + 1}/{rounds} {describe(name, result)}", flush=True)
    return runs, errors


def positive_int(text):
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text!r}")
    return value


# --------------------------------------------------------------------------
# Timing
# --------------------------------------------------------------------------


def make_epoch_timer():
    """A Keras callback that records every epoch's wall seconds (``.seconds``) and CPU seconds (``.cpu_seconds``).

    An epoch's time runs from ``on_epoch_begin`` to ``on_epoch_end``: every training step and the
    input pipeline's work, without ``fit``'s one-off set-up (data adapter, callbacks). CPU seconds
    are those of this process, all threads together (``time.process_time``): unlike wall time they
    barely move when other processes load the machine, so they show what a variant costs.
    """
    import keras

    class EpochTimer(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.seconds = []
            self.cpu_seconds = []
            self._start = None

        def on_epoch_begin(self, epoch, logs=None):
            self._start = (time.perf_counter(), time.process_time())

        def on_epoch_end(self, epoch, logs=None):
            self.seconds.append(time.perf_counter() - self._start[0])
            self.cpu_seconds.append(time.process_time() - self._start[1])

    return EpochTimer()


def timed_fit(model, x, *, epochs, warmup_epochs=0, steps_per_epoch=None, batch_size=None, shuffle=False):
    """Runs ``model.fit`` and returns the wall and CPU times of the epochs after ``warmup_epochs``.

    Args:
        model: a compiled model.
        x: the training input (a dataset or an array).
        epochs: total epochs of this ``fit`` call.
        warmup_epochs: leading epochs excluded from the result (tracing,
            first-touch allocations). Once a model has been fitted on an input
            of the same structure, its train function is traced and cached, so
            later calls need none.
        steps_per_epoch, batch_size, shuffle: passed to ``fit`` (``shuffle`` matters only for
            arrays: a dataset shuffles itself).

    Returns:
        ``(seconds, cpu_seconds)``: two lists of ``epochs - warmup_epochs`` floats.
    """
    if epochs <= warmup_epochs:
        raise ValueError(f"`epochs` must exceed `warmup_epochs`. Received: epochs={epochs}, warmup={warmup_epochs}")
    timer = make_epoch_timer()
    model.fit(
        x,
        epochs=epochs,
        steps_per_epoch=steps_per_epoch,
        batch_size=batch_size,
        shuffle=shuffle,
        verbose=0,
        callbacks=[timer],
    )
    return timer.seconds[warmup_epochs:], timer.cpu_seconds[warmup_epochs:]


def summarize_times(seconds, examples_per_unit, cpu_seconds=None):
    """Median-based throughput of a list of per-epoch (or per-call) times.

    Args:
        seconds: wall seconds of each timed unit of equal work.
        examples_per_unit: examples processed in one unit.
        cpu_seconds: optional process CPU seconds of the same units.

    Returns:
        A dict: ``images_per_second`` (examples per unit / median seconds), the median, min and
        max seconds, the number of timings, and with ``cpu_seconds`` the median CPU seconds per
        unit and ``images_per_cpu_second``.
    """
    if not seconds:
        raise ValueError("`seconds` is empty: nothing was timed.")
    median = statistics.median(seconds)
    summary = {
        "images_per_second": examples_per_unit / median,
        "median_seconds": median,
        "min_seconds": min(seconds),
        "max_seconds": max(seconds),
        "num_timings": len(seconds),
        "examples_per_timing": int(examples_per_unit),
    }
    if cpu_seconds:
        summary["median_cpu_seconds"] = statistics.median(cpu_seconds)
        summary["images_per_cpu_second"] = examples_per_unit / summary["median_cpu_seconds"]
    return summary


def ratio_summary(numerator_seconds, denominator_seconds):
    """Throughput ratio numerator/denominator from interleaved timings (of equal work).

    The main figure is the ratio of medians; the per-pair ratios' median and range show how
    much the shared machine's noise moves it.
    """
    main = statistics.median(denominator_seconds) / statistics.median(numerator_seconds)
    pairs = [d / n for n, d in zip(numerator_seconds, denominator_seconds)]
    return {
        "ratio": main,
        "pairwise_median": statistics.median(pairs),
        "pairwise_min": min(pairs),
        "pairwise_max": max(pairs),
    }


# --------------------------------------------------------------------------
# Worker processes
# --------------------------------------------------------------------------


def run_worker_process(command, result_file, *, env=None, timeout=None, echo_prefix=None):
    """Runs one benchmark worker process from the project root; returns the JSON dict it wrote to ``result_file``.

    Benchmarks that compare backends or interpreters run each contender in its own process (a Keras
    backend is fixed at import) and interleave those processes; this runs one of them.

    Args:
        command: the argv list, e.g. ``[sys.executable, "-m", "benchmarks.NAME", "--worker", ...]``.
        result_file: where the worker writes its JSON result.
        env: environment variables to set in the child (a value of ``None`` unsets the variable); the
            project root is prepended to ``PYTHONPATH``.
        timeout: seconds before the child is killed.
        echo_prefix: lines of the child's stdout that start with this are printed here.

    Returns:
        The worker's dict with ``process_seconds`` (wall seconds of the whole process) added, or
        ``{"error": ..., "process_seconds": ...}`` when it failed, timed out or wrote nothing.
    """
    child_env = dict(os.environ)
    child_env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(PROJECT_ROOT), child_env.get("PYTHONPATH")]))
    for key, value in (env or {}).items():
        if value is None:
            child_env.pop(key, None)
        else:
            child_env[key] = value
    argv = [str(arg) for arg in command]
    start = time.perf_counter()
    try:
        completed = subprocess.run(
            argv, cwd=PROJECT_ROOT, env=child_env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired:
        return {"error": f"timed out after {timeout} s", "process_seconds": time.perf_counter() - start}
    process_seconds = time.perf_counter() - start
    if echo_prefix:
        for line in completed.stdout.splitlines():
            if line.startswith(echo_prefix):
                print(line, flush=True)
    result_file = Path(result_file)
    if completed.returncode != 0 or not result_file.is_file():
        tail = (completed.stderr or completed.stdout).strip().splitlines()[-15:]
        return {"error": f"exit status {completed.returncode}: " + "\n".join(tail), "process_seconds": process_seconds}
    result = json.loads(result_file.read_text())
    result["process_seconds"] = process_seconds
    return result


# --------------------------------------------------------------------------
# Memory
# --------------------------------------------------------------------------


def peak_rss_bytes():
    """The process's peak resident set size so far (Linux reports ``ru_maxrss`` in KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak if sys.platform == "darwin" else peak * 1024)


def current_rss_bytes():
    import psutil

    return int(psutil.Process().memory_info().rss)


class RssSampler:
    """Samples the RSS in a background thread; ``peak`` is the highest value seen in the block.

    ``ru_maxrss`` is the peak over the whole process; this gives the peak of one region, e.g. an
    evaluation after the model and data are already loaded.
    """

    def __init__(self, interval=0.05):
        self.interval = interval
        self.peak = 0
        self._stop = threading.Event()
        self._thread = None

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, current_rss_bytes())
            self._stop.wait(self.interval)

    def __enter__(self):
        self.peak = current_rss_bytes()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, current_rss_bytes())
        return False


# --------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------


def _version(module_name):
    try:
        module = __import__(module_name)
    except ImportError:
        return None
    return getattr(module, "__version__", None)


def _cpu_model():
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or None


def machine_info():
    """The machine, software versions, date and exact command line of this run."""
    import keras

    info = {
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": " ".join(shlex.quote(arg) for arg in [Path(sys.executable).name, *sys.orig_argv[1:]])
        if hasattr(sys, "orig_argv")
        else " ".join(shlex.quote(arg) for arg in sys.argv),
        "cpu_count": os.cpu_count(),
        "cpu_count_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": _cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "backend": keras.backend.backend(),
        "keras": keras.__version__,
        "tensorflow": _version("tensorflow"),
        "jax": _version("jax"),
        "numpy": _version("numpy"),
        "load_average_at_start": LOAD_AVERAGE_AT_START,
        "load_average_at_end": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
    }
    try:
        import psutil

        info["memory_total_bytes"] = int(psutil.virtual_memory().total)
    except ImportError:
        pass
    if info["backend"] == "jax":
        import jax

        info["devices"] = [str(device) for device in jax.devices()]
    elif info["backend"] == "tensorflow":
        import tensorflow as tf

        info["devices"] = [device.name for device in tf.config.list_physical_devices()]
    return info


def write_results(name, results, out_dir=RESULTS_DIR):
    """Writes ``{"machine": ..., **results}`` to ``OUT_DIR/NAME.json`` and returns the path."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    payload = {"benchmark": name, "machine": machine_info(), **results}
    path = out_dir / f"{name}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=2, sort_keys=False) + "\n")
    tmp.replace(path)
    print(f"Wrote {path}", flush=True)
    return path


def finish(name, results, out_dir, print_tables, failed=()):
    """Writes the results (``write_results``), prints them with ``print_tables(results)``, and returns them.

    Raises:
        RuntimeError: after writing, if ``failed`` names workers that failed (their messages are in the results).
    """
    path = write_results(name, results, out_dir)
    print_tables(results)
    if failed:
        raise RuntimeError(f"Failed: {sorted(failed)}; see {path}.")
    return results
