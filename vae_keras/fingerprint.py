"""A training's fingerprint, and the rule for reusing a run folder: only for the same training.

A run folder records in ``fingerprint.json`` what decides the model it holds::

    config             the resolved ExperimentConfig, as a dict
    dataset_sha256     the sha256 of the files its training and test splits were read from
                       (``data.dataset_checksum``; null for generated data such as ``digits``)
    code_sha256        the sha256 of the training code: the package modules a training runs
                       (``training_modules``), each parsed with its docstrings, comments and layout left
                       out, so that only a change to what runs changes it; ``code_files`` holds each
                       module's own hash
    keras_backend      the Keras backend that trained it (the last one, for a run resumed on another)
    vae_keras_version  for the reader only: a version string does not change with every edit, the hash does

The code is hashed rather than trusted to a version number because a version is bumped by hand and a run
folder outlives many edits. The price: an edit to what runs in those modules (a changed message too)
makes every run folder another training; an edit to a docstring or a comment does not.

``train.train`` reuses a run folder (``mismatch``, then ``set_aside`` for another training):

* as it is (a completed run, nothing left to train) only when every field matches, but for
  ``allow_large``;
* to continue it (a checkpoint to resume, or a completed run whose ``num_epochs`` was raised) when every
  field but the backend matches: a checkpoint is a ``.keras`` file that crosses backends, and the run
  prints a note when it does;
* otherwise never: the folder is moved aside to ``<folder>.stale-<n>`` (never deleted) and training
  starts from scratch, after one printed line that names the fields that differ.

Asking for fewer epochs than a run trained is another training (``num_epochs`` is then a difference), and
so is another ``num_epochs`` under a learning-rate schedule, whose stages were placed for the saved one.
An ``npz:PATH`` file that moved is the same data when its bytes are: the checksum decides, not the path.
A folder trained before fingerprints were recorded is compared by its ``config.json`` and the backend in
its ``state.json``; if they match it is reused and its fingerprint recorded from then on.

A cached evaluation (``evaluation_fingerprint``) holds the digest of its training's fingerprint and the
hash of the evaluation code (``EVALUATION_MODULES``), and is used only when both still match.
"""

import ast
import hashlib
import json
from pathlib import Path

from vae_keras import io_utils

FILE = "fingerprint.json"

#: Package modules a training imports that do not decide its weights: they check its settings and data,
#: watch it, write its files or plot it (``config``'s effect is the resolved config, recorded beside).
NOT_TRAINING = (
    "config", "checks", "registry", "validation", "guards", "io_utils", "plots", "fingerprint",
    "data.errors", "data.identity", "data.official",
)  # fmt: skip
#: The modules that compute a study's cached evaluation of a trained model.
EVALUATION_MODULES = ("evaluate", "studies.variants")

#: Settings that may differ between a run folder and the training asked for (``num_epochs`` has its own rule).
NOT_IDENTITY = ("num_epochs", "allow_large")

_PACKAGE = Path(__file__).resolve().parent
_parsed = {}


def _parse(path):
    """``(code sha256, package modules it imports)`` of a module, once per path, size and modification time.

    The hash is of its syntax tree without docstrings, so comments, docstrings and layout do not count.
    """
    stat = path.stat()
    key = (str(path), stat.st_size, stat.st_mtime_ns)
    if key not in _parsed:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = []
        for node in ast.walk(tree):
            body = getattr(node, "body", None)
            if isinstance(body, list) and body and _is_docstring(body[0]):
                node.body = body[1:] or [ast.Pass()]
            if isinstance(node, ast.Import):
                imported += [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        digest = hashlib.sha256(ast.dump(tree, annotate_fields=False).encode()).hexdigest()
        inside = sorted({name[len("vae_keras.") :] for name in imported if name.startswith("vae_keras.")})
        _parsed[key] = (digest, inside)
    return _parsed[key]


def _is_docstring(node):
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)


def module_hash(path):
    """The sha256 of a Python module's code: its syntax tree without docstrings, comments or layout."""
    return _parse(Path(path))[0]


def _module_path(name):
    """The file of package module ``name`` (``"data.prepared"``), or ``None`` for a name that is no module."""
    base = _PACKAGE.joinpath(*name.split("."))
    for path in (base.with_suffix(".py"), base / "__init__.py"):
        if path.is_file():
            return path
    return None


