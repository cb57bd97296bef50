"""Tests for the `svhn_sample` dataset, `npz:` on the sample file, `dataset_family`/`dataset_checksum`, and the
runner accepting `svhn_sample` where a notebook declares `svhn`.

Tests on the real crops read ../shared/data/svhn and skip, with the reason, when it is absent (a fresh clone
does not have it); the others write small stand-in files.
"""

import hashlib
import io
import logging
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from scipy import io as scipy_io

from vae_keras import data
from vae_keras.data import official, sources
from vae_keras.writeup import runner

SHARED_DATA = Path(__file__).parents[1] / ".." / "shared" / "data"
NUM_TRAIN, NUM_TEST, NUM_EXTRA = 900, 183, 181
SVHN_NOTEBOOKS = [
    "01_svhn_data",
    "02_fixed_vs_fitted_variance",
    "03_components_or_convolutions",
    "04_implementation_notes",
    "05_svhn_results",
]
MNIST_NOTEBOOKS = ["06_mnist_reproduction", "09_mnist_benchmark"]


@pytest.fixture
def shared_dir():
    """``../shared/data`` with the SVHN sample files, or a skip naming what is missing."""
    needed = [SHARED_DATA / "svhn" / name for name in ("svhn_train_sample.npz", "svhn_extra_sample.npz")]
    missing = [str(path) for path in needed if not path.is_file()]
    if missing:
        pytest.skip(f"real SVHN sample not found ({', '.join(missing)}): only on the project's own machines")
    return SHARED_DATA.resolve()


@pytest.fixture
def raw(shared_dir):
    """The sample files' arrays as stored."""
    with np.load(shared_dir / "svhn" / "svhn_train_sample.npz") as train:
        with np.load(shared_dir / "svhn" / "svhn_extra_sample.npz") as extra:
            return {"x": train["x"], "y": train["y"], "y_mat": train["y_mat"], "extra": extra["x"]}


def write_sample(directory, num_images=NUM_TRAIN + NUM_TEST, labels=None, **arrays):
    """A stand-in `svhn/svhn_train_sample.npz` with random crops (not the real file)."""
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (num_images, 32, 32, 3), dtype=np.uint8)
    labels = rng.integers(0, 10, num_images).astype(np.uint8) if labels is None else labels
    (directory / "svhn").mkdir(parents=True, exist_ok=True)
    np.savez(directory / "svhn" / "svhn_train_sample.npz", **{"x": images, "y": labels, **arrays})
    return images, labels


# --- the registered dataset on the real crops --------------------------------------------------------


def test_the_test_split_is_the_last_183_crops_on_every_load(shared_dir, raw):
    test_images, test_labels = data.load("svhn_sample", "test", data_dir=shared_dir)
    again_images, again_labels = data.load("svhn_sample", "test", data_dir=shared_dir)
    train_images, train_labels = data.load("svhn_sample", "train", data_dir=shared_dir)
    np.testing.assert_array_equal(test_images, again_images)
    np.testing.assert_array_equal(test_labels, again_labels)
    np.testing.assert_array_equal(test_images, raw["x"][900:1083])
    np.testing.assert_array_equal(train_images, raw["x"][:900])
    assert sources.SVHN_SAMPLE_NUM_TRAIN == NUM_TRAIN and sources.SVHN_SAMPLE_NUM_TEST == NUM_TEST


def test_shapes_dtype_and_labels(shared_dir, raw):
    images = {}
    for split, size in (("train", NUM_TRAIN), ("test", NUM_TEST), ("extra", NUM_EXTRA)):
        images[split], labels = data.load("svhn_sample", split, data_dir=shared_dir)
        assert images[split].shape == (size, 32, 32, 3) and images[split].dtype == np.uint8
        if split == "extra":
            assert labels is None
            continue
        assert labels.dtype == np.int64 and labels.shape == (size,)
        part = slice(None, NUM_TRAIN) if split == "train" else slice(NUM_TRAIN, None)
        np.testing.assert_array_equal(labels, raw["y"][part])
        np.testing.assert_array_equal(labels, raw["y_mat"][part] % 10)
    train_labels = data.load("svhn_sample", "train", data_dir=shared_dir)[1]
    assert set(np.unique(train_labels)) == set(range(10))  # the digit 0 is 0, never the .mat files' 10
    np.testing.assert_array_equal(images["extra"], raw["extra"])


