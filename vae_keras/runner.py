"""``vae-keras run``: execute the study notebooks with papermill and publish the report.

    vae-keras run --profile smoke|quick|full [--dataset NAME] [--only 02,05] [--out DIR]

A profile is a flat YAML file of notebook parameters in ``params/``. Every
notebook receives the parameters it declares (its cell tagged
``parameters``), plus ``out_dir``. The run folder::

    DIR/notebooks/NN_name.ipynb   executed notebooks (kept, marked, when they fail)
    DIR/figures/                  every figure, as PNG
    DIR/runs/                     the training runs (resumable)
    DIR/results/NN_name.json      what each notebook reported
    DIR/results.json              all of it, with each notebook's status
    DIR/status.json               the runner's own bookkeeping
    DIR/report/index.html         the writeup: a summary table and every notebook
"""

import difflib
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from vae_keras import io_utils

KERNEL_NAME = "vae-keras"
PROJECT_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
PARAMS_DIR = PROJECT_ROOT / "params"
COMPLETED, FAILED, RUNNING, SKIPPED = "completed", "failed", "running", "skipped"


class NotebookFailedError(RuntimeError):
    """One or more notebooks failed; the message names each notebook and cell."""


def list_notebooks(notebooks_dir=NOTEBOOKS_DIR):
    """Names of the study notebooks, in order: ``["01_svhn_data", ...]``."""
    return sorted(p.stem for p in Path(notebooks_dir).glob("[0-9][0-9]_*.ipynb"))


def list_profiles(params_dir=PARAMS_DIR):
    return sorted(p.stem for p in Path(params_dir).glob("*.yaml"))


def load_profile(profile, params_dir=PARAMS_DIR):
    """Parameters of a profile name (``params/NAME.yaml``) or of a YAML path.

    Raises:
        ValueError: for an unknown profile or a file that is not a mapping.
    """
    import yaml

    path = Path(profile)
    if not (path.suffix in (".yaml", ".yml") and path.is_file()):
        path = Path(params_dir) / f"{profile}.yaml"
    if not path.is_file():
        raise ValueError(
            f"Unknown profile. Received: --profile {profile!r}. "
            f"Accepted: {', '.join(list_profiles(params_dir))}, or the path of a YAML file"
        )
    try:
        values = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as error:
        problem = " ".join(str(error).split())
        raise ValueError(
            f"Profile {str(path)!r} is not valid YAML ({problem}). Accepted: a mapping such as 'num_epochs: 10'"
        ) from None
    if not isinstance(values, dict):
        raise ValueError(
            f"A profile must be a mapping of parameter names to values. Received: {path} holds "
            f"a {type(values).__name__}"
        )
    return values


def notebook_parameters(name, notebooks_dir=NOTEBOOKS_DIR):
    """``{parameter: {"inferred_type_name", "default", "help"}}`` of a notebook's parameters cell."""
    import logging

    import papermill

    logging.getLogger("papermill").setLevel(logging.WARNING)
    return papermill.inspect_notebook(str(Path(notebooks_dir) / f"{name}.ipynb"))


def select_notebooks(only, notebooks_dir=NOTEBOOKS_DIR):
    """Resolves ``--only 02,05`` (numbers or names) to notebook names."""
    names = list_notebooks(notebooks_dir)
    if not only:
        return names
    selected = []
    for token in [t.strip() for t in only.split(",") if t.strip()]:
        matches = [n for n in names if n == token or n.split("_", 1)[0] == token.zfill(2)]
        if not matches:
            raise ValueError(f"Unknown notebook. Received: --only {token!r}. Accepted: {', '.join(names)}")
        selected += [m for m in matches if m not in selected]
    return selected


def validate_parameters(parameters, notebooks, notebooks_dir=NOTEBOOKS_DIR):
    """Rejects parameter names that none of ``notebooks`` declares, and values of the wrong type."""
    declared = {}
    for name in notebooks:
        for key, info in notebook_parameters(name, notebooks_dir).items():
            declared.setdefault(key, info)
    for key, value in parameters.items():
        if key not in declared:
            close = difflib.get_close_matches(key, declared, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"Unknown notebook parameter. Received: {key!r}.{hint} Accepted: {', '.join(sorted(declared))}"
            )
        expected = declared[key]["inferred_type_name"]
        kinds = {"int": (int,), "float": (int, float), "str": (str,), "bool": (bool,), "list": (list,)}
        if expected in kinds and (
            not isinstance(value, kinds[expected]) or (expected in ("int", "float") and isinstance(value, bool))
        ):
            raise ValueError(
                f"Parameter {key!r} must be of type {expected}. Received: {key}={value!r} ({type(value).__name__})"
            )
    return declared


def ensure_kernel(kernel_name=KERNEL_NAME):
    """Registers this interpreter as the ``vae-keras`` kernel if it is missing or stale.

    A kernelspec hard-codes its interpreter's path, which breaks when a checkout
    moves; re-registering keeps papermill on the interpreter of this package.
    """
    from jupyter_client.kernelspec import KernelSpecManager, NoSuchKernel

    try:
        spec = KernelSpecManager().get_kernel_spec(kernel_name)
        if spec.argv and Path(spec.argv[0]).exists() and Path(spec.argv[0]).resolve() == Path(sys.executable).resolve():
            return kernel_name
    except NoSuchKernel:
        pass
    subprocess.run(
        [
            sys.executable,
            "-m",
            "ipykernel",
            "install",
            "--sys-prefix",
            "--name",
            kernel_name,
            "--display-name",
            "vae-keras (.venv)",
        ],
        check=True,
        capture_output=True,
    )
    return kernel_name


