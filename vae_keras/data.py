"""Datasets and input pipelines.

`load(name, split)` returns `(images, labels)` as NumPy arrays: images `uint8`
shaped `(N, H, W, C)`, labels `int64` shaped `(N,)`. Sources are tried in this
order, and one INFO line on the `vae_keras.data` logger says which was used:

1. local files under the data folder (`data_dir`, else `$VAE_KERAS_DATA_DIR`,
   else `data/` at the project root): `svhn/*_32x32.mat`, `mnist/*-ubyte.gz` or
   `mnist/mnist.npz`; see `data/README.md`;
2. a tensorflow-datasets copy in `<data folder>/tfds` (used offline when it is
   already prepared; otherwise downloaded, under a time limit, if allowed);
3. otherwise `DatasetUnavailableError`, which says which files to put where.

`"digits"` (scikit-learn's 8x8 digits) needs no download, and `"npz:PATH"`
reads any Keras-layout `.npz` file.

`make_dataset` builds the `tf.data` pipeline for `model.fit`; `ArrayDataset`
is the same pipeline as a `keras.utils.PyDataset`, for backends without
TensorFlow.
"""

from __future__ import annotations

import gzip
import hashlib
import logging
import math
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import zipfile
import zlib
from pathlib import Path

import keras
import numpy as np

from vae_keras import preprocessing

logger = logging.getLogger(__name__)

DATASETS = ("digits", "mnist", "svhn")
SPLITS = {
    "digits": ("train", "test", "all"),
    "mnist": ("train", "test"),
    "svhn": ("train", "test", "extra", "train+extra"),
    "npz": ("train", "test"),
}
DATA_DIR_ENV = "VAE_KERAS_DATA_DIR"

# Official files. SVHN sizes and sha256 come from tensorflow-datasets'
# `datasets/svhn_cropped/checksums.tsv` (the SVHN site publishes no hashes).
# MNIST md5s are those of the canonical files; sizes and the sha256s from
# tensorflow-datasets' `url_checksums/mnist.txt`.
SVHN_URL = "http://ufldl.stanford.edu/housenumbers/"
SVHN_FILES = {
    "train_32x32.mat": {
        "size": 182_040_794,
        "sha256": "435e94d69a87fde4fd4d7f3dd208dfc32cb6ae8af2240d066de1df7508d083b8",
    },
    "test_32x32.mat": {
        "size": 64_275_384,
        "sha256": "cdce80dfb2a2c4c6160906d0bd7c68ec5a99d7ca4831afa54f09182025b6a75b",
    },
    "extra_32x32.mat": {
        "size": 1_329_278_602,
        "sha256": "a133a4beb38a00fcdda90c9489e0c04f900b660ce8a316a5e854838379a71eb3",
    },
}
MNIST_URL = "https://storage.googleapis.com/cvdf-datasets/mnist/"
MNIST_FILES = {
    "train-images-idx3-ubyte.gz": {"size": 9_912_422, "md5": "f68b3c2dcbeaaa9fbdd348bbdeb94873"},
    "train-labels-idx1-ubyte.gz": {"size": 28_881, "md5": "d53e105ee54ea40749a09fcbcd1e9432"},
    "t10k-images-idx3-ubyte.gz": {"size": 1_648_877, "md5": "9fb629c4189551a2d022fa330f9573f3"},
    "t10k-labels-idx1-ubyte.gz": {"size": 4_542, "md5": "ec29112dd5afa0611ce80d1b7f02629c"},
}
# sha256 Keras checks for its mnist.npz; another npz still loads (with a warning).
KERAS_MNIST_NPZ_SHA256 = "731c5ac602752760c8e48fbffcf8c3b850d9dc2a2aedcf2cc48468fc17b673d1"
KERAS_MNIST_NPZ_URL = "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz"
TFDS_NAMES = {"mnist": "mnist", "svhn": "svhn_cropped"}
DOWNLOAD_HOSTS = {"mnist": ("storage.googleapis.com", 443), "svhn": ("ufldl.stanford.edu", 80)}
REACHABILITY_TIMEOUT = 5.0


class DatasetUnavailableError(FileNotFoundError):
    """No source could provide the dataset; the message says how to add one."""


class DatasetFileError(ValueError):
    """A dataset file exists but is truncated, corrupt or not the expected file."""


# ---------------------------------------------------------------------------
# Public entry points
# ---------------------------------------------------------------------------


def default_data_dir() -> Path:
    """Returns the data folder used when `load` gets no `data_dir`.

    `$VAE_KERAS_DATA_DIR` if set, else `data/` at the project root (the folder
    holding `pyproject.toml` or `.git` above this package), else `./data`.

    Returns:
        A `pathlib.Path`; it may not exist.
    """
    from_environment = os.environ.get(DATA_DIR_ENV)
    if from_environment:
        return Path(from_environment).expanduser()
    root = Path(__file__).resolve().parents[1]
    if (root / "pyproject.toml").exists() or (root / ".git").exists():
        return root / "data"
    return Path.cwd() / "data"


