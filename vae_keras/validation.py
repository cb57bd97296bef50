"""One validation pass before any work: the data, the output folder, and the size of the model.

``train`` calls ``validate_training`` after loading its splits and before it fits a preprocessor, builds a
model or creates the run folder; ``evaluate_run`` calls ``check_evaluation_data`` before it computes
anything; ``vae-keras run`` calls ``check_out`` and ``check_dataset`` before it starts a notebook kernel.
Every check raises ``ValueError`` (or ``FileNotFoundError``) naming the argument, the value received and
what is accepted; a model that is large but allowed gives a ``LargeRunWarning``.

The size of a run (``estimate_size``) is counted from the settings, without building the model: the
weights of the encoder and decoder, 4 bytes each, plus the optimizer's slots (Adam keeps two values per
weight), make one checkpoint; two are on disk at once (the newest is written before the previous one is
deleted, and ``model.keras`` sits beside the last). Thresholds: ``WARN_CHECKPOINT_BYTES`` and
``REFUSE_CHECKPOINT_BYTES`` per checkpoint, ``WARN_INPUT_VALUES`` per example; ``allow_large=True``
(``--allow-large true``) starts a run above the refusal threshold, or without the disk space estimated.

This module is part of the library: it imports no writeup module (runner, report, publish, claims), and
nothing heavy at import (Keras loads only where a registry is read).
"""

import dataclasses
import math
import os
import shutil
import warnings
from pathlib import Path

import numpy as np

#: Bytes of one weight or optimizer slot: variables are float32 (mixed precision computes in 16 bits but
#: keeps its variables in float32).
BYTES_PER_VALUE = 4
#: Values each optimizer keeps per weight, as Keras builds them with this package's settings (no momentum).
OPTIMIZER_SLOTS = {"adam": 2, "adagrad": 1, "sgd": 0, "rmsprop": 1}
#: Checkpoints on disk at once: the newest is written before the previous one is removed, and the final
#: ``model.keras`` (saved with its optimizer) sits beside the last checkpoint.
CHECKPOINT_COPIES = 2
#: One checkpoint above this size (1 GiB, about 90 million weights under Adam) gives a warning.
WARN_CHECKPOINT_BYTES = 2**30
#: One checkpoint above this size (4 GiB, about 360 million weights under Adam) is refused unless
#: ``allow_large=True``: a typo in an image size or a hidden width, not a study of this project (its
#: largest model, the 47M-weight SVHN MLP of notebook 07, writes 0.56 GB).
REFUSE_CHECKPOINT_BYTES = 4 * 2**30
#: Inputs of more values per example than this (a 256x256 grey image) give a warning: every dense layer
#: on the input, and the decoder's output layer, grow with it.
WARN_INPUT_VALUES = 256 * 256


class LargeRunWarning(UserWarning):
    """A run whose inputs, checkpoints or memory are large enough to be worth a second look."""


@dataclasses.dataclass(frozen=True)
class SizeEstimate:
    """What a run will hold and write, from its settings (``estimate_size``).

    Attributes:
        parameters: weights of the encoder and decoder; ``None`` for an architecture this module cannot count.
        input_values: values of one model input.
        checkpoint_bytes: one ``.keras`` checkpoint: the weights and the optimizer's slots.
        disk_bytes: the run folder at its fullest (``CHECKPOINT_COPIES`` checkpoints).
        memory_bytes: a lower bound on training memory: weights, gradients and slots, and one batch's
            inputs, decoder outputs and their gradients.
    """

    parameters: int | None
    input_values: int
    checkpoint_bytes: int = 0
    disk_bytes: int = 0
    memory_bytes: int = 0


# --------------------------------------------------------------------------
# The output folder
# --------------------------------------------------------------------------


def check_out(path, name="run_dir"):
    """Checks that ``path`` is a folder, or can be created as one; creates nothing.

    Raises:
        ValueError: if ``path`` or a folder above it is a file, or the nearest existing folder above it
            cannot be written.
    """
    path = Path(path)
    accepted = "Accepted: an existing folder, or a path where a new folder can be created"
    if path.exists() and not path.is_dir():
        raise ValueError(f"`{name}` must be a folder. Received: {name}={str(path)!r}, an existing file. {accepted}.")
    existing = path
    while not existing.exists() and existing != existing.parent:
        existing = existing.parent
    if not existing.is_dir():
        raise ValueError(
            f"`{name}` cannot be created: {str(existing)!r} above it is a file. Received: {name}={str(path)!r}. "
            f"{accepted}."
        )
    if not os.access(existing, os.W_OK | os.X_OK):
        raise ValueError(
            f"`{name}` cannot be written: {str(existing)!r} is not writable. Received: {name}={str(path)!r}. "
            f"{accepted}."
        )
    return path


