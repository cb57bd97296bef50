"""Readers for the dataset file formats: IDX (MNIST), SVHN's `.mat`, and Keras-layout `.npz`.

Each reader checks what it reads and raises `DatasetFileError` naming the file, what it holds and what was
expected; nothing here knows where files live (see `sources`).
"""

from __future__ import annotations

import gzip
import os
import zipfile
import zlib
from pathlib import Path

import numpy as np

from vae_keras.data.errors import DatasetFileError
from vae_keras.data.official import SVHN_FILES, SVHN_URL, check_file

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
        check_file(path, expected["size"], "sha256", expected["sha256"], SVHN_URL + path.name)
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
            The label arrays are optional: a VAE needs none.
            Images are channels-last, `(N, H, W)` (a channel axis is added)
            or `(N, H, W, C)`, with integer values in 0..255, or floats in
            `[0, 1]`, which are converted to `uint8` as `np.round(x * 255)`
            (so 0..255 / 255 comes back exactly). Channels-first arrays
            `(N, C, H, W)` with `C` in 1, 3, 4 are refused.
        split: `"train"` or `"test"`.

    Returns:
        `(images, labels)`: `uint8` `(N, H, W, C)` and `int64` `(N,)`, or
        `None` for labels when the file has no `y_<split>` (or `y`) array.

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
    _check_npz_signature(path)
    try:
        with np.load(path, allow_pickle=False) as content:
            keys = set(content.files)
            if f"x_{split}" in keys:
                names = (f"x_{split}", f"y_{split}")
            elif split == "train" and "x" in keys:
                names = ("x", "y")
            else:
                raise DatasetFileError(_missing_split_message(path, split, keys))
            images = _npz_array(content, names[0], path)
            labels = _npz_array(content, names[1], path) if names[1] in keys else None
    except DatasetFileError:
        raise
    except (zipfile.BadZipFile, EOFError, OSError, ValueError, KeyError) as error:
        raise DatasetFileError(
            f"{path} ({path.stat().st_size:,} bytes) cannot be read as an .npz file; it is truncated "
            f"or corrupt ({type(error).__name__}: {error})."
        ) from error
    return _standardize_npz_arrays(images, labels, path)


_ZIP_SIGNATURE = b"PK\x03\x04"
_NPY_SIGNATURE = b"\x93NUMPY"


def _check_npz_signature(path):
    """Refuses a file that is not a zip archive (what np.savez writes), saying what it looks like instead."""
    with open(path, "rb") as file:
        head = file.read(64)
    if head.startswith(_ZIP_SIGNATURE):
        return
    if head.startswith(_NPY_SIGNATURE):
        looks = "a single .npy array (np.save), not an .npz archive of named arrays"
    elif not head:
        looks = "an empty file"
    elif all(32 <= byte < 127 or byte in b"\t\r\n" for byte in head):
        looks = f"a text file (it starts with {head[:24].decode('ascii')!r})"
    else:
        looks = f"not a zip archive (it starts with the bytes {head[:8]!r})"
    raise DatasetFileError(
        f"{path} ({path.stat().st_size:,} bytes) cannot be read as an .npz file: it is {looks}. Accepted: a zip "
        "archive of arrays written by np.savez or np.savez_compressed, e.g. np.savez(path, x_train=..., y_train=...)."
    )


def _npz_array(content, name, path):
    """One array of an open .npz, refusing an object array (pickled Python objects) by name."""
    try:
        return content[name]
    except ValueError as error:
        if "allow_pickle" not in str(error) and "Object arrays" not in str(error):
            raise
        raise DatasetFileError(
            f"{path}: array {name!r} holds Python objects (dtype object, stored pickled), which are not "
            "loaded: unpickling can run code. Accepted: numeric arrays, uint8 images and integer labels; "
            f"convert before saving, e.g. {name}=np.asarray({name}, dtype=np.int64)."
        ) from None


def _missing_split_message(path, split, keys):
    """Says which arrays the file has and how to choose the splits a run uses."""
    message = (
        f"{path} has no {split!r} split: it must hold 'x_{split}' (and optionally 'y_{split}'; Keras layout)"
        + (" or 'x' (and optionally 'y')" if split == "train" else "")
        + f". Received: arrays {sorted(keys)}."
    )
    available = [name for name in ("train", "test") if f"x_{name}" in keys]
    if "x" in keys and "train" not in available:
        available.append("train")
    if available:
        message += (
            f" Splits in this file: {', '.join(available)}"
            + (" ('x'/'y' are the 'train' split)" if "x" in keys else "")
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
        raise DatasetFileError(
            f"{path}: images must be integer pixels in 0..255 (uint8) or floats in [0, 1]. "
            f"Received: {_describe_values(images)}."
        )
    if labels is None:
        return images.astype(np.uint8, copy=False), None
    labels = np.asarray(labels).reshape(-1) if np.asarray(labels).ndim == 2 else np.asarray(labels)
    if labels.ndim != 1 or labels.shape[0] != images.shape[0] or not np.issubdtype(labels.dtype, np.integer):
        raise DatasetFileError(
            f"{path}: labels must be integers with one entry per image. "
            f"Received: labels {labels.dtype} {labels.shape} for {images.shape[0]} images."
        )
    return images.astype(np.uint8, copy=False), labels.astype(np.int64)


def _describe_values(images):
    """What an array of refused images holds: its dtype, and its range where it has one."""
    if images.dtype == np.bool_:
        return "dtype bool (True/False, not pixel levels); save them as np.uint8(x) * 255"
    if not images.size:
        return f"dtype {images.dtype} with no values"
    if not np.issubdtype(images.dtype, np.number):
        return f"dtype {images.dtype}, which holds no numbers"
    return f"dtype {images.dtype} with values in [{images.min()}, {images.max()}]"


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
