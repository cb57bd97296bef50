"""Results and provenance of a run: each notebook's status, the merged ``results.json``, the headline, the
commit, machine and data checksum a run records, and what changed since a notebook last completed.
"""

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

from vae_keras import io_utils
from vae_keras.writeup.catalogue import NOTEBOOKS_DIR, PROJECT_ROOT, notebook_title

COMPLETED, FAILED, RUNNING, SKIPPED = "completed", "failed", "running", "skipped"


#: A notebook selected in a run that has not reached it yet (only in results.json, never in status.json).
QUEUED = "queued"


def machine():
    """The machine this run executes on, in words: its NVIDIA GPUs (as ``nvidia-smi -L`` names them) and CPU cores.

    Recorded with each notebook, so a writeup published from several runs says which ran where.
    """
    cores = f"{os.cpu_count() or 0} CPU cores"
    smi = shutil.which("nvidia-smi")
    if smi is None:
        return cores
    try:
        listing = subprocess.run([smi, "-L"], capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return cores
    gpus = [
        re.sub(r"\s*\(UUID:.*\)$", "", line.split(":", 1)[1]).strip()
        for line in listing.splitlines()
        if re.match(r"GPU \d+:", line)
    ]
    if not gpus:
        return cores
    names = ", ".join(f"{gpus.count(name)}x {name}" for name in dict.fromkeys(gpus))
    return f"{names}; {cores}"


def read_status(out):
    """The runner's ``OUT/status.json``: ``{notebook: {"status", ...}}`` (``{}`` when missing)."""
    path = Path(out) / "status.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _write_status(out, status):
    io_utils.atomic_write_json(out / "status.json", status)


def _read_json(path):
    """A JSON file's content, or ``None`` when it is missing or unreadable."""
    try:
        return json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError):
        return None


def _title(out, name):
    """The first heading of the executed notebook, else of the committed one, else the name."""
    for path in (Path(out) / "notebooks" / f"{name}.ipynb", NOTEBOOKS_DIR / f"{name}.ipynb"):
        if path.exists():
            return notebook_title(path)
    return name


def _not_run_reason(name, entry):
    """Why the claims of notebook ``name`` have no verdict in this run, from its status entry."""
    if entry is None:
        return f"notebook {name} was not run (not selected with --only)"
    status = entry.get("status")
    if status == SKIPPED:
        return f"notebook {name} was skipped: {entry.get('reason', 'not run on this dataset')}"
    if status == FAILED:
        where = f" in cell {entry['cell']}" if entry.get("cell") is not None else ""
        return f"notebook {name} failed{where}"
    if status == RUNNING:
        return f"notebook {name} did not finish (the run was interrupted)"
    if status == QUEUED:
        return f"notebook {name} had not started yet in this run"
    return f"notebook {name} completed but reported no verdict for this claim"


def _git_commit():
    """The short commit of the code that runs: ``VAE_KERAS_COMMIT`` if set (a copy sent to another machine,
    whose ``.git`` may be older than its files), else git's ``HEAD``, with ``-dirty`` when tracked files
    differ from it; ``None`` outside git."""
    if os.environ.get("VAE_KERAS_COMMIT"):
        return os.environ["VAE_KERAS_COMMIT"]

    def git(*arguments):
        result = subprocess.run(
            ["git", "-C", str(PROJECT_ROOT), *arguments], capture_output=True, text=True, timeout=30
        )
        return result.stdout.strip() if result.returncode == 0 else None

    try:
        commit = git("rev-parse", "--short", "HEAD")
        changed = git("status", "--porcelain", "--untracked-files=no") if commit else None
    except (OSError, subprocess.SubprocessError):
        return None
    return f"{commit}-dirty" if commit and changed else (commit or None)


def _shown_path(path):
    """A path for the recorded command: relative to the working directory when inside it, else its name."""
    path = Path(path)
    if not path.is_absolute():
        return str(path)
    try:
        return str(path.relative_to(Path.cwd()))
    except ValueError:
        return path.name


def run_info(profile, dataset=None, only=None, out=None, keep_going=False, resume=False):
    """The ``run`` entry of ``results.json``: profile, dataset, date, commit and the command line.

    The command names paths relative to the working directory (or by their name), never absolutely:
    the report shows it.
    """
    shown_profile = _shown_path(profile) if Path(str(profile)).suffix in (".yaml", ".yml") else str(profile)
    command = ["vae-keras", "run", "--profile", shown_profile]
    if dataset is not None:
        dataset = str(dataset)
        command += ["--dataset", "npz:" + _shown_path(dataset[4:]) if dataset.startswith("npz:") else dataset]
    if only is not None:
        command += ["--only", str(only)]
    if out is not None:
        command += ["--out", _shown_path(out)]
    command += [flag for flag, on in (("--keep-going", keep_going), ("--resume", resume)) if on]
    return {
        "profile": Path(str(profile)).stem,
        "dataset": dataset,
        "generated": time.strftime("%Y-%m-%d %H:%M"),
        "commit": _git_commit(),
        "command": " ".join(command),
    }


#: The notebook whose result is the run's headline number.
BENCHMARK_NOTEBOOK = "09_mnist_benchmark"


#: Published numbers of the benchmark model (test -log p(x), nats, k=5000 on the 10,000 test images):
#: (who, nats, epochs).
BENCHMARK_REFERENCES = (
    ("Burda et al. (2016), VAE 784-200-200-50, k=1 training", 86.76, "3,280"),
    ("Burda et al. (2016), IWAE 784-200-200-50, k=50 training", 84.78, "3,280"),
    ("Pythae benchmark, VAE", 89.78, "n/a"),
)


