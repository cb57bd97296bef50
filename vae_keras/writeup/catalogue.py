"""The catalogue of the writeup: the study notebooks, the parameter profiles, and which notebooks a dataset runs.

The notebooks are ``notebooks/NN_name.ipynb`` (their jupytext twins are the editable sources); a profile is
``params/NAME.yaml``, flat notebook parameters plus an optional per-notebook ``notebooks:`` section. A
notebook declares the datasets it accepts (``metadata["vae_keras"]["datasets"]``, base names among
``dataset_bases()``, read from the data registry), and ``writeup.needs`` what it needs of the data.
"""

import difflib
import importlib.util
import json
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


NOTEBOOKS_DIR = PROJECT_ROOT / "notebooks"


PARAMS_DIR = PROJECT_ROOT / "params"


#: Keras backends a profile may choose with ``keras_backend`` (for all notebooks, or per notebook).
KERAS_BACKENDS = ("tensorflow", "jax")


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


def notebook_title(path):
    """The first markdown heading of a notebook, or its file name."""
    try:
        notebook = json.loads(Path(path).read_text())
    except (OSError, json.JSONDecodeError):
        return Path(path).stem
    for cell in notebook.get("cells", []):
        if cell.get("cell_type") == "markdown":
            for line in "".join(cell.get("source", "")).splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return Path(path).stem