def _read_status(out):
    path = out / "status.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _write_status(out, status):
    io_utils.atomic_write_json(out / "status.json", status)


def merge_results(out, status):
    """Writes ``DIR/results.json``: each notebook's status and metrics."""
    merged = {}
    for name, entry in status.items():
        path = out / "results" / f"{name}.json"
        metrics = json.loads(path.read_text())["metrics"] if path.exists() else {}
        merged[name] = {
            "status": entry["status"],
            **({"error": entry["error"]} if "error" in entry else {}),
            "metrics": metrics if entry["status"] == COMPLETED else {},
        }
    io_utils.atomic_write_json(out / "results.json", merged, sort_keys=False)
    return merged


def run(profile, dataset=None, only=None, out=None, keep_going=False, resume=False, report=True, progress=None):
    """Executes the selected notebooks with a profile's parameters; see the module docstring.

    Args:
        profile: a profile name in ``params/`` or a YAML path.
        dataset: overrides the profile's ``dataset``.
        only: comma-separated notebook numbers or names.
        out: the run folder (default ``runs/<profile>``).
        keep_going: run the remaining notebooks after a failure.
        resume: skip notebooks that already completed in this run folder.
        report: build ``DIR/report`` at the end.
        progress: papermill's per-cell progress bar (default: on terminals).

    Returns:
        The merged results dict.

    Raises:
        ValueError: for an unknown profile, notebook or parameter.
        NotebookFailedError: if a notebook failed (after writing results and report).
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    parameters = load_profile(profile)
    if dataset is not None:
        parameters["dataset"] = dataset
    notebooks = select_notebooks(only)
    if not notebooks:
        raise ValueError(f"No notebooks found in {NOTEBOOKS_DIR}.")
    # Profiles are shared by all notebooks: check names against every notebook's parameters.
    validate_parameters(parameters, list_notebooks())
    out = Path(out or Path("runs") / Path(str(profile)).stem).resolve()
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    kernel = ensure_kernel()
    status = _read_status(out)
    progress = sys.stdout.isatty() if progress is None else progress
    failures = []
    for index, name in enumerate(notebooks, 1):
        executed = out / "notebooks" / f"{name}.ipynb"
        if resume and status.get(name, {}).get("status") == COMPLETED and executed.exists():
            print(f"[{index}/{len(notebooks)}] {name}: completed earlier, skipped (--resume)", flush=True)
            continue
        declared = notebook_parameters(name)
        chosen = {k: v for k, v in parameters.items() if k in declared}
        chosen["out_dir"] = str(out)
        print(f"[{index}/{len(notebooks)}] {name} with {chosen}", flush=True)
        status[name] = {"status": RUNNING, "parameters": chosen, "started": time.strftime("%Y-%m-%d %H:%M:%S")}
        _write_status(out, status)
        (out / "results" / f"{name}.json").unlink(missing_ok=True)  # never mix in an older run's numbers
        start = time.time()
        try:
            papermill.execute_notebook(
                str(NOTEBOOKS_DIR / f"{name}.ipynb"),
                str(executed),
                parameters=chosen,
                kernel_name=kernel,
                progress_bar=progress,
                log_output=True,
                cwd=str(PROJECT_ROOT),
            )
        except PapermillExecutionError as error:
            message = f"{name} failed in cell {error.cell_index}: {error.ename}: {error.evalue}"
            status[name].update(
                status=FAILED, error=message, cell=error.cell_index, seconds=round(time.time() - start, 1)
            )
            _write_status(out, status)
            failures.append(message)
            print(f"FAILED: {message}\n  the partial notebook is kept at {executed}", file=sys.stderr, flush=True)
            if not keep_going:
                break
            continue
        status[name].update(status=COMPLETED, seconds=round(time.time() - start, 1))
        _write_status(out, status)
        print(f"[{index}/{len(notebooks)}] {name}: completed in {status[name]['seconds']} s", flush=True)
    merged = merge_results(out, status)
    if report:
        from vae_keras import report as report_lib

        index_path = report_lib.build_report(out, profile=str(profile))
        print(f"Report: {index_path}", flush=True)
    print(f"Results: {out / 'results.json'}", flush=True)
    if failures:
        raise NotebookFailedError("; ".join(failures))
    return merged


def environment_for_notebooks():
    """Keeps Keras, matplotlib and Jupyter state inside the project (for ``make`` and CI)."""
    cache = PROJECT_ROOT / ".cache"
    defaults = {
        "KERAS_HOME": cache / "keras",
        "MPLCONFIGDIR": cache / "matplotlib",
        "JUPYTER_CONFIG_DIR": cache / "jupyter" / "config",
        "JUPYTER_RUNTIME_DIR": cache / "jupyter" / "runtime",
        "IPYTHONDIR": cache / "ipython",
    }
    for key, value in defaults.items():
        os.environ.setdefault(key, str(value))
