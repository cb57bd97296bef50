"""Tests for vae_keras.data: sources, file readers, error messages, input pipelines.

Everything runs offline. Tests on real MNIST/SVHN bytes read ../shared/data and
skip when it is absent (a fresh clone does not have it).
"""

import gzip
import hashlib
import logging
import shutil
import time
from pathlib import Path

import numpy as np
import pytest
from scipy import io as scipy_io

from vae_keras import data
from vae_keras.data import sources, tfds_source

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
SHARED_MNIST = SHARED_DATA / "mnist"
SHARED_SVHN_SAMPLE = SHARED_DATA / "svhn" / "svhn_train_sample.npz"
needs_shared_mnist = pytest.mark.skipif(
    not (SHARED_MNIST / "t10k-images-idx3-ubyte.gz").is_file(),
    reason=f"real MNIST files not found in {SHARED_MNIST}",
)
needs_shared_svhn = pytest.mark.skipif(
    not SHARED_SVHN_SAMPLE.is_file(), reason=f"real SVHN sample not found at {SHARED_SVHN_SAMPLE}"
)


@pytest.fixture(autouse=True)
def no_network(monkeypatch):
    """Any probe of a download host fails, as it does offline."""
    monkeypatch.setattr(tfds_source, "_host_reachable", lambda host, port, timeout: False)