# --------------------------------------------------------------------------
# The data
# --------------------------------------------------------------------------


def check_split(images, dataset, argument, split, expected_shape=None):
    """Checks one split's images: present, ``(N, H, W, C)``, grey or RGB, of ``expected_shape`` if given."""
    from vae_keras import plots

    images = np.asarray(images)
    where = f"dataset={dataset!r}, {argument}={split!r}"
    if images.ndim != 4:
        raise ValueError(
            f"A split must hold images (N, height, width, channels). Received: {where} with an array of shape "
            f"{images.shape}. Accepted: 4-dimensional image arrays."
        )
    if len(images) == 0:
        raise ValueError(
            f"`{argument}` must name a split with at least one image. Received: {where} with 0 images. Accepted: "
            f"a split that holds images; choose another with --{argument.replace('_', '-')} (config key "
            f"{argument}), or save images into it."
        )
    if expected_shape is not None and tuple(images.shape[1:]) != tuple(expected_shape):
        raise ValueError(
            f"Every split must hold images of one shape. Received: {where} with images of shape "
            f"{tuple(images.shape[1:])}. Accepted: {tuple(expected_shape)}, the shape the model is built for "
            "(the training split's); resize or crop the images before saving them."
        )
    channels = images.shape[-1]
    if channels not in plots.IMAGE_CHANNELS:
        raise ValueError(
            f"Images must be grey or colour. Received: {where} with images of shape {tuple(images.shape[1:])}, "
            f"{channels} channels. Accepted: {' or '.join(map(str, plots.IMAGE_CHANNELS))} channels (grey or RGB: "
            "the models take any number, the run's figures draw only these); save the channels you want to model "
            "as grey or RGB images."
        )
    return images


def check_labels(splits, dataset, who="A conditional VAE (conditional=True)"):
    """Checks the labels of ``{(argument, split): labels}``, the training split first, for ``who`` uses them.

    Labels index a one-hot of ``num_classes = max(training label) + 1``, so every split's must be integers
    in ``0..num_classes-1``.

    Returns:
        ``num_classes``.
    """
    num_classes = None
    for (argument, split), labels in splits.items():
        where = f"dataset={dataset!r}, {argument}={split!r}"
        if labels is None:
            raise ValueError(
                f"{who} needs labels, and {where} has none. Accepted: one integer label per image in every split; "
                f"save them into the file (np.savez(..., y_train=..., y_test=...)), or leave out conditional=True."
            )
        labels = np.asarray(labels)
        if not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(
                f"{who} needs integer labels. Received: {where} with labels of dtype {labels.dtype}. "
                "Accepted: integers 0..num_classes-1."
            )
        if not labels.size:
            continue
        low, high = int(labels.min()), int(labels.max())
        num_classes = high + 1 if num_classes is None else num_classes
        if low < 0 or high >= num_classes:
            raise ValueError(
                f"{who} needs labels 0..num_classes-1 (they index a one-hot of num_classes = the largest "
                f"training label + 1 = {num_classes}). Received: {where} with labels in [{low}, {high}]. "
                f"Accepted: integers in [0, {num_classes - 1}]; renumber them (e.g. y - y.min()) before saving."
            )
    return num_classes


def check_data(config, train, validation, test):
    """Checks a run's ``(images, labels)`` splits against ``config``, before anything is fitted or built.

    Returns:
        ``num_classes`` of a conditional run (see ``check_labels``), else ``None``.

    Raises:
        ValueError: for an empty split, an array that is not ``(N, H, W, C)`` images, splits of different
            image shapes, images neither grey nor RGB, or labels that a conditional run cannot use.
    """
    named = [(("train_split", config.train_split), train), (("test_split", config.test_split), test)]
    if validation is not None:
        named.insert(1, (("validation_fraction", config.validation_fraction), validation))
    shape = None
    for (argument, split), (images, _) in named:
        shape = tuple(check_split(images, config.dataset, argument, split, shape).shape[1:])
    if config.conditional:
        return check_labels({key: labels for key, (_, labels) in named}, config.dataset)
    return None


def check_evaluation_data(config, split, images, labels, image_shape, num_classes=None):
    """Checks the split ``evaluate_run`` scores: images of the model's ``image_shape`` and, for a conditional
    model, labels in ``0..num_classes-1``."""
    check_split(images, config.dataset, "split", split, image_shape)
    if num_classes is not None:
        check_labels({("split", split): labels}, config.dataset, "A conditional model")
        if len(labels) and int(np.max(labels)) >= num_classes:
            raise ValueError(
                f"A conditional model decodes labels 0..{num_classes - 1}. Received: dataset={config.dataset!r}, "
                f"split={split!r} with labels up to {int(np.max(labels))}. Accepted: the labels it was trained on."
            )


