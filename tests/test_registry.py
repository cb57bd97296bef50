"""The registries: one per concept, and everything that lists or checks names reads them."""

import keras
import numpy as np
import pytest
from keras import ops

from vae_keras import config as config_lib
from vae_keras import evaluate, likelihoods, models, train
from vae_keras.registry import Registry


def test_a_registry_refuses_unknown_and_duplicate_names():
    things = Registry("widget", "kind")
    things.register("a", 1)

    @things.register("b")
    def b():
        return 2

    assert things.names() == ("a", "b") and things.get("b") is b and "a" in things and len(things) == 2
    with pytest.raises(ValueError, match=r"Unknown widget. Received: kind='c'. Accepted: a, b"):
        things.get("c")
    with pytest.raises(ValueError, match="already registered"):
        things.register("a", 3)
    with pytest.raises(ValueError, match="non-empty string"):
        things.register("", 3)


def test_config_help_lists_what_the_registries_hold():
    help_text = {name: text for name, (_, _, text) in config_lib.field_help().items()}
    assert help_text["likelihood"].endswith(likelihoods.LIKELIHOODS.choices())
    assert help_text["architecture"].endswith("mlp, conv")
    assert help_text["dataset"].endswith("digits, mnist, svhn, svhn_sample, npz:PATH")
    assert help_text["activation"].endswith("relu, elu, softplus, tanh")


@pytest.mark.parametrize(
    ("name", "settings", "protocol"),
    [
        ("bernoulli", {"binarize": True}, "exact: a discrete likelihood of binarised pixels"),
        ("bernoulli", {}, "not defined: a Bernoulli on grey levels"),
        ("discretized_logistic", {}, "exact: a discrete likelihood over 256 levels"),
        ("gaussian_fitted", {"dequantize": True}, "upper bound"),
        ("gaussian_fixed", {}, "not defined: a continuous density on undequantised pixels"),
        ("gaussian_shared", {"input_space": "pca"}, "not defined: the model is a density over PCA"),
    ],
)
def test_the_bits_per_dim_protocol_comes_from_the_likelihood_class(name, settings, protocol):
    config = config_lib.ExperimentConfig(likelihood=name, **settings)
    assert evaluate.bits_per_dim_protocol(config)[2].startswith(protocol)
    assert evaluate.bits_per_dim_protocol(config) == likelihoods.LIKELIHOODS.get(name).bits_per_dim_protocol(config)


def test_a_run_passes_each_head_the_options_its_class_names():
    config = config_lib.ExperimentConfig(likelihood="gaussian_fixed", sigma=0.3, variance_floor=0.2)
    assert likelihoods.FixedGaussian.options_from(config) == {"sigma": 0.3}
    model = train.build_model(config, (8, 8, 1), 1)
    assert model.likelihood.sigma == pytest.approx(0.3)
    fitted = config_lib.ExperimentConfig(likelihood="gaussian_fitted", variance_floor=0.2)
    assert train.build_model(fitted, (8, 8, 1), 1).likelihood.variance_floor == pytest.approx(0.2)


@pytest.fixture
def isolated_registries(monkeypatch):
    """Copies of the likelihood and architecture registries, so a test's additions do not leak."""
    from vae_keras import architectures

    for modules, attribute, concept in (
        ((likelihoods,), "LIKELIHOODS", "likelihood"),
        ((architectures, models), "ARCHITECTURES", "architecture"),  # models re-exports the registry
    ):
        copy = Registry(concept)
        for name, entry in getattr(modules[0], attribute).items():
            copy.register(name, entry)
        for module in modules:
            monkeypatch.setattr(module, attribute, copy)


def test_a_new_likelihood_is_one_registered_class(isolated_registries):
    # A Laplace head: one class, registered. Nothing else is edited.
    @likelihoods.LIKELIHOODS.register("laplace")
    @keras.saving.register_keras_serializable(package="vae_keras_tests")
    class Laplace(likelihoods.Likelihood):
        config_options = ("sigma",)
        summary = "Laplace with a fixed scale"

        def __init__(self, sigma=0.1, **kwargs):
            super().__init__(**kwargs)
            self.sigma = sigma

        def log_prob(self, x, params):
            error = ops.abs(likelihoods.flatten_features(x) - likelihoods.flatten_features(params[..., 0]))
            return -ops.sum(error, axis=-1) / self.sigma - error.shape[-1] * np.log(2 * self.sigma)

        def mean(self, params):
            return params[..., 0]

    config = config_lib.ExperimentConfig(likelihood="laplace", sigma=0.5, dequantize=True, num_epochs=1)
    assert "laplace" in config_lib.field_help()["likelihood"][2]
    assert evaluate.bits_per_dim_protocol(config)[:2] == (True, 256)  # a density: the dequantised bound
    model = train.build_model(config, (8, 8, 1), 1)
    assert isinstance(model.likelihood, Laplace) and model.likelihood.sigma == 0.5
    with pytest.raises(ValueError, match="binary pixels \\('bernoulli'\\)"):
        config_lib.ExperimentConfig(likelihood="laplace", binarize=True)


