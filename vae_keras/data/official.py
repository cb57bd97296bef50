"""The official dataset files: where they come from, their sizes and hashes, and the check.

SVHN sizes and sha256 come from tensorflow-datasets' `datasets/svhn_cropped/checksums.tsv` (the SVHN site
publishes no hashes). MNIST md5s are those of the canonical files; sizes and the sha256s from
tensorflow-datasets' `url_checksums/mnist.txt`.

`keras.utils.get_file(file_hash=...)` does a similar check, but only for files it downloads itself into its
cache, and on a mismatch it deletes the file and downloads again; here the files are the user's own copies
(possibly offline), so a mismatch is reported with the expected size, hash and URL and nothing is deleted.
The size is checked first (free), and the hash once per file and process.
"""

from __future__ import annotations

import hashlib

from vae_keras.data.errors import DatasetFileError

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


def file_digest(path, algorithm):
    digest = hashlib.new(algorithm)
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


_VERIFIED = {}


def check_file(path, expected_size, algorithm, expected_digest, url):
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
    digest = file_digest(path, algorithm)
    if digest != expected_digest:
        raise DatasetFileError(
            f"{path} ({status.st_size:,} bytes) has {algorithm} {digest}, but the official file has "
            f"{expected_digest}; it is corrupt or a different file. Download it again from {url}."
        )
    _VERIFIED[key] = expected_digest