def check_dataset(dataset, splits=("train", "test"), labels_for=None):
    """Checks a dataset for ``vae-keras run`` before any notebook starts: the name, and for a file
    (``npz:PATH``) its ``splits``: readable, not empty, one image shape, grey or RGB, and, with ``labels_for``
    (who uses them, for the message), labels that a conditional VAE can use wherever the file has labels. A
    registered dataset is checked by name only: its reader fixes its layout, and loading it may mean a
    download that each notebook does itself.

    Returns:
        ``{split: (images, labels)}`` as read, for the runner's check of each notebook's needs
        (``writeup.needs``); ``None`` for a registered dataset, which is not read here."""
    from vae_keras.data import sources

    source = sources.source_for(dataset)
    if not source.takes_path:
        return None
    loaded = {("split", split): sources.load(dataset, split) for split in splits}
    shape = None
    for (argument, split), (images, _) in loaded.items():
        shape = tuple(check_split(images, dataset, argument, split, shape).shape[1:])
    if labels_for and all(labels is not None for _, labels in loaded.values()):
        check_labels({key: labels for key, (_, labels) in loaded.items()}, dataset, labels_for)
    return {split: value for (_, split), value in loaded.items()}


# --------------------------------------------------------------------------
# The size of the model
# --------------------------------------------------------------------------


def _dense(inputs, units, batch_norm=False):
    """Weights of a Dense layer (with a bias unless batch norm follows) and its BatchNormalization (4 per unit)."""
    return inputs * units + (4 * units if batch_norm else units)


def _stack(inputs, widths, batch_norm):
    """Weights of hidden blocks of ``widths`` on ``inputs`` values, and the width that comes out."""
    total = 0
    for units in widths:
        total, inputs = total + _dense(inputs, units, batch_norm), units
    return total, inputs


def _heads(inputs, latent_dim):
    """The encoder's mean and log-variance (one layer of 2 * latent_dim, or two of latent_dim: the same count)."""
    return 2 * _dense(inputs, latent_dim)


def _mlp_parameters(config, input_shape, num_params, num_classes, decoder_units):
    features = math.prod(input_shape)
    encoder, width = _stack(features, config.hidden_units, config.batch_norm)
    decoder, out = _stack(config.latent_dim + (num_classes or 0), decoder_units, config.batch_norm)
    return encoder + _heads(width, config.latent_dim) + decoder + _dense(out, features * num_params)


