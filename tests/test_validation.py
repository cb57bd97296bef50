"""The validation pass before any work (``vae_keras.validation``), and the messages of the cases a new user
met on unseen datasets (issue 30): each is refused before training, with what was received and what is
accepted, and leaves no run folder behind."""

import numpy as np
import pytest

from vae_keras import cli, config, data, train, validation
from vae_keras.writeup import runner


def _images(count, shape=(8, 8, 1), seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(count, *shape), dtype=np.uint8)


def _npz(path, x_train, y_train=None, x_test=None, y_test=None):
    """A Keras-layout .npz of the arrays given; ``npz:PATH`` for the config."""
    arrays = {"x_train": x_train, "x_test": x_train[:5] if x_test is None else x_test}
    if y_train is not None:
        arrays["y_train"] = y_train
        arrays["y_test"] = y_train[:5] if y_test is None else y_test
    np.savez(path, **arrays)
    return f"npz:{path}"


def _config(dataset, **changes):
    settings = dict(dataset=dataset, binarize=True, latent_dim=2, hidden_units=(8,), batch_size=10, num_epochs=1)
    return config.ExperimentConfig(**{**settings, "tensorboard": False, **changes})


def _refused(config_, run_dir, *texts):
    """``train.train`` raises ``ValueError`` naming every text, and leaves no run folder."""
    with pytest.raises(ValueError) as raised:
        train.train(config_, run_dir, verbose=0)
    for text in texts:
        assert text in str(raised.value), str(raised.value)
    assert not run_dir.exists()
    return str(raised.value)


# --------------------------------------------------------------------------
# The data: every split, before the first epoch
# --------------------------------------------------------------------------


def test_an_empty_test_split_is_refused_before_training(tmp_path):
    dataset = _npz(tmp_path / "d.npz", _images(30), x_test=_images(0))
    _refused(_config(dataset), tmp_path / "run", "test_split='test' with 0 images", "Accepted: a split that holds")


def test_two_channel_images_are_refused_before_training(tmp_path):
    dataset = _npz(tmp_path / "d.npz", _images(30, (8, 8, 2)))
    _refused(_config(dataset), tmp_path / "run", "(8, 8, 2), 2 channels", "Accepted: 1 or 3 channels")


def test_a_test_split_of_another_image_size_is_refused_before_training(tmp_path):
    dataset = _npz(tmp_path / "d.npz", _images(30), x_test=_images(5, (16, 16, 1)))
    _refused(_config(dataset), tmp_path / "run", "test_split='test' with images of shape (16, 16, 1)", "(8, 8, 1)")


def test_negative_labels_of_a_conditional_run_are_refused_before_training(tmp_path):
    labels = np.arange(30) % 4 - 1  # -1..2
    dataset = _npz(tmp_path / "d.npz", _images(30), y_train=labels)
    _refused(_config(dataset, conditional=True), tmp_path / "run", "labels in [-1, 2]", "Accepted: integers in [0,")
    # Without conditional=True the labels are not used: the same data is accepted.
    validation.check_data(_config(dataset), *train.load_splits(_config(dataset)))


def test_test_labels_beyond_the_training_labels_are_refused_for_a_conditional_run(tmp_path):
    dataset = _npz(tmp_path / "d.npz", _images(30), y_train=np.arange(30) % 3, y_test=np.array([0, 1, 2, 5, 1]))
    _refused(_config(dataset, conditional=True), tmp_path / "run", "test_split='test' with labels in [0, 5]", "[0, 2]")


def test_a_split_of_one_shape_with_labels_passes_and_returns_the_number_of_classes(tmp_path):
    dataset = _npz(tmp_path / "d.npz", _images(30, (8, 8, 3)), y_train=np.arange(30) % 3)
    assert validation.check_data(_config(dataset, conditional=True), *train.load_splits(_config(dataset))) == 3


# --------------------------------------------------------------------------
# --out: not a file, creatable
# --------------------------------------------------------------------------


