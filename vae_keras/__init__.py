"""vae-keras: variational autoencoders in Keras 3, for any backend.

Import the modules you need, e.g. ``from vae_keras import data, models``.

``import vae_keras`` is enough for ``keras.saving.load_model("RUN/model.keras")``
to find the package's custom classes (``VAE``, ``Sampling``, the likelihood
heads). The package root still stays light: it does not import a
deep-learning backend itself (``vae-keras --help`` and
``vae_keras.numpy_vae`` run without one). The modules that register classes
are imported as soon as Keras is: at once if it already was, otherwise right
after the program's own ``import keras``, by a one-shot import hook (ARCHITECTURE.md says why
it is needed). Importing the package sets no environment variable: ``vae-keras`` and the notebook
runner set their defaults where their processes start (``vae_keras.environment``).
"""

import importlib
import importlib.util
import sys
import warnings

__version__ = "0.1.0"

#: The modules that register classes with ``keras.saving.register_keras_serializable``.
REGISTERING_MODULES = ("vae_keras.layers", "vae_keras.likelihoods", "vae_keras.models")


def register_custom_objects():
    """Imports the modules whose classes ``keras.saving.load_model`` must find."""
    for name in REGISTERING_MODULES:
        importlib.import_module(name)


def _register_after(loader):
    original = loader.exec_module

    def exec_module(module):
        original(module)
        try:
            register_custom_objects()
        except Exception as error:  # never break the program's `import keras`
            warnings.warn(
                f"vae_keras could not register its Keras classes ({type(error).__name__}: {error}); "
                "import vae_keras.models before loading a saved model.",
                stacklevel=2,
            )

    loader.exec_module = exec_module


class _RegisterWhenKerasIsImported:
    """A one-shot import hook: once ``keras`` has been imported, registers the package's classes."""

    def find_spec(self, fullname, path=None, target=None):
        if fullname != "keras":
            return None
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        spec = importlib.util.find_spec("keras")
        if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
            _register_after(spec.loader)
        return spec


if "keras" in sys.modules:
    register_custom_objects()
elif not any(isinstance(finder, _RegisterWhenKerasIsImported) for finder in sys.meta_path):
    sys.meta_path.insert(0, _RegisterWhenKerasIsImported())