def test_the_data_folder_comes_from_the_environment_variable(shared_dir, monkeypatch):
    monkeypatch.setenv(data.DATA_DIR_ENV, str(shared_dir))
    assert data.load("svhn_sample", "test")[0].shape == (NUM_TEST, 32, 32, 3)


def test_npz_on_the_sample_file_gives_the_same_splits(shared_dir):
    path = shared_dir / "svhn" / "svhn_train_sample.npz"
    for split in ("train", "test"):
        npz_images, npz_labels = data.load(f"npz:{path}", split)
        images, labels = data.load("svhn_sample", split, data_dir=shared_dir)
        np.testing.assert_array_equal(npz_images, images)
        np.testing.assert_array_equal(npz_labels, labels)
        assert npz_labels.dtype == np.int64


def test_npz_on_a_copy_of_the_sample_is_recognised_by_its_content(shared_dir, tmp_path):
    copy = tmp_path / "renamed.npz"
    copy.write_bytes((shared_dir / "svhn" / "svhn_train_sample.npz").read_bytes())
    assert data.load(f"npz:{copy}", "test")[0].shape == (NUM_TEST, 32, 32, 3)
    # Any other file with `x`/`y` keeps the rule for such files: all of it is `train`, there is no `test`.
    write_sample(tmp_path)
    other = tmp_path / "svhn" / "svhn_train_sample.npz"
    assert data.load(f"npz:{other}", "train")[0].shape == (NUM_TRAIN + NUM_TEST, 32, 32, 3)
    with pytest.raises(data.DatasetFileError, match="has no 'test' split"):
        data.load(f"npz:{other}", "test")


# --- family and checksum ---------------------------------------------------------------------------


def test_every_registered_dataset_states_its_family():
    families = {name: data.dataset_family(name) for name in ("svhn", "svhn_sample", "mnist", "digits")}
    assert families == {"svhn": "svhn", "svhn_sample": "svhn", "mnist": "mnist", "digits": "digits"}
    assert data.DATASET_SOURCES["svhn_sample"].family == "svhn"
    with pytest.raises(ValueError, match="Received: name='cifar'"):
        data.dataset_family("cifar")


def test_npz_family_is_known_by_the_file_hash_else_none(shared_dir, tmp_path):
    assert data.dataset_family(f"npz:{shared_dir / 'svhn' / 'svhn_train_sample.npz'}") == "svhn"
    assert data.dataset_family(f"npz:{shared_dir / 'mnist' / 'mnist.npz'}") == "mnist"
    unknown = tmp_path / "mine.npz"
    np.savez(unknown, x=np.zeros((2, 4, 4), np.uint8))
    assert data.dataset_family(f"npz:{unknown}") is None
    with pytest.raises(FileNotFoundError, match="missing.npz"):
        data.dataset_family(f"npz:{tmp_path / 'missing.npz'}")


def test_the_recorded_hashes_are_those_of_the_shared_files(shared_dir):
    def sha256(path):
        return hashlib.sha256(path.read_bytes()).hexdigest()

    assert sha256(shared_dir / "svhn" / "svhn_train_sample.npz") == official.SVHN_TRAIN_SAMPLE_SHA256
    assert sha256(shared_dir / "svhn" / "svhn_extra_sample.npz") == official.SVHN_EXTRA_SAMPLE_SHA256
    assert sha256(shared_dir / "mnist" / "mnist.npz") == official.SHARED_MNIST_NPZ_SHA256
    assert (shared_dir / "svhn" / "svhn_train_sample.npz").stat().st_size == official.SVHN_TRAIN_SAMPLE_SIZE


