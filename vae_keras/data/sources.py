"""Where datasets come from: one registry of sources, and `load(name, split)`.

`load(name, split)` returns `(images, labels)` as NumPy arrays: images `uint8`
shaped `(N, H, W, C)`, labels `int64` shaped `(N,)`, or `None` for an `.npz`
file without labels (a VAE needs none; the features that do say so). Each
dataset is a `DatasetSource` in `DATASET_SOURCES`; MNIST and SVHN try, in this
order, and one INFO line on the `vae_keras.data` logger says which was used:

1. local files under the data folder (`data_dir`, else `$VAE_KERAS_DATA_DIR`,
   else `data/` at the project root): `svhn/*_32x32.mat`, `mnist/*-ubyte.gz` or
   `mnist/mnist.npz`; see `data/README.md`;
2. a tensorflow-datasets copy in `<data folder>/tfds` (used offline when it is
   already prepared; otherwise downloaded, under a time limit, if allowed);
3. otherwise `DatasetUnavailableError`, which says which files to put where.

`"digits"` (scikit-learn's 8x8 digits) needs no download, `"npz:PATH"`
reads any Keras-layout `.npz` file, and `"svhn_sample"` reads 1,083 real SVHN
crops from `<data folder>/svhn/svhn_train_sample.npz` (plus 181 unlabelled
ones from `svhn_extra_sample.npz`) with a fixed contiguous test block. A new
dataset is one function decorated with `register_dataset` (see ARCHITECTURE.md).
"""

from __future__ import annotations

import dataclasses
import logging
import os
import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np

from vae_keras.data.errors import DatasetFileError, DatasetUnavailableError
from vae_keras.data.formats import read_idx, read_npz, read_svhn_mat
from vae_keras.data.official import (
    KERAS_MNIST_NPZ_SHA256,
    KERAS_MNIST_NPZ_URL,
    MNIST_FILES,
    MNIST_URL,
    SVHN_EXTRA_SAMPLE_SHA256,
    SVHN_FILES,
    SVHN_TRAIN_SAMPLE_SHA256,
    SVHN_TRAIN_SAMPLE_SIZE,
    SVHN_URL,
    check_file,
    file_digest,
    file_sha256,
)
from vae_keras.data.tfds_source import load_from_tfds
from vae_keras.registry import Registry

logger = logging.getLogger("vae_keras.data")


@dataclasses.dataclass(frozen=True)
class DatasetSource:
    """A dataset that `load` can read.

    Attributes:
        name: what users pass (`--dataset NAME`); with `takes_path`, `NAME:PATH`.
        splits: the split names it accepts.
        description: one line for help texts.
        reader: `reader(split, options) -> (images, labels, where)`, with `options` a `LoadOptions`.
        takes_path: the name carries a path after a colon (`npz:PATH`).
        family: which data it holds, `"svhn"`, `"mnist"`, `"digits"`, or `None` when unknown (`npz:PATH`;
            `identity.dataset_family` recognises known files), so a writeup can tell a run on a claim's
            own data from one on a stand-in.
        files: `files(split, options) -> list[Path]`, the local files `reader` would read for `split`
            (those found; empty when none is), for `identity.dataset_checksum`; `None` for generated data.
    """

    name: str
    splits: tuple[str, ...]
    description: str
    reader: Callable
    takes_path: bool = False
    family: str | None = None
    files: Callable | None = None

    @property
    def usage(self) -> str:
        return f"{self.name}:PATH" if self.takes_path else self.name


@dataclasses.dataclass(frozen=True)
class LoadOptions:
    """What a source's reader may use besides the split: `load`'s arguments, already checked."""

    data_dir: Path
    download: bool
    download_timeout: float | None
    verify_checksums: bool
    path: Path | None = None


#: Every dataset `load` knows, by name.
DATASET_SOURCES = Registry("dataset", "name")


def register_dataset(name, splits, description, takes_path=False, *, family=None, files=None):
    """Registers the decorated reader as the dataset `name` (see `DatasetSource`)."""

    def decorator(reader):
        DATASET_SOURCES.register(
            name, DatasetSource(name, tuple(splits), description, reader, takes_path, family=family, files=files)
        )
        return reader

    return decorator


def dataset_names() -> tuple[str, ...]:
    """The names `load` accepts, as users write them, named datasets first and `npz:PATH` (a file) last."""
    sources = [source for _, source in DATASET_SOURCES.items()]
    return tuple(source.usage for source in sorted(sources, key=lambda source: source.takes_path))


