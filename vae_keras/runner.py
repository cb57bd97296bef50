"""``vae-keras run``: execute the study notebooks with papermill and publish the report.

    vae-keras run --profile smoke|quick|full [--dataset NAME] [--only 02,05] [--out DIR]

A profile is a flat YAML file of notebook parameters in ``params/``. Every
notebook receives the parameters it declares (its cell tagged
``parameters``), plus ``out_dir``. The run folder::

    DIR/notebooks/NN_name.ipynb   executed notebooks (kept, marked, when they fail)
    DIR/figures/                  every figure, as PNG
    DIR/runs/                     the training runs (resumable)
    DIR/results/NN_name.json      what each notebook reported
    DIR/results.json              all of it: the run (its dataset's sha256 too), each notebook's status, the
                                  claims ledger
    DIR/status.json               the runner's own bookkeeping
    DIR/report/index.html         the writeup: the claims ledger, headline figures, every notebook

A notebook declares the datasets it can run on in its metadata,
``metadata["vae_keras"]["datasets"]`` (base names among ``dataset_bases()``,
the registered datasets; none declared: any). A dataset is accepted when its
name or its family is declared (``svhn_sample`` where ``svhn`` is). It also
declares what it needs of the data, ``metadata["vae_keras"]["needs"]`` (labels,
two classes, the MNIST layout...: ``writeup.needs``), checked once the dataset
is read. A notebook that cannot run on the run's dataset is skipped, with the
reason, before its kernel starts. A notebook
that declares a ``profile`` parameter receives the profile's name.

On the terminal the runner prints a line per notebook and per trained model, errors and the report's
path (``console``); ``verbose=True`` (``vae-keras run --verbose``) prints everything the kernels print.
Each kernel starts with the environment of ``kernels.kernel_environment``.
"""

import contextlib
import difflib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from vae_keras import io_utils
from vae_keras.writeup import console, kernels, needs

#: The Jupyter kernel the notebooks run in, and what registers it (``writeup.kernels``).
KERNEL_NAME = kernels.KERNEL_NAME
ensure_kernel = kernels.ensure_kernel
PROJECT_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"
PARAMS_DIR = PROJECT_ROOT / "params"
COMPLETED, FAILED, RUNNING, SKIPPED = "completed", "failed", "running", "skipped"
#: A notebook selected in a run that has not reached it yet (only in results.json, never in status.json).
QUEUED = "queued"


#: Keras backends a profile may choose with ``keras_backend`` (for all notebooks, or per notebook).
KERAS_BACKENDS = ("tensorflow", "jax")


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


def split_overrides(parameters, notebooks_dir=NOTEBOOKS_DIR):
    """Removes a profile's per-notebook section and returns it: ``{notebook: {parameter: value}}``.

    A profile is flat, shared by every notebook, except for an optional
    ``notebooks:`` mapping whose entries override values for one notebook
    (e.g. a larger ``eval_samples`` for the benchmark of notebook 06).

    Raises:
        ValueError: if the section is not a mapping of known notebook names to mappings.
    """
    overrides = parameters.pop("notebooks", None) or {}
    names = list_notebooks(notebooks_dir)
    if not isinstance(overrides, dict):
        raise ValueError(
            f"A profile's 'notebooks' section maps notebook names to parameters. Received: {type(overrides).__name__}"
        )
    for name, values in overrides.items():
        if name not in names:
            close = [n for n in names if n.startswith(str(name))] or difflib.get_close_matches(str(name), names, n=1)
            hint = f" Did you mean {close[0]!r}?" if close else ""
            raise ValueError(
                f"Unknown notebook in the profile's 'notebooks' section. Received: {name!r}.{hint} "
                f"Accepted: {', '.join(names)}"
            )
        if not isinstance(values, dict):
            raise ValueError(f"The profile's values for {name} must be a mapping. Received: {values!r}")
    return overrides