def test_an_out_that_is_a_file_is_refused_by_train_and_run(tmp_path, capsys):
    existing = tmp_path / "results.txt"
    existing.write_text("not a folder")
    status = cli.main(["train", "--dataset", "digits", "--num-epochs", "1", "--out", str(existing)])
    err = capsys.readouterr().err
    assert status == cli.EXIT_BAD_INPUT, err
    assert f"--out={str(existing)!r}, an existing file" in err and "Accepted: an existing folder" in err
    status = cli.main(["run", "--profile", "smoke", "--only", "01", "--out", str(existing)])
    err = capsys.readouterr().err
    assert status == cli.EXIT_BAD_INPUT, err
    assert f"--out={str(existing)!r}, an existing file" in err
    assert existing.read_text() == "not a folder"
    with pytest.raises(ValueError, match=r"results.txt' above it is a file. Received: run_dir='.*results.txt/run'"):
        validation.check_out(existing / "run")


def test_the_python_api_refuses_a_run_dir_that_is_a_file(tmp_path):
    existing = tmp_path / "run"
    existing.write_text("")
    with pytest.raises(ValueError, match=r"`run_dir` must be a folder\. Received: run_dir="):
        train.train(_config("digits", batch_size=100), existing, verbose=0)


# --------------------------------------------------------------------------
# The size of the model: counted, warned about, refused above a stated size
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "input_shape", "num_classes"),
    [
        ({}, (8, 8, 1), None),
        (
            dict(hidden_units=(32, 16), decoder_units=(7,), likelihood="gaussian_fitted", binarize=False,
                 batch_norm=True, split_encoder_output=True),
            (8, 8, 1),
            None,
        ),
        ({"conditional": True}, (8, 8, 1), 10),
        ({"decoder_units": (0,)}, (8, 8, 3), None),
        ({"architecture": "conv", "conv_filters": (4, 8), "hidden_units": (16,)}, (8, 8, 1), None),
        (
            dict(architecture="conv", conv_filters=(4,), hidden_units=(16,), batch_norm=True,
                 likelihood="gaussian_fitted", binarize=False),
            (8, 8, 3),
            None,
        ),
    ],
)  # fmt: skip
def test_the_counted_weights_are_those_of_the_built_model(changes, input_shape, num_classes):
    settings = config.ExperimentConfig(**{"binarize": True, "latent_dim": 3, **changes})
    vae = train.build_model(settings, input_shape, 1, num_classes=num_classes)
    built = vae.encoder.count_params() + vae.decoder.count_params()
    assert validation.count_parameters(settings, input_shape, num_classes) == built


def test_the_256x256x3_mlp_of_issue_30_is_warned_about_with_its_sizes(tmp_path):
    # The run that "completed" with two 1.2 GB .keras files: 100.9 M weights, Adam.
    settings = config.ExperimentConfig(dataset="digits", binarize=True)
    with pytest.warns(validation.LargeRunWarning) as warned:
        estimate = validation.check_size(settings, (256, 256, 3), tmp_path / "run")
    assert estimate.parameters == 100_866_576
    assert estimate.checkpoint_bytes == estimate.parameters * 4 * 3
    assert estimate.disk_bytes == 2 * estimate.checkpoint_bytes
    messages = " | ".join(str(w.message) for w in warned)
    assert "196,608 values per example" in messages
    assert "each checkpoint is about 1.13 GiB" in messages and "2.25 GiB on disk at once" in messages


@pytest.mark.filterwarnings("ignore::vae_keras.validation.LargeRunWarning")
def test_a_model_above_the_refusal_size_needs_allow_large(tmp_path, monkeypatch):
    settings = config.ExperimentConfig(dataset="digits", binarize=True, hidden_units=(1024,))
    with pytest.raises(ValueError, match=r"too large to start without allow_large=True.*Accepted: checkpoints up to"):
        validation.check_size(settings, (256, 256, 3), tmp_path / "run")
    with pytest.warns(validation.LargeRunWarning):
        validation.check_size(settings.replace(allow_large=True), (256, 256, 3), tmp_path / "run")
    monkeypatch.setattr(validation, "_free_bytes", lambda path: 2**20)
    with pytest.raises(ValueError, match=r"too little space.*0.00 GiB free"):
        validation.check_size(settings.replace(hidden_units=(8,)), (256, 256, 3), tmp_path / "run")


def test_train_checks_the_size_before_it_builds_anything(tmp_path, monkeypatch):
    monkeypatch.setattr(validation, "REFUSE_CHECKPOINT_BYTES", 1000)
    _refused(_config("digits", batch_size=100), tmp_path / "run", "allow_large=True", "weights")
    # A resumed run may opt in without being another run.
    from vae_keras import fingerprint

    assert "allow_large" in fingerprint.NOT_IDENTITY