def training_modules():
    """The package's modules a training runs: ``train`` and what it imports, in turn, less ``NOT_TRAINING``.

    Read from the import statements (those inside functions too), so a module split in two stays covered.

    Returns:
        Sorted dotted names inside ``vae_keras``, e.g. ``["architectures", ..., "data.prepared", ..., "train"]``.
    """
    found, waiting = set(), ["train"]
    while waiting:
        name = waiting.pop()
        path = None if name in found or name in NOT_TRAINING else _module_path(name)
        if path is not None:
            found.add(name)
            waiting += _parse(path)[1]
    return sorted(found)


def code_fingerprint(modules=None):
    """``{"sha256": ..., "files": {"vae_keras/<path>.py": sha256}}`` of ``modules`` (default: ``training_modules``)."""
    paths = [_module_path(name) for name in (training_modules() if modules is None else modules)]
    files = {path.relative_to(_PACKAGE.parent).as_posix(): module_hash(path) for path in paths}
    lines = "".join(f"{digest}  {name}\n" for name, digest in sorted(files.items()))
    return {"sha256": hashlib.sha256(lines.encode()).hexdigest(), "files": files}


def training_fingerprint(config):
    """The fingerprint of the training ``config`` asks for, in this process (see the module docstring).

    Call it after the dataset has been loaded once: a dataset downloaded on first use has no local file
    to hash before.
    """
    import keras

    import vae_keras
    from vae_keras import data

    splits = tuple(dict.fromkeys((config.train_split, config.test_split)))
    code = code_fingerprint()
    return {
        "config": config.to_dict(),
        "dataset_sha256": data.dataset_checksum(config.dataset, splits),
        "code_sha256": code["sha256"],
        "code_files": code["files"],
        "keras_backend": keras.backend.backend(),
        "vae_keras_version": vae_keras.__version__,
    }


def read(run_dir):
    """A run folder's fingerprint, or ``None`` when it has none (or an unreadable one)."""
    try:
        found = json.loads((Path(run_dir) / FILE).read_text())
    except (OSError, ValueError):
        return None
    return found if isinstance(found, dict) and isinstance(found.get("config"), dict) else None


def write(run_dir, fingerprint):
    io_utils.atomic_write_json(Path(run_dir) / FILE, fingerprint)


def digest(fingerprint):
    """One sha256 of a whole fingerprint, for what was computed from the run (a cached evaluation)."""
    return hashlib.sha256(json.dumps(fingerprint, sort_keys=True).encode()).hexdigest()


def differences(saved, current, trained_epochs, compare_backend=True):
    """What differs between a run folder's fingerprint and the training asked for, one phrase per field.

    Args:
        saved: the folder's fingerprint; a field it lacks (a folder from before fingerprints) is not compared.
        current: ``training_fingerprint`` of the training asked for.
        trained_epochs: the epochs the folder's run trained.
        compare_backend: whether the backend counts (not when a checkpoint is continued).

    Returns:
        A list like ``["latent_dim: 2 -> 3", "dataset_sha256: 5f0c1e2a7b9d -> 0be81c3d4e5f"]``; empty when
        it is the same training.
    """
    old, new = _normalized(saved.get("config") or {}), current["config"]
    same_bytes = saved.get("dataset_sha256") is not None and saved.get("dataset_sha256") == current["dataset_sha256"]
    found = []
    for key in sorted(set(old) | set(new)):
        if key in NOT_IDENTITY or (key == "dataset" and same_bytes and _both_npz(old, new)):
            continue
        if old.get(key, "absent") != new.get(key, "absent"):
            found.append(f"{key}: {old.get(key, 'absent')!r} -> {new.get(key, 'absent')!r}")
    if new["num_epochs"] < trained_epochs:
        found.append(f"num_epochs: {new['num_epochs']} asked, fewer than the {trained_epochs} it trained")
    elif old.get("lr_schedule", "constant") != "constant" and old.get("num_epochs") != new["num_epochs"]:
        found.append(f"num_epochs: {old.get('num_epochs')} -> {new['num_epochs']} (its learning-rate schedule)")
    if "dataset_sha256" in saved and not same_bytes and saved["dataset_sha256"] != current["dataset_sha256"]:
        found.append(f"dataset_sha256: {_short(saved['dataset_sha256'])} -> {_short(current['dataset_sha256'])}")
    if "code_sha256" in saved and saved["code_sha256"] != current["code_sha256"]:
        files = saved.get("code_files") or {}
        changed = [name for name, sha in current["code_files"].items() if files.get(name) != sha]
        found.append(f"code_sha256: {', '.join(changed) or 'the training modules'} changed")
    if compare_backend and saved.get("keras_backend") not in (None, current["keras_backend"]):
        found.append(f"keras_backend: {saved['keras_backend']!r} -> {current['keras_backend']!r}")
    return found


