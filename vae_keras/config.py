"""Experiment configuration: one dataclass, saved as JSON beside a run's outputs.

``ExperimentConfig`` holds every setting of a training run. It is validated
on construction, loads from JSON or YAML (unknown keys are rejected with the
closest valid name), and ``vae-keras train`` builds one command-line flag per
field from it, so the CLI, config files and notebooks share one vocabulary.
"""

import dataclasses
import difflib
import importlib
import json
import os
import sys
import typing
from pathlib import Path

from vae_keras import checks, io_utils, registry

INPUT_SPACES = ("pixels", "pca", "pca_whitened")
OPTIMIZERS = ("adam", "adagrad", "sgd", "rmsprop")
#: ``decoder_units`` meaning "no dense hidden layer" (``--decoder-units 0`` or ``none``); an empty
#: tuple means "mirror hidden_units".
NO_DECODER_UNITS = (0,)
DTYPE_POLICIES = ("float32", "mixed_float16", "mixed_bfloat16")


@dataclasses.dataclass
class ExperimentConfig:
    """Settings of one training run. Defaults: a quick run on the embedded digits.

    Each field's ``metadata["help"]`` documents it (and becomes the CLI help).
    """

    # --- data
    dataset: str = dataclasses.field(default="digits", metadata={"help": "dataset: {choices}", "registry": "dataset"})
    train_split: str = dataclasses.field(default="train", metadata={"help": "split to train on"})
    test_split: str = dataclasses.field(default="test", metadata={"help": "split to evaluate on"})
    validation_fraction: float = dataclasses.field(
        default=0.1, metadata={"help": "fraction of the training split held out for validation"}
    )
    max_train_examples: int = dataclasses.field(
        default=0, metadata={"help": "use at most this many training examples (0: all)"}
    )
    input_space: str = dataclasses.field(default="pixels", metadata={"help": "pixels, pca, or pca_whitened"})
    pca_components: int = dataclasses.field(
        default=500, metadata={"help": "PCA components when input_space is pca or pca_whitened"}
    )
    binarize: bool = dataclasses.field(
        default=False, metadata={"help": "dynamic binarisation of the targets, redrawn each epoch"}
    )
    dequantize: bool = dataclasses.field(
        default=False, metadata={"help": "uniform dequantisation of 8-bit pixels for continuous likelihoods"}
    )
    # --- model
    architecture: str = dataclasses.field(
        default="mlp", metadata={"help": "encoder/decoder pair: {choices}", "registry": "architecture"}
    )
    latent_dim: int = dataclasses.field(default=8, metadata={"help": "size of z"})
    hidden_units: tuple[int, ...] = dataclasses.field(
        default=(256,), metadata={"help": "encoder dense widths, e.g. 512,512"}
    )
    decoder_units: tuple[int, ...] = dataclasses.field(
        default=(),
        metadata={"help": "decoder dense widths (empty: hidden_units reversed; 0 or none: no dense hidden layer)"},
    )
    conv_filters: tuple[int, ...] = dataclasses.field(
        default=(32, 64), metadata={"help": "filters of the stride-2 convolutions (conv only)"}
    )
    activation: str = dataclasses.field(
        default="relu", metadata={"help": "hidden-layer activation: {choices}", "registry": "activation"}
    )
    batch_norm: bool = dataclasses.field(default=False, metadata={"help": "batch norm in hidden layers"})
    dropout: float = dataclasses.field(default=0.0, metadata={"help": "dropout rate in [0, 1)"})
    split_encoder_output: bool = dataclasses.field(
        default=False, metadata={"help": "one encoder output split into mean and log-variance"}
    )
    log_var_init_scale: float = dataclasses.field(
        default=0.0,
        metadata={"help": "small-init std of the encoder's log-variance head (0: Keras default init)"},
    )
    conditional: bool = dataclasses.field(
        default=False, metadata={"help": "conditional VAE: the decoder also sees the label, p(x|z,y)"}
    )
    likelihood: str = dataclasses.field(
        default="bernoulli", metadata={"help": "likelihood p(x|z): {choices}", "registry": "likelihood"}
    )
    sigma: float = dataclasses.field(default=0.1, metadata={"help": "sigma of gaussian_fixed"})
    variance_floor: float = dataclasses.field(
        default=0.01, metadata={"help": "variance floor ('varlog epsilon') of gaussian_fitted"}
    )
    beta: float = dataclasses.field(default=1.0, metadata={"help": "weight of the KL term"})
    train_samples: int = dataclasses.field(
        default=1,
        metadata={
            "help": "K of the training objective: 1 trains on the ELBO (a VAE), K > 1 on Burda et al.'s "
            "K-sample importance-weighted bound (an IWAE)"
        },
    )
    kl_warmup_epochs: int = dataclasses.field(
        default=0, metadata={"help": "epochs over which the KL weight ramps up from 0"}
    )
    # --- optimisation
    optimizer: str = dataclasses.field(default="adam", metadata={"help": "adam, adagrad, sgd or rmsprop"})
    learning_rate: float = dataclasses.field(default=1e-3, metadata={"help": "learning rate"})
    lr_schedule: str = dataclasses.field(
        default="constant",
        metadata={
            "help": "constant, or burda: Burda et al.'s 8 stages of 3^i epochs at learning_rate * 10^(-i/7), "
            "scaled to num_epochs (exactly theirs at 3280 epochs)"
        },
    )
    adam_epsilon: float = dataclasses.field(
        default=1e-7, metadata={"help": "epsilon of Adam (Keras: 1e-7; Burda et al.: 1e-4)"}
    )
    output_bias_init: str = dataclasses.field(
        default="zeros",
        metadata={
            "help": "zeros, or data_mean: start the decoder's output biases at the logit of each pixel's "
            "training mean (mlp, bernoulli)"
        },
    )
    clipnorm: float = dataclasses.field(
        default=0.0, metadata={"help": "clip each gradient to this norm (0: no clipping)"}
    )
    batch_size: int = dataclasses.field(default=100, metadata={"help": "examples per training step"})
    num_epochs: int = dataclasses.field(default=100, metadata={"help": "epochs to train"})
    steps_per_execution: int = dataclasses.field(
        default=10, metadata={"help": "training steps per compiled call (fewer Python round trips)"}
    )
    jit_compile: str = dataclasses.field(default="auto", metadata={"help": "XLA compilation: auto, true or false"})
    distribute: bool = dataclasses.field(
        default=False,
        metadata={
            "help": "data-parallel over every local device: keras.distribution.DataParallel on JAX, "
            "tf.distribute.MirroredStrategy on TensorFlow"
        },
    )
    dtype_policy: str = dataclasses.field(
        default="float32",
        metadata={
            "help": "Keras dtype policy of the layers: float32, mixed_float16 or mixed_bfloat16 (the loss, the "
            "likelihood and the KL stay float32)"
        },
    )
    seed: int = dataclasses.field(default=0, metadata={"help": "seed of weights, sampling and shuffling"})
    checkpoint_every: int = dataclasses.field(
        default=1, metadata={"help": "save a resumable checkpoint every this many epochs"}
    )
    checkpoint_seconds: float = dataclasses.field(
        default=0.0,
        metadata={
            "help": "skip a due checkpoint until this many seconds passed since the last one (0: never skip); "
            "the last epoch is always saved"
        },
    )
    tensorboard: bool = dataclasses.field(default=True, metadata={"help": "write TensorBoard logs to RUN_DIR/logs"})
    init_from: str = dataclasses.field(
        default="",
        metadata={"help": "a model.keras whose weights start this run (e.g. to go on at another learning rate)"},
    )
    allow_large: bool = dataclasses.field(
        default=False,
        metadata={
            "help": "start even when one checkpoint would pass vae_keras.validation.REFUSE_CHECKPOINT_BYTES (4 GiB) "
            "or the disk has less free space than the run's estimate"
        },
    )

    def __post_init__(self):
        for field in dataclasses.fields(self):
            setattr(self, field.name, _coerce(field, getattr(self, field.name)))
        self.validate()

    def validate(self):
        """Raises ``ValueError`` naming the first invalid setting."""
        checks.choice("input_space", self.input_space, INPUT_SPACES)
        checks.choice("optimizer", self.optimizer, OPTIMIZERS)
        architecture = registry_for("architecture").get(self.architecture)
        likelihood = registry_for("likelihood").get(self.likelihood)
        checks.choice("activation", self.activation, registry_for("activation"))
        checks.choice("jit_compile", self.jit_compile, ("auto", "true", "false"))
        checks.choice("dtype_policy", self.dtype_policy, DTYPE_POLICIES)
        checks.choice("lr_schedule", self.lr_schedule, ("constant", "burda"))
        checks.choice("output_bias_init", self.output_bias_init, ("zeros", "data_mean"))
        if self.output_bias_init == "data_mean" and not (architecture.output_layer and likelihood.support == "binary"):
            raise ValueError(
                "output_bias_init='data_mean' sets one logit per pixel: it needs a likelihood of binary pixels "
                f"({_names('likelihood', 'binary')}) and an architecture with a dense output layer "
                f"({_names('architecture', 'output_layer')}). Received: "
                f"architecture={self.architecture!r}, likelihood={self.likelihood!r}"
            )
        if self.decoder_units != NO_DECODER_UNITS and any(units < 1 for units in self.decoder_units):
            raise ValueError(
                "`decoder_units` must be widths >= 1, empty (mirror hidden_units), or 0 alone (no dense hidden "
                f"layer). Received: decoder_units={','.join(map(str, self.decoder_units))}"
            )
        checks.integer("latent_dim", self.latent_dim, 1)
        checks.integer("batch_size", self.batch_size, 1)
        checks.integer("num_epochs", self.num_epochs, 0)
        checks.integer("steps_per_execution", self.steps_per_execution, 1)
        checks.integer("pca_components", self.pca_components, 1)
        checks.integer("kl_warmup_epochs", self.kl_warmup_epochs, 0)
        checks.integer("train_samples", self.train_samples, 1)
        checks.integer("max_train_examples", self.max_train_examples, 0)
        checks.integer("checkpoint_every", self.checkpoint_every, 1)
        checks.number_at_least("checkpoint_seconds", self.checkpoint_seconds, 0)
        if not 0.0 <= self.dropout < 1.0:
            raise ValueError(f"`dropout` must be in [0, 1). Received: dropout={self.dropout}")
        if not 0.0 <= self.validation_fraction < 1.0:
            raise ValueError(
                f"`validation_fraction` must be in [0, 1). Received: validation_fraction={self.validation_fraction}"
            )
        for name in ("learning_rate", "sigma", "variance_floor", "adam_epsilon"):
            checks.positive_number(name, getattr(self, name))
        if self.conditional and not architecture.conditional:
            raise ValueError(
                f"`conditional=True` needs architecture {_names('architecture', 'conditional')}. "
                f"Received: architecture={self.architecture!r}"
            )
        for name in ("beta", "clipnorm", "log_var_init_scale"):
            checks.number_at_least(name, getattr(self, name), 0)
        if self.train_samples > 1 and (self.beta != 1 or self.kl_warmup_epochs):
            raise ValueError(
                "train_samples > 1 trains on the importance-weighted bound, which has no separate KL term: it "
                f"needs beta=1 and kl_warmup_epochs=0. Received: train_samples={self.train_samples}, "
                f"beta={self.beta}, kl_warmup_epochs={self.kl_warmup_epochs}"
            )
        if self.binarize and self.dequantize:
            raise ValueError("`binarize` and `dequantize` exclude each other. Received: binarize=True, dequantize=True")
        if self.binarize and likelihood.support != "binary":
            raise ValueError(
                f"`binarize=True` needs a likelihood of binary pixels ({_names('likelihood', 'binary')}). "
                f"Received: likelihood={self.likelihood!r}"
            )
        if likelihood.support == "levels" and (self.dequantize or self.input_space != "pixels"):
            raise ValueError(
                f"likelihood={self.likelihood!r} models 8-bit pixels directly: it needs "
                "input_space='pixels' and dequantize=False. "
                f"Received: input_space={self.input_space!r}, dequantize={self.dequantize}"
            )
        if self.input_space != "pixels":
            if not architecture.flat_inputs:
                raise ValueError(
                    f"architecture={self.architecture!r} needs input_space='pixels' (architectures for PCA "
                    f"features: {_names('architecture', 'flat_inputs')}). Received: input_space={self.input_space!r}"
                )
            if likelihood.support != "continuous" or self.binarize or self.dequantize:
                raise ValueError(
                    f"input_space={self.input_space!r} gives unbounded real features: use a continuous "
                    f"likelihood ({_names('likelihood', 'continuous')}) without binarize/dequantize. "
                    f"Received: likelihood={self.likelihood!r}, binarize={self.binarize}, dequantize={self.dequantize}"
                )

    # ---- conversion ----------------------------------------------------------

    def to_dict(self):
        return {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(self).items()}

    def save(self, path):
        """Writes the config as JSON, atomically."""
        io_utils.atomic_write_text(path, json.dumps(self.to_dict(), indent=2, sort_keys=True) + "\n")

    @classmethod
    def from_dict(cls, values):
        """Builds a config, rejecting unknown keys with the closest valid name."""
        if not isinstance(values, dict):
            raise ValueError(
                f"A config must be a mapping of settings such as {{'latent_dim': 20}}. "
                f"Received: a {type(values).__name__} ({values!r:.80})"
            )
        names = [f.name for f in dataclasses.fields(cls)]
        for key in values:
            if key not in names:
                close = difflib.get_close_matches(str(key), names, n=1)
                hint = f" Did you mean {close[0]!r}?" if close else ""
                raise ValueError(f"Unknown setting. Received: {key!r}.{hint} Accepted: {', '.join(names)}")
        return cls(**values)

    @classmethod
    def load(cls, path):
        """Reads a config from a ``.json``, ``.yaml`` or ``.yml`` file.

        Raises:
            FileNotFoundError: if ``path`` does not exist.
            ValueError: for an unsupported extension, unparsable content or
                invalid settings.
        """
        return cls.from_dict(read_settings(path))

    def replace(self, **changes):
        """A validated copy with ``changes`` applied."""
        return type(self).from_dict({**self.to_dict(), **changes})


