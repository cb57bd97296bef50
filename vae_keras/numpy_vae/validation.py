"""The settings the NumPy VAE accepts, and the checks of its arguments.

``ACTIVATIONS`` and ``DTYPES`` list the accepted hidden activations and
dtypes. Each ``_check_*`` helper validates one argument and returns it
normalised (a Python int or float, a tuple of widths, a ``np.dtype``), or
raises a ``ValueError`` that names the argument and the value received. The
model, the optimizer, the gradient check and the side-by-side comparison share
them, so a bad setting reads the same wherever it is passed.
"""

import numpy as np

from vae_keras import checks

ACTIVATIONS = ("relu", "tanh")
DTYPES = ("float32", "float64")


def _check_positive_int(name, value):
    return checks.integer(name, value, 1)


def _check_hidden_units(hidden_units):
    return checks.integer_sequence("hidden_units", hidden_units)


def _check_activation(activation):
    return checks.choice("activation", activation, ACTIVATIONS)


def _check_dtype(dtype):
    try:
        name = None if dtype is None else np.dtype(dtype).name  # np.dtype(None) would be float64
    except TypeError:
        name = None
    if name not in DTYPES:
        raise ValueError(f"Unsupported dtype. Received: dtype={dtype!r}. Accepted: {', '.join(DTYPES)}")
    return np.dtype(name)


def _check_positive_float(name, value):
    return checks.positive_number(name, value)