def source_for(name: str) -> DatasetSource:
    """The `DatasetSource` a dataset name (or `npz:PATH`) refers to.

    Raises:
        ValueError: for a name no source has, listing the accepted ones.
    """
    base = name.split(":", 1)[0] if isinstance(name, str) and ":" in name else name
    source = DATASET_SOURCES[base] if isinstance(base, str) and base in DATASET_SOURCES else None
    if source is None or source.takes_path != (isinstance(name, str) and ":" in name):
        raise ValueError(f"Unknown dataset. Received: name={name!r}. Accepted: {', '.join(dataset_names())}.")
    return source


class _Splits(Mapping):
    """`SPLITS[name]`: the splits of each registered dataset, always up to date with the registry."""

    def __getitem__(self, name):
        return DATASET_SOURCES[name].splits

    def __iter__(self):
        return iter(DATASET_SOURCES)

    def __len__(self):
        return len(DATASET_SOURCES)


SPLITS = _Splits()
DATA_DIR_ENV = "VAE_KERAS_DATA_DIR"


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
    root = Path(__file__).resolve().parents[2]
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
) -> tuple[np.ndarray, np.ndarray | None]:
    """Loads a dataset split as NumPy arrays.

    Args:
        name: a registered dataset (`dataset_names()`: `"digits"`, `"mnist"`,
            `"svhn"`, `"svhn_sample"`) or `"npz:PATH"` for a Keras-layout
            `.npz` file (`x_train`, `y_train`, `x_test`, `y_test`; or `x`, `y`
            for a single `"train"` split; the `y` arrays may be left out).
            The SVHN sample file itself, recognised by its sha256, is split
            as `"svhn_sample"` is.
        split: `"digits"`: `"train"`, `"test"` (a fixed stratified 20% drawn
            with seed 0) or `"all"`; `"mnist"`: `"train"`, `"test"`; `"svhn"`:
            `"train"`, `"test"`, `"extra"`, `"train+extra"`; `"svhn_sample"`:
            `"train"` (the first 900 crops), `"test"` (the last 183),
            `"extra"` (181, no labels); `"npz:..."`: `"train"`, `"test"`.
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
        labels `(N,)` with digits 0-9 (SVHN's label 10 is mapped to 0), or
        `None` for an `.npz` file that holds no labels.

    Raises:
        ValueError: for an unknown `name` or `split`, or a bad
            `download_timeout`.
        DatasetFileError: (a `ValueError`) if a file is truncated, corrupt or
            fails its checksum.
        DatasetUnavailableError: (a `FileNotFoundError`) if no source has the
            data; the message lists the files to download and where to put them.
        FileNotFoundError: if an `"npz:PATH"` file does not exist.
    """
    source = _checked_source(name, split, download_timeout)
    options = LoadOptions(
        data_dir=default_data_dir() if data_dir is None else Path(data_dir).expanduser(),
        download=download,
        download_timeout=download_timeout,
        verify_checksums=verify_checksums,
        path=Path(name.split(":", 1)[1]).expanduser() if source.takes_path else None,
    )
    images, labels, where = source.reader(split, options)
    images = np.ascontiguousarray(images, dtype=np.uint8)
    if labels is not None:
        labels = np.ascontiguousarray(labels, dtype=np.int64)
    logger.info(
        "Loaded %s/%s: %d images of shape %s%s from %s.",
        name,
        split,
        images.shape[0],
        "x".join(str(size) for size in images.shape[1:]),
        "" if labels is not None else " (no labels)",
        where,
    )
    return images, labels


def _checked_source(name, split, download_timeout):
    """The source of ``name`` once ``name``, ``split`` and ``download_timeout`` are checked (see ``load``)."""
    if not isinstance(name, str):
        raise ValueError(f"`name` must be a string, one of {', '.join(dataset_names())}. Received: name={name!r}.")
    source = source_for(name)
    if split not in source.splits:
        raise ValueError(
            f"Unknown split for dataset {name!r}. Received: split={split!r}. Accepted: {', '.join(source.splits)}."
        )
    if download_timeout is not None and not (isinstance(download_timeout, (int, float)) and download_timeout > 0):
        raise ValueError(
            "`download_timeout` must be a positive number of seconds or None. "
            f"Received: download_timeout={download_timeout!r}."
        )
    return source


@register_dataset(
    "digits", ("train", "test", "all"), "scikit-learn's 8x8 digits, bundled (no download)", family="digits"
)
def _load_digits(split, options):
    from sklearn import datasets as sklearn_datasets
    from sklearn import model_selection

    digits = sklearn_datasets.load_digits()
    images = np.round(digits.images * 255.0 / 16.0).astype(np.uint8)[..., np.newaxis]
    labels = digits.target.astype(np.int64)
    where = "scikit-learn's bundled 8x8 digits (sklearn.datasets.load_digits)"
    if split == "all":
        return images, labels, where
    train_indices, test_indices = model_selection.train_test_split(
        np.arange(len(labels)), test_size=0.2, random_state=0, stratify=labels
    )
    indices = train_indices if split == "train" else test_indices
    return images[indices], labels[indices], where


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
        check_file(path, expected["size"], "md5", expected["md5"], MNIST_URL + path.name)
    return read_idx(path)


