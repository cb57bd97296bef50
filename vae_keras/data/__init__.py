"""Data: where images come from, how files are read, and how batches reach the model.

The data flow, one module per step:

- `sources`: the registry of datasets (`DATASET_SOURCES`, `register_dataset`) and `load(name, split)`,
  which returns `uint8` images `(N, H, W, C)` and `int64` labels (or `None`);
- `formats`: readers for IDX (MNIST), SVHN `.mat` and Keras-layout `.npz` files;
- `official`: the official files' URLs, sizes and hashes, and the check of a local copy;
- `identity`: which data a name stands for, `dataset_family(name)` and `dataset_checksum(name)`;
- `tfds_source`: tensorflow-datasets as a fallback, with a download that cannot hang;
- `pipeline`: `make_dataset` (`tf.data`) and `ArrayDataset` (`keras.utils.PyDataset`), which scale,
  binarise or dequantise the pixels batch by batch, and `train_validation_split`;
- `prepared`: `PreparedData` and `prepare_data`, the splits of one run with its fitted preprocessor.

Everything public is importable from here: `from vae_keras import data; data.load("mnist", "test")`.
The pipeline names (which import Keras) load on first use, so the registry and the readers come without Keras.
"""

from vae_keras.data.errors import DatasetFileError, DatasetUnavailableError
from vae_keras.data.formats import read_idx, read_npz, read_svhn_mat
from vae_keras.data.identity import dataset_checksum, dataset_family
from vae_keras.data.official import (
    KERAS_MNIST_NPZ_SHA256,
    KERAS_MNIST_NPZ_URL,
    MNIST_FILES,
    MNIST_URL,
    SVHN_FILES,
    SVHN_URL,
)
from vae_keras.data.sources import (
    DATA_DIR_ENV,
    DATASET_SOURCES,
    SPLITS,
    DatasetSource,
    LoadOptions,
    dataset_names,
    default_data_dir,
    load,
    register_dataset,
    source_for,
)

__all__ = [
    "DATASET_SOURCES",
    "DATA_DIR_ENV",
    "KERAS_MNIST_NPZ_SHA256",
    "KERAS_MNIST_NPZ_URL",
    "MNIST_FILES",
    "MNIST_URL",
    "SPLITS",
    "SVHN_FILES",
    "SVHN_URL",
    "ArrayDataset",
    "DatasetFileError",
    "DatasetSource",
    "DatasetUnavailableError",
    "LoadOptions",
    "dataset_checksum",
    "dataset_family",
    "dataset_names",
    "default_data_dir",
    "load",
    "make_dataset",
    "read_idx",
    "read_npz",
    "read_svhn_mat",
    "register_dataset",
    "source_for",
    "train_validation_split",
]

_PIPELINE_NAMES = ("ArrayDataset", "make_dataset", "train_validation_split")


def __getattr__(name):
    # `data.make_dataset` and friends import Keras: only when first used, so that the runner and the CLI can
    # read the dataset registry without loading a backend.
    if name in _PIPELINE_NAMES:
        from vae_keras.data import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted(set(globals()) | set(_PIPELINE_NAMES))