def load(
    name: str,
    split: str = "train",
    data_dir: str | os.PathLike | None = None,
    download: bool = True,
    download_timeout: float | None = 60.0,
    *,
    verify_checksums: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Loads a dataset split as NumPy arrays.

    Args:
        name: one of `DATASETS` (`"digits"`, `"mnist"`, `"svhn"`) or
            `"npz:PATH"` for a Keras-layout `.npz` file (`x_train`, `y_train`,
            `x_test`, `y_test`; or `x`, `y` for a single `"train"` split).
        split: `"digits"`: `"train"`, `"test"` (a fixed stratified 20% drawn
            with seed 0) or `"all"`; `"mnist"`: `"train"`, `"test"`; `"svhn"`:
            `"train"`, `"test"`, `"extra"`, `"train+extra"`; `"npz:..."`:
            `"train"`, `"test"`.
        data_dir: folder with the local files (see `data/README.md`); default
            `default_data_dir()`. tensorflow-datasets uses `<data_dir>/tfds`.
        download: whether tensorflow-datasets may download when nothing local
            is found. The download host is probed first (5 s), so offline runs
            fail fast.
        download_timeout: seconds the download may go without writing a byte
            to `<data_dir>/tfds` before it is stopped (it runs in a
            subprocess, so it cannot hang the caller); `None` for no limit.
        verify_checksums: check official files (recognised by name) against
            their published size and hash. Turn off only for test fixtures.

    Returns:
        `(images, labels)`: `uint8` images `(N, H, W, C)` (digits `(N, 8, 8,
        1)`, MNIST `(N, 28, 28, 1)`, SVHN `(N, 32, 32, 3)`) and `int64`
        labels `(N,)` with digits 0-9 (SVHN's label 10 is mapped to 0).

    Raises:
        ValueError: for an unknown `name` or `split`, or a bad
            `download_timeout`.
        DatasetFileError: (a `ValueError`) if a file is truncated, corrupt or
            fails its checksum.
        DatasetUnavailableError: (a `FileNotFoundError`) if no source has the
            data; the message lists the files to download and where to put them.
        FileNotFoundError: if an `"npz:PATH"` file does not exist.
    """
    if not isinstance(name, str):
        raise ValueError(f"`name` must be a string, one of {DATASETS} or 'npz:PATH'. Received: name={name!r}.")
    base = "npz" if name.startswith("npz:") else name
    if base not in SPLITS:
        raise ValueError(
            f"Unknown dataset. Received: name={name!r}. Accepted: {', '.join(DATASETS)}, "
            "or 'npz:PATH' for a Keras-layout .npz file."
        )
    if split not in SPLITS[base]:
        raise ValueError(
            f"Unknown split for dataset {name!r}. Received: split={split!r}. Accepted: {', '.join(SPLITS[base])}."
        )
    if download_timeout is not None and not (isinstance(download_timeout, (int, float)) and download_timeout > 0):
        raise ValueError(
            "`download_timeout` must be a positive number of seconds or None. "
            f"Received: download_timeout={download_timeout!r}."
        )
    data_dir = default_data_dir() if data_dir is None else Path(data_dir).expanduser()

    if base == "digits":
        images, labels = _load_digits(split)
        source = "scikit-learn's bundled 8x8 digits (sklearn.datasets.load_digits)"
    elif base == "npz":
        path = Path(name[len("npz:") :]).expanduser()
        images, labels = read_npz(path, split)
        source = f"npz file {path}"
    elif base == "mnist":
        images, labels, source = _load_mnist(split, data_dir, download, download_timeout, verify_checksums)
    else:
        images, labels, source = _load_svhn(split, data_dir, download, download_timeout, verify_checksums)

    images = np.ascontiguousarray(images, dtype=np.uint8)
    labels = np.ascontiguousarray(labels, dtype=np.int64)
    logger.info(
        "Loaded %s/%s: %d images of shape %s from %s.",
        name,
        split,
        images.shape[0],
        "x".join(str(size) for size in images.shape[1:]),
        source,
    )
    return images, labels


def train_validation_split(
    images: np.ndarray, labels: np.ndarray, validation_fraction: float = 0.1, seed: int = 0
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Splits arrays into training and validation parts, reproducibly.

    Args:
        images: array with examples along axis 0.
        labels: array of the same length.
        validation_fraction: share of examples held out, in `(0, 1)`; rounded
            to a whole number of examples, at least one on each side.
        seed: seed of the permutation.

    Returns:
        `((x_train, y_train), (x_validation, y_validation))`, each part in
        the order of the seeded permutation.

    Raises:
        ValueError: if the lengths differ, the fraction is outside `(0, 1)`, or
            there are fewer than two examples.
    """
    images = np.asarray(images)
    labels = np.asarray(labels)
    if images.ndim == 0 or labels.ndim == 0 or len(images) != len(labels):
        raise ValueError(
            "`images` and `labels` must have the same number of examples. "
            f"Received: images with shape {images.shape}, labels with shape {labels.shape}."
        )
    if not (isinstance(validation_fraction, (int, float)) and 0.0 < validation_fraction < 1.0):
        raise ValueError(
            "`validation_fraction` must be a number strictly between 0 and 1. "
            f"Received: validation_fraction={validation_fraction!r}."
        )
    num_examples = len(images)
    if num_examples < 2:
        raise ValueError(f"`images` must hold at least 2 examples to split. Received: {num_examples}.")
    num_validation = min(max(int(round(num_examples * validation_fraction)), 1), num_examples - 1)
    order = np.random.default_rng(seed).permutation(num_examples)
    validation_indices, train_indices = order[:num_validation], order[num_validation:]
    return (images[train_indices], labels[train_indices]), (
        images[validation_indices],
        labels[validation_indices],
    )


def _validate_pipeline_arguments(images, batch_size, binarize, dequantize, labels):
    images = preprocessing.validate_images(images, "images", allowed_ranks=(2, 4))
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"`batch_size` must be a positive integer. Received: batch_size={batch_size!r}.")
    if binarize and dequantize:
        raise ValueError(
            "`binarize` and `dequantize` are alternatives (Bernoulli vs. continuous "
            "likelihoods). Received: binarize=True and dequantize=True."
        )
    is_uint8 = images.dtype == np.uint8
    if dequantize and not is_uint8:
        raise ValueError(
            "`dequantize=True` needs uint8 pixels (it adds uniform noise to integer levels). "
            f"Received: images with dtype {images.dtype}."
        )
    if binarize and not is_uint8:
        low, high = float(images.min()), float(images.max())
        if low < 0.0 or high > 1.0:
            raise ValueError(
                "`binarize=True` needs uint8 pixels or float intensities in [0, 1]. "
                f"Received: float images with values in [{low:g}, {high:g}]."
            )
    if labels is not None:
        labels = np.asarray(labels)
        if labels.ndim < 1 or labels.shape[0] != images.shape[0]:
            raise ValueError(
                "`labels` must have one entry per image. "
                f"Received: labels with shape {labels.shape} for {images.shape[0]} images."
            )
    return images, labels


def make_dataset(
    images: np.ndarray,
    batch_size: int,
    *,
    shuffle: bool = True,
    seed: int = 0,
    binarize: bool = False,
    dequantize: bool = False,
    labels: np.ndarray | None = None,
    drop_remainder: bool = False,
    repeat: bool = False,
):
    """Builds the `tf.data` input pipeline for `model.fit`.

    The arrays stay in memory as one tensor, and every epoch works on whole
    batches, as Keras's own array adapter does: draw a permutation of the
    indices, cut it into batches, then gather each batch and apply the random
    transforms in parallel, `prefetch`ing ahead of the model. Nothing is done
    per example (no element-wise `shuffle` buffer or `batch`), which on a
    2-core CPU made the old element-wise pipeline cost about 20% of the
    training throughput of the MNIST MLP (`benchmarks/input_pipeline.py`). The
    dataset can feed `model.fit(..., epochs=1000)`: each epoch reshuffles and
    redraws the noise.

    Randomness: each epoch gets a new shuffle order and new binarisation or
    dequantisation noise, and the whole sequence of epochs is the same for the
    same `seed` (and the same TensorFlow global seed, which
    `keras.utils.set_random_seed` sets). An epoch's permutation and each
    batch's noise come from one per-epoch key, so a batch's noise does not
    depend on which thread computes it.

    Args:
        images: `uint8` images `(N, H, W, C)` or `(N, D)`, scaled by 1/255 to
            `[0, 1]`; or a floating-point array used as is (model-space
            features such as PCA outputs, or intensities already in `[0, 1]`).
        batch_size: examples per batch.
        shuffle: reshuffle the examples every epoch.
        seed: seed for the shuffle order and the per-epoch noise.
        binarize: dynamic binarisation, `x = float(u < x)` with a new `u ~
            U(0, 1)` every epoch. Needs `uint8` or floats in `[0, 1]`.
        dequantize: uniform dequantisation, `x = (pixel + u) / 256` with a new
            `u ~ U(0, 1)` every epoch. Needs `uint8` images.
        labels: optional array of labels; then batches are `(x, labels)`.
        drop_remainder: drop the last, smaller batch.
        repeat: repeat forever (then pass `steps_per_epoch` to `fit`).

    Returns:
        A `tf.data.Dataset` of float32 `x` batches, or `(x, labels)` batches
        when `labels` is given. Its cardinality is the number of batches (or
        infinite with `repeat`).

    Raises:
        ValueError: for a wrong rank or dtype, NaN values, an empty array, a
            non-positive `batch_size`, `labels` of the wrong length, or an
            incompatible combination of `binarize` / `dequantize` and dtype.
    """
    import tensorflow as tf

    images, labels = _validate_pipeline_arguments(images, batch_size, binarize, dequantize, labels)
    is_uint8 = images.dtype == np.uint8
    if not is_uint8:
        images = images.astype(np.float32, copy=False)
    num_examples = images.shape[0]
    batch_size = int(batch_size)
    num_full_batches = num_examples // batch_size
    remainder = 0 if drop_remainder else num_examples - num_full_batches * batch_size
    num_batches = num_full_batches + (1 if remainder else 0)

    def epoch_batches(epoch_key):
        # One epoch: the (shuffled) indices cut into batches, each batch with
        # its noise seed, folded from the epoch's key and the batch number.
        indices = tf.range(num_examples, dtype=tf.int64)
        if shuffle:
            indices = tf.random.experimental.stateless_shuffle(indices, seed=epoch_key)
        full = tf.reshape(indices[: num_full_batches * batch_size], (num_full_batches, batch_size))
        batches = tf.data.Dataset.from_tensor_slices(full)
        if remainder:
            batches = batches.concatenate(tf.data.Dataset.from_tensors(indices[num_full_batches * batch_size :]))
        return batches.enumerate().map(
            lambda number, batch: (batch, tf.random.experimental.stateless_fold_in(epoch_key, number))
        )

    # A new key every time the dataset is iterated (every epoch, and every pass
    # of `repeat`), drawn from a stream that `seed` fixes.
    epoch_keys = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2).take(1)
    index_batches = epoch_keys.flat_map(epoch_batches)

    def to_float(x, noise_seed):
        if is_uint8:
            if dequantize:
                uniform = tf.random.stateless_uniform(tf.shape(x), seed=noise_seed)
                x = (tf.cast(x, tf.float32) + uniform) / 256.0
                return tf.minimum(x, float(np.nextafter(np.float32(1.0), np.float32(0.0))))
            x = tf.cast(x, tf.float32) / 255.0
        else:
            x = tf.cast(x, tf.float32)
        if binarize:
            uniform = tf.random.stateless_uniform(tf.shape(x), seed=noise_seed)
            x = tf.cast(uniform < x, tf.float32)
        return x

    # The arrays enter as one dataset element repeated (not captured as a
    # constant of the map function), as in Keras's array adapter.
    arrays = images if labels is None else (images, labels)
    dataset = tf.data.Dataset.zip((index_batches, tf.data.Dataset.from_tensors(arrays).repeat()))

    def gather_batch(batch_and_seed, arrays):
        batch, noise_seed = batch_and_seed
        if labels is None:
            return to_float(tf.gather(arrays, batch), noise_seed)
        return to_float(tf.gather(arrays[0], batch), noise_seed), tf.gather(arrays[1], batch)

    dataset = dataset.map(gather_batch, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(num_batches))
    if repeat:
        dataset = dataset.repeat()
    return dataset.prefetch(tf.data.AUTOTUNE)


