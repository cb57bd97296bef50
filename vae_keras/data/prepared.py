"""The data of one run: its splits, loaded and cut as the config says, with the fitted preprocessor.

`prepare_data(config)` loads the training and test splits, holds out a validation part, keeps a seeded
subset if asked, and fits the PCA of a `pca*` input space. `PreparedData` then turns images into model
inputs (for training, a pipeline with fresh noise each epoch; for evaluation, `model_inputs` with noise
drawn once from a seed) and model outputs back into images.
"""

import math

import keras
import numpy as np

from vae_keras import preprocessing
from vae_keras import validation as validation_lib
from vae_keras.data.pipeline import ArrayDataset, make_dataset, train_validation_split
from vae_keras.data.sources import load


def model_inputs(config, preprocessor, images, seed=0):
    """Deterministic model inputs for evaluation: the run's transform of ``images``.

    The same transform as training (``preprocessor`` when the run has one, else binarisation,
    dequantisation or scaling to [0, 1] as ``config`` says), with any noise drawn once from ``seed``.
    """
    if preprocessor is not None:
        return preprocessor.transform(images).astype("float32")
    if config.binarize:
        return preprocessing.binarize(images, seed=seed).astype("float32")
    if config.dequantize:
        return preprocessing.dequantize(images, seed=seed).astype("float32")
    return preprocessing.to_unit_interval(images).astype("float32")


class PreparedData:
    """The splits of a run, as uint8 images and labels, plus the fitted preprocessor.

    Attributes:
        train, validation, test: ``(images, labels)`` pairs, ``labels`` ``None``
            for a dataset without labels (validation may be
            ``None`` when ``validation_fraction`` is 0).
        preprocessor: a fitted ``vae_keras.preprocessing.PCA`` or ``None``.
    """

    def __init__(self, config, train, validation, test, preprocessor):
        self.config = config
        self.train = train
        self.validation = validation
        self.test = test
        self.preprocessor = preprocessor

    @property
    def input_shape(self):
        if self.preprocessor is not None:
            return (self.preprocessor.num_components,)
        return tuple(self.train[0].shape[1:])

    @property
    def pixel_dims(self):
        return math.prod(self.train[0].shape[1:])

    @property
    def has_labels(self):
        return self.train[1] is not None

    @property
    def num_classes(self):
        """Size of the label space, ``max(label) + 1`` (labels index a one-hot)."""
        return int(self.require_labels("the number of classes").max()) + 1

    @property
    def classes(self):
        """The labels that occur in the training split, sorted (a dataset may skip some, or start at 1)."""
        return np.unique(self.require_labels("the classes"))

    def require_labels(self, feature):
        """The training labels; raises ``ValueError`` naming ``feature`` if the dataset has none."""
        if self.train[1] is None:
            raise ValueError(
                f"{feature[0].upper() + feature[1:]} needs labels, and the dataset has none. Received: "
                f"dataset={self.config.dataset!r} without a y_{self.config.train_split} array. Save the labels "
                "into the file (np.savez(..., y_train=..., y_test=...)), or leave out the features that use them."
            )
        return self.train[1]

    def model_inputs(self, images, seed=0):
        """Deterministic model inputs for evaluation (see the module's ``model_inputs``)."""
        return model_inputs(self.config, self.preprocessor, images, seed=seed)

    def to_images(self, model_outputs):
        """Maps model-space outputs (features or pixels) back to images in [0, 1]."""
        if self.preprocessor is not None:
            return self.preprocessor.inverse_transform(model_outputs)
        return np.clip(np.asarray(model_outputs), 0.0, 1.0)

    def training_input(self, batch_size, seed, repeat=False, drop_remainder=False, first_epoch=0):
        """The training input for ``fit``: tf.data on TensorFlow, a PyDataset elsewhere.

        Each epoch's order and noise are a function of ``(seed, epoch)``, starting at ``first_epoch``
        (``fit``'s ``initial_epoch``); give ``fit`` the PyDataset's ``epoch_callback()`` to keep it on
        ``fit``'s epoch. With ``repeat`` (TensorFlow only) the dataset repeats forever, each pass
        the next epoch; ``fit`` then needs ``steps_per_epoch``, and
        keeps one iterator for all epochs instead of building one per epoch,
        which on small datasets costs more than the epoch itself.
        """
        images = self.train[0]
        if self.preprocessor is not None:
            images = self.preprocessor.transform(images).astype("float32")
        options = dict(
            shuffle=True,
            seed=seed,
            binarize=self.config.binarize,
            dequantize=self.config.dequantize,
            drop_remainder=drop_remainder,
            first_epoch=first_epoch,
        )
        if self.config.conditional:
            options["labels"] = self.train[1]
        if keras.backend.backend() == "tensorflow":
            return make_dataset(images, batch_size, repeat=repeat, **options)
        return ArrayDataset(images, batch_size, **options)