# ---- field coercion and checks ---------------------------------------------------


def read_settings(path):
    """The settings in a ``.json``, ``.yaml`` or ``.yml`` config file, as a dict, not yet validated
    (``ExperimentConfig.load`` validates them).

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        ValueError: for an unsupported extension, or content that does not parse.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"Config file not found. Received: path={str(path)!r}. Accepted: an existing .json, .yaml or .yml file"
        )
    text = path.read_text()
    if path.suffix == ".json":
        try:
            values = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(
                f"Config file {str(path)!r} is not valid JSON: {error}. "
                'Accepted: a JSON object of settings such as {"latent_dim": 20}'
            ) from None
    elif path.suffix in (".yaml", ".yml"):
        import yaml

        try:
            values = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise ValueError(
                f"Config file {str(path)!r} is not valid YAML ({' '.join(str(error).split())}). "
                "Accepted: a YAML mapping of settings such as 'latent_dim: 20'"
            ) from None
    else:
        raise ValueError(f"Unsupported config file type. Received: path={str(path)!r}. Accepted: .json, .yaml, .yml")
    return {} if values is None else values


def _coerce(field, value):
    """Converts strings (from the CLI or YAML) and lists to the field's type."""
    kind = field.type if not isinstance(field.type, str) else eval(field.type)  # noqa: S307
    origin = typing.get_origin(kind)
    name = field.name
    if origin is tuple:
        if name == "decoder_units" and isinstance(value, str) and value.strip().lower() == "none":
            return NO_DECODER_UNITS
        if isinstance(value, str):
            value = [v for v in value.replace(" ", "").split(",") if v]
        if isinstance(value, int) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise ValueError(f"`{name}` must be a list of integers such as 512,512. Received: {name}={value!r}")
        try:
            return tuple(_to_int(name, v) for v in value)
        except ValueError:
            raise ValueError(
                f"`{name}` must be a list of integers such as 512,512. Received: {name}={value!r}"
            ) from None
    if kind is bool:
        if isinstance(value, str) and value.lower() in ("true", "1", "yes", "false", "0", "no"):
            return value.lower() in ("true", "1", "yes")
        if not isinstance(value, bool):
            raise ValueError(f"`{name}` must be true or false. Received: {name}={value!r}")
        return value
    if kind is int:
        return _to_int(name, value)
    if kind is float:
        if isinstance(value, bool):
            raise ValueError(f"`{name}` must be a number. Received: {name}={value!r}")
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ValueError(f"`{name}` must be a number. Received: {name}={value!r}") from None
    if kind is str:
        if isinstance(value, bool):
            value = str(value).lower()
        if not isinstance(value, str):
            raise ValueError(f"`{name}` must be a string. Received: {name}={value!r}")
        return value
    return value