class ArrayDataset(keras.utils.PyDataset):
    """The `make_dataset` pipeline as a `keras.utils.PyDataset` (no TensorFlow).

    Same scaling, binarisation and dequantisation as `make_dataset`, with NumPy
    randomness keyed by `(seed, epoch, batch index)`, so a batch does not
    depend on which worker computes it or in which order. The epoch counter
    advances in `on_epoch_end`, which Keras calls after every epoch (and, in
    Keras 3.15, once more when `fit` starts); call `set_epoch` to jump.

    Pass `shuffle=False` to `model.fit`: this class already shuffles the
    examples, and Keras would otherwise also permute the batch order with
    Python's unseeded `random`.

    Args:
        images, batch_size, shuffle, seed, binarize, dequantize, labels,
            drop_remainder: as in `make_dataset`.
        **kwargs: `workers`, `use_multiprocessing`, `max_queue_size`, passed
            to `keras.utils.PyDataset`.

    Raises:
        ValueError: as `make_dataset`.
    """

    def __init__(
        self,
        images,
        batch_size,
        *,
        shuffle=True,
        seed=0,
        binarize=False,
        dequantize=False,
        labels=None,
        drop_remainder=False,
        **kwargs,
    ):
        super().__init__(**kwargs)
        images, labels = _validate_pipeline_arguments(images, batch_size, binarize, dequantize, labels)
        self.images = images
        self.labels = labels
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self.binarize = bool(binarize)
        self.dequantize = bool(dequantize)
        self.drop_remainder = bool(drop_remainder)
        self.epoch = 0
        self._order_epoch = None
        self._order = None

    def __len__(self):
        if self.drop_remainder:
            return len(self.images) // self.batch_size
        return math.ceil(len(self.images) / self.batch_size)

    def set_epoch(self, epoch):
        """Sets the epoch whose order and noise `__getitem__` returns."""
        self.epoch = int(epoch)

    def on_epoch_end(self):
        self.epoch += 1

    def _epoch_order(self):
        if self._order_epoch != self.epoch:
            if self.shuffle:
                self._order = np.random.default_rng([self.seed, self.epoch]).permutation(len(self.images))
            else:
                self._order = np.arange(len(self.images))
            self._order_epoch = self.epoch
        return self._order

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(f"`index` must be in [0, {len(self)}). Received: index={index}.")
        indices = self._epoch_order()[index * self.batch_size : (index + 1) * self.batch_size]
        batch = self.images[indices]
        rng = np.random.default_rng([self.seed, self.epoch, index, 1])
        if self.dequantize:
            x = preprocessing.dequantize(batch, rng)
        elif batch.dtype == np.uint8:
            x = batch.astype(np.float32) / np.float32(255.0)
        else:
            x = batch.astype(np.float32, copy=False)
        if self.binarize:
            x = (rng.random(x.shape, dtype=np.float32) < x).astype(np.float32)
        if self.labels is None:
            return (x,)
        return x, self.labels[indices]


