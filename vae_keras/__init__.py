"""vae-keras: variational autoencoders in Keras 3, for any backend.

Import the modules you need, e.g. ``from vae_keras import data, models``.
The package root stays light so that ``import vae_keras`` does not pull in
a deep-learning backend.
"""

__version__ = "0.1.0"