def split_backends(parameters, overrides, notebooks):
    """Removes ``keras_backend`` from a profile and its per-notebook sections: ``{notebook: backend or None}``.

    ``keras_backend`` is not a notebook parameter: the runner starts the notebook's
    kernel with ``KERAS_BACKEND`` set to it (``None``: the environment's choice).
    MLPs train faster on JAX on a CPU, convolutions on TensorFlow, so a profile may
    pick one per notebook.

    Raises:
        ValueError: for a backend that is not accepted or not installed, before any work.
    """
    import importlib.util

    default = parameters.pop("keras_backend", None)
    chosen = {name: overrides.get(name, {}).pop("keras_backend", default) for name in notebooks}
    for name, backend in chosen.items():
        if backend is None:
            continue
        where = f"notebooks: {name}: keras_backend" if backend != default else "keras_backend"
        if backend not in KERAS_BACKENDS:
            raise ValueError(
                f"Unknown Keras backend in the profile ({where}). Received: {backend!r}. "
                f"Accepted: {', '.join(KERAS_BACKENDS)}"
            )
        if importlib.util.find_spec(backend) is None:
            raise ValueError(
                f"The profile asks for the {backend!r} Keras backend ({where}), but {backend} is not installed "
                f"in {sys.prefix}. Install it (e.g. `pip install {backend}`) or remove the setting."
            )
    return chosen


def notebook_parameters(name, notebooks_dir=NOTEBOOKS_DIR):
    """``{parameter: {"inferred_type_name", "default", "help"}}`` of a notebook's parameters cell."""
    import logging

    import papermill

    logging.getLogger("papermill").setLevel(logging.WARNING)
    return papermill.inspect_notebook(str(Path(notebooks_dir) / f"{name}.ipynb"))


def dataset_base(dataset):
    """The base name of a dataset argument: ``"npz:/a/b.npz"`` -> ``"npz"``, ``"digits"`` -> ``"digits"``."""
    if dataset is None:
        return None
    dataset = str(dataset).strip()
    return "npz" if dataset.startswith("npz:") else dataset


def dataset_bases():
    """The base names a notebook may declare: the registered datasets (``npz`` for ``npz:PATH``) and their families.

    Read from the data registry (``vae_keras.data.DATASET_SOURCES``) each time, so a dataset registered later
    is accepted too.
    """
    from vae_keras.data import sources  # the registry only: no Keras

    names = [name for name, _ in sources.DATASET_SOURCES.items()]
    families = [source.family for _, source in sources.DATASET_SOURCES.items() if source.family]
    return tuple(dict.fromkeys(names + families))


def _registered_family(base):
    """The family of a registered dataset base name (``"svhn_sample"`` -> ``"svhn"``); ``None`` if it has none."""
    from vae_keras.data import sources

    return sources.DATASET_SOURCES[base].family if base in sources.DATASET_SOURCES else None


def notebook_accepts(accepted, base):
    """Whether a notebook that declares ``accepted`` runs on the dataset ``base``: its name or family is declared."""
    return accepted is None or base in accepted or _registered_family(base) in accepted


def __getattr__(name):
    # ``DATASET_BASES``, as it was when it was a constant: now read from the data registry on each use.
    if name == "DATASET_BASES":
        return dataset_bases()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def notebook_datasets(name, notebooks_dir=NOTEBOOKS_DIR):
    """The dataset base names a notebook accepts (``metadata["vae_keras"]["datasets"]``).

    Returns:
        A list of names among ``dataset_bases()``; all of them when the notebook declares none.

    Raises:
        ValueError: if the notebook declares a name outside ``dataset_bases()``.
    """
    path = Path(notebooks_dir) / f"{name}.ipynb"
    metadata = json.loads(path.read_text()).get("metadata", {})
    declared = (metadata.get("vae_keras") or {}).get("datasets")
    bases = dataset_bases()
    if declared is None:
        return list(bases)
    if isinstance(declared, str):
        declared = [declared]
    unknown = [d for d in declared if d not in bases]
    if unknown:
        raise ValueError(
            f"Notebook {name} declares unknown datasets in metadata['vae_keras']['datasets']. Received: "
            f"{unknown}. Accepted: {', '.join(bases)}"
        )
    return list(declared)