def write_svhn_mat(path, images, labels_mat):
    """Writes images (N, 32, 32, 3) in the official layout: X (32, 32, 3, N), y (N, 1)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    scipy_io.savemat(
        path,
        {"X": np.transpose(images, (1, 2, 3, 0)), "y": np.asarray(labels_mat, np.uint8).reshape(-1, 1)},
    )


def write_idx(path, array, type_code=0x08):
    header = bytes([0, 0, type_code, array.ndim]) + b"".join(int(size).to_bytes(4, "big") for size in array.shape)
    content = header + array.tobytes()
    path.write_bytes(gzip.compress(content) if path.suffix == ".gz" else content)


def random_images(num_examples, shape=(32, 32, 3), seed=0):
    return np.random.default_rng(seed).integers(0, 256, (num_examples, *shape), dtype=np.uint8)


def epoch(dataset):
    """All batches of one pass, concatenated."""
    batches = [batch for batch in dataset.as_numpy_iterator()]
    if isinstance(batches[0], tuple):
        return tuple(np.concatenate(parts) for parts in zip(*batches))
    return np.concatenate(batches)


# --- load(): names, splits, digits -------------------------------------------------------------


def test_the_dataset_registry_lists_every_source_and_its_splits():
    assert data.dataset_names() == ("digits", "mnist", "svhn", "svhn_sample", "npz:PATH")
    assert dict(data.SPLITS)["svhn"] == ("train", "test", "extra", "train+extra")
    for name in ("mnist", "npz:/x.npz"):
        assert data.source_for(name).name == name.split(":")[0]
    for wrong in ("mnst", "npz", "mnist:/x.npz"):
        with pytest.raises(
            ValueError, match=rf"Received: name='{wrong}'. Accepted: digits, mnist, svhn, svhn_sample, npz:PATH"
        ):
            data.load(wrong)


def test_a_registered_dataset_is_loadable_by_name_and_listed(monkeypatch):
    # What a user adds for a new dataset: one reader, registered under a name.
    monkeypatch.setattr(sources, "DATASET_SOURCES", sources.Registry("dataset", "name"))
    for name, source in data.DATASET_SOURCES.items():
        sources.DATASET_SOURCES.register(name, source)

    @data.register_dataset("ramps", ("train",), "grey ramps")
    def read_ramps(split, options):
        images = np.tile(np.arange(0, 250, 10, dtype=np.uint8), (3, 25, 1))[..., None]
        return images, None, "generated ramps"

    images, labels = data.load("ramps")
    assert images.shape == (3, 25, 25, 1) and labels is None
    assert "ramps" in sources.dataset_names()
    with pytest.raises(ValueError, match="Received: split='test'. Accepted: train"):
        data.load("ramps", "test")
    with pytest.raises(ValueError, match="already registered"):
        data.register_dataset("ramps", ("train",), "again")(read_ramps)


def test_digits_splits_are_fixed_disjoint_and_cover_all(caplog):
    with caplog.at_level(logging.INFO, logger="vae_keras.data"):
        train_images, train_labels = data.load("digits", "train")
    assert [record.levelno for record in caplog.records if record.name == "vae_keras.data"] == [logging.INFO]
    assert "scikit-learn" in caplog.text
    test_images, test_labels = data.load("digits", "test")
    all_images, all_labels = data.load("digits", "all")
    assert train_images.shape == (1437, 8, 8, 1) and test_images.shape == (360, 8, 8, 1)
    assert all_images.shape == (1797, 8, 8, 1)
    assert train_images.dtype == np.uint8 and train_labels.dtype == np.int64
    assert all_images.max() == 255 and all_images.min() == 0  # 16 -> 255, 0 -> 0
    # Stratified: every digit is in the test split in proportion (about 36 each).
    assert np.bincount(test_labels, minlength=10).min() >= 34
    # Same split on every call; train and test together are exactly "all".
    again_images, _ = data.load("digits", "train")
    np.testing.assert_array_equal(again_images, train_images)
    combined = np.concatenate([train_images, test_images]).reshape(1797, -1)
    assert sorted(map(bytes, combined)) == sorted(map(bytes, all_images.reshape(1797, -1)))
    assert sorted(np.concatenate([train_labels, test_labels])) == sorted(all_labels)


def test_unknown_dataset_name_lists_valid_names():
    with pytest.raises(ValueError, match=r"name='cifar10'.*digits, mnist, svhn.*npz:PATH"):
        data.load("cifar10")


def test_unknown_split_lists_valid_splits():
    with pytest.raises(ValueError, match=r"split='validation'.*train, test, extra, train\+extra"):
        data.load("svhn", "validation")
    with pytest.raises(ValueError, match=r"split='extra'.*train, test, all"):
        data.load("digits", "extra")


def test_bad_download_timeout_is_rejected():
    with pytest.raises(ValueError, match="download_timeout=-1"):
        data.load("digits", download_timeout=-1)


def test_data_dir_defaults_to_environment_variable(monkeypatch, tmp_path):
    monkeypatch.setenv("VAE_KERAS_DATA_DIR", str(tmp_path))
    assert data.default_data_dir() == tmp_path
    monkeypatch.delenv("VAE_KERAS_DATA_DIR")
    assert data.default_data_dir() == Path(data.__file__).resolve().parents[2] / "data"


# --- SVHN .mat files ---------------------------------------------------------------------------


def test_svhn_mat_reader_transposes_and_maps_label_10_to_0(tmp_path):
    images = random_images(5)
    path = tmp_path / "small_32x32.mat"
    write_svhn_mat(path, images, [10, 1, 2, 9, 10])
    read_images, read_labels = data.read_svhn_mat(path)
    np.testing.assert_array_equal(read_images, images)
    np.testing.assert_array_equal(read_labels, [0, 1, 2, 9, 0])
    assert read_images.flags["C_CONTIGUOUS"] and read_labels.dtype == np.int64


def test_svhn_load_from_local_files_and_train_plus_extra(tmp_path, caplog):
    train, extra = random_images(4, seed=1), random_images(3, seed=2)
    write_svhn_mat(tmp_path / "svhn" / "train_32x32.mat", train, [1, 2, 3, 10])
    write_svhn_mat(tmp_path / "svhn" / "extra_32x32.mat", extra, [4, 5, 10])
    with caplog.at_level(logging.INFO, logger="vae_keras.data"):
        images, labels = data.load("svhn", "train+extra", data_dir=tmp_path, verify_checksums=False)
    assert images.shape == (7, 32, 32, 3) and images.dtype == np.uint8
    np.testing.assert_array_equal(images, np.concatenate([train, extra]))
    np.testing.assert_array_equal(labels, [1, 2, 3, 0, 4, 5, 0])
    assert "local files" in caplog.text and "extra_32x32.mat" in caplog.text


def test_svhn_official_name_with_wrong_size_names_file_and_sizes(tmp_path):
    path = tmp_path / "svhn" / "test_32x32.mat"
    write_svhn_mat(path, random_images(2), [1, 2])
    size = path.stat().st_size
    with pytest.raises(data.DatasetFileError, match=rf"test_32x32.mat is {size:,} bytes.*64,275,384 bytes"):
        data.load("svhn", "test", data_dir=tmp_path)


def test_svhn_official_size_with_wrong_hash_is_rejected(tmp_path, monkeypatch):
    path = tmp_path / "svhn" / "train_32x32.mat"
    write_svhn_mat(path, random_images(2), [1, 2])
    wrong = {"size": path.stat().st_size, "sha256": "0" * 64}
    monkeypatch.setitem(data.SVHN_FILES, "train_32x32.mat", wrong)
    with pytest.raises(data.DatasetFileError, match=r"train_32x32.mat .* has sha256 [0-9a-f]{64}"):
        data.load("svhn", data_dir=tmp_path)
    right = {"size": wrong["size"], "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
    monkeypatch.setitem(data.SVHN_FILES, "train_32x32.mat", right)
    assert data.load("svhn", data_dir=tmp_path)[0].shape == (2, 32, 32, 3)


def test_svhn_corrupt_or_wrong_layout_mat_files(tmp_path):
    corrupt = tmp_path / "corrupt.mat"
    corrupt.write_bytes(b"MATLAB 5.0 MAT-file" + bytes(50))
    with pytest.raises(data.DatasetFileError, match="corrupt.mat"):
        data.read_svhn_mat(corrupt)
    truncated = tmp_path / "truncated.mat"
    write_svhn_mat(truncated, random_images(3), [1, 2, 3])
    truncated.write_bytes(truncated.read_bytes()[:-2000])
    with pytest.raises(data.DatasetFileError, match="truncated.mat"):
        data.read_svhn_mat(truncated)
    wrong_shape = tmp_path / "wrong_shape.mat"
    scipy_io.savemat(wrong_shape, {"X": np.zeros((28, 28, 1, 2), np.uint8), "y": np.ones((2, 1))})
    with pytest.raises(data.DatasetFileError, match=r"\(32, 32, 3, N\).*\(28, 28, 1, 2\)"):
        data.read_svhn_mat(wrong_shape)
    bad_labels = tmp_path / "bad_labels.mat"
    write_svhn_mat(bad_labels, random_images(2), [0, 11])
    with pytest.raises(data.DatasetFileError, match="labels 1..10"):
        data.read_svhn_mat(bad_labels)
    with pytest.raises(FileNotFoundError, match="missing.mat"):
        data.read_svhn_mat(tmp_path / "missing.mat")


@needs_shared_svhn
def test_real_svhn_sample_loads_through_npz():
    # The sample file is recognised by its sha256 and split as `svhn_sample` (tests/test_svhn_sample.py).
    images, labels = data.load(f"npz:{SHARED_SVHN_SAMPLE}")
    assert images.shape == (900, 32, 32, 3) and images.dtype == np.uint8
    with np.load(SHARED_SVHN_SAMPLE) as sample:
        np.testing.assert_array_equal(labels, sample["y_mat"][:900] % 10)
    assert set(np.unique(labels)) == set(range(10))


@needs_shared_svhn
def test_real_svhn_crops_round_trip_through_the_official_mat_layout(tmp_path):
    with np.load(SHARED_SVHN_SAMPLE) as sample:
        images, labels_mat = sample["x"][:50], sample["y_mat"][:50]
    write_svhn_mat(tmp_path / "svhn" / "test_32x32.mat", images, labels_mat)
    read_images, read_labels = data.load("svhn", "test", data_dir=tmp_path, verify_checksums=False)
    np.testing.assert_array_equal(read_images, images)
    np.testing.assert_array_equal(read_labels, labels_mat % 10)


# --- MNIST: IDX and npz ------------------------------------------------------------------------


@needs_shared_mnist
def test_idx_reader_on_the_real_canonical_files():
    images = data.read_idx(SHARED_MNIST / "t10k-images-idx3-ubyte.gz")
    labels = data.read_idx(SHARED_MNIST / "t10k-labels-idx1-ubyte.gz")
    train_labels = data.read_idx(SHARED_MNIST / "train-labels-idx1-ubyte.gz")
    assert images.shape == (10000, 28, 28) and images.dtype == np.uint8
    assert labels.shape == (10000,) and train_labels.shape == (60000,)
    np.testing.assert_array_equal(labels[:10], [7, 2, 1, 0, 4, 1, 4, 9, 5, 9])
    np.testing.assert_array_equal(train_labels[:10], [5, 0, 4, 1, 9, 2, 1, 3, 1, 4])
    assert np.bincount(labels).tolist()[:3] == [980, 1135, 1032]
    with np.load(SHARED_MNIST / "mnist.npz") as keras_layout:
        np.testing.assert_array_equal(images, keras_layout["x_test"])


@needs_shared_mnist
def test_mnist_load_prefers_checked_idx_files_then_npz(caplog):
    with caplog.at_level(logging.INFO, logger="vae_keras.data"):
        test_images, test_labels = data.load("mnist", "test", data_dir=SHARED_DATA)
        train_images, train_labels = data.load("mnist", "train", data_dir=SHARED_DATA)
    assert test_images.shape == (10000, 28, 28, 1) and test_labels.dtype == np.int64
    assert train_images.shape == (60000, 28, 28, 1) and train_labels.shape == (60000,)
    messages = [record.getMessage() for record in caplog.records if record.levelno == logging.INFO]
    assert "local IDX files" in messages[0]  # test split: both IDX files are there
    assert "mnist.npz" in messages[1]  # train split: no train-images IDX, so the npz
    # Not Keras's canonical npz: loaded anyway, with a warning.
    assert any(record.levelno == logging.WARNING for record in caplog.records)


def test_idx_reader_handles_dtypes_and_rejects_bad_files(tmp_path):
    array = np.arange(24, dtype=">i2").reshape(2, 3, 4)
    write_idx(tmp_path / "shorts-idx3.gz", array, type_code=0x0B)
    read = data.read_idx(tmp_path / "shorts-idx3.gz")
    np.testing.assert_array_equal(read, array)
    assert read.dtype == np.int16 and read.dtype.isnative

    truncated = tmp_path / "truncated-idx3-ubyte"
    write_idx(truncated, np.zeros((5, 28, 28), np.uint8))
    truncated.write_bytes(truncated.read_bytes()[:-10])
    with pytest.raises(data.DatasetFileError, match=r"truncated.*3,926 bytes.*3,936"):
        data.read_idx(truncated)

    bad_magic = tmp_path / "bad-magic"
    bad_magic.write_bytes(b"\x1f\x8b\x08\x00" + bytes(20))
    with pytest.raises(data.DatasetFileError, match="magic number is 1f8b0800"):
        data.read_idx(bad_magic)

    cut_gzip = tmp_path / "cut-idx1-ubyte.gz"
    write_idx(cut_gzip, np.arange(200, dtype=np.uint8))
    cut_gzip.write_bytes(cut_gzip.read_bytes()[:40])
    with pytest.raises(data.DatasetFileError, match="cut-idx1-ubyte.gz"):
        data.read_idx(cut_gzip)


@needs_shared_mnist
def test_truncated_official_mnist_file_names_file_and_expected_size(tmp_path):
    mnist_dir = tmp_path / "mnist"
    mnist_dir.mkdir()
    shutil.copy(SHARED_MNIST / "t10k-images-idx3-ubyte.gz", mnist_dir)
    labels = (SHARED_MNIST / "t10k-labels-idx1-ubyte.gz").read_bytes()
    (mnist_dir / "t10k-labels-idx1-ubyte.gz").write_bytes(labels[:-100])
    with pytest.raises(data.DatasetFileError, match=r"t10k-labels-idx1-ubyte.gz is 4,442 bytes.*4,542"):
        data.load("mnist", "test", data_dir=tmp_path)


def test_mnist_from_a_local_npz(tmp_path, caplog):
    (tmp_path / "mnist").mkdir()
    images = random_images(6, (28, 28))
    np.savez(
        tmp_path / "mnist" / "mnist.npz",
        x_train=images,
        y_train=np.arange(6, dtype=np.uint8),
        x_test=images[:2],
        y_test=np.arange(2, dtype=np.uint8),
    )
    with caplog.at_level(logging.INFO, logger="vae_keras.data"):
        loaded, labels = data.load("mnist", "test", data_dir=tmp_path)
    assert loaded.shape == (2, 28, 28, 1) and labels.dtype == np.int64
    np.testing.assert_array_equal(loaded[..., 0], images[:2])
    assert "canonical" in caplog.text  # a warning, not an error


# --- npz:PATH ----------------------------------------------------------------------------------


def test_npz_source_keras_layout_and_errors(tmp_path):
    path = tmp_path / "toy.npz"
    images = random_images(4, (5, 5))
    np.savez(path, x_train=images, y_train=np.arange(4), x_test=images[:1], y_test=np.zeros(1, int))
    train_images, train_labels = data.load(f"npz:{path}", "train")
    assert train_images.shape == (4, 5, 5, 1) and train_labels.tolist() == [0, 1, 2, 3]
    assert data.load(f"npz:{path}", "test")[0].shape == (1, 5, 5, 1)

    with pytest.raises(FileNotFoundError, match="missing.npz"):
        data.load(f"npz:{tmp_path / 'missing.npz'}")
    with pytest.raises(ValueError, match=r"split='extra'.*train, test"):
        data.load(f"npz:{path}", "extra")

    corrupt = tmp_path / "corrupt.npz"
    corrupt.write_bytes(path.read_bytes()[:100])
    with pytest.raises(data.DatasetFileError, match="corrupt.npz"):
        data.load(f"npz:{corrupt}")

    no_keys = tmp_path / "no_keys.npz"
    np.savez(no_keys, images=images)
    with pytest.raises(data.DatasetFileError, match=r"x_train.*Received: arrays \['images'\]"):
        data.load(f"npz:{no_keys}")

    signed = tmp_path / "signed.npz"
    np.savez(signed, x_train=images.astype(np.int16) - 256, y_train=np.arange(4))
    with pytest.raises(data.DatasetFileError, match="uint8"):
        data.load(f"npz:{signed}")

    rank_two = tmp_path / "rank_two.npz"
    np.savez(rank_two, x_train=images.reshape(4, -1), y_train=np.arange(4))
    with pytest.raises(data.DatasetFileError, match=r"\(N, H, W\).*\(4, 25\)"):
        data.load(f"npz:{rank_two}")

    mismatched = tmp_path / "mismatched.npz"
    np.savez(mismatched, x_train=images, y_train=np.arange(3))
    with pytest.raises(data.DatasetFileError, match="one entry per image"):
        data.load(f"npz:{mismatched}")


def test_npz_with_only_x_and_y_says_which_arrays_it_has_and_how_to_choose_the_split(tmp_path):
    path = tmp_path / "single.npz"
    np.savez(path, x=random_images(4, (5, 5)), y=np.arange(4))
    assert data.load(f"npz:{path}", "train")[0].shape == (4, 5, 5, 1)
    with pytest.raises(data.DatasetFileError) as info:
        data.load(f"npz:{path}", "test")
    message = str(info.value)
    assert "Received: arrays ['x', 'y']" in message
    assert "--test-split" in message and "test_split" in message and "x_test" in message


@pytest.mark.parametrize("channels", [1, 3])
def test_npz_rejects_channels_first_images_at_load_time(tmp_path, channels):
    path = tmp_path / "channels_first.npz"
    images = random_images(4, (channels, 6, 6))
    np.savez(path, x_train=images, y_train=np.arange(4))
    with pytest.raises(data.DatasetFileError) as info:
        data.load(f"npz:{path}", "train")
    message = str(info.value)
    assert f"(4, {channels}, 6, 6)" in message and "np.transpose(x, (0, 2, 3, 1))" in message
    # The transposed array loads.
    np.savez(path, x_train=np.transpose(images, (0, 2, 3, 1)), y_train=np.arange(4))
    assert data.load(f"npz:{path}", "train")[0].shape == (4, 6, 6, channels)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_npz_accepts_float_images_in_the_unit_interval_as_rounded_levels(tmp_path, dtype):
    path = tmp_path / "floats.npz"
    images = random_images(4, (5, 5, 3))
    np.savez(path, x_train=(images / 255.0).astype(dtype), y_train=np.arange(4))
    loaded, _ = data.load(f"npz:{path}", "train")
    assert loaded.dtype == np.uint8
    np.testing.assert_array_equal(loaded, images)  # round(x * 255) undoes / 255 exactly
    # Values between levels are rounded to the nearest one.
    np.savez(path, x_train=np.full((2, 4, 4), 0.5, dtype), y_train=np.arange(2))
    assert np.all(data.load(f"npz:{path}", "train")[0] == 128)


@pytest.mark.parametrize(("low", "high"), [(0.0, 255.0), (-0.5, 0.5)])
def test_npz_rejects_float_images_outside_the_unit_interval(tmp_path, low, high):
    path = tmp_path / "floats.npz"
    images = np.linspace(low, high, 4 * 25).reshape(4, 5, 5)
    np.savez(path, x_train=images, y_train=np.arange(4))
    with pytest.raises(data.DatasetFileError, match=rf"\[0, 1\].*values in \[{low:g}, {high:g}\]"):
        data.load(f"npz:{path}", "train")


# --- tensorflow-datasets and the no-network error ---------------------------------------------


@pytest.mark.parametrize(("name", "shape"), [("mnist", (28, 28, 1)), ("svhn", (32, 32, 3))])
def test_tfds_source_with_tfds_mocks(tmp_path, caplog, name, shape):
    import tensorflow_datasets as tfds

    with tfds.testing.mock_data(num_examples=7), caplog.at_level(logging.INFO, logger="vae_keras.data"):
        images, labels = data.load(name, "test", data_dir=tmp_path)
    assert images.shape == (7, *shape) and images.dtype == np.uint8
    assert labels.shape == (7,) and labels.dtype == np.int64
    assert labels.min() >= 0 and labels.max() <= 9
    assert "tensorflow-datasets" in caplog.text


def test_no_network_error_says_what_to_download_and_where(tmp_path):
    with pytest.raises(data.DatasetUnavailableError) as raised:
        data.load("svhn", "train+extra", data_dir=tmp_path)
    message = str(raised.value)
    assert isinstance(raised.value, FileNotFoundError)
    assert "http://ufldl.stanford.edu/housenumbers/train_32x32.mat" in message
    assert "http://ufldl.stanford.edu/housenumbers/extra_32x32.mat" in message
    assert str(tmp_path / "svhn" / "train_32x32.mat") in message
    assert "did not answer" in message and "load('digits')" in message
    assert not any(path.is_file() for path in tmp_path.rglob("*"))  # nothing half-written

    with pytest.raises(data.DatasetUnavailableError, match=r"cvdf-datasets/mnist/train-images-idx3-ubyte.gz"):
        data.load("mnist", data_dir=tmp_path, download=False)


def test_download_that_stalls_is_stopped_and_cleaned_up(tmp_path, monkeypatch):
    # The host "answers", but the download (a stand-in for tfds) writes a
    # partial file and then hangs: it must be killed after download_timeout.
    monkeypatch.setattr(tfds_source, "_host_reachable", lambda host, port, timeout: True)
    hang = (
        "import os, sys, time; d = os.path.join(sys.argv[2], 'downloads', 'x.tmp.1'); "
        "os.makedirs(d); open(os.path.join(d, 'part'), 'w').write('partial'); time.sleep(600)"
    )
    monkeypatch.setattr(tfds_source, "_TFDS_DOWNLOAD_SCRIPT", hang)
    start = time.monotonic()
    with pytest.raises(data.DatasetUnavailableError, match="wrote nothing for 1 s"):
        data.load("mnist", data_dir=tmp_path, download_timeout=1.0)
    assert time.monotonic() - start < 20
    assert not any(path.is_file() for path in tmp_path.rglob("*"))


def test_failed_download_reports_the_error(tmp_path, monkeypatch):
    monkeypatch.setattr(tfds_source, "_host_reachable", lambda host, port, timeout: True)
    monkeypatch.setattr(tfds_source, "_TFDS_DOWNLOAD_SCRIPT", "raise SystemExit('no route to host')")
    with pytest.raises(data.DatasetUnavailableError, match="exit code 1: no route to host"):
        data.load("svhn", data_dir=tmp_path)


def test_host_probe_fails_fast_when_sockets_fail(monkeypatch):
    monkeypatch.undo()  # use the real _host_reachable

    def refuse(*args, **kwargs):
        raise OSError("network is unreachable")

    monkeypatch.setattr(tfds_source.socket, "create_connection", refuse)
    assert tfds_source._host_reachable("ufldl.stanford.edu", 80, timeout=1.0) is False


# --- train_validation_split --------------------------------------------------------------------


def test_train_validation_split_is_seeded_and_disjoint():
    images, labels = np.arange(100)[:, None], np.arange(100)
    (x_train, y_train), (x_validation, y_validation) = data.train_validation_split(images, labels, 0.2, seed=3)
    assert len(x_train) == 80 and len(x_validation) == 20
    assert set(y_train).isdisjoint(y_validation) and set(y_train) | set(y_validation) == set(range(100))
    np.testing.assert_array_equal(x_train[:, 0], y_train)  # images and labels stay aligned
    (_, again), _ = data.train_validation_split(images, labels, 0.2, seed=3)
    (_, other), _ = data.train_validation_split(images, labels, 0.2, seed=4)
    np.testing.assert_array_equal(again, y_train)
    assert not np.array_equal(other, y_train)


@pytest.mark.parametrize("fraction", [0.0, 1.0, -0.1, "0.1"])
def test_train_validation_split_rejects_bad_fractions(fraction):
    with pytest.raises(ValueError, match="validation_fraction"):
        data.train_validation_split(np.zeros((10, 2)), np.zeros(10), fraction)


def test_train_validation_split_rejects_mismatched_lengths():
    with pytest.raises(ValueError, match=r"shape \(10, 2\).*shape \(9,\)"):
        data.train_validation_split(np.zeros((10, 2)), np.zeros(9))


# --- make_dataset (tf.data) --------------------------------------------------------------------


def test_make_dataset_scales_uint8_and_batches():
    images = random_images(10, (4, 4, 1))
    dataset = data.make_dataset(images, 4, shuffle=False)
    batches = list(dataset.as_numpy_iterator())
    assert [batch.shape for batch in batches] == [(4, 4, 4, 1), (4, 4, 4, 1), (2, 4, 4, 1)]
    assert batches[0].dtype == np.float32
    np.testing.assert_allclose(np.concatenate(batches), images / 255.0, rtol=1e-6)
    dropped = list(data.make_dataset(images, 4, drop_remainder=True).as_numpy_iterator())
    assert len(dropped) == 2


def test_make_dataset_passes_float_features_through_with_labels():
    features = np.random.default_rng(0).normal(size=(9, 3)) * 10
    x, y = epoch(data.make_dataset(features, 4, shuffle=False, labels=np.arange(9)))
    assert x.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_allclose(x, features, rtol=1e-6)  # model-space values: no scaling
    np.testing.assert_array_equal(y, np.arange(9))


def test_make_dataset_shuffle_is_seeded_and_changes_every_epoch():
    images = np.repeat(np.arange(50, dtype=np.uint8), 4).reshape(50, 2, 2, 1)
    labels = np.arange(50)
    dataset = data.make_dataset(images, 8, seed=7, labels=labels)
    first_x, first_y = epoch(dataset)
    _, second_y = epoch(dataset)
    assert sorted(first_y) == list(range(50)) and not np.array_equal(first_y, np.arange(50))
    assert not np.array_equal(first_y, second_y)
    np.testing.assert_allclose(first_x[:, 0, 0, 0], first_y / 255.0, rtol=1e-6)  # pairs stay aligned
    same_seed = data.make_dataset(images, 8, seed=7, labels=labels)
    np.testing.assert_array_equal(epoch(same_seed)[1], first_y)
    np.testing.assert_array_equal(epoch(same_seed)[1], second_y)
    assert not np.array_equal(epoch(data.make_dataset(images, 8, seed=8, labels=labels))[1], first_y)


def test_make_dataset_dynamic_binarisation():
    images = np.full((64, 8, 8, 1), 77, np.uint8)  # intensity 0.302
    dataset = data.make_dataset(images, 16, shuffle=False, binarize=True, seed=1)
    first, second = epoch(dataset), epoch(dataset)
    assert set(np.unique(first)) == {0.0, 1.0} and first.dtype == np.float32
    assert not np.array_equal(first, second)  # redrawn every epoch
    assert abs(first.mean() - 77 / 255) < 0.02  # P(1) = intensity (4096 draws: sd 0.007)
    again = data.make_dataset(images, 16, shuffle=False, binarize=True, seed=1)
    np.testing.assert_array_equal(epoch(again), first)
    np.testing.assert_array_equal(epoch(again), second)
    assert not np.array_equal(epoch(data.make_dataset(images, 16, binarize=True, seed=2)), first)
    repeated = iter(data.make_dataset(images, 64, shuffle=False, binarize=True, seed=1, repeat=True))
    assert not np.array_equal(next(repeated).numpy(), next(repeated).numpy())


def test_make_dataset_epoch_is_a_function_of_seed_and_epoch_only():
    """A pipeline started at epoch e (a resumed training) gives epoch e of one started at 0, with or without repeat."""
    images = np.repeat(np.arange(40, dtype=np.uint8), 4).reshape(40, 2, 2, 1)
    options = dict(seed=4, binarize=True, labels=np.arange(40))
    repeated = iter(data.make_dataset(images, 8, repeat=True, **options))
    from_zero = [tuple(np.concatenate(part) for part in zip(*[next(repeated) for _ in range(5)])) for _ in range(4)]
    once = data.make_dataset(images, 8, **options)
    for number in range(4):
        np.testing.assert_array_equal(epoch(once)[1], from_zero[number][1])  # each iteration is the next epoch
    for first_epoch in (2, 3):
        resumed = data.make_dataset(images, 8, repeat=True, first_epoch=first_epoch, **options)
        x, y = epoch(resumed.take(5))
        np.testing.assert_array_equal(y, from_zero[first_epoch][1])  # the order
        np.testing.assert_array_equal(x, from_zero[first_epoch][0])  # the noise
        x, y = epoch(data.make_dataset(images, 8, first_epoch=first_epoch, **options))
        np.testing.assert_array_equal(x, from_zero[first_epoch][0])
    assert not np.array_equal(from_zero[2][1], from_zero[3][1])
    # No dependence on TensorFlow's global seed (keras.utils.set_random_seed), only on `seed`.
    import keras

    keras.utils.set_random_seed(123)
    np.testing.assert_array_equal(epoch(data.make_dataset(images, 8, first_epoch=3, **options))[0], from_zero[3][0])
    with pytest.raises(ValueError, match="first_epoch=-1"):
        data.make_dataset(images, 8, first_epoch=-1)


def test_make_dataset_uniform_dequantisation():
    images = random_images(40, (4, 4, 3))
    images[0] = 255
    images[1] = 0
    dataset = data.make_dataset(images, 10, shuffle=False, dequantize=True, seed=0)
    first, second = epoch(dataset), epoch(dataset)
    assert first.min() >= 0.0 and first.max() < 1.0
    np.testing.assert_array_equal(np.floor(first * 256).astype(np.uint8), images)
    assert not np.array_equal(first, second)


def test_make_dataset_feeds_model_fit():
    import keras

    images = random_images(32, (4, 4, 1))
    model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    dataset = data.make_dataset(images, 8, binarize=True, labels=np.arange(32) % 2)
    history = model.fit(dataset, epochs=3, shuffle=False, verbose=0)
    assert len(history.history["loss"]) == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"images": np.zeros((4, 8, 8), np.uint8)}, r"\(N, H, W, C\) images.*rank 3"),
        ({"images": np.zeros((4, 8, 8, 1), np.int64)}, "dtype int64"),
        ({"images": np.full((4, 2), np.nan)}, "8 NaN or infinite"),
        ({"images": np.zeros((0, 8, 8, 1), np.uint8)}, "at least one example"),
        ({"batch_size": 0}, "batch_size=0"),
        ({"binarize": True, "dequantize": True}, "binarize=True and dequantize=True"),
        ({"images": np.zeros((4, 2), np.float32), "dequantize": True}, "needs uint8"),
        ({"images": np.full((4, 2), 3.0), "binarize": True}, r"values in \[3, 3\]"),
        ({"labels": np.arange(3)}, r"labels with shape \(3,\) for 4 images"),
    ],
)
def test_make_dataset_rejects_bad_inputs(kwargs, message):
    arguments = {"images": np.zeros((4, 8, 8, 1), np.uint8), "batch_size": 2, **kwargs}
    images, batch_size = arguments.pop("images"), arguments.pop("batch_size")
    with pytest.raises(ValueError, match=message):
        data.make_dataset(images, batch_size, **arguments)
    with pytest.raises(ValueError, match=message):
        data.ArrayDataset(images, batch_size, **arguments)


# --- ArrayDataset (keras.utils.PyDataset, no TensorFlow) ----------------------------------------


def test_array_dataset_matches_make_dataset_semantics():
    images = np.full((20, 4, 4, 1), 128, np.uint8)
    labels = np.arange(20)
    dataset = data.ArrayDataset(images, 8, binarize=True, seed=3, labels=labels)
    assert len(dataset) == 3
    assert len(data.ArrayDataset(images, 8, drop_remainder=True)) == 2
    x, y = dataset[0]
    assert x.shape == (8, 4, 4, 1) and x.dtype == np.float32 and set(np.unique(x)) == {0.0, 1.0}
    first = np.concatenate([dataset[index][0] for index in range(3)])
    first_labels = np.concatenate([dataset[index][1] for index in range(3)])
    assert sorted(first_labels) == list(range(20))
    np.testing.assert_array_equal(dataset[0][0], x)  # same epoch, same batch: same draw
    dataset.on_epoch_end()
    second = np.concatenate([dataset[index][0] for index in range(3)])
    second_labels = np.concatenate([dataset[index][1] for index in range(3)])
    assert not np.array_equal(first, second) and not np.array_equal(first_labels, second_labels)
    fresh = data.ArrayDataset(images, 8, binarize=True, seed=3, labels=labels)
    np.testing.assert_array_equal(np.concatenate([fresh[index][0] for index in range(3)]), first)
    fresh.set_epoch(1)
    np.testing.assert_array_equal(np.concatenate([fresh[index][1] for index in range(3)]), second_labels)

    features = np.linspace(-5, 5, 12).reshape(6, 2)
    (unscaled,) = data.ArrayDataset(features, 6, shuffle=False)[0]
    np.testing.assert_allclose(unscaled, features)
    (dequantized,) = data.ArrayDataset(random_images(6, (3, 3, 1)), 6, shuffle=False, dequantize=True)[0]
    assert dequantized.min() >= 0.0 and dequantized.max() < 1.0


def test_array_dataset_follows_fit_epochs_through_its_callback():
    """``fit(initial_epoch=e)`` with ``epoch_callback`` reads epoch e's batches, whatever Keras's on_epoch_end calls."""
    import keras

    class Recording(data.ArrayDataset):
        def __getitem__(self, index):
            self.read.append(self.epoch)
            return super().__getitem__(index)

    def fit(initial_epoch, epochs):
        dataset = Recording(random_images(24, (4, 4, 1)), 8, labels=np.arange(24) % 2, first_epoch=initial_epoch)
        dataset.read = []
        model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(2)])
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
        callbacks = [dataset.epoch_callback()]
        model.fit(dataset, epochs=epochs, initial_epoch=initial_epoch, shuffle=False, verbose=0, callbacks=callbacks)
        return dataset.read

    # Keras reads a batch to build the model, then every epoch's 3 batches, each on fit's epoch.
    assert fit(0, 3)[-9:] == [0] * 3 + [1] * 3 + [2] * 3
    assert fit(2, 4)[-6:] == [2] * 3 + [3] * 3
    with pytest.raises(ValueError, match="first_epoch=1.5"):
        data.ArrayDataset(random_images(4, (2, 2, 1)), 2, first_epoch=1.5)


def test_array_dataset_feeds_model_fit():
    import keras

    model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Flatten(), keras.layers.Dense(2)])
    model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy")
    dataset = data.ArrayDataset(random_images(24, (4, 4, 1)), 8, labels=np.arange(24) % 2)
    model.fit(dataset, epochs=2, shuffle=False, verbose=0)
    # Keras calls on_epoch_end after each epoch (and, in Keras 3.15, once when fit starts).
    assert dataset.epoch >= 2