def headline(run, notebooks):
    """The run's headline: the binarised-MNIST benchmark NLL of notebook 09, with what it depends on.

    ``mnist_benchmark_nll`` is ``None`` (with ``mnist_benchmark_status`` saying why)
    when notebook 09 did not complete in this run. ``mnist_benchmark_model`` and ``mnist_benchmark_data`` name
    what ran (``"784-200-200-50"``, ``"MNIST"``); ``mnist_benchmark_on_mnist`` is whether the data was MNIST,
    the only data the published numbers may be set beside.
    """
    entry = notebooks.get(BENCHMARK_NOTEBOOK, {})
    metrics = entry.get("metrics", {}) if entry.get("status") == COMPLETED else {}
    return {
        "mnist_benchmark_nll": metrics.get("benchmark_nll"),
        "mnist_benchmark_epochs": metrics.get("benchmark_epochs"),
        "mnist_benchmark_k": metrics.get("benchmark_eval_samples"),
        "mnist_benchmark_test_images": metrics.get("benchmark_eval_images"),
        "mnist_benchmark_model": metrics.get("benchmark_model"),
        "mnist_benchmark_data": metrics.get("benchmark_data"),
        "mnist_benchmark_on_mnist": metrics.get("benchmark_same_data"),
        "mnist_benchmark_status": entry.get("status", "not selected"),
        "profile": run.get("profile"),
        "dataset": run.get("dataset"),
        "commit": run.get("commit"),
    }


def merge_results(out, status, run=None):
    """Writes ``DIR/results.json``: the run, each notebook's status and results, and the claims ledger.

    Args:
        out: the run folder.
        status: the runner's ``status.json`` content, ``{notebook: {"status", ...}}``.
        run: the ``run`` entry (see ``run_info``); default: the one already in ``results.json``.

    Returns:
        ``{"run": {...}, "notebooks": {name: {...}}, "claims": [verdict dicts]}``. Only a completed
        notebook contributes metrics, figures and verdicts; every claim of ``claims.CLAIMS`` is listed,
        in registry order, those of notebooks that did not complete as inconclusive with the reason.
    """
    from vae_keras.writeup import claims

    out = Path(out)
    if run is None:
        previous = _read_json(out / "results.json") or {}
        run = previous.get("run") if isinstance(previous.get("run"), dict) else {}
    notebooks, verdicts = {}, {}
    queued = {
        name: {"status": QUEUED, "reason": "selected in this run; not started yet"} for name in run.get("notebooks", [])
    }
    status = {**queued, **status}
    for name in sorted(status):
        entry = status[name]
        completed = entry["status"] == COMPLETED
        found = (_read_json(out / "results" / f"{name}.json") if completed else None) or {}
        notebooks[name] = {
            "status": entry["status"],
            **({"error": entry["error"]} if "error" in entry else {}),
            **({"reason": entry["reason"]} if "reason" in entry else {}),
            **{
                key: entry[key]
                for key in ("keras_backend", "machine", "commit", "command", "started", "seconds", "dataset_sha256")
                if key in entry
            },
            "title": _title(out, name),
            "metrics": found.get("metrics", {}),
            "settings": found.get("settings", {}),
            "figures": found.get("figures", []),
            "headline_figure": found.get("headline_figure"),
            "banner": found.get("banner", {}),
        }
        for verdict in found.get("claims", []):
            if isinstance(verdict, dict) and verdict.get("id") in claims.CLAIMS:
                verdicts[verdict["id"]] = verdict
    ledger = [
        verdicts.get(claim_id)
        or claims.not_run(
            claim_id,
            "not decidable here"
            if claim.decide is None
            else _not_run_reason(claim.notebook, status.get(claim.notebook)),
        ).to_dict()
        for claim_id, claim in claims.CLAIMS.items()
    ]
    merged = {"run": run, "headline": headline(run, notebooks), "notebooks": notebooks, "claims": ledger}
    io_utils.atomic_write_json(out / "results.json", merged, sort_keys=False)
    return merged


def dataset_checksum(dataset):
    """The sha256 a run records for its dataset (``data.dataset_checksum`` over all its splits), so that
    ``results.json`` says which bytes it read, not only where from; ``None`` for generated data, data in
    tensorflow-datasets' cache, or no dataset."""
    if dataset is None:
        return None
    from vae_keras import data

    return data.dataset_checksum(dataset)


def changed_since(entry, chosen, dataset_sha256):
    """What changed since a notebook completed in this run folder, one phrase each; ``--resume`` skips it
    only when nothing did (its parameters and the data's sha256, where its entry recorded them).

    Args:
        entry: the notebook's ``status.json`` entry.
        chosen: the parameters it would receive now (``_chosen``).
        dataset_sha256: the sha256 of the run's dataset now (``dataset_checksum``).
    """
    changed = []
    before, now = entry.get("parameters"), json.loads(json.dumps(chosen))
    if isinstance(before, dict) and before != now:
        keys = sorted(k for k in set(before) | set(now) if before.get(k) != now.get(k))
        changed.append("parameters (" + ", ".join(f"{k}: {before.get(k)!r} -> {now.get(k)!r}" for k in keys) + ")")
    if "dataset_sha256" in entry and entry["dataset_sha256"] != dataset_sha256:
        changed.append(f"data (sha256 {str(entry['dataset_sha256'])[:12]} -> {str(dataset_sha256)[:12]})")
    return changed