def _either(names):
    """``["a", "b", "c"]`` -> ``"a, b or c"``."""
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def plan(notebooks, dataset, argument="--dataset", notebooks_dir=NOTEBOOKS_DIR):
    """Which notebooks run on ``dataset`` and which are skipped, and why.

    Args:
        notebooks: ``{name: accepted dataset base names}`` (e.g. from ``notebook_datasets``),
            or a list of names whose metadata is read from ``NOTEBOOKS_DIR``. A notebook accepts a
            dataset whose name or family is among its names (``notebook_accepts``).
        dataset: the run's dataset (``"digits"``, ``"npz:PATH"``...), or ``None`` when each notebook
            uses its own default (nothing is skipped then).
        argument: how the user gave the dataset, for the error message.

    Returns:
        ``(to_run, skipped)``: the names to run, in order, and ``{name: reason}``.

    Raises:
        ValueError: if every notebook would be skipped.
    """
    if not isinstance(notebooks, dict):
        notebooks = {name: notebook_datasets(name, notebooks_dir) for name in notebooks}
    base = dataset_base(dataset)
    if base is None or base not in dataset_bases():
        # No dataset chosen, or one no notebook knows: the notebook's own loader names what it accepts.
        return list(notebooks), {}
    to_run, skipped = [], {}
    for name, accepted in notebooks.items():
        if notebook_accepts(accepted, base):
            to_run.append(name)
        else:
            skipped[name] = f"needs {_either(accepted)}; this run used {base}"
    if notebooks and not to_run:
        accepts = "; ".join(f"{name}: {_either(accepted)}" for name, accepted in notebooks.items())
        raise ValueError(
            f"None of the selected notebooks runs on this dataset. Received: {argument} {dataset!r}. "
            f"Accepted: {accepts}"
        )
    return to_run, skipped


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
    from vae_keras import report

    for path in (Path(out) / "notebooks" / f"{name}.ipynb", NOTEBOOKS_DIR / f"{name}.ipynb"):
        if path.exists():
            return report.notebook_title(path)
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


def _absolute_npz(dataset):
    """``--dataset npz:PATH`` with PATH made absolute: the notebooks run in the project root, not in the
    caller's folder. A missing file is refused before any notebook starts."""
    dataset = str(dataset)
    if not dataset.startswith("npz:"):
        return dataset
    path = Path(dataset[4:]).expanduser()
    if not path.is_file():
        raise FileNotFoundError(
            f"`--dataset` must name an existing .npz file. Received: --dataset {dataset!r}, and {path.resolve()} "
            "is not a file"
        )
    return "npz:" + str(path.resolve())