def _mnist_files(split, options):
    """The local files `_load_mnist` reads for `split`: the IDX pair if both exist, else `mnist.npz`."""
    directory = options.data_dir / "mnist"
    prefix = "train" if split == "train" else "t10k"
    pair = [_mnist_idx_paths(directory, prefix, kind) for kind in ("images", "labels")]
    if all(pair):
        return pair
    return [directory / "mnist.npz"] if (directory / "mnist.npz").is_file() else []


@register_dataset(
    "mnist",
    ("train", "test"),
    "MNIST, 28x28 grey digits (local files or tensorflow-datasets)",
    family="mnist",
    files=_mnist_files,
)
def _load_mnist(split, options):
    data_dir, verify_checksums = options.data_dir, options.verify_checksums
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
        if verify_checksums and file_digest(npz_path, "sha256") != KERAS_MNIST_NPZ_SHA256:
            logger.warning("%s is not Keras's canonical mnist.npz (sha256 differs); loading it anyway.", npz_path)
        images, labels = read_npz(npz_path, split)
        return images, labels, f"local file {npz_path}"
    tried.append(f"local file {npz_path}: not found")
    result = load_from_tfds("mnist", split, data_dir, options.download, options.download_timeout, tried)
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


def _svhn_files(split, options):
    """The local `.mat` files `_load_svhn` reads for `split` (those that exist)."""
    paths = [options.data_dir / "svhn" / f"{part}_32x32.mat" for part in split.split("+")]
    return [path for path in paths if path.is_file()]


@register_dataset(
    "svhn",
    ("train", "test", "extra", "train+extra"),
    "SVHN cropped 32x32 colour digits (local or tfds)",
    family="svhn",
    files=_svhn_files,
)
def _load_svhn(split, options):
    data_dir, verify_checksums = options.data_dir, options.verify_checksums
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
    result = load_from_tfds("svhn", split, data_dir, options.download, options.download_timeout, tried)
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


def _npz_files(split, options):
    if not options.path.is_file():
        raise FileNotFoundError(
            f"npz file not found. Received: path={str(options.path)!r}. Pass an existing file as 'npz:PATH'."
        )
    return [options.path]


@register_dataset("npz", ("train", "test"), "a Keras-layout .npz file: npz:PATH", takes_path=True, files=_npz_files)
def _load_npz(split, options):
    path = options.path
    if _is_svhn_train_sample(path):
        # The SVHN sample (recognised by its sha256) holds one array `x`; it gets svhn_sample's fixed split.
        images, labels = _svhn_sample_split(*_read_svhn_train_sample(path), split)
        return images, labels, f"npz file {path} (the SVHN sample, split as svhn_sample)"
    images, labels = read_npz(path, split)
    return images, labels, f"npz file {path}"


# --- svhn_sample: 1,083 real SVHN crops that need no download of the full files --------------------

SVHN_TRAIN_SAMPLE_FILE = "svhn_train_sample.npz"
SVHN_EXTRA_SAMPLE_FILE = "svhn_extra_sample.npz"
#: The sample is the first 1,083 crops of the official train_32x32.mat, in order. Neighbouring crops often
#: come from the same house-number photo (a "1919" is followed by its "19"), so a random split would leak
#: near-duplicates of training crops into the test set. The held-out block is therefore contiguous and
#: never changes: test = the last 183 crops (indices 900..1082), train = the first 900. (Crops 899 and 900
#: are unrelated: their pixel correlation is -0.09.)
SVHN_SAMPLE_NUM_TRAIN = 900
SVHN_SAMPLE_NUM_TEST = 183
#: The first 181 crops of the official extra_32x32.mat, without labels (they sit at the end of that file).
SVHN_SAMPLE_NUM_EXTRA = 181


def _svhn_sample_split(images, labels, split):
    """`svhn_sample`'s fixed contiguous split of the 1,083 training crops: the first 900, or the last 183."""
    part = slice(None, SVHN_SAMPLE_NUM_TRAIN) if split == "train" else slice(SVHN_SAMPLE_NUM_TRAIN, None)
    return images[part], labels[part]


def _is_svhn_train_sample(path):
    """Whether `path` is the SVHN sample file, byte for byte (its size first, which costs nothing)."""
    return (
        path.is_file()
        and path.stat().st_size == SVHN_TRAIN_SAMPLE_SIZE
        and file_sha256(path) == (SVHN_TRAIN_SAMPLE_SHA256)
    )