# ---------------------------------------------------------------------------
# Readers for each file format
# ---------------------------------------------------------------------------

_IDX_DTYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


def read_idx(path: str | os.PathLike) -> np.ndarray:
    """Reads an IDX file (the MNIST format), gzipped or not.

    The header is two zero bytes, a type code, the number of dimensions and
    one big-endian uint32 per dimension; the data follow in C order.

    Args:
        path: an `.idx*-ubyte` file, optionally `.gz`-compressed.

    Returns:
        The array, in native byte order.

    Raises:
        FileNotFoundError: if `path` does not exist.
        DatasetFileError: for a bad magic number or type code, or a truncated
            or over-long file (the message gives the sizes).
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"IDX file not found. Received: path={str(path)!r}.")
    try:
        if path.suffix == ".gz":
            with gzip.open(path, "rb") as file:
                content = file.read()
        else:
            content = path.read_bytes()
    except (EOFError, OSError, zlib.error) as error:
        raise DatasetFileError(
            f"{path} ({path.stat().st_size:,} bytes) is not a readable gzip file; it is "
            f"truncated or corrupt ({type(error).__name__}: {error}). Download it again."
        ) from error
    if len(content) < 4 or content[0] != 0 or content[1] != 0 or content[2] not in _IDX_DTYPES:
        raise DatasetFileError(
            f"{path} is not an IDX file: its magic number is {content[:4].hex() or 'missing'}, "
            "expected 0000 followed by a type code (08 for uint8) and the number of dimensions."
        )
    dtype = _IDX_DTYPES[content[2]]
    num_dimensions = content[3]
    header_size = 4 + 4 * num_dimensions
    if len(content) < header_size:
        raise DatasetFileError(
            f"{path} is truncated: {len(content)} bytes, shorter than its {header_size}-byte header."
        )
    shape = tuple(int.from_bytes(content[4 + 4 * i : 8 + 4 * i], "big") for i in range(num_dimensions))
    expected_size = header_size + int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    if len(content) != expected_size:
        problem = "truncated" if len(content) < expected_size else "longer than its header says"
        raise DatasetFileError(
            f"{path} is {problem}: its data are {len(content):,} bytes (after decompression) "
            f"but the header's shape {shape} of {dtype} needs {expected_size:,}."
        )
    array = np.frombuffer(content, dtype=dtype, offset=header_size).reshape(shape)
    return array.astype(dtype.newbyteorder("="), copy=True)


def read_svhn_mat(path: str | os.PathLike, verify_checksums: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Reads an SVHN format-2 `.mat` file (cropped 32x32 digits).

    Args:
        path: e.g. `data/svhn/train_32x32.mat`. The layout is `X` `(32, 32, 3,
            N)` `uint8` and `y` `(N, 1)` with labels 1..10, 10 meaning 0.
        verify_checksums: for files named like the official ones
            (`train_32x32.mat`, `test_32x32.mat`, `extra_32x32.mat`), check
            the official size and sha256 first. Files under other names are
            only checked for layout.

    Returns:
        `(images, labels)`: `uint8` `(N, 32, 32, 3)` and `int64` `(N,)` in 0..9.

    Raises:
        FileNotFoundError: if `path` does not exist.
        DatasetFileError: if the file fails its size or hash check, cannot be
            read as a `.mat` file, or does not have the SVHN layout.
    """
    from scipy import io as scipy_io

    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"SVHN .mat file not found. Received: path={str(path)!r}.")
    if verify_checksums and path.name in SVHN_FILES:
        expected = SVHN_FILES[path.name]
        _check_file(path, expected["size"], "sha256", expected["sha256"], SVHN_URL + path.name)
    try:
        content = scipy_io.loadmat(path, variable_names=["X", "y"])
    except Exception as error:  # scipy raises several types for bad files
        raise DatasetFileError(
            f"{path} ({path.stat().st_size:,} bytes) cannot be read as a MATLAB .mat file; it is "
            f"truncated or corrupt ({type(error).__name__}: {error})."
        ) from error
    if "X" not in content or "y" not in content:
        raise DatasetFileError(
            f"{path} must hold variables 'X' and 'y' (SVHN format 2). "
            f"Received: variables {sorted(key for key in content if not key.startswith('__'))}."
        )
    images, labels = content["X"], np.asarray(content["y"]).reshape(-1)
    if images.ndim != 4 or images.shape[:3] != (32, 32, 3) or images.dtype != np.uint8:
        raise DatasetFileError(
            f"{path}: 'X' must be uint8 with shape (32, 32, 3, N). Received: {images.dtype} with shape {images.shape}."
        )
    if labels.shape[0] != images.shape[3]:
        raise DatasetFileError(
            f"{path}: 'y' must have one label per image. "
            f"Received: {labels.shape[0]} labels for {images.shape[3]} images."
        )
    if labels.size and (labels.min() < 1 or labels.max() > 10):
        raise DatasetFileError(
            f"{path}: 'y' must hold labels 1..10 (10 is the digit 0). "
            f"Received: values in [{labels.min()}, {labels.max()}]."
        )
    images = np.ascontiguousarray(np.transpose(images, (3, 0, 1, 2)))
    return images, labels.astype(np.int64) % 10