def run(
    profile,
    dataset=None,
    only=None,
    out=None,
    keep_going=False,
    resume=False,
    report=True,
    progress=None,
    verbose=False,
):
    """Executes the selected notebooks with a profile's parameters; see the module docstring.

    Args:
        profile: a profile name in ``params/`` or a YAML path.
        dataset: overrides the profile's ``dataset``.
        only: comma-separated notebook numbers or names.
        out: the run folder (default ``runs/<profile>``).
        keep_going: run the remaining notebooks after a failure.
        resume: skip notebooks that already completed in this run folder, with the same parameters and
            data (``changed_since``); one that did with others runs again, after a line saying what changed.
        report: build ``DIR/report`` at the end.
        progress: papermill's per-cell progress bar (default: on terminals, with ``verbose``).
        verbose: print everything the kernels print, and each notebook's parameters; by default the terminal
            gets a line per notebook and per trained model, errors and the report's path (``console``).

    Returns:
        The merged results dict (see ``merge_results``).

    Raises:
        ValueError: for an unknown profile, notebook or parameter, or a dataset no selected notebook
            runs on.
        NotebookFailedError: if a notebook failed (after writing results and report).
    """
    from papermill.exceptions import PapermillExecutionError

    parameters, overrides, backends = _profile(profile, dataset)
    profile_name = Path(str(profile)).stem
    notebooks = select_notebooks(only)
    if not notebooks:
        raise ValueError(f"No notebooks found in {NOTEBOOKS_DIR}.")
    argument = "--dataset" if dataset is not None else f"profile {profile_name}'s dataset"
    to_run, skipped = plan(notebooks, parameters.get("dataset"), argument=argument)
    info = run_info(profile, dataset=dataset, only=only, out=out, keep_going=keep_going, resume=resume)
    info["dataset"] = parameters.get("dataset")
    info["notebooks"] = list(notebooks)  # the selection: results.json lists those not reached yet as queued
    out = Path(out or Path("runs") / profile_name).resolve()
    skipped.update(_validate(out, parameters.get("dataset"), to_run) or {})  # by their needs, before any kernel
    info["dataset_sha256"] = dataset_sha256 = dataset_checksum(parameters.get("dataset"))
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    kernel = ensure_kernel()
    where = machine()
    status = read_status(out)
    progress = verbose and sys.stdout.isatty() if progress is None else progress
    terminal = console.Console(verbose)
    if skipped:
        terminal.say(console.skipped_line(skipped))
    running = [name for name in notebooks if name not in skipped]  # numbered [1/N] ... [N/N]
    failures = []
    for name in notebooks:
        executed = out / "notebooks" / f"{name}.ipynb"
        if name in skipped:
            status[name] = {"status": SKIPPED, "reason": skipped[name]}
            _write_status(out, status)
            continue
        step = f"[{running.index(name) + 1}/{len(running)}] {name}"
        chosen = _chosen(name, parameters, overrides, profile_name, out)
        if resume and status.get(name, {}).get("status") == COMPLETED and executed.exists():
            changed = changed_since(status[name], chosen, dataset_sha256)
            if not changed:
                terminal.say(f"{step}: completed earlier, skipped (--resume)")
                continue
            terminal.say(f"{step}: completed earlier with other {'; '.join(changed)}")
        environment = kernels.kernel_environment(backends.get(name))
        terminal.notebook(step, name, chosen)
        status[name] = {
            "status": RUNNING,
            "parameters": chosen,
            "started": time.strftime("%Y-%m-%d %H:%M:%S"),
            "commit": info.get("commit"),  # a run resumed across sessions may span several commits
            "command": info.get("command"),  # ... and several commands
            "machine": where,  # ... and several machines
            "dataset_sha256": dataset_sha256,  # ... and the bytes of the data, if they changed in between
        }
        (out / "results" / f"{name}.json").unlink(missing_ok=True)  # never mix in an older run's numbers
        start = time.time()
        try:
            status[name]["keras_backend"] = environment.get("KERAS_BACKEND") or "tensorflow"
            _write_status(out, status)
            merge_results(out, status, run=info)  # results.json says it is running: never its old numbers
            _execute(name, executed, chosen, kernel, environment, terminal, progress)
        except PapermillExecutionError as error:
            message = f"{name} failed in cell {error.cell_index}: {error.ename}: {error.evalue}"
            status[name].update(
                status=FAILED, error=message, cell=error.cell_index, seconds=round(time.time() - start, 1)
            )
            _write_status(out, status)
            merge_results(out, status, run=info)  # results.json after every notebook: a long run publishes part-way
            failures.append(message)
            terminal.say(f"FAILED: {message}; the partial notebook: {console.shown_path(executed)}", error=True)
            if not keep_going:
                break
            continue
        status[name].update(status=COMPLETED, seconds=round(time.time() - start, 1))
        _write_status(out, status)
        merge_results(out, status, run=info)
        if verbose:
            terminal.say(f"{step}: completed in {status[name]['seconds']} s")
    return _finish(out, status, info, report, terminal, failures)