def load_splits(config):
    """The training, validation and test ``(images, labels)`` pairs of ``config``, cut as it says; nothing fitted.

    The validation part is held out of the training split (``None`` when ``validation_fraction`` is 0), then
    a seeded subset of ``max_train_examples`` is kept.

    Raises:
        ValueError: if no training example is left, or ``batch_size`` exceeds their number.
    """
    train_images, train_labels = load(config.dataset, config.train_split)
    test = load(config.dataset, config.test_split)
    validation = None
    if config.validation_fraction > 0:
        train, validation = train_validation_split(
            train_images, train_labels, config.validation_fraction, seed=config.seed
        )
        train_images, train_labels = train
    if config.max_train_examples and config.max_train_examples < len(train_images):
        keep = np.random.default_rng(config.seed).permutation(len(train_images))[: config.max_train_examples]
        keep = np.sort(keep)
        train_images = train_images[keep]
        train_labels = None if train_labels is None else train_labels[keep]
    if len(train_images) == 0:
        raise ValueError(
            f"The training split must hold at least one example. Received: dataset={config.dataset!r}, "
            f"train_split={config.train_split!r} with 0 examples left after validation_fraction="
            f"{config.validation_fraction}."
        )
    if config.batch_size > len(train_images):
        raise ValueError(
            f"`batch_size` must not exceed the number of training examples ({len(train_images)}). "
            f"Received: batch_size={config.batch_size}"
        )
    return (train_images, train_labels), validation, test


def prepare_data(config, preprocessor=None, splits=None):
    """Loads the splits named by ``config``, checks them, and fits (or reuses) the preprocessor.

    Args:
        config: an ``ExperimentConfig``.
        preprocessor: an already fitted preprocessor (when resuming or
            evaluating); fitted on the training split when ``None``.
        splits: ``load_splits(config)``, already checked (``vae_keras.validation.validate_training``, as
            ``train`` does); default: loaded here and checked with ``vae_keras.validation.check_data``.

    Returns:
        A ``PreparedData``.
    """
    if splits is None:
        splits = load_splits(config)
        validation_lib.check_data(config, *splits)
    (train_images, train_labels), validation, test = splits
    if preprocessor is None and config.input_space != "pixels":
        limit = min(train_images.shape[0], math.prod(train_images.shape[1:]))
        if config.pca_components > limit:
            raise ValueError(
                f"`pca_components` must be at most min(num_train_examples, num_pixels)={limit}. "
                f"Received: pca_components={config.pca_components}"
            )
        preprocessor = preprocessing.PCA(
            config.pca_components,
            whiten=config.input_space == "pca_whitened",
            fit_subset=min(len(train_images), 50_000),
            seed=config.seed,
        ).fit(train_images)
    prepared = PreparedData(config, (train_images, train_labels), validation, test, preprocessor)
    if config.conditional:
        prepared.require_labels("A conditional VAE (conditional=True)")
    return prepared
