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
# The real-data files this project's developers find in ../shared/data (see data/README.md); never committed.
# SHARED_MNIST_NPZ holds all 70,000 MNIST images in the Keras layout, but its training images beyond index 99
# sit in another order than Keras's file, so its hash differs.
SHARED_MNIST_NPZ_SHA256 = "64aa7ffb9ce187b8420b0f0bfa925b7e32a236bcb837fb767bfe94c18d5a9cad"
# The first 1,083 crops of the official train_32x32.mat, `x`, `y` (0-9) and `y_mat` (1-10).
SVHN_TRAIN_SAMPLE_SHA256 = "73bb1a4745b484ad0b689f7191514762add2823467196037ba1310b03405c4a3"
SVHN_TRAIN_SAMPLE_SIZE = 2_806_694
# The first 181 crops of the official extra_32x32.mat, `x` only.
SVHN_EXTRA_SAMPLE_SHA256 = "beb6bb676677e7ca917f9945de56ab03a39610c76e5a9bc4e460d4a47ff75db4"
#: `.npz` files recognised by their sha256, and the data family they hold (see `identity.dataset_family`).
KNOWN_NPZ_FAMILIES = {
    KERAS_MNIST_NPZ_SHA256: "mnist",
    SHARED_MNIST_NPZ_SHA256: "mnist",
    SVHN_TRAIN_SAMPLE_SHA256: "svhn",
    SVHN_EXTRA_SAMPLE_SHA256: "svhn",
}


def file_digest(path, algorithm):
    digest = hashlib.new(algorithm)
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 22), b""):
            digest.update(block)
    return digest.hexdigest()


_SHA256S = {}


def file_sha256(path):
    """The sha256 of a file, computed once per path, size and modification time in a process."""
    status = path.stat()
    key = (str(path.resolve()), status.st_size, status.st_mtime_ns)
    if key not in _SHA256S:
        _SHA256S[key] = file_digest(path, "sha256")
    return _SHA256S[key]


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