def read_npz(path: str | os.PathLike, split: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """Reads one split of a Keras-layout `.npz` file.

    Args:
        path: an `.npz` with `x_train`, `y_train`, `x_test`, `y_test` (as
            `keras.datasets`), or `x` and `y` for a single `"train"` split.
            Images are channels-last, `(N, H, W)` (a channel axis is added)
            or `(N, H, W, C)`, with integer values in 0..255, or floats in
            `[0, 1]`, which are converted to `uint8` as `np.round(x * 255)`
            (so 0..255 / 255 comes back exactly). Channels-first arrays
            `(N, C, H, W)` with `C` in 1, 3, 4 are refused.
        split: `"train"` or `"test"`.

    Returns:
        `(images, labels)`: `uint8` `(N, H, W, C)` and `int64` `(N,)`.

    Raises:
        FileNotFoundError: if `path` does not exist.
        ValueError: if `split` is not `"train"` or `"test"`.
        DatasetFileError: if the file is not a readable `.npz`, lacks the
            split's arrays (the message lists the arrays it has and how to
            choose the splits), or holds arrays of the wrong shape, layout,
            dtype or range.
    """
    path = Path(path)
    if split not in ("train", "test"):
        raise ValueError(f"`split` must be 'train' or 'test' for an npz file. Received: split={split!r}.")
    if not path.is_file():
        raise FileNotFoundError(
            f"npz file not found. Received: path={str(path)!r}. Pass an existing file as 'npz:PATH'."
        )
    try:
        with np.load(path, allow_pickle=False) as content:
            keys = set(content.files)
            if {f"x_{split}", f"y_{split}"} <= keys:
                images, labels = content[f"x_{split}"], content[f"y_{split}"]
            elif split == "train" and {"x", "y"} <= keys:
                images, labels = content["x"], content["y"]
            else:
                raise DatasetFileError(_missing_split_message(path, split, keys))
    except DatasetFileError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as error:
        raise DatasetFileError(
            f"{path} ({path.stat().st_size:,} bytes) cannot be read as an .npz file; it is truncated "
            f"or corrupt ({type(error).__name__}: {error})."
        ) from error
    return _standardize_npz_arrays(images, labels, path)


def _missing_split_message(path, split, keys):
    """Says which arrays the file has and how to choose the splits a run uses."""
    message = (
        f"{path} has no {split!r} split: it must hold 'x_{split}' and 'y_{split}' (Keras layout)"
        + (" or 'x' and 'y'" if split == "train" else "")
        + f". Received: arrays {sorted(keys)}."
    )
    available = [name for name in ("train", "test") if {f"x_{name}", f"y_{name}"} <= keys]
    if {"x", "y"} <= keys and "train" not in available:
        available.append("train")
    if available:
        message += (
            f" Splits in this file: {', '.join(available)}"
            + (" ('x'/'y' are the 'train' split)" if {"x", "y"} <= keys else "")
            + ". "
            "Choose the splits with `--train-split`/`--test-split` (config keys `train_split`/`test_split`)"
        )
        if split == "test":
            message += (
                ", e.g. `--test-split train` to evaluate on the training images (then the 'test' "
                "metrics are not held out)"
            )
        message += (
            f", or save a test split into the file: np.savez({path.name!r}, x_train=..., y_train=..., "
            "x_test=..., y_test=...)."
        )
    return message


def _standardize_npz_arrays(images, labels, path):
    if images.ndim == 3:
        images = images[..., np.newaxis]
    if images.ndim != 4:
        raise DatasetFileError(f"{path}: images must be (N, H, W) or (N, H, W, C). Received: shape {images.shape}.")
    if images.shape[1] in (1, 3, 4) and images.shape[-1] not in (1, 3, 4):
        raise DatasetFileError(
            f"{path}: images must be channels-last, (N, H, W, C). Received: shape {images.shape}, which "
            f"looks channels-first (N, C, H, W) with C={images.shape[1]}. Transpose them before saving: "
            "x = np.transpose(x, (0, 2, 3, 1))."
        )
    if np.issubdtype(images.dtype, np.floating):
        images = _unit_floats_to_uint8(images, path)
    if not np.issubdtype(images.dtype, np.integer) or (
        images.dtype != np.uint8 and images.size and (images.min() < 0 or images.max() > 255)
    ):
        numeric = images.size and np.issubdtype(images.dtype, np.number)
        low, high = (images.min(), images.max()) if numeric else (None, None)
        raise DatasetFileError(
            f"{path}: images must be integer pixels in 0..255 (uint8) or floats in [0, 1]. "
            f"Received: dtype {images.dtype} with values in [{low}, {high}]."
        )
    labels = np.asarray(labels).reshape(-1) if np.asarray(labels).ndim == 2 else np.asarray(labels)
    if labels.ndim != 1 or labels.shape[0] != images.shape[0] or not np.issubdtype(labels.dtype, np.integer):
        raise DatasetFileError(
            f"{path}: labels must be integers with one entry per image. "
            f"Received: labels {labels.dtype} {labels.shape} for {images.shape[0]} images."
        )
    return images.astype(np.uint8, copy=False), labels.astype(np.int64)


def _unit_floats_to_uint8(images, path):
    """Float intensities in [0, 1] -> uint8 levels ``round(x * 255)``; anything else is refused."""
    if images.size == 0:
        return images.astype(np.uint8)
    if not np.isfinite(images).all():
        raise DatasetFileError(f"{path}: float images must be finite. Received: NaN or infinite values.")
    low, high = float(images.min()), float(images.max())
    if low < 0.0 or high > 1.0:
        raise DatasetFileError(
            f"{path}: float images must hold intensities in [0, 1] (they are stored as round(x * 255)). "
            f"Received: dtype {images.dtype} with values in [{low:g}, {high:g}]. Save 0..255 pixels as "
            "uint8 instead, or divide by the maximum intensity."
        )
    return np.round(images.astype(np.float64) * 255.0).astype(np.uint8)


def _file_digest(path, algorithm):
    digest = hashlib.new(algorithm)
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


_VERIFIED = {}


def _check_file(path, expected_size, algorithm, expected_digest, url):
    """Checks an official file's size, then its hash (once per process)."""
    status = path.stat()
    if status.st_size != expected_size:
        raise DatasetFileError(
            f"{path} is {status.st_size:,} bytes but the official file is {expected_size:,} bytes; "
            f"it is truncated or a different file. Download it again from {url}."
        )
    key = (str(path.resolve()), status.st_size, status.st_mtime_ns)
    if _VERIFIED.get(key) == expected_digest:
        return
    digest = _file_digest(path, algorithm)
    if digest != expected_digest:
        raise DatasetFileError(
            f"{path} ({status.st_size:,} bytes) has {algorithm} {digest}, but the official file has "
            f"{expected_digest}; it is corrupt or a different file. Download it again from {url}."
        )
    _VERIFIED[key] = expected_digest


# ---------------------------------------------------------------------------
# Per-dataset sources
# ---------------------------------------------------------------------------


def _load_digits(split):
    from sklearn import datasets as sklearn_datasets
    from sklearn import model_selection

    digits = sklearn_datasets.load_digits()
    images = np.round(digits.images * 255.0 / 16.0).astype(np.uint8)[..., np.newaxis]
    labels = digits.target.astype(np.int64)
    if split == "all":
        return images, labels
    train_indices, test_indices = model_selection.train_test_split(
        np.arange(len(labels)), test_size=0.2, random_state=0, stratify=labels
    )
    indices = train_indices if split == "train" else test_indices
    return images[indices], labels[indices]


def _mnist_idx_paths(directory, prefix, kind):
    """Returns the first existing IDX file for `prefix` (train/t10k) and kind."""
    dimension = 3 if kind == "images" else 1
    base = f"{prefix}-{kind}-idx{dimension}-ubyte"
    for candidate in (directory / f"{base}.gz", directory / base):
        if candidate.is_file():
            return candidate
    return None


def _read_mnist_idx(path, verify_checksums):
    if verify_checksums and path.name in MNIST_FILES:
        expected = MNIST_FILES[path.name]
        _check_file(path, expected["size"], "md5", expected["md5"], MNIST_URL + path.name)
    return read_idx(path)


def _load_mnist(split, data_dir, download, download_timeout, verify_checksums):
    directory = data_dir / "mnist"
    prefix = "train" if split == "train" else "t10k"
    image_path = _mnist_idx_paths(directory, prefix, "images")
    label_path = _mnist_idx_paths(directory, prefix, "labels")
    tried = []
    if image_path and label_path:
        images = _read_mnist_idx(image_path, verify_checksums)
        labels = _read_mnist_idx(label_path, verify_checksums)
        if images.ndim != 3 or labels.ndim != 1 or images.shape[0] != labels.shape[0]:
            raise DatasetFileError(
                f"{image_path} and {label_path} must hold (N, 28, 28) images and (N,) labels. "
                f"Received: shapes {images.shape} and {labels.shape}."
            )
        return images[..., np.newaxis], labels, f"local IDX files {image_path} and {label_path}"
    tried.append(
        f"local IDX files {directory / (prefix + '-images-idx3-ubyte.gz')} and "
        f"{directory / (prefix + '-labels-idx1-ubyte.gz')}: not found"
    )
    npz_path = directory / "mnist.npz"
    if npz_path.is_file():
        if verify_checksums and _file_digest(npz_path, "sha256") != KERAS_MNIST_NPZ_SHA256:
            logger.warning("%s is not Keras's canonical mnist.npz (sha256 differs); loading it anyway.", npz_path)
        images, labels = read_npz(npz_path, split)
        return images, labels, f"local file {npz_path}"
    tried.append(f"local file {npz_path}: not found")
    result = _load_from_tfds("mnist", split, data_dir, download, download_timeout, tried)
    if result is not None:
        return result
    files = "\n".join(
        f"  {MNIST_URL}{file_name} ({info['size']:,} bytes, md5 {info['md5']})\n    -> {directory / file_name}"
        for file_name, info in MNIST_FILES.items()
    )
    raise DatasetUnavailableError(
        f"MNIST split {split!r} is not available. Tried:\n"
        + "".join(f"  - {entry}\n" for entry in tried)
        + "To fix this, download the four canonical IDX files:\n"
        + files
        + f"\nor Keras's single file {KERAS_MNIST_NPZ_URL} -> {npz_path}.\n"
        + f"Set data_dir=... or ${DATA_DIR_ENV} to use another folder laid out the same way. "
        + "For an offline run without any download, use load('digits') "
        + "(scikit-learn's 8x8 digits)."
    )


def _load_svhn(split, data_dir, download, download_timeout, verify_checksums):
    directory = data_dir / "svhn"
    parts = split.split("+")
    paths = [directory / f"{part}_32x32.mat" for part in parts]
    tried = []
    if all(path.is_file() for path in paths):
        arrays = [read_svhn_mat(path, verify_checksums) for path in paths]
        images = np.concatenate([images for images, _ in arrays]) if len(arrays) > 1 else arrays[0][0]
        labels = np.concatenate([labels for _, labels in arrays]) if len(arrays) > 1 else arrays[0][1]
        return images, labels, "local files " + ", ".join(str(path) for path in paths)
    missing = [str(path) for path in paths if not path.is_file()]
    tried.append(f"local files {', '.join(missing)}: not found")
    result = _load_from_tfds("svhn", split, data_dir, download, download_timeout, tried)
    if result is not None:
        return result
    files = "\n".join(
        f"  {SVHN_URL}{path.name} ({SVHN_FILES[path.name]['size']:,} bytes, "
        f"sha256 {SVHN_FILES[path.name]['sha256']})\n    -> {path}"
        for path in paths
    )
    raise DatasetUnavailableError(
        f"SVHN split {split!r} is not available. Tried:\n"
        + "".join(f"  - {entry}\n" for entry in tried)
        + "To fix this, download the official format-2 (cropped digits) files:\n"
        + files
        + f"\nSet data_dir=... or ${DATA_DIR_ENV} to use another folder laid out the same way. "
        + "SVHN is for non-commercial use only (see http://ufldl.stanford.edu/housenumbers/). "
        + "For an offline run without any download, use load('digits') "
        + "(scikit-learn's 8x8 digits)."
    )


# ---------------------------------------------------------------------------
# tensorflow-datasets, with a bounded download
# ---------------------------------------------------------------------------


def _read_prepared_tfds(tfds_name, split, tfds_dir):
    """Reads a prepared tfds split into arrays; raises AssertionError if absent."""
    import tensorflow_datasets as tfds

    dataset = tfds.load(tfds_name, split=split, data_dir=str(tfds_dir), download=False)
    image_batches, label_batches = [], []
    # `batch_size=-1` in tfds.load needs split sizes from the metadata; batching
    # here works for any prepared (or mocked) dataset.
    for batch in tfds.as_numpy(dataset.batch(10_000)):
        image_batches.append(batch["image"])
        label_batches.append(batch["label"])
    if not image_batches:
        raise DatasetFileError(f"tensorflow-datasets {tfds_name!r} split {split!r} in {tfds_dir} is empty.")
    return np.concatenate(image_batches), np.concatenate(label_batches).astype(np.int64)


def _host_reachable(host, port, timeout):
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def _directory_size(directory):
    total = 0
    for root, _, files in os.walk(directory):
        for file_name in files:
            try:
                total += os.path.getsize(os.path.join(root, file_name))
            except OSError:
                pass
    return total


def _is_partial(name):
    return "incomplete" in name or ".tmp" in name or name.endswith(".tmp")


def _remove_partial_outputs(directory, existing):
    """Deletes temporary paths tfds created under `directory` since `existing`."""
    for root, directories, files in os.walk(directory, topdown=True):
        for name in list(directories) + files:
            path = os.path.join(root, name)
            if path in existing or not _is_partial(name):
                continue
            if os.path.isdir(path):
                shutil.rmtree(path, ignore_errors=True)
                if name in directories:
                    directories.remove(name)
            else:
                try:
                    os.remove(path)
                except OSError:
                    pass


def _run_with_stall_timeout(command, watch_dir, stall_timeout, poll_interval=0.5):
    """Runs `command`; kills it if `watch_dir` stops growing for `stall_timeout` s.

    Returns:
        `(return_code, output_tail, stalled)`.
    """
    watch_dir = Path(watch_dir)
    watch_dir.mkdir(parents=True, exist_ok=True)
    existing = {os.path.join(root, name) for root, dirs, files in os.walk(watch_dir) for name in dirs + files}
    stalled = False
    # The log lives outside `watch_dir`: retry messages must not count as progress.
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
        try:
            last_size, last_progress = _directory_size(watch_dir), time.monotonic()
            while process.poll() is None:
                time.sleep(poll_interval)
                size = _directory_size(watch_dir)
                if size != last_size:
                    last_size, last_progress = size, time.monotonic()
                elif stall_timeout is not None and time.monotonic() - last_progress > stall_timeout:
                    stalled = True
                    process.kill()
                    process.wait()
                    break
        except BaseException:
            process.kill()
            process.wait()
            _remove_partial_outputs(watch_dir, existing)
            raise
        log.seek(0)
        output_tail = log.read().decode("utf-8", errors="replace")[-2000:]
    if stalled or process.returncode != 0:
        _remove_partial_outputs(watch_dir, existing)
    return process.returncode, output_tail, stalled


# Run in a child process so that a hung download can be killed.
_TFDS_DOWNLOAD_SCRIPT = (
    "import sys, tensorflow_datasets as tfds; tfds.builder(sys.argv[1], data_dir=sys.argv[2]).download_and_prepare()"
)


def _download_with_tfds(tfds_name, tfds_dir, download_timeout):
    """Runs tfds' download_and_prepare in a subprocess; returns an error or None."""
    return_code, output_tail, stalled = _run_with_stall_timeout(
        [sys.executable, "-c", _TFDS_DOWNLOAD_SCRIPT, tfds_name, str(tfds_dir)], tfds_dir, download_timeout
    )
    if stalled:
        return (
            f"the download wrote nothing for {download_timeout:g} s and was stopped "
            "(raise download_timeout for a slow connection)"
        )
    if return_code != 0:
        last_line = output_tail.strip().splitlines()[-1] if output_tail.strip() else ""
        return f"download_and_prepare failed with exit code {return_code}: {last_line}"
    return None


def _load_from_tfds(name, split, data_dir, download, download_timeout, tried):
    """Tries tensorflow-datasets; returns `(images, labels, source)` or None."""
    tfds_name = TFDS_NAMES[name]
    tfds_dir = data_dir / "tfds"
    try:
        import tensorflow_datasets  # noqa: F401
    except ImportError:
        tried.append("tensorflow-datasets: not installed")
        return None
    try:
        images, labels = _read_prepared_tfds(tfds_name, split, tfds_dir)
        return images, labels, f"tensorflow-datasets {tfds_name!r} prepared in {tfds_dir}"
    except AssertionError:  # tfds' way of saying "not prepared"
        pass
    if not download:
        tried.append(f"tensorflow-datasets {tfds_name!r} in {tfds_dir}: not prepared (download=False)")
        return None
    host, port = DOWNLOAD_HOSTS[name]
    probe_timeout = REACHABILITY_TIMEOUT if download_timeout is None else min(REACHABILITY_TIMEOUT, download_timeout)
    if not _host_reachable(host, port, probe_timeout):
        tried.append(
            f"tensorflow-datasets {tfds_name!r} in {tfds_dir}: not prepared, and the download host "
            f"{host}:{port} did not answer within {probe_timeout:g} s (offline?)"
        )
        return None
    logger.info("Downloading %s with tensorflow-datasets into %s ...", tfds_name, tfds_dir)
    error = _download_with_tfds(tfds_name, tfds_dir, download_timeout)
    if error is not None:
        tried.append(f"tensorflow-datasets {tfds_name!r} download into {tfds_dir}: {error}")
        return None
    images, labels = _read_prepared_tfds(tfds_name, split, tfds_dir)
    return images, labels, f"tensorflow-datasets {tfds_name!r} downloaded into {tfds_dir}"
