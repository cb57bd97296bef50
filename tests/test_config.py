"""ExperimentConfig: validation, JSON/YAML round trips, and clear errors."""

import json

import pytest

from vae_keras import config as config_lib
from vae_keras.config import ExperimentConfig


def test_defaults_are_valid_and_round_trip_through_json(tmp_path):
    config = ExperimentConfig(latent_dim=3, hidden_units=(64, 32))
    config.save(tmp_path / "config.json")
    loaded = ExperimentConfig.load(tmp_path / "config.json")
    assert loaded == config
    assert json.loads((tmp_path / "config.json").read_text())["hidden_units"] == [64, 32]


def test_yaml_values_are_coerced_to_field_types(tmp_path):
    (tmp_path / "c.yaml").write_text("latent_dim: '5'\nhidden_units: 128,64\nbatch_norm: 'true'\nlearning_rate: 1e-4\n")
    config = ExperimentConfig.load(tmp_path / "c.yaml")
    assert (config.latent_dim, config.hidden_units, config.batch_norm) == (5, (128, 64), True)
    assert config.learning_rate == pytest.approx(1e-4)


def test_unknown_setting_suggests_the_closest_name():
    with pytest.raises(ValueError, match=r"'latent_dims'.*Did you mean 'latent_dim'"):
        ExperimentConfig.from_dict({"latent_dims": 4})


@pytest.mark.parametrize(
    ("changes", "pattern"),
    [
        ({"latent_dim": 0}, r"latent_dim.*>= 1.*Received: latent_dim=0"),
        ({"num_epochs": -1}, r"num_epochs.*Received: num_epochs=-1"),
        ({"dropout": 1.0}, r"dropout.*\[0, 1\).*Received: dropout=1.0"),
        ({"likelihood": "poisson"}, r"likelihood='poisson'.*Accepted: bernoulli"),
        ({"architecture": "resnet"}, r"architecture='resnet'.*Accepted: mlp, conv"),
        ({"latent_dim": "two"}, r"latent_dim.*integer.*Received: latent_dim='two'"),
        ({"learning_rate": 0}, r"learning_rate.*> 0"),
        ({"hidden_units": "a,b"}, r"hidden_units.*integers"),
        ({"binarize": True, "likelihood": "gaussian_fitted"}, r"binarize=True.*bernoulli"),
        ({"input_space": "pca", "architecture": "conv"}, r"conv.*pixels"),
        ({"input_space": "pca"}, r"continuous likelihood \('gaussian_fixed', 'gaussian_fitted', 'gaussian_shared'\)"),
        ({"batch_norm": "maybe"}, r"batch_norm.*true or false"),
        ({"lr_schedule": "cosine"}, r"lr_schedule='cosine'.*Accepted: constant, burda"),
        ({"adam_epsilon": 0}, r"adam_epsilon.*> 0.*Received: adam_epsilon=0"),
        ({"output_bias_init": "data_mean", "architecture": "conv"}, r"data_mean.*mlp.*Received: architecture='conv'"),
        ({"output_bias_init": "data_mean", "likelihood": "gaussian_fixed"}, r"data_mean.*bernoulli"),
    ],
)
def test_invalid_settings_name_the_value_and_what_is_accepted(changes, pattern):
    with pytest.raises(ValueError, match=pattern):
        ExperimentConfig(**changes)


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.yaml"):
        ExperimentConfig.load(tmp_path / "missing.yaml")
    (tmp_path / "c.toml").write_text("x=1")
    with pytest.raises(ValueError, match=r"\.json, \.yaml"):
        ExperimentConfig.load(tmp_path / "c.toml")
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(ValueError, match="not valid JSON"):
        ExperimentConfig.load(tmp_path / "bad.json")


def test_default_run_dir_names_the_setting():
    path = config_lib.default_run_dir(ExperimentConfig(dataset="mnist", latent_dim=20))
    assert path.name == "mnist-mlp-bernoulli-z20"


def test_decoder_units_can_say_no_dense_layer_as_keras_io_s_conv_decoder_has():
    from vae_keras import train

    for spelling in ("none", "0", "NONE"):
        assert ExperimentConfig(decoder_units=spelling).decoder_units == (0,)
    config = ExperimentConfig(architecture="conv", hidden_units=(16,), decoder_units="none", binarize=True)
    vae = train.build_model(config, (28, 28, 1), 1)
    dense = [layer for layer in vae.decoder.layers if type(layer).__name__ == "Dense"]
    # z -> Dense(7 * 7 * 64) -> transposed convolutions: the projection is the decoder's only dense layer.
    assert [layer.units for layer in dense] == [7 * 7 * 64]
    mirrored = train.build_model(
        ExperimentConfig(architecture="conv", hidden_units=(16,), binarize=True), (28, 28, 1), 1
    )
    assert [layer.units for layer in mirrored.decoder.layers if type(layer).__name__ == "Dense"] == [16, 7 * 7 * 64]
    with pytest.raises(ValueError, match="decoder_units=0,32"):
        ExperimentConfig(decoder_units=(0, 32))