def test_checksum_is_the_sha256_of_the_files_behind_the_splits(shared_dir):
    train, extra = (shared_dir / "svhn" / name for name in ("svhn_train_sample.npz", "svhn_extra_sample.npz"))
    assert data.dataset_checksum(f"npz:{train}") == official.SVHN_TRAIN_SAMPLE_SHA256
    assert data.dataset_checksum("svhn_sample", ("train", "test"), data_dir=shared_dir) == (
        official.SVHN_TRAIN_SAMPLE_SHA256
    )
    assert data.dataset_checksum("svhn_sample", "extra", data_dir=shared_dir) == official.SVHN_EXTRA_SAMPLE_SHA256
    # Several files: the sha256 of their `sha256sum` lines, sorted by file name.
    lines = f"{official.SVHN_EXTRA_SAMPLE_SHA256}  {extra.name}\n{official.SVHN_TRAIN_SAMPLE_SHA256}  {train.name}\n"
    expected = hashlib.sha256(lines.encode()).hexdigest()
    assert data.dataset_checksum("svhn_sample", data_dir=shared_dir) == expected


def test_checksum_is_none_without_local_files_and_checks_its_arguments(tmp_path):
    assert data.dataset_checksum("digits") is None
    assert data.dataset_checksum("svhn", data_dir=tmp_path) is None
    assert data.dataset_checksum("svhn_sample", data_dir=tmp_path) is None
    with pytest.raises(ValueError, match=r"Received: splits=\['valid'\]"):
        data.dataset_checksum("svhn_sample", "valid", data_dir=tmp_path)
    with pytest.raises(FileNotFoundError, match="missing.npz"):
        data.dataset_checksum(f"npz:{tmp_path / 'missing.npz'}")


def test_checksum_is_computed_once_per_path_and_modification_time(tmp_path, monkeypatch):
    path = tmp_path / "mine.npz"
    path.write_bytes(b"first")
    calls = []
    real_digest = official.file_digest
    monkeypatch.setattr(official, "file_digest", lambda *args: calls.append(args) or real_digest(*args))
    first = data.dataset_checksum(f"npz:{path}")
    assert data.dataset_checksum(f"npz:{path}") == first == hashlib.sha256(b"first").hexdigest()
    assert len(calls) == 1
    path.write_bytes(b"second")
    os.utime(path, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns + 10**9))
    assert data.dataset_checksum(f"npz:{path}") == hashlib.sha256(b"second").hexdigest()
    assert len(calls) == 2


# --- files that are missing or wrong (no real data needed) -----------------------------------------


def test_a_missing_file_says_which_files_go_where(tmp_path):
    with pytest.raises(data.DatasetUnavailableError) as info:
        data.load("svhn_sample", "test", data_dir=tmp_path)
    message = str(info.value)
    assert str(tmp_path / "svhn" / "svhn_train_sample.npz") in message
    assert str(tmp_path / "svhn" / "svhn_extra_sample.npz") in message
    assert "VAE_KERAS_DATA_DIR" in message and "../shared/data" in message
    with pytest.raises(data.DatasetUnavailableError, match="svhn_extra_sample.npz not found"):
        data.load("svhn_sample", "extra", data_dir=tmp_path)


def test_a_stand_in_file_gets_the_same_contiguous_split_with_a_warning(tmp_path, caplog):
    images, labels = write_sample(tmp_path)
    with caplog.at_level(logging.WARNING, logger="vae_keras.data"):
        test_images, test_labels = data.load("svhn_sample", "test", data_dir=tmp_path)
    assert "not the recorded SVHN sample file" in caplog.text
    np.testing.assert_array_equal(test_images, images[900:])
    np.testing.assert_array_equal(test_labels, labels[900:])
    assert data.load("svhn_sample", "train", data_dir=tmp_path, verify_checksums=False)[0].shape[0] == NUM_TRAIN


