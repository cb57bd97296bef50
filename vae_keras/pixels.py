"""Pixel-level operations: checking images, scaling to [0, 1], dynamic binarisation, dequantisation.

Images are `(N, H, W, C)` arrays, either `uint8` in `0..255` or floating point
in `[0, 1]`. The per-epoch random transforms used for training (dynamic
binarisation and uniform dequantisation) are here as NumPy functions; the
`tf.data` versions live in `vae_keras.data.make_dataset`. `vae_keras.preprocessing`
re-exports these names beside the fitted preprocessors.
"""

from __future__ import annotations

import numpy as np


def validate_images(images, argument_name="images", allowed_ranks=(4,)):
    """Checks that `images` is a usable batch of images or features.

    Args:
        images: the array to check.
        argument_name: the name used for the array in error messages.
        allowed_ranks: the numbers of dimensions accepted, e.g. `(4,)` for
            `(N, H, W, C)` images or `(2, 4)` to also accept `(N, D)` features.

    Returns:
        `images` as a NumPy array (not copied when it already is one).

    Raises:
        ValueError: if the rank, dtype or size is not accepted, if it holds no
            examples, or if a floating-point array holds NaN or infinity.
    """
    array = np.asarray(images)
    if array.ndim not in allowed_ranks:
        shapes = {2: "(N, D) features", 3: "(N, H, W) images", 4: "(N, H, W, C) images"}
        accepted = " or ".join(shapes.get(rank, f"rank {rank}") for rank in allowed_ranks)
        raise ValueError(
            f"`{argument_name}` must be {accepted}. "
            f"Received: {argument_name} with shape {array.shape} (rank {array.ndim})."
        )
    if array.dtype != np.uint8 and not np.issubdtype(array.dtype, np.floating):
        raise ValueError(
            f"`{argument_name}` must be uint8 pixels (0..255) or floating point. "
            f"Received: {argument_name} with dtype {array.dtype}."
        )
    if array.shape[0] == 0:
        raise ValueError(
            f"`{argument_name}` must hold at least one example. Received: {argument_name} with shape {array.shape}."
        )
    if np.issubdtype(array.dtype, np.floating) and not np.all(np.isfinite(array)):
        count = int(np.size(array) - np.count_nonzero(np.isfinite(array)))
        raise ValueError(
            f"`{argument_name}` must hold finite values only. "
            f"Received: {argument_name} with {count} NaN or infinite value(s)."
        )
    return array


def _check_unit_range(array, argument_name):
    low, high = float(array.min()), float(array.max())
    if low < 0.0 or high > 1.0:
        raise ValueError(
            f"Floating-point `{argument_name}` must be pixel intensities in [0, 1] "
            f"(or pass uint8 pixels). Received: values in [{low:g}, {high:g}]."
        )


def to_unit_interval(images, argument_name="images"):
    """Returns pixel intensities as float32 in `[0, 1]`.

    Args:
        images: `uint8` pixels (divided by 255) or floats already in `[0, 1]`.
        argument_name: the name used for the array in error messages.

    Returns:
        A float32 array of the same shape.

    Raises:
        ValueError: if floats fall outside `[0, 1]` or the dtype is neither.
    """
    array = np.asarray(images)
    if array.dtype == np.uint8:
        return array.astype(np.float32) / np.float32(255.0)
    if not np.issubdtype(array.dtype, np.floating):
        raise ValueError(f"`{argument_name}` must be uint8 or floating point. Received: dtype {array.dtype}.")
    _check_unit_range(array, argument_name)
    return array.astype(np.float32, copy=False)


def _as_generator(seed):
    if isinstance(seed, np.random.Generator):
        return seed
    return np.random.default_rng(seed)


def binarize(images, seed=None):
    """Dynamic binarisation: one Bernoulli draw per pixel.

    Each pixel intensity `x` in `[0, 1]` becomes 1 with probability `x` and 0
    otherwise, i.e. `float(u < x)` with `u ~ Uniform(0, 1)`. Drawing a fresh
    sample every epoch (as `vae_keras.data.make_dataset` does) is the usual
    protocol for Bernoulli VAEs on MNIST.

    Args:
        images: `uint8` pixels or floats in `[0, 1]`, any shape.
        seed: an int, `None` or a `numpy.random.Generator` for the draw.

    Returns:
        A float32 array of zeros and ones, same shape as `images`.

    Raises:
        ValueError: if `images` is not `uint8` or floats in `[0, 1]`, or holds
            NaN.
    """
    array = np.asarray(images)
    if np.issubdtype(array.dtype, np.floating) and np.isnan(array).any():
        raise ValueError("`images` must not contain NaN. Received: an array with NaN values.")
    intensities = to_unit_interval(array)
    uniform = _as_generator(seed).random(intensities.shape, dtype=np.float32)
    return (uniform < intensities).astype(np.float32)


def dequantize(images, seed=None):
    """Uniform dequantisation of 8-bit pixels: `(x + u) / 256`.

    Adding `u ~ Uniform(0, 1)` to each integer intensity `x` in `0..255` turns
    the discrete data into a continuous density on `[0, 1)`, so a continuous
    log-likelihood lower-bounds the discrete one (Theis et al., 2016).

    Args:
        images: `uint8` pixels, any shape.
        seed: an int, `None` or a `numpy.random.Generator` for the noise.

    Returns:
        A float32 array in `[0, 1)`, same shape as `images`.

    Raises:
        ValueError: if `images` is not `uint8`.
    """
    array = np.asarray(images)
    if array.dtype != np.uint8:
        raise ValueError(f"`images` must be uint8 pixels (0..255) to be dequantized. Received: dtype {array.dtype}.")
    uniform = _as_generator(seed).random(array.shape, dtype=np.float32)
    # float32 rounding can turn (255 + u) / 256 into exactly 1.0; keep it < 1.
    values = (array.astype(np.float32) + uniform) / np.float32(256.0)
    return np.minimum(values, np.nextafter(np.float32(1.0), np.float32(0.0)))


def to_uint8(images):
    """Converts intensities in `[0, 1]` to `uint8` pixels (clipped, rounded).

    Args:
        images: a float array of intensities.

    Returns:
        A `uint8` array of the same shape.
    """
    array = np.asarray(images, dtype=np.float32)
    return np.round(np.clip(array, 0.0, 1.0) * 255.0).astype(np.uint8)
