"""How far a long ``vae-keras run`` has got: ``vae-keras progress OUT``.

A real-budget profile trains for many hours and is resumed across sessions, so "where is it" is
a question worth one command. This reads only what the runner and the trainer write (the
notebooks' ``status.json`` and each run folder's ``state.json``, ``config.json`` and
``history.csv``); it imports no Keras and starts nothing, so it is safe to call while the run goes
on in another process.

Every run folder is listed with the epochs it has done out of the epochs it was configured for, its
median time per epoch, and an estimate of what is left. Runs a notebook has not created yet cannot be
estimated; the summary names the notebooks that have not started instead.
"""

import csv
import statistics
from pathlib import Path

from vae_keras import run_folder
from vae_keras.writeup import catalogue
from vae_keras.writeup.vocabulary import counted

#: A run folder's statuses of a run that is over: trained all its epochs, or stopped by the divergence guard.
FINISHED = (run_folder.COMPLETED, run_folder.DIVERGED)
#: "running" in a status file may be stale (the process can have been stopped): said as such.
RUNNING_SHOWN = "running or interrupted (`--resume` goes on)"


def _epoch_seconds(folder, state):
    """Seconds of each epoch: ``history.csv`` when written, else the state's history."""
    rows = []
    history = folder.history
    if history.is_file():
        with history.open(newline="") as handle:
            rows = list(csv.DictReader(handle))
    if not rows:
        rows = (state or {}).get("history") or []
    seconds = []
    for row in rows:
        try:
            seconds.append(float(row.get("seconds")))
        except (TypeError, ValueError):
            continue
    return seconds


def run_progress(run_dir):
    """One run folder's progress.

    Returns:
        ``{"name", "epoch", "num_epochs", "status", "trained_seconds", "seconds_per_epoch", "seconds_left"}``;
        ``seconds_per_epoch`` is the median over its epochs (``None`` before the first), ``seconds_left``
        is 0 for a finished run and ``None`` when it cannot be estimated.
    """
    folder = run_folder.RunFolder(run_dir)
    state = folder.read_state() or {}
    config = folder.read_config() or {}
    epoch = int(state.get("epoch") or 0)
    num_epochs = config.get("num_epochs")
    status = state.get("status") or ("not started" if not epoch else "unknown")
    seconds = _epoch_seconds(folder, state)
    per_epoch = statistics.median(seconds) if seconds else None
    if status in FINISHED:
        left = 0.0
    elif per_epoch is not None and isinstance(num_epochs, int):
        left = per_epoch * max(0, num_epochs - epoch)
    else:
        left = None
    return {
        "name": folder.path.name,
        "epoch": epoch,
        "num_epochs": num_epochs,
        "status": status,
        "trained_seconds": float(sum(seconds)),
        "seconds_per_epoch": per_epoch,
        "seconds_left": left,
    }


def notebook_runs(out, notebook):
    """``run_progress`` of every run folder of ``notebook`` in the run folder ``out`` (``[]`` when it has none).

    Folders of another training, moved aside as ``<folder>.stale-<n>`` (``vae_keras.fingerprint``), are left out.
    """
    from vae_keras import fingerprint

    folder = Path(out) / "runs" / notebook
    if not folder.is_dir():
        return []
    return [run_progress(p) for p in sorted(folder.iterdir()) if p.is_dir() and not fingerprint.is_stale(p)]


def summarize(out):
    """The progress of every notebook and run folder of the run folder ``out``.

    Returns:
        ``{"out", "notebooks": [{"name", "status", "runs": [run_progress ...]}], "not_started": [names]}``,
        notebooks in the project's order.

    Raises:
        FileNotFoundError: ``out`` is not a folder written by ``vae-keras run``.
    """
    out = Path(out)
    status = run_folder.read_json(out / "status.json")
    if not out.is_dir() or (status is None and not (out / "runs").is_dir()):
        raise FileNotFoundError(
            f"`out` must be a folder written by `vae-keras run --out OUT` (it holds status.json and runs/). "
            f"Received: {str(out)!r}"
        )
    status = status or {}
    names = catalogue.list_notebooks()
    names += sorted(n for n in set(status) | {p.name for p in (out / "runs").glob("*") if p.is_dir()} if n not in names)
    notebooks, not_started = [], []
    for name in names:
        runs = notebook_runs(out, name)
        entry = status.get(name, {})
        shown = entry.get("status") or ("started" if runs else "not started")
        if shown == "not started":
            not_started.append(name)
            continue
        notebooks.append({"name": name, "status": shown, "runs": runs})
    return {"out": str(out), "notebooks": notebooks, "not_started": not_started}


def _duration(seconds):
    if seconds is None:
        return "?"
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def format_summary(summary):
    """``summarize``'s result as the lines ``vae-keras progress`` prints."""
    lines = [f"Progress of {summary['out']}"]
    total_left, unknown, trained = 0.0, 0, 0.0
    for notebook in summary["notebooks"]:
        shown = RUNNING_SHOWN if notebook["status"] == "running" else notebook["status"]
        lines.append(f"{notebook['name']}: {shown}")
        for run in notebook["runs"]:
            planned = f"{run['num_epochs']:,}" if isinstance(run["num_epochs"], int) else "?"
            pace = "" if run["seconds_per_epoch"] is None else f", {run['seconds_per_epoch']:.1f} s/epoch"
            left = "" if run["status"] in FINISHED else f", ~{_duration(run['seconds_left'])} left"
            shown = RUNNING_SHOWN if run["status"] == "running" else run["status"]
            lines.append(
                f"  {run['name']}: {shown}, epoch {run['epoch']:,}/{planned}, "
                f"trained {_duration(run['trained_seconds'])}{pace}{left}"
            )
            trained += run["trained_seconds"]
            if run["seconds_left"] is None:
                unknown += 1
            else:
                total_left += run["seconds_left"]
    if summary["not_started"]:
        lines.append(
            "Not started: " + ", ".join(summary["not_started"]) + " (their runs are created when they start, so "
            "the estimate below leaves them out)"
        )
    estimate = f"Trained {_duration(trained)} so far; about {_duration(total_left)} left in the runs started so far"
    lines.append(estimate + (f" ({counted(unknown, 'run')} could not be estimated)." if unknown else "."))
    return "\n".join(lines)
