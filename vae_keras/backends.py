"""Which Keras backend a command runs on, chosen before Keras is imported.

Keras reads ``KERAS_BACKEND`` once, at its first import, so the choice has to be made before anything
imports it; this module imports neither Keras nor a backend.

``auto`` (the default of ``vae-keras train --keras-backend``) keeps a ``KERAS_BACKEND`` the user set, and
otherwise picks the backend measured faster on a CPU for the model (``benchmarks/README.md``, "Why
TensorFlow trails JAX on the MLP"):

* **dense models** (``architecture="mlp"``, on pixels or PCA features) train on **JAX** when it is
  installed. XLA compiles the whole training step into a few fused loops, where TensorFlow on a CPU
  runs it op by op; at the MLPs' small batches the per-op cost and the extra passes over memory of the
  unfused element-wise work (sampling, the loss, Adam's update) are a large share of the step.
* **convolutional models** train on **TensorFlow**: XLA's CPU convolutions were far slower than
  TensorFlow's (about 30x on the conv VAE).

On a GPU both are compiled by XLA; pass ``--keras-backend`` (or set ``KERAS_BACKEND``) to choose.

``vae-keras evaluate RUN`` runs on the backend the run trained on (``keras_backend`` in its
``state.json``, written by ``train``; ``for_run``) unless ``--keras-backend`` names another.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path

#: Backends a command may ask for, ``auto`` first.
CHOICES = ("auto", "tensorflow", "jax")

#: Architectures whose training step is convolutions, which TensorFlow runs faster than XLA on a CPU.
CONVOLUTIONAL = frozenset({"conv"})


def current():
    """The backend Keras uses or will use in this process: Keras's own if it is imported, else
    ``KERAS_BACKEND`` (Keras's default, ``tensorflow``, when unset)."""
    if "keras" in sys.modules:
        import keras

        return keras.backend.backend()
    return os.environ.get("KERAS_BACKEND") or "tensorflow"


def preferred(architecture):
    """The backend measured faster on a CPU for ``architecture`` (see the module docstring)."""
    if architecture in CONVOLUTIONAL or importlib.util.find_spec("jax") is None:
        return "tensorflow"
    return "jax"


def choose(requested, architecture):
    """Sets ``KERAS_BACKEND`` for this process before Keras is imported.

    Args:
        requested: ``auto``, ``tensorflow`` or ``jax``.
        architecture: the model's architecture name, for ``auto``.

    Returns:
        ``(backend, reason)``: the backend the process will use and why, in words.

    Raises:
        ValueError: for an unknown ``requested``, a backend that is not installed, or one that differs
            from the backend of an already imported Keras.
    """
    if requested not in CHOICES:
        accepted = ", ".join(CHOICES)
        raise ValueError(f"Unknown Keras backend. Received: --keras-backend {requested}. Accepted: {accepted}")
    if requested == "auto":
        if "keras" in sys.modules:
            return current(), "Keras was already imported"
        if os.environ.get("KERAS_BACKEND"):
            return os.environ["KERAS_BACKEND"], "KERAS_BACKEND is set"
        backend = preferred(architecture)
        kind = "convolutional" if architecture in CONVOLUTIONAL else "dense"
        reason = f"auto: the faster backend on a CPU for a {kind} model"
        if backend == "tensorflow" and kind == "dense":
            reason = "auto: JAX is not installed"
        os.environ["KERAS_BACKEND"] = backend
        return backend, reason
    if importlib.util.find_spec(requested) is None:
        raise ValueError(
            f"Keras backend not installed. Received: --keras-backend {requested}. "
            f"Install it (`pip install {'jax[cpu]' if requested == 'jax' else 'tensorflow-cpu'}`) or pass "
            "--keras-backend auto"
        )
    if "keras" in sys.modules and current() != requested:
        raise ValueError(
            f"Keras already runs on {current()} in this process. Received: --keras-backend {requested}. "
            f"Accepted: {current()} or auto"
        )
    os.environ["KERAS_BACKEND"] = requested
    return requested, "asked for"


def trained_on(run_dir):
    """The backend a run folder trained on (``keras_backend`` in its ``state.json``); ``None`` if it records none."""
    try:
        state = json.loads((Path(run_dir) / "state.json").read_text())
    except (OSError, ValueError):
        return None
    backend = state.get("keras_backend") if isinstance(state, dict) else None
    return backend if backend in CHOICES[1:] else None


def for_run(requested, run_dir):
    """Sets ``KERAS_BACKEND`` to evaluate the run in ``run_dir``, before Keras is imported.

    Args:
        requested: ``auto`` (the backend the run trained on, whatever ``KERAS_BACKEND`` says), ``tensorflow``
            or ``jax``.
        run_dir: the run folder.

    Returns:
        ``(backend, reason)``, as ``choose`` returns them.

    Raises:
        ValueError: as ``choose`` raises it.
    """
    recorded = trained_on(run_dir)
    if requested != "auto" or recorded is None or "keras" in sys.modules:
        return choose(requested, _architecture(run_dir))
    if importlib.util.find_spec(recorded) is None:
        backend, _ = choose("auto", _architecture(run_dir))
        return backend, f"the run trained on {recorded}, which is not installed here"
    overridden = os.environ.get("KERAS_BACKEND")
    os.environ["KERAS_BACKEND"] = recorded
    if overridden and overridden != recorded:
        return recorded, f"the run trained on it; KERAS_BACKEND={overridden} is left aside: pass --keras-backend"
    return recorded, "the run trained on it"


def _architecture(run_dir):
    """The run's architecture (its ``config.json``), for ``auto``; ``mlp`` when unreadable."""
    try:
        return json.loads((Path(run_dir) / "config.json").read_text()).get("architecture", "mlp")
    except (OSError, ValueError, AttributeError):
        return "mlp"