def _conv_parameters(config, input_shape, num_params, num_classes, decoder_units):
    height, width, channels = input_shape
    filters, bn = tuple(config.conv_filters), config.batch_norm
    encoder, previous = 0, channels
    for count in filters:
        encoder, previous = encoder + 9 * previous * count + (4 * count if bn else count), count
    factor = 2 ** len(filters)
    flat = (height // factor) * (width // factor) * filters[-1]
    hidden, out = _stack(flat, config.hidden_units, bn)
    decoder, last = _stack(config.latent_dim, decoder_units, bn)
    decoder += _dense(last, flat, bn)
    previous = filters[-1]
    for count in reversed(filters):
        decoder, previous = decoder + 9 * previous * count + (4 * count if bn else count), count
    decoder += 9 * previous * channels * num_params + channels * num_params
    return encoder + hidden + _heads(out, config.latent_dim) + decoder


#: Weight counters by architecture name: ``count(config, input_shape, num_params, num_classes, decoder_units)``.
PARAMETER_COUNTERS = {"mlp": _mlp_parameters, "conv": _conv_parameters}


def count_parameters(config, input_shape, num_classes=None):
    """The weights of the encoder and decoder ``config`` builds for inputs of ``input_shape``, counted without
    building them; ``None`` for an architecture not in ``PARAMETER_COUNTERS``."""
    from vae_keras import config as config_lib
    from vae_keras import likelihoods

    counter = PARAMETER_COUNTERS.get(config.architecture)
    if counter is None:
        return None
    num_params = likelihoods.LIKELIHOODS.get(config.likelihood).num_params
    if config.decoder_units == config_lib.NO_DECODER_UNITS:
        decoder_units = ()
    else:
        decoder_units = tuple(config.decoder_units) or tuple(reversed(config.hidden_units))
    return int(counter(config, tuple(input_shape), num_params, num_classes, decoder_units))


def estimate_size(config, input_shape, num_classes=None):
    """A ``SizeEstimate`` of the run ``config`` describes, for model inputs of ``input_shape``."""
    from vae_keras import likelihoods

    input_values = math.prod(input_shape)
    parameters = count_parameters(config, input_shape, num_classes if config.conditional else None)
    if parameters is None:
        return SizeEstimate(None, input_values)
    checkpoint = parameters * BYTES_PER_VALUE * (1 + OPTIMIZER_SLOTS[config.optimizer])
    num_params = likelihoods.LIKELIHOODS.get(config.likelihood).num_params
    batch = config.batch_size * input_values * (2 + num_params) * BYTES_PER_VALUE
    memory = parameters * BYTES_PER_VALUE * (2 + OPTIMIZER_SLOTS[config.optimizer]) + batch
    return SizeEstimate(parameters, input_values, checkpoint, CHECKPOINT_COPIES * checkpoint, memory)


def _gib(size):
    return f"{size / 2**30:.2f} GiB"


def describe_size(config, input_shape, estimate):
    """One sentence on what the run holds and writes."""
    return (
        f"architecture={config.architecture!r} with hidden_units={','.join(map(str, config.hidden_units))} on "
        f"inputs of shape {tuple(input_shape)} ({estimate.input_values:,} values per example) has "
        f"{estimate.parameters:,} weights: each checkpoint is about {_gib(estimate.checkpoint_bytes)} (weights and "
        f"{OPTIMIZER_SLOTS[config.optimizer]} {config.optimizer} slots per weight, {BYTES_PER_VALUE} bytes each), "
        f"{_gib(estimate.disk_bytes)} on disk at once, and training needs at least {_gib(estimate.memory_bytes)} "
        "of memory"
    )


def check_size(config, input_shape, run_dir, num_classes=None, resuming=False):
    """Warns about a large run, and refuses one above ``REFUSE_CHECKPOINT_BYTES`` or the free disk space
    unless ``config.allow_large``.

    Returns:
        The ``SizeEstimate``.

    Raises:
        ValueError: for a refused run; the message gives the estimate and how to proceed.
    """
    estimate = estimate_size(config, input_shape, num_classes)
    if estimate.input_values > WARN_INPUT_VALUES:
        warnings.warn(
            f"Inputs of shape {tuple(input_shape)} have {estimate.input_values:,} values per example (more than "
            f"{WARN_INPUT_VALUES:,}): dense layers on them are large and slow. Smaller images, input_space='pca' "
            "or architecture='conv' keep the model small.",
            LargeRunWarning,
            stacklevel=3,
        )
    if estimate.parameters is None:
        return estimate
    described = describe_size(config, input_shape, estimate)
    opt_in = "or pass allow_large=True (--allow-large true) to start anyway"
    if estimate.checkpoint_bytes > REFUSE_CHECKPOINT_BYTES and not config.allow_large:
        raise ValueError(
            f"The model is too large to start without allow_large=True. Received: {described}. Accepted: "
            f"checkpoints up to {_gib(REFUSE_CHECKPOINT_BYTES)}; shrink the model (smaller hidden_units or images, "
            f"input_space='pca', architecture='conv'), {opt_in}."
        )
    needed = estimate.checkpoint_bytes if resuming else estimate.disk_bytes
    free = _free_bytes(run_dir)
    if free is not None and needed > free and not config.allow_large:
        raise ValueError(
            f"The run folder's disk has too little space. Received: run_dir={str(run_dir)!r} with "
            f"{_gib(free)} free; {described}. Accepted: a folder on a disk with at least {_gib(needed)} free; "
            f"free some space, choose another --out, {opt_in}."
        )
    if estimate.checkpoint_bytes > WARN_CHECKPOINT_BYTES:
        warnings.warn(f"A large run: {described}.", LargeRunWarning, stacklevel=3)
    return estimate


def _free_bytes(path):
    """Free bytes on the disk of ``path`` (its nearest existing folder), or ``None`` where it cannot be read."""
    path = Path(path)
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        return shutil.disk_usage(path).free
    except OSError:
        return None


# --------------------------------------------------------------------------
# The pass `train` makes
# --------------------------------------------------------------------------


def validate_training(config, run_dir, train, validation, test, input_shape=None, resuming=False):
    """Every check ``train`` needs before it fits, builds or writes anything.

    Args:
        config: the ``ExperimentConfig``.
        run_dir: the run folder (need not exist).
        train, validation, test: the ``(images, labels)`` splits (``validation`` may be ``None``).
        input_shape: the model's input shape; default: the images' shape, or ``(pca_components,)``.
        resuming: the folder holds this run's checkpoint already (one more is written at a time).

    Returns:
        The ``SizeEstimate``.

    Raises:
        ValueError: naming the first setting, split or folder that cannot work, and what would.
    """
    check_out(run_dir)
    num_classes = check_data(config, train, validation, test)
    if input_shape is None:
        input_shape = tuple(train[0].shape[1:]) if config.input_space == "pixels" else (config.pca_components,)
    return check_size(config, input_shape, run_dir, num_classes, resuming)
