"""Which data a dataset name stands for: its family (`dataset_family`) and its files' sha256 (`dataset_checksum`).

A writeup uses them to tell a run on a claim's own data (SVHN for the SVHN claims) from one on a stand-in,
and to record exactly which files a run read. Registered datasets state their family (`DatasetSource.family`);
an `npz:PATH` file is recognised by its sha256 among the files `official.KNOWN_NPZ_FAMILIES` lists.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from vae_keras.data.official import KNOWN_NPZ_FAMILIES, file_sha256
from vae_keras.data.sources import LoadOptions, default_data_dir, source_for


def dataset_family(name: str) -> str | None:
    """The kind of data a dataset name refers to.

    Args:
        name: a registered dataset (`"svhn"`, `"svhn_sample"`, `"mnist"`, `"digits"`...) or `"npz:PATH"`.

    Returns:
        `"svhn"`, `"mnist"`, `"digits"`, or `None` when unknown: a registered dataset without a family, or an
        `npz:PATH` file whose sha256 is not that of a known file (Keras's `mnist.npz`, the developers'
        `../shared/data` copies of MNIST and of the SVHN sample).

    Raises:
        ValueError: for a name no registered dataset has.
        FileNotFoundError: if an `npz:PATH` file does not exist.
    """
    source = source_for(name)
    if not source.takes_path:
        return source.family
    path = _path_of(name)
    if not path.is_file():
        raise FileNotFoundError(f"npz file not found. Received: name={name!r}. Pass an existing file as 'npz:PATH'.")
    return KNOWN_NPZ_FAMILIES.get(file_sha256(path))


def dataset_checksum(
    name: str, splits: tuple[str, ...] | None = None, data_dir: str | os.PathLike | None = None
) -> str | None:
    """The sha256 of the local file(s) a dataset is read from, as recorded with a run's results.

    The files are those `load(name, split)` reads for each of `splits` and finds locally. One file: its
    sha256, the same as `sha256sum FILE`. Several: the sha256 of their `sha256sum` lines (`<sha256>  <file
    name>\\n`) sorted by file name. Each file is hashed once per path, size and modification time in a process.

    Args:
        name: a registered dataset or `"npz:PATH"`.
        splits: the splits whose files count; default all of the dataset's splits.
        data_dir: the data folder, as for `load`; default `default_data_dir()`.

    Returns:
        A 64-character hex string, or `None` when no local file is behind the splits: generated data
        (`digits`), a copy in tensorflow-datasets' cache, or files not found.

    Raises:
        ValueError: for a name no registered dataset has, or a split it does not have.
        FileNotFoundError: if an `npz:PATH` file does not exist.
    """
    source = source_for(name)
    splits = source.splits if splits is None else tuple([splits] if isinstance(splits, str) else splits)
    unknown = [split for split in splits if split not in source.splits]
    if unknown:
        raise ValueError(
            f"Unknown split for dataset {name!r}. Received: splits={unknown!r}. Accepted: {', '.join(source.splits)}."
        )
    if source.files is None:
        return None
    options = LoadOptions(
        data_dir=default_data_dir() if data_dir is None else Path(data_dir).expanduser(),
        download=False,
        download_timeout=None,
        verify_checksums=False,
        path=_path_of(name) if source.takes_path else None,
    )
    paths = {}
    for split in splits:
        for path in source.files(split, options):
            paths[path.name] = path
    if not paths:
        return None
    if len(paths) == 1:
        return file_sha256(next(iter(paths.values())))
    lines = "".join(f"{file_sha256(paths[file_name])}  {file_name}\n" for file_name in sorted(paths))
    return hashlib.sha256(lines.encode()).hexdigest()


def _path_of(name):
    return Path(name.split(":", 1)[1]).expanduser()