def _to_int(name, value):
    if isinstance(value, bool):
        raise ValueError(f"`{name}` must be an integer. Received: {name}={value!r}")
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise ValueError(f"`{name}` must be an integer. Received: {name}={value!r}")


#: Where each concept's registry lives: ``(module, attribute)``.
_REGISTRIES = {
    "likelihood": ("vae_keras.likelihoods", "LIKELIHOODS"),
    "architecture": ("vae_keras.architectures", "ARCHITECTURES"),
    "activation": ("vae_keras.architectures", "ACTIVATIONS"),
    "dataset": ("vae_keras.data", "DATASET_SOURCES"),
}


def registry_for(concept):
    """The registry of a concept whose names settings take: ``likelihood``, ``architecture``,
    ``dataset`` (a ``vae_keras.registry.Registry``) or ``activation`` (a tuple of names).

    Imported on first use, so that reading a config does not import Keras until it is validated.
    """
    if concept not in _REGISTRIES:
        raise ValueError(f"Unknown concept. Received: concept={concept!r}. Accepted: {', '.join(_CONCEPTS)}")
    module, attribute = _REGISTRIES[concept]
    return getattr(importlib.import_module(module), attribute)


_CONCEPTS = tuple(_REGISTRIES)

#: For each concept, what a property name of an entry means, to list the entries that have it.
_PROPERTIES = {
    "likelihood": lambda entry, name: entry.support == name,
    "architecture": lambda entry, name: getattr(entry, name),
}


