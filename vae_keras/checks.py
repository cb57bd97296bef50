"""Argument checks shared by the package: each raises ``ValueError`` naming the argument, the value
received and what is accepted, and returns the value in its canonical type.

Imports only NumPy, so light modules (``config``, ``numpy_vae``) can use it.
"""

import math

import numpy as np


def _is_integer(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, bool)


def _is_number(value):
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


def integer(name, value, minimum=None):
    """``value`` as an ``int``; it must be an integer (not a bool), at least ``minimum`` if given."""
    if not _is_integer(value) or (minimum is not None and value < minimum):
        bound = "" if minimum is None else f" >= {minimum}"
        raise ValueError(f"`{name}` must be an integer{bound}. Received: {name}={value!r}")
    return int(value)


def positive_number(name, value):
    """``value`` as a ``float``; it must be a finite number > 0."""
    if not (_is_number(value) and math.isfinite(value) and value > 0):
        raise ValueError(f"`{name}` must be a finite number > 0. Received: {name}={value!r}")
    return float(value)


def number_at_least(name, value, minimum=0.0):
    """``value`` as a ``float``; it must be a finite number >= ``minimum``."""
    if not (_is_number(value) and math.isfinite(value) and value >= minimum):
        raise ValueError(f"`{name}` must be a finite number >= {minimum:g}. Received: {name}={value!r}")
    return float(value)


def choice(name, value, accepted):
    """``value`` itself; it must be one of ``accepted``."""
    if value not in accepted:
        raise ValueError(f"Unknown {name}. Received: {name}={value!r}. Accepted: {', '.join(map(str, accepted))}")
    return value


def integer_sequence(name, value, example="(512,)"):
    """``value`` as a tuple of ``int``; it must be a sequence of integers >= 1."""
    try:
        items = tuple(value)
    except TypeError:
        items = None
    if items is None or not all(_is_integer(item) and item >= 1 for item in items):
        raise ValueError(f"`{name}` must be a sequence of integers >= 1, e.g. {example}. Received: {name}={value!r}")
    return tuple(int(item) for item in items)