@pytest.mark.parametrize(
    "arrays, message",
    [
        ({"num_images": 1000}, r"'x' must be uint8 with shape \(1083, 32, 32, 3\).*\(1000, 32, 32, 3\)"),
        ({"labels": np.full(1083, 10, np.uint8)}, r"digits 0-9 .*Received: values in \[10, 10\]"),
        ({"labels": np.zeros(1083, np.float32)}, r"one integer label per crop.*float32"),
        ({"labels": np.zeros(1083, np.uint8), "y_mat": np.full(1083, 3, np.uint8)}, r"'y' must equal 'y_mat' % 10"),
    ],
)
def test_a_file_of_the_wrong_shape_or_labels_is_refused(tmp_path, arrays, message):
    write_sample(tmp_path, **arrays)
    with pytest.raises(data.DatasetFileError, match=message):
        data.load("svhn_sample", "train", data_dir=tmp_path, verify_checksums=False)


def test_a_file_without_labels_or_not_an_npz_is_refused(tmp_path):
    (tmp_path / "svhn").mkdir()
    np.savez(tmp_path / "svhn" / "svhn_train_sample.npz", x=np.zeros((1083, 32, 32, 3), np.uint8))
    with pytest.raises(data.DatasetFileError, match=r"must hold the arrays 'x', 'y'. Received: arrays \['x'\]"):
        data.load("svhn_sample", "test", data_dir=tmp_path, verify_checksums=False)
    (tmp_path / "svhn" / "svhn_train_sample.npz").write_bytes(b"PK\x03\x04 not a zip")
    with pytest.raises(data.DatasetFileError, match="cannot be read as an .npz file"):
        data.load("svhn_sample", "test", data_dir=tmp_path, verify_checksums=False)


# --- the full SVHN's .mat route: a truncated download ----------------------------------------------


def test_the_real_truncated_mat_file_gives_a_clear_error(tmp_path):
    truncated = SHARED_DATA / "svhn" / "train_32x32_truncated.mat"
    if not truncated.is_file():
        pytest.skip(f"real truncated SVHN file not found at {truncated}: only on the project's own machines")
    with pytest.raises(data.DatasetFileError, match=r"2,686,976 bytes\) cannot be read as a MATLAB .mat file"):
        data.read_svhn_mat(truncated)
    # Under the official name, the loader says it is truncated and where to download it again.
    (tmp_path / "svhn").mkdir()
    (tmp_path / "svhn" / "train_32x32.mat").symlink_to(truncated.resolve())
    with pytest.raises(
        data.DatasetFileError, match=r"2,686,976 bytes but the official file is 182,040,794 bytes; it is truncated"
    ):
        data.load("svhn", "train", data_dir=tmp_path)


def _matlab_elements(buffer, start=0):
    """``(type, payload offset, payload size)`` of the MAT v5 data elements in ``buffer`` from ``start``."""
    position = start
    while position + 8 <= len(buffer):
        kind, size = struct.unpack("<II", buffer[position : position + 8])
        if kind >> 16:  # a small element: type and size share the first four bytes, payload in the next four
            yield kind & 0xFFFF, position + 4, kind >> 16
            position += 8
            continue
        yield kind, position + 8, size
        position += 8 + size + (-size % 8)