def _names(concept, property_name):
    """The names of ``concept``'s entries with ``property_name``, quoted, for messages."""
    entries = registry_for(concept)
    return ", ".join(repr(name) for name, entry in entries.items() if _PROPERTIES[concept](entry, property_name))


def _choices(concept):
    """A concept's names for the help. A registry whose module is not imported yet (Keras's likelihoods and
    architectures) is read from its source (``registry.declared_names``), so that the help imports no Keras;
    one that is imported is read itself, with the names registered at run time."""
    if concept == "dataset":
        from vae_keras import data  # the registry and the readers: no Keras

        return ", ".join(data.dataset_names())
    module, attribute = _REGISTRIES[concept]
    if module not in sys.modules:
        return ", ".join(registry.declared_names(module, attribute))
    return ", ".join(registry_for(concept))


def field_help(list_choices=True):
    """``{name: (type, default, help)}`` for every setting.

    A setting that takes a registered name lists the names its registry holds (``_choices``: no Keras
    is imported for them); with ``list_choices=False`` it says where to find them instead.
    """
    out = {}
    for field in dataclasses.fields(ExperimentConfig):
        text = field.metadata.get("help", "")
        if "registry" in field.metadata:
            choices = _choices(field.metadata["registry"]) if list_choices else "see `vae-keras train --help`"
            text = text.format(choices=choices)
        out[field.name] = (field.type, field.default, text)
    return out


def default_run_dir(config):
    """``runs/<dataset>-<architecture>-<likelihood>-z<latent_dim>`` under the working directory."""
    dataset = config.dataset.replace("npz:", "npz-").replace(os.sep, "_")
    return Path("runs") / f"{dataset}-{config.architecture}-{config.likelihood}-z{config.latent_dim}"
