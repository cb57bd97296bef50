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
import dataclasses
import sys
import time
from pathlib import Path

from vae_keras.writeup import console, kernels, needs

# The catalogue (notebooks, profiles, datasets) and the results and provenance of a run live in their own modules;
# the runner re-exports their names, which the command line, publish and the tests use as runner.X.
from vae_keras.writeup.catalogue import (  # noqa: F401
    KERAS_BACKENDS,
    NOTEBOOKS_DIR,
    PARAMS_DIR,
    PROJECT_ROOT,
    _either,
    _registered_family,
    dataset_base,
    dataset_bases,
    list_notebooks,
    list_profiles,
    load_profile,
    notebook_accepts,
    notebook_datasets,
    notebook_parameters,
    notebook_title,
    select_notebooks,
    split_backends,
    split_overrides,
    validate_parameters,
)
from vae_keras.writeup.results import (  # noqa: F401
    BENCHMARK_NOTEBOOK,
    BENCHMARK_REFERENCES,
    COMPLETED,
    FAILED,
    QUEUED,
    RUNNING,
    SKIPPED,
    _git_commit,
    _not_run_reason,
    _read_json,
    _shown_path,
    _title,
    _write_status,
    changed_since,
    dataset_checksum,
    headline,
    machine,
    merge_results,
    read_status,
    run_info,
)

#: The Jupyter kernel the notebooks run in, and what registers it (``writeup.kernels``).
KERNEL_NAME = kernels.KERNEL_NAME
ensure_kernel = kernels.ensure_kernel


class NotebookFailedError(RuntimeError):
    """One or more notebooks failed; the message names each notebook and cell."""


def __getattr__(name):
    # ``DATASET_BASES``, as it was when it was a constant: now read from the data registry on each use.
    if name == "DATASET_BASES":
        return dataset_bases()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


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
    session = _prepare(profile, dataset, only, out, keep_going, resume)
    progress = verbose and sys.stdout.isatty() if progress is None else progress
    terminal = console.Console(verbose)
    if session.skipped:
        terminal.say(console.skipped_line(session.skipped))
    running = [name for name in session.notebooks if name not in session.skipped]  # numbered [1/N] ... [N/N]
    failures = []
    for name in session.notebooks:
        if name in session.skipped:
            session.status[name] = {"status": SKIPPED, "reason": session.skipped[name]}
            _write_status(session.out, session.status)
            continue
        step = f"[{running.index(name) + 1}/{len(running)}] {name}"
        failure = _run_notebook(session, name, step, terminal, progress, resume)
        if failure is not None:
            failures.append(failure)
            if not keep_going:
                break
    return _finish(session.out, session.status, session.info, report, terminal, failures)


@dataclasses.dataclass
class _Session:
    """What ``run`` settled before its first notebook: the parameters, what runs and what is skipped (and why),
    the run's provenance (``info``), its kernel, and the status read from its folder (updated as it goes)."""

    out: Path
    profile_name: str
    parameters: dict
    overrides: dict
    backends: dict
    notebooks: list
    skipped: dict
    info: dict
    kernel: str
    machine: str
    status: dict


def _prepare(profile, dataset, only, out, keep_going, resume):
    """The checks and choices of ``run`` before any notebook kernel starts: a ``_Session``, or ``ValueError``."""
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
    info["dataset_sha256"] = dataset_checksum(parameters.get("dataset"))
    (out / "notebooks").mkdir(parents=True, exist_ok=True)
    return _Session(
        out=out,
        profile_name=profile_name,
        parameters=parameters,
        overrides=overrides,
        backends=backends,
        notebooks=notebooks,
        skipped=skipped,
        info=info,
        kernel=ensure_kernel(),
        machine=machine(),
        status=read_status(out),
    )


def _run_notebook(session, name, step, terminal, progress, resume):
    """Runs one notebook of the ``session`` and records it in ``status.json`` and ``results.json`` as it goes.

    Returns:
        ``None`` when it completed (or completed earlier, with ``resume``), else the failure's one-line message.
    """
    from papermill.exceptions import PapermillExecutionError

    out, status = session.out, session.status
    executed = out / "notebooks" / f"{name}.ipynb"
    chosen = _chosen(name, session.parameters, session.overrides, session.profile_name, out)
    if resume and status.get(name, {}).get("status") == COMPLETED and executed.exists():
        changed = changed_since(status[name], chosen, session.info["dataset_sha256"])
        if not changed:
            terminal.say(f"{step}: completed earlier, skipped (--resume)")
            return None
        terminal.say(f"{step}: completed earlier with other {'; '.join(changed)}")
    environment = kernels.kernel_environment(session.backends.get(name))
    terminal.notebook(step, name, chosen)
    status[name] = {
        "status": RUNNING,
        "parameters": chosen,
        "started": time.strftime("%Y-%m-%d %H:%M:%S"),
        "commit": session.info.get("commit"),  # a run resumed across sessions may span several commits
        "command": session.info.get("command"),  # ... and several commands
        "machine": session.machine,  # ... and several machines
        "dataset_sha256": session.info["dataset_sha256"],  # ... and the bytes of the data, if they changed in between
        "keras_backend": environment.get("KERAS_BACKEND") or "tensorflow",
    }
    (out / "results" / f"{name}.json").unlink(missing_ok=True)  # never mix in an older run's numbers
    start = time.time()
    try:
        _record(session)  # results.json says it is running: never its old numbers
        _execute(name, executed, chosen, session.kernel, environment, terminal, progress)
    except PapermillExecutionError as error:
        message = f"{name} failed in cell {error.cell_index}: {error.ename}: {error.evalue}"
        status[name].update(status=FAILED, error=message, cell=error.cell_index, seconds=round(time.time() - start, 1))
        _record(session)  # results.json after every notebook: a long run publishes part-way
        terminal.say(f"FAILED: {message}; the partial notebook: {console.shown_path(executed)}", error=True)
        return message
    status[name].update(status=COMPLETED, seconds=round(time.time() - start, 1))
    _record(session)
    if terminal.verbose:
        terminal.say(f"{step}: completed in {status[name]['seconds']} s")
    return None


def _record(session):
    """Writes the run's ``status.json``, then its ``results.json`` merged from it."""
    _write_status(session.out, session.status)
    merge_results(session.out, session.status, run=session.info)


def _finish(out, status, info, report, terminal, failures):
    """The run's end: ``results.json``, the report, their paths on the terminal; raises for ``failures``."""
    merged = merge_results(out, status, run=info)
    if report:
        from vae_keras.writeup import report as report_lib

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