# --------------------------------------------------------------------------
# evaluate and run check the same way
# --------------------------------------------------------------------------


def test_evaluate_refuses_a_split_of_another_image_size_before_computing(tmp_path):
    path = tmp_path / "d.npz"
    dataset = _npz(path, _images(30))
    train.train(_config(dataset, validation_fraction=0.0), tmp_path / "run", verbose=0, figures=False)
    _npz(path, _images(30), x_test=_images(5, (16, 16, 1)))  # the test split changes after training
    with pytest.raises(ValueError, match=r"split='test' with images of shape \(16, 16, 1\).*Accepted: \(8, 8, 1\)"):
        from vae_keras import evaluate

        evaluate.evaluate_run(tmp_path / "run", num_samples=2, verbose=0)
    assert not (tmp_path / "run" / "metrics.json").exists()


def test_run_checks_a_dataset_file_before_any_notebook_starts(tmp_path, capsys, monkeypatch):
    dataset = _npz(tmp_path / "d.npz", _images(30, (8, 8, 2)))
    monkeypatch.setattr(runner, "ensure_kernel", lambda: pytest.fail("a notebook kernel was about to start"))
    out = tmp_path / "study"
    status = cli.main(["run", "--profile", "smoke", "--only", "02", "--dataset", dataset, "--out", str(out)])
    err = capsys.readouterr().err
    assert status == cli.EXIT_BAD_INPUT, err
    assert "2 channels" in err and "Accepted: 1 or 3 channels" in err
    assert not out.exists()


def test_run_checks_the_labels_of_a_dataset_file(tmp_path):
    dataset = _npz(tmp_path / "d.npz", _images(30), y_train=np.arange(30) % 3 - 1)
    with pytest.raises(ValueError, match=r"labels in \[-1, 1\]"):
        validation.check_dataset(dataset, labels_for="The studies' conditional VAE")
    validation.check_dataset(dataset)  # labels are not checked where nothing uses them
    validation.check_dataset("mnist")  # a registered dataset: by name, nothing is loaded
    with pytest.raises(ValueError, match=r"name='cifar'.*Accepted: digits"):
        validation.check_dataset("cifar")


# --------------------------------------------------------------------------
# Messages that said the wrong thing
# --------------------------------------------------------------------------


def test_object_labels_are_named_as_objects_not_as_a_corrupt_file(tmp_path):
    path = tmp_path / "objects.npz"
    np.savez(path, x_train=_images(3), y_train=np.array([1, "a", None], dtype=object))
    with pytest.raises(data.DatasetFileError) as raised:
        data.load(f"npz:{path}")
    message = str(raised.value)
    assert "array 'y_train' holds Python objects (dtype object" in message and "Accepted: numeric arrays" in message
    assert "corrupt" not in message


def test_a_text_file_is_named_as_text_not_as_a_corrupt_file(tmp_path):
    path = tmp_path / "notes.npz"
    path.write_text("x_train = [1, 2, 3]\n")
    with pytest.raises(data.DatasetFileError) as raised:
        data.load(f"npz:{path}")
    message = str(raised.value)
    assert "it is a text file (it starts with 'x_train = [1, 2, 3]\\n')" in message
    assert "Accepted: a zip archive of arrays written by np.savez" in message and "corrupt" not in message
    # A truncated archive is still called what it is.
    whole = tmp_path / "whole.npz"
    np.savez(whole, x_train=_images(3))
    (tmp_path / "cut.npz").write_bytes(whole.read_bytes()[:100])
    with pytest.raises(data.DatasetFileError, match="truncated or corrupt"):
        data.load(f"npz:{tmp_path / 'cut.npz'}")


def test_bool_images_say_bool_not_a_range_of_none(tmp_path):
    path = tmp_path / "bool.npz"
    np.savez(path, x_train=_images(3) > 128)
    with pytest.raises(data.DatasetFileError) as raised:
        data.load(f"npz:{path}")
    message = str(raised.value)
    assert "Received: dtype bool" in message and "None" not in message


def test_run_help_lists_every_profile(capsys):
    with pytest.raises(SystemExit):
        cli.main(["run", "--help"])
    shown = " ".join(capsys.readouterr().out.split())
    profiles = runner.list_profiles()
    assert {"cpu", "cpu-svhn-sample", "demo", "full", "quick", "smoke"} <= set(profiles)
    assert f"{', '.join(profiles)} (params/*.yaml)" in shown