def test_the_svhn_loader_reads_the_official_files_real_bytes(shared_dir, raw, tmp_path):
    """The full-SVHN route on the real prefix of the official train_32x32.mat: its own header, its own
    compressed matrix of the image array, its own pixel bytes, cut to the 1,083 complete images (the
    labels, stored after the images, are not in the prefix: they come from the sample's `y_mat`)."""
    truncated = shared_dir / "svhn" / "train_32x32_truncated.mat"
    if not truncated.is_file():
        pytest.skip(f"real truncated SVHN file not found at {truncated}: only on the project's own machines")
    prefix = truncated.read_bytes()
    header, (kind, offset, _) = prefix[:128], next(_matlab_elements(prefix, 128))
    assert header.startswith(b"MATLAB 5.0 MAT-file") and kind == 15  # one zlib-compressed element
    matrix = zlib.decompressobj().decompress(prefix[offset:])
    elements = list(_matlab_elements(matrix, 8))  # inside the miMATRIX element of `X`
    flags, dims, name, pixels = elements[:4]
    assert matrix[name[1] : name[1] + name[2]] == b"X" and pixels[0] == 2  # miUINT8
    assert struct.unpack("<4i", matrix[dims[1] : dims[1] + 16]) == (32, 32, 3, 73257)
    complete = (len(matrix) - pixels[1]) // 3072
    assert complete == NUM_TRAIN + NUM_TEST
    # The file's own element for the images, with the fourth dimension and the sizes cut to what is complete.
    body = bytearray(matrix[8 : pixels[1] + complete * 3072])
    struct.pack_into("<i", body, dims[1] - 8 + 12, complete)
    struct.pack_into("<I", body, pixels[1] - 8 - 4, complete * 3072)
    body += bytes(-len(body) % 8)
    x_element = struct.pack("<II", 14, len(body)) + bytes(body)
    # The labels as MATLAB stores a (N, 1) uint8 matrix named y, written by scipy in the same layout.
    buffer = io.BytesIO()
    scipy_io.savemat(buffer, {"y": raw["y_mat"].reshape(-1, 1)}, do_compression=False)
    y_element = buffer.getvalue()[128:]
    (tmp_path / "svhn").mkdir()
    compressed = zlib.compress(x_element)
    (tmp_path / "svhn" / "train_32x32.mat").write_bytes(
        header + struct.pack("<II", 15, len(compressed)) + compressed + y_element
    )
    images, labels = data.load("svhn", "train", data_dir=tmp_path, verify_checksums=False)
    np.testing.assert_array_equal(images, raw["x"])
    np.testing.assert_array_equal(labels, raw["y"])


# --- the runner: notebooks that declare svhn run on svhn_sample ------------------------------------


def test_the_runner_reads_the_dataset_names_from_the_registry():
    bases = runner.dataset_bases()
    assert set(bases) >= {"svhn", "mnist", "digits", "npz", "svhn_sample"}
    assert tuple(runner.DATASET_BASES) == bases


def test_svhn_sample_runs_the_svhn_notebooks_and_skips_the_mnist_ones():
    declared = {name: runner.notebook_datasets(name) for name in SVHN_NOTEBOOKS + MNIST_NOTEBOOKS}
    for name in SVHN_NOTEBOOKS:
        assert "svhn" in declared[name] and "svhn_sample" not in declared[name], name
    for name in MNIST_NOTEBOOKS:
        assert "mnist" in declared[name] and "svhn" not in declared[name], name
    to_run, skipped = runner.plan(SVHN_NOTEBOOKS + MNIST_NOTEBOOKS, "svhn_sample")
    assert to_run == SVHN_NOTEBOOKS
    assert skipped == {name: "needs mnist or npz; this run used svhn_sample" for name in MNIST_NOTEBOOKS}
    with pytest.raises(ValueError, match="None of the selected notebooks runs on this dataset"):
        runner.plan(MNIST_NOTEBOOKS, "svhn_sample")


def test_a_newly_registered_dataset_is_accepted_by_name_or_family(monkeypatch):
    monkeypatch.setattr(sources, "DATASET_SOURCES", sources.Registry("dataset", "name"))
    for name, source in data.DATASET_SOURCES.items():
        sources.DATASET_SOURCES.register(name, source)
    sources.register_dataset("house_numbers", ("train",), "more SVHN-like crops", family="svhn")(lambda *a: None)
    notebooks = {"01_svhn": ["svhn"], "06_mnist": ["mnist"], "10_new": ["house_numbers"]}
    assert runner.plan(notebooks, "house_numbers") == (
        ["01_svhn", "10_new"],
        {"06_mnist": "needs mnist; this run used house_numbers"},
    )


def test_the_registry_and_the_runner_need_no_keras():
    code = (
        "import sys; from vae_keras import data; from vae_keras.writeup import runner; "
        "runner.plan(['01_svhn_data'], 'svhn_sample'); "
        "data.dataset_family('svhn_sample'); sys.exit(int('keras' in sys.modules or 'tensorflow' in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr or "importing the data registry loaded Keras"