def _finish(out, status, info, report, terminal, failures):
    """The run's end: ``results.json``, the report, their paths on the terminal; raises for ``failures``."""
    merged = merge_results(out, status, run=info)
    if report:
        from vae_keras import report as report_lib

        terminal.say(f"Report: {console.shown_path(report_lib.build_report(out))}")
    if terminal.verbose or not report:
        terminal.say(f"Results: {console.shown_path(out / 'results.json')}")
    if failures:
        raise NotebookFailedError("; ".join(failures))
    return merged


def _execute(name, executed, parameters, kernel, environment, terminal, progress):
    """Executes notebook ``name`` with papermill into ``executed``, in a kernel started with ``environment``.

    Unless ``terminal.verbose``, the kernel's own stderr and the cells' stderr go through ``terminal``
    (``writeup.console.Console``); verbose, papermill logs every cell's output and the kernel writes to the terminal.
    """
    import papermill

    with contextlib.ExitStack() as stack:
        stderr = cells = None
        if not terminal.verbose:
            stderr = stack.enter_context(kernels.StderrPipe(terminal.kernel_line)).fd
            cells = stack.enter_context(contextlib.closing(terminal.cell_stream()))
        papermill.execute_notebook(
            str(NOTEBOOKS_DIR / f"{name}.ipynb"),
            str(executed),
            parameters=parameters,
            kernel_name=kernel,
            progress_bar=progress,
            log_output=terminal.verbose,
            stderr_file=cells,
            cwd=str(PROJECT_ROOT),
            kernel_manager_class=kernels.kernel_manager(environment, stderr),
        )


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


def _validate(out, dataset, to_run):
    """The library's checks of ``--out`` and the dataset, and each notebook's needs of the data, once, before any
    notebook kernel starts.

    Returns:
        ``{name: reason}`` for the notebooks of ``to_run`` whose declared needs the data does not meet
        (``writeup.needs``), read from the splits ``validation.check_dataset`` loaded.
    """
    from vae_keras import validation

    validation.check_out(out, "--out")
    if dataset is None or not to_run:
        return {}
    loaded = validation.check_dataset(dataset, labels_for="The studies' conditional VAE")
    return needs.skips(to_run, dataset, loaded, NOTEBOOKS_DIR)


def _profile(profile, dataset=None):
    """A profile's shared parameters (with ``dataset`` made absolute), per-notebook sections and backends,
    checked: ``(parameters, overrides, backends)``. Raises ``ValueError`` for a name or value not accepted."""
    parameters = load_profile(profile)
    overrides = split_overrides(parameters)
    if dataset is not None:
        parameters["dataset"] = _absolute_npz(dataset)
    # Profiles are shared by all notebooks: check names against every notebook's parameters.
    backends = split_backends(parameters, overrides, list_notebooks())
    validate_parameters(parameters, list_notebooks())
    for name, values in overrides.items():
        validate_parameters(values, [name])
    return parameters, overrides, backends


def _chosen(name, parameters, overrides, profile_name, out):
    """The parameters one notebook receives: the profile's it declares, its own section, profile and out_dir."""
    declared = notebook_parameters(name)
    chosen = {k: v for k, v in parameters.items() if k in declared}
    chosen.update(overrides.get(name, {}))
    if "profile" in declared:
        chosen["profile"] = profile_name
    chosen["out_dir"] = str(out)
    return chosen


def parameters_for(profile, name, dataset=None, out=None):
    """What ``run(profile, dataset, only=name, out=out)`` passes to notebook ``name``: ``(parameters, backend)``.

    For tools that run parts of a notebook's work ahead (several trainings at once on a GPU, say) into the
    run folder the runner will use: their run folders then hold the configs the notebook asks for, so it
    resumes them (``train.train`` reuses a folder only for the same training: ``vae_keras.fingerprint``).
    """
    selected = select_notebooks(name)
    if len(selected) != 1:
        raise ValueError(f"`name` must name one notebook. Received: {name!r}, which names {len(selected)}")
    name = selected[0]
    parameters, overrides, backends = _profile(profile, dataset)
    out = Path(out or Path("runs") / Path(str(profile)).stem).resolve()
    return _chosen(name, parameters, overrides, Path(str(profile)).stem, out), backends.get(name)