def test_a_new_architecture_is_one_registered_builder(isolated_registries):
    def build_linear(input_shape, latent_dim, num_params, settings):
        # The mlp builder without hidden layers: a linear-Gaussian-like VAE.
        return models.ARCHITECTURES.get("mlp").build(
            input_shape, latent_dim, num_params, {**settings, "hidden_units": (), "decoder_units": ()}
        )

    models.ARCHITECTURES.register("linear", models.Architecture("linear", build_linear, "no hidden layer"))
    config = config_lib.ExperimentConfig(architecture="linear", binarize=True, latent_dim=3)
    vae = train.build_model(config, (8, 8, 1), 1)
    assert [layer.name for layer in vae.decoder.layers if "hidden" in layer.name] == []
    assert "linear" in config_lib.field_help()["architecture"][2]
    # Its properties decide what it may be combined with.
    with pytest.raises(ValueError, match=r"conditional=True` needs architecture 'mlp'"):
        config_lib.ExperimentConfig(architecture="linear", conditional=True)
    with pytest.raises(ValueError, match=r"architecture='linear' needs input_space='pixels'"):
        config_lib.ExperimentConfig(architecture="linear", input_space="pca", likelihood="gaussian_fixed")


def test_the_command_line_lists_registered_names_in_train_help_without_loading_keras_elsewhere(capsys):
    import subprocess
    import sys

    from vae_keras import cli

    with pytest.raises(SystemExit):
        cli.main(["train", "--help"])
    assert "dataset: digits, mnist, svhn, svhn_sample, npz:PATH" in " ".join(capsys.readouterr().out.split())
    # `vae-keras run`, `publish` and `--version` build the same parser: it must not import Keras (seconds).
    code = (
        "import sys; from vae_keras import cli; cli.build_parser(list_choices=False); sys.exit('keras' in sys.modules)"
    )
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0


def test_train_help_lists_the_registered_names_without_importing_keras_or_tensorflow():
    """`vae-keras train --help` reads the names from the registering modules' source (benchmarks/cli_startup.py
    times it): the same names the registries hold once imported, and no TensorFlow log line."""
    import subprocess
    import sys

    code = (
        "import sys\nfrom vae_keras import cli\ntry:\n    cli.main(['train', '--help'])\nexcept SystemExit:\n    pass\n"
        "print('loaded:', sorted(m for m in ('keras', 'tensorflow', 'jax') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    help_text = " ".join(result.stdout.split())
    assert "loaded: []" in help_text
    for concept in ("likelihood", "architecture", "activation"):
        names = ", ".join(config_lib.registry_for(concept))
        assert f"{config_lib.field_help()[concept][2]} (default:" in help_text and names in help_text


@pytest.mark.parametrize(
    ("module", "attribute"),
    [
        ("vae_keras.likelihoods", "LIKELIHOODS"),
        ("vae_keras.architectures", "ARCHITECTURES"),
        ("vae_keras.architectures", "ACTIVATIONS"),
    ],
)
def test_the_names_read_from_the_source_are_the_names_registered(module, attribute):
    import importlib

    from vae_keras import registry

    assert registry.declared_names(module, attribute) == tuple(getattr(importlib.import_module(module), attribute))


def test_names_are_read_from_calls_and_decorators_with_literal_names_only(tmp_path, monkeypatch):
    from vae_keras import registry

    (tmp_path / "plugin_heads.py").write_text(
        "from vae_keras.registry import Registry\nHEADS = Registry('head')\nOTHER = Registry('other')\n"
        "@HEADS.register('first')\nclass First: pass\nHEADS.register('second', object())\n"
        "OTHER.register('not_a_head', 1)\nname = 'computed'\nHEADS.register(name, 2)\n"
        "KINDS = ('a', 'b')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    assert registry.declared_names("plugin_heads", "HEADS") == ("first", "second")
    assert registry.declared_names("plugin_heads", "KINDS") == ("a", "b")
    with pytest.raises(ValueError, match=r"`module` must name a module with Python source. Received: module='sys'"):
        registry.declared_names("sys", "X")
