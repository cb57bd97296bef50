"""A checkpoint and what its ``.keras`` file leaves out: the state of the model's seed generators.

A ``.keras`` file holds a model's weights and its optimizer's variables, not the state of its
``keras.random.SeedGenerator``s (Keras 3.15; keras-team/keras#19796): a loaded model's sampling and dropout
layers would start their random streams again, from a seed drawn anew where a layer was built without one.
``train``'s ``RunCheckpoint`` records ``seed_generator_states`` in ``state.json`` beside the checkpoint it
points at, in the same atomic write, and ``load_checkpoint`` loads the model and restores them, so that a
resumed run draws the noise the uninterrupted one would have drawn.
"""

import zipfile
from pathlib import Path

import keras
import numpy as np


def load_checkpoint(run_dir, state):
    """The model of the checkpoint ``state`` points at, with its seed generators as they were when it was saved.

    Args:
        run_dir: the run folder.
        state: its ``state.json``: ``checkpoint``, the file's path in the folder, and ``seed_generators``, as
            ``seed_generator_states`` returned them when it was saved (absent in a run folder of an older
            version: its model is loaded as Keras loads it).

    Raises:
        FileNotFoundError: if the checkpoint file is missing.
        ValueError: if it is damaged, or the recorded seed generators do not fit the model.
    """
    vae = _load_model(Path(run_dir) / state["checkpoint"])
    if "seed_generators" in state:
        restore_seed_generators(vae, state["seed_generators"])
    return vae


def _load_model(path):
    """Loads a checkpoint, naming the file if it is missing or damaged."""
    if not path.is_file():
        raise FileNotFoundError(
            f"state.json points at a checkpoint that does not exist. Received: checkpoint={str(path)!r}. "
            "Accepted: a run folder written by `vae-keras train`; start again in a new --out folder."
        )
    try:
        return keras.saving.load_model(path)
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as error:
        raise ValueError(
            f"The checkpoint cannot be loaded: it is truncated or corrupt. Received: checkpoint={str(path)!r} "
            f"({type(error).__name__}: {error}). Accepted: a complete .keras file written by `vae-keras train`; "
            "start again in a new --out folder."
        ) from None


def seed_generator_states(model):
    """The state of each of ``model``'s seed generators, in a fixed order: ``[[seed, counter], ...]`` integers."""
    return [[int(value) for value in keras.ops.convert_to_numpy(variable)] for variable in _seed_variables(model)]


def restore_seed_generators(model, states):
    """Sets ``model``'s seed generators to ``states``, as ``seed_generator_states`` returned them.

    Raises:
        ValueError: if ``states`` does not hold one ``[seed, counter]`` pair per seed generator of ``model``.
    """
    variables = _seed_variables(model)
    if len(states) != len(variables) or any(np.shape(state) != (2,) for state in states):
        raise ValueError(
            f"`seed_generators` must hold one [seed, counter] pair per seed generator of the model "
            f"({len(variables)}). Received: seed_generators={states!r}. Accepted: what seed_generator_states() "
            "returned for a model of the same layers; start again in a new --out folder."
        )
    for variable, state in zip(variables, states):
        variable.assign(np.asarray(state, dtype=variable.dtype))
    return model


def _seed_variables(model):
    """The variables of ``model``'s seed generators, in ``model.variables`` order.

    ``model.variables`` holds all of a model's state; its ``weights`` leave out the metrics' and the seed
    generators' (``keras.layers.Layer.weights``), and ``metrics_variables`` are the metrics'.
    """
    other = {id(variable) for variable in [*model.weights, *model.metrics_variables]}
    return [variable for variable in model.variables if id(variable) not in other]