def _read_svhn_sample_arrays(path, keys, num_images):
    """The arrays `keys` of a sample `.npz`, with `x` checked to be `uint8` `(num_images, 32, 32, 3)`."""
    try:
        with np.load(path, allow_pickle=False) as content:
            missing = [key for key in keys if key not in content.files]
            if missing:
                raise DatasetFileError(
                    f"{path} must hold the arrays {', '.join(repr(key) for key in keys)}. "
                    f"Received: arrays {sorted(content.files)}."
                )
            arrays = {key: content[key] for key in content.files if key in (*keys, "y_mat")}
    except DatasetFileError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as error:
        raise DatasetFileError(
            f"{path} ({path.stat().st_size:,} bytes) cannot be read as an .npz file; it is truncated or corrupt "
            f"({type(error).__name__}: {error})."
        ) from error
    images = arrays["x"]
    if images.dtype != np.uint8 or images.shape != (num_images, 32, 32, 3):
        raise DatasetFileError(
            f"{path}: 'x' must be uint8 with shape ({num_images}, 32, 32, 3), the first {num_images:,} crops of "
            f"the official file, channels last. Received: {images.dtype} with shape {images.shape}."
        )
    return arrays


def _read_svhn_train_sample(path):
    """The 1,083 crops of `svhn_train_sample.npz` and their `int64` labels 0-9, checked."""
    num_images = SVHN_SAMPLE_NUM_TRAIN + SVHN_SAMPLE_NUM_TEST
    arrays = _read_svhn_sample_arrays(path, ["x", "y"], num_images)
    labels = arrays["y"]
    if not np.issubdtype(labels.dtype, np.integer) or labels.shape != (num_images,):
        raise DatasetFileError(
            f"{path}: 'y' must hold one integer label per crop, shape ({num_images},). "
            f"Received: {labels.dtype} with shape {labels.shape}."
        )
    if labels.min() < 0 or labels.max() > 9:
        raise DatasetFileError(
            f"{path}: 'y' must hold the digits 0-9 (the digit 0 as 0, not as the .mat files' 10). "
            f"Received: values in [{labels.min()}, {labels.max()}]."
        )
    if "y_mat" in arrays and not np.array_equal(np.asarray(arrays["y_mat"]).reshape(-1) % 10, labels):
        raise DatasetFileError(f"{path}: 'y' must equal 'y_mat' % 10 (the .mat labels 1-10). Received: they differ.")
    return np.ascontiguousarray(arrays["x"]), labels.astype(np.int64)


def _svhn_sample_files(split, options):
    path = options.data_dir / "svhn" / (SVHN_EXTRA_SAMPLE_FILE if split == "extra" else SVHN_TRAIN_SAMPLE_FILE)
    return [path] if path.is_file() else []


@register_dataset(
    "svhn_sample",
    ("train", "test", "extra"),
    "1,083 real SVHN crops: train the first 900, test the last 183 (contiguous); extra 181 unlabelled",
    family="svhn",
    files=_svhn_sample_files,
)
def _load_svhn_sample(split, options):
    directory = options.data_dir / "svhn"
    path = directory / (SVHN_EXTRA_SAMPLE_FILE if split == "extra" else SVHN_TRAIN_SAMPLE_FILE)
    if not path.is_file():
        raise DatasetUnavailableError(_svhn_sample_missing_message(split, path, directory))
    expected = SVHN_EXTRA_SAMPLE_SHA256 if split == "extra" else SVHN_TRAIN_SAMPLE_SHA256
    if options.verify_checksums and file_sha256(path) != expected:
        logger.warning("%s is not the recorded SVHN sample file (sha256 differs); loading it anyway.", path)
    if split == "extra":
        images = _read_svhn_sample_arrays(path, ["x"], SVHN_SAMPLE_NUM_EXTRA)["x"]
        return np.ascontiguousarray(images), None, f"local file {path}"
    images, labels = _svhn_sample_split(*_read_svhn_train_sample(path), split)
    return images, labels, f"local file {path}"


def _svhn_sample_missing_message(split, path, directory):
    return (
        f"The svhn_sample split {split!r} is not available: {path} not found. svhn_sample reads two files "
        f"from the data folder's svhn/ subfolder:\n"
        f"  {directory / SVHN_TRAIN_SAMPLE_FILE}: splits 'train' and 'test'; 'x' (1083, 32, 32, 3) uint8 and "
        "'y' (1083,) digits 0-9, the first 1,083 crops of the official train_32x32.mat in order\n"
        f"  {directory / SVHN_EXTRA_SAMPLE_FILE}: split 'extra'; 'x' (181, 32, 32, 3) uint8, the first 181 "
        "crops of extra_32x32.mat\n"
        f"Put them there, or set data_dir=... or ${DATA_DIR_ENV} to a folder holding svhn/ with them. For the "
        f"project's developers, ../shared/data is such a folder: {DATA_DIR_ENV}=../shared/data from the "
        "project root. The full SVHN is load('svhn') (see data/README.md)."
    )