def _both_npz(old, new):
    return all(str(settings.get("dataset")).startswith("npz:") for settings in (old, new))


def _normalized(settings):
    """A saved config with the defaults of settings added since, as ``ExperimentConfig.load`` reads it."""
    from vae_keras import config as config_lib

    try:
        return config_lib.ExperimentConfig.from_dict(settings).to_dict()
    except (ValueError, TypeError):
        return settings


def _short(sha):
    return "none" if sha is None else sha[:12]


def move_aside(run_dir):
    """Renames ``run_dir`` to the first free ``<run_dir>.stale-<n>`` (n = 1, 2, ...); returns the new path."""
    run_dir = Path(run_dir)
    number = 1
    while (stale := run_dir.with_name(f"{run_dir.name}.stale-{number}")).exists():
        number += 1
    run_dir.rename(stale)
    return stale


def is_stale(path):
    """Whether ``path`` is a run folder ``move_aside`` set aside."""
    name, _, number = Path(path).name.rpartition(".stale-")
    return bool(name) and number.isdigit()


def mismatch(run_dir, current, state, reusing):
    """What keeps a run folder that holds a run from being this training (the rule of the module docstring).

    Args:
        run_dir: the run folder.
        current: ``training_fingerprint`` of the training asked for.
        state: the folder's ``state.json``.
        reusing: the folder's run would be reused as it is (completed, nothing left to train); otherwise
            it would be continued from its checkpoint, on whichever backend this process runs.

    Returns:
        The ``differences``: empty when the folder is the same training, to reuse or continue. A folder
        trained before fingerprints that matches is accepted with one printed line saying so.
    """
    run_dir = Path(run_dir)
    saved = read(run_dir)
    legacy = saved is None
    if legacy:  # trained before fingerprints: its settings and the backend state.json names
        saved = {"config": _read_settings(run_dir), "keras_backend": state.get("keras_backend")}
    found = differences(saved, current, int(state.get("epoch") or 0), compare_backend=reusing)
    if legacy and not found:
        print(
            f"{run_dir} has no fingerprint (it was trained before they were recorded); its settings match, "
            "so it is used, and this training's fingerprint is recorded from now on.",
            flush=True,
        )
    return found


def set_aside(run_dir, found):
    """Moves a run folder of another training aside (``move_aside``), saying in one line why; returns its new path."""
    stale = move_aside(run_dir)
    print(
        f"{run_dir} holds another training ({'; '.join(found)}): moved it to {stale.name}; training from scratch.",
        flush=True,
    )
    return stale


def _read_settings(run_dir):
    try:
        return json.loads((run_dir / "config.json").read_text())
    except (OSError, ValueError):
        return {"config.json": "missing or unreadable"}


def evaluation_fingerprint(run_dir):
    """What a cached evaluation of ``run_dir``'s model depends on: its training and the evaluation code."""
    training = read(run_dir)
    return {
        "training": None if training is None else digest(training),
        "evaluation_code_sha256": code_fingerprint(EVALUATION_MODULES)["sha256"],
    }


def evaluation_differences(cached, current):
    """What differs between a cached evaluation's fingerprint and ``current``, in words: ``"training"``,
    ``"evaluation code"`` (both, when the cache has no fingerprint)."""
    cached = cached if isinstance(cached, dict) else {}
    return [
        key.removesuffix("_sha256").replace("_", " ")
        for key, value in current.items()
        if value is None or cached.get(key) != value
    ]
