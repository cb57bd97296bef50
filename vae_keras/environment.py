"""The environment variables a vae-keras process starts with, defined once.

``import vae_keras`` sets nothing. The places where a process starts set these defaults:
``vae-keras`` (``cli.main``, before anything imports TensorFlow) for itself and what it starts, and the
runner for each notebook kernel (``writeup.kernels.kernel_environment``). A variable the user already set keeps
its value. This module imports nothing heavy.
"""

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def defaults(project_root=PROJECT_ROOT):
    """``{variable: value}`` for a vae-keras process.

    * ``TF_ENABLE_ONEDNN_OPTS=1``: TensorFlow turns its oneDNN kernels on by default only on CPUs with
      AVX512_VNNI, AVX512_BF16 or AMX. On an AVX2-only CPU they train the convolutional VAEs about twice as
      fast as its default Eigen kernels and leave the MLPs about as fast (``python -m benchmarks.onednn``).
      TensorFlow reads the variable once, when it is imported.
    * ``TF_CPP_MIN_LOG_LEVEL=2``: TensorFlow's C++ log without its INFO and WARNING lines.
    * ``PYTHONUNBUFFERED=1``: a kernel's or a child's output arrives line by line.
    * In a checkout (``project_root`` holds ``pyproject.toml``), Keras's, matplotlib's, IPython's and
      Jupyter's caches and configuration stay in ``project_root/.cache``, out of ``$HOME``.
    """
    values = {"TF_ENABLE_ONEDNN_OPTS": "1", "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONUNBUFFERED": "1"}
    project_root = Path(project_root)
    if (project_root / "pyproject.toml").is_file():
        cache = project_root / ".cache"
        folders = {
            "KERAS_HOME": cache / "keras",
            "MPLCONFIGDIR": cache / "matplotlib",
            "IPYTHONDIR": cache / "ipython",
            "JUPYTER_CONFIG_DIR": cache / "jupyter" / "config",
            "JUPYTER_DATA_DIR": cache / "jupyter" / "data",
            "JUPYTER_RUNTIME_DIR": cache / "jupyter" / "runtime",
        }
        values.update({name: str(folder) for name, folder in folders.items()})
    return values


#: The defaults that name a folder: ``apply`` creates the ones it sets (IPython warns about, and falls back
#: from, a folder that does not exist yet, e.g. in a fresh checkout or a new worktree).
FOLDERS = ("KERAS_HOME", "MPLCONFIGDIR", "IPYTHONDIR", "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR")


def apply(environ=None, project_root=PROJECT_ROOT):
    """Sets each of ``defaults()`` that ``environ`` (default: ``os.environ``) lacks; returns ``environ``.

    A folder it sets is created if missing; a folder the user set is left to the user.
    """
    environ = os.environ if environ is None else environ
    for name, value in defaults(project_root).items():
        if name not in environ and name in FOLDERS:
            Path(value).mkdir(parents=True, exist_ok=True)
        environ.setdefault(name, value)
    return environ
