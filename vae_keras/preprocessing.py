"""Fitted, serialisable transforms between pixels and model space.

Every preprocessor follows one protocol:

- `fit(images)` learns what it needs from training images;
- `transform(images)` maps images to the arrays a model sees;
- `inverse_transform(features)` maps model outputs back to pixels, for plots;
- `get_config()` / `from_config(config)` round-trip the constructor arguments;
- `save(path)` / `load_preprocessor(path)` round-trip a fitted object. The
  config goes to `<path>.json` and fitted arrays to `<path>.npz`, each written
  to a temporary file and moved into place, so an interrupted save never leaves
  a half-written file.

The pixel-level operations (`validate_images`, `to_unit_interval`, `binarize`,
`dequantize`, `to_uint8`) live in `vae_keras.pixels` and are re-exported here.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from vae_keras import io_utils
from vae_keras.pixels import (  # noqa: F401 (re-exported: preprocessing.to_unit_interval, ...)
    binarize,
    dequantize,
    to_uint8,
    to_unit_interval,
    validate_images,
)

FORMAT_VERSION = 1


def _stem(path):
    path = Path(path)
    if path.suffix in (".json", ".npz"):
        return path.with_suffix("")
    return path


class Preprocessor:
    """Base class: the fit / transform / inverse_transform / save protocol.

    Subclasses implement `fit`, `transform`, `inverse_transform`, and, when
    they hold fitted arrays, `_get_arrays` / `_set_arrays` plus `_get_state` /
    `_set_state` for small JSON-serialisable fitted values.
    """

    def fit(self, images):
        """Learns the transform from training images; returns `self`."""
        raise NotImplementedError

    def transform(self, images):
        """Maps images to model space."""
        raise NotImplementedError

    def inverse_transform(self, features):
        """Maps model-space arrays back to pixels."""
        raise NotImplementedError

    def fit_transform(self, images):
        """`fit(images)` then `transform(images)`."""
        return self.fit(images).transform(images)

    @property
    def is_fitted(self):
        return True

    def get_config(self):
        """Returns the constructor arguments as a JSON-serialisable dict."""
        return {}

    @classmethod
    def from_config(cls, config):
        """Creates an unfitted instance from `get_config()`'s output."""
        return cls(**config)

    def _get_state(self):
        return {}

    def _set_state(self, state):
        del state

    def _get_arrays(self):
        return {}

    def _set_arrays(self, arrays):
        del arrays

    def save(self, path):
        """Saves the config and fitted arrays next to each other.

        Args:
            path: a path stem, e.g. `runs/svhn/pca`; writes `pca.json` and, when
                there are fitted arrays, `pca.npz`. A `.json` or `.npz`
                suffix is accepted and replaced.

        Returns:
            The path of the JSON file written.

        Raises:
            ValueError: if the preprocessor has not been fitted.
        """
        if not self.is_fitted:
            raise ValueError(
                f"{type(self).__name__} must be fitted before `save()`. "
                "Received: an unfitted instance; call `fit(images)` first."
            )
        stem = _stem(path)
        json_path = stem.with_suffix(".json")
        arrays = self._get_arrays()
        document = {
            "class_name": type(self).__name__,
            "format_version": FORMAT_VERSION,
            "config": self.get_config(),
            "state": self._get_state(),
        }
        if arrays:
            npz_path = stem.with_suffix(".npz")
            io_utils.atomic_write(npz_path, lambda file: np.savez(file, **arrays))
            # The JSON is written last and records the arrays' hash, so a JSON
            # file never points at a stale or partial .npz.
            document["arrays_file"] = npz_path.name
            document["arrays_sha256"] = _sha256(npz_path)
        text = json.dumps(document, indent=2, sort_keys=True) + "\n"
        io_utils.atomic_write_text(json_path, text)
        return json_path

    @classmethod
    def load(cls, path):
        """Loads a preprocessor saved with `save()`; see `load_preprocessor`."""
        preprocessor = load_preprocessor(path)
        if not isinstance(preprocessor, cls):
            raise ValueError(
                f"`path` must hold a saved {cls.__name__}. "
                f"Received: path={str(path)!r} holding a {type(preprocessor).__name__}."
            )
        return preprocessor


def _sha256(path):
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class Scale01(Preprocessor):
    """Scales `uint8` pixels to float32 intensities in `[0, 1]`.

    There is nothing to fit. `inverse_transform` clips to `[0, 1]`, multiplies
    by 255 and rounds, giving `uint8` pixels back exactly for inputs that came
    from `transform`.
    """

    def fit(self, images):
        validate_images(images, allowed_ranks=(2, 3, 4))
        return self

    def transform(self, images):
        """Returns float32 intensities in `[0, 1]`; floats in `[0, 1]` pass through.

        Raises:
            ValueError: for NaN, wrong dtype, or floats outside `[0, 1]`.
        """
        array = validate_images(images, allowed_ranks=(2, 3, 4))
        return to_unit_interval(array)

    def inverse_transform(self, features):
        """Returns `uint8` pixels (values clipped to `[0, 1]` first)."""
        array = np.asarray(features)
        if np.issubdtype(array.dtype, np.floating) and np.isnan(array).any():
            raise ValueError("`features` must not contain NaN. Received: an array with NaN.")
        return to_uint8(array)


class PCA(Preprocessor):
    """Principal components of images, as in the SVHN VAE experiments.

    Images are scaled to `[0, 1]`, flattened to `D = H * W * C` values, centred
    with the training mean and projected on the top `num_components`
    principal directions (fitted with `sklearn.decomposition.PCA`). With
    `whiten=True` each component is divided by its standard deviation, so the
    features have unit variance on the training data.

    Args:
        num_components: number of components `K` kept, `1 <= K <=
            min(num_fit_examples, D)`. The SVHN write-up keeps 500 of 3072.
        whiten: divide each component by `sqrt(explained_variance)`.
        fit_subset: if given, fit on this many training images drawn at random
            (without replacement) with `seed`; `None` fits on all of them.
        seed: seed for the subset and for scikit-learn's randomised SVD.
        clip: whether `inverse_transform` clips reconstructions to `[0, 1]`.
    """

    def __init__(self, num_components, whiten=True, fit_subset=None, seed=0, clip=True):
        if isinstance(num_components, bool) or not isinstance(num_components, (int, np.integer)) or num_components < 1:
            raise ValueError(
                f"`num_components` must be a positive integer. Received: num_components={num_components!r}."
            )
        if fit_subset is not None and (
            isinstance(fit_subset, bool) or not isinstance(fit_subset, (int, np.integer)) or fit_subset < 1
        ):
            raise ValueError(f"`fit_subset` must be None or a positive integer. Received: fit_subset={fit_subset!r}.")
        self.num_components = int(num_components)
        self.whiten = bool(whiten)
        self.fit_subset = None if fit_subset is None else int(fit_subset)
        self.seed = int(seed)
        self.clip = bool(clip)
        self.mean = None
        self.components = None
        self.explained_variance = None
        self.noise_variance = None
        self.image_shape = None

    @property
    def is_fitted(self):
        return self.components is not None

    def get_config(self):
        return {
            "num_components": self.num_components,
            "whiten": self.whiten,
            "fit_subset": self.fit_subset,
            "seed": self.seed,
            "clip": self.clip,
        }

    def _get_state(self):
        return {"image_shape": list(self.image_shape) if self.image_shape else None}

    def _set_state(self, state):
        shape = state.get("image_shape")
        self.image_shape = tuple(shape) if shape else None

    def _get_arrays(self):
        return {
            "mean": self.mean,
            "components": self.components,
            "explained_variance": self.explained_variance,
            "noise_variance": np.asarray(self.noise_variance, dtype=np.float64),
        }

    def _set_arrays(self, arrays):
        self.mean = np.asarray(arrays["mean"], dtype=np.float32)
        self.components = np.asarray(arrays["components"], dtype=np.float32)
        self.explained_variance = np.asarray(arrays["explained_variance"], dtype=np.float64)
        self.noise_variance = float(arrays["noise_variance"])
        if self.components.shape != (self.num_components, self.mean.shape[0]):
            raise ValueError(
                f"Saved PCA arrays do not match num_components={self.num_components}. "
                f"Received: components with shape {self.components.shape}."
            )

    def _flatten(self, images, argument_name):
        array = validate_images(images, argument_name, allowed_ranks=(4,))
        if self.image_shape is not None and tuple(array.shape[1:]) != self.image_shape:
            raise ValueError(
                f"`{argument_name}` must have image shape {self.image_shape} like the "
                f"images the PCA was fitted on. Received: shape {array.shape}."
            )
        return to_unit_interval(array, argument_name).reshape(array.shape[0], -1)

    def fit(self, images):
        """Fits the principal components.

        Args:
            images: `(N, H, W, C)` training images, `uint8` or floats in `[0, 1]`.

        Returns:
            `self`.

        Raises:
            ValueError: for a wrong rank, dtype, NaN pixels, or more components
                than `min(num_fit_examples, H * W * C)`.
        """
        from sklearn import decomposition

        array = validate_images(images, allowed_ranks=(4,))
        num_examples = array.shape[0]
        if self.fit_subset is not None and self.fit_subset < num_examples:
            rng = np.random.default_rng(self.seed)
            indices = np.sort(rng.choice(num_examples, size=self.fit_subset, replace=False))
            array = array[indices]
        self.image_shape = None
        flat = self._flatten(array, "images")
        limit = min(flat.shape)
        if self.num_components > limit:
            raise ValueError(
                f"`num_components` must be at most min(num_fit_examples, pixels per image) = "
                f"min({flat.shape[0]}, {flat.shape[1]}) = {limit}. "
                f"Received: num_components={self.num_components}."
            )
        model = decomposition.PCA(n_components=self.num_components, whiten=self.whiten, random_state=self.seed)
        model.fit(flat)
        if np.any(model.explained_variance_ <= 0):
            raise ValueError(
                "`images` do not vary along every requested component (zero variance). "
                f"Received: num_components={self.num_components}; use fewer components."
            )
        self.mean = model.mean_.astype(np.float32)
        self.components = model.components_.astype(np.float32)
        self.explained_variance = model.explained_variance_.astype(np.float64)
        self.noise_variance = float(model.noise_variance_)
        self.image_shape = tuple(int(size) for size in array.shape[1:])
        return self

    def _check_fitted(self):
        if not self.is_fitted:
            raise ValueError("PCA must be fitted before use. Received: an unfitted PCA; call `fit(images)` first.")

    def transform(self, images):
        """Projects images on the components.

        Args:
            images: `(N, H, W, C)` images like those used to fit, `uint8` or
                floats in `[0, 1]`.

        Returns:
            float32 features of shape `(N, num_components)`.

        Raises:
            ValueError: if not fitted, or for a wrong shape, dtype or NaN.
        """
        self._check_fitted()
        flat = self._flatten(images, "images")
        features = (flat - self.mean) @ self.components.T
        if self.whiten:
            features = features / np.sqrt(self.explained_variance).astype(np.float32)
        return features.astype(np.float32, copy=False)

    def inverse_transform(self, features, clip=None):
        """Maps features back to images (the dropped components are zero).

        Args:
            features: `(N, num_components)` features.
            clip: clip the result to `[0, 1]`; `None` uses the `clip` given at
                construction.

        Returns:
            float32 images of shape `(N, H, W, C)` in pixel intensity units.

        Raises:
            ValueError: if not fitted or `features` has the wrong shape.
        """
        self._check_fitted()
        array = np.asarray(features)
        if array.ndim != 2 or array.shape[1] != self.num_components:
            raise ValueError(
                f"`features` must have shape (N, {self.num_components}). Received: features with shape {array.shape}."
            )
        array = validate_images(array.astype(np.float32, copy=False), "features", allowed_ranks=(2,))
        if self.whiten:
            array = array * np.sqrt(self.explained_variance).astype(np.float32)
        flat = array @ self.components + self.mean
        if self.clip if clip is None else clip:
            flat = np.clip(flat, 0.0, 1.0)
        return flat.reshape((array.shape[0],) + tuple(self.image_shape)).astype(np.float32, copy=False)

    def log_det_jacobian(self, pixel_scale=1.0):
        """Log |det| of the map from pixel coordinates to features.

        The features `z` of an image `x` (scaled to `[0, 1]`) are
        `z = S^-1 U^T (x - mean)`, where the `K` orthonormal rows of `U^T`
        span the principal subspace and `S = diag(sqrt(explained_variance))`
        with whitening, the identity without. Restricted to that subspace the
        map is linear and invertible, so a density `p(z)` over features gives
        the density of the projected image in pixel units as

            log p(U^T (x - mean)) = log p(z) + log_det_jacobian()

        with `log_det_jacobian() = -0.5 * sum(log explained_variance)` with
        whitening and `0` without (an orthonormal projection preserves volume).
        The value is the same for every example.

        This is a density over the `K`-dimensional principal subspace only:
        the `D - K` dropped directions are not modelled, so it is not a density
        over all `D` pixels and is not comparable to pixel-space likelihoods
        unless a model of the residual is added (e.g. probabilistic PCA's
        isotropic Gaussian with variance `noise_variance`).

        Args:
            pixel_scale: the size of one intensity unit of `x`; 1 for `[0, 1]`
                intensities (what `transform` uses), 255 to express the density
                per `0..255` intensity level. Adds `-K * log(pixel_scale)`.

        Returns:
            A Python float, in nats.

        Raises:
            ValueError: if not fitted or `pixel_scale` is not positive.
        """
        self._check_fitted()
        if not pixel_scale > 0:
            raise ValueError(f"`pixel_scale` must be positive. Received: pixel_scale={pixel_scale!r}.")
        value = 0.0
        if pixel_scale != 1.0:
            value -= self.num_components * float(np.log(pixel_scale))
        if self.whiten:
            value -= 0.5 * float(np.sum(np.log(self.explained_variance)))
        return value


PREPROCESSORS = {"Scale01": Scale01, "PCA": PCA}


def load_preprocessor(path):
    """Loads a preprocessor written by `Preprocessor.save`.

    Args:
        path: the stem given to `save`, or its `.json` file.

    Returns:
        A fitted preprocessor of the saved class.

    Raises:
        FileNotFoundError: if the JSON or the arrays file is missing.
        ValueError: if the file is not a saved preprocessor, names an unknown
            class, or its arrays file does not match the recorded hash.
    """
    stem = _stem(path)
    json_path = stem.with_suffix(".json")
    if not json_path.is_file():
        raise FileNotFoundError(
            f"`path` must point at a saved preprocessor (a .json file written by save()). "
            f"Received: path={str(path)!r}; {json_path} does not exist."
        )
    try:
        document = json.loads(json_path.read_text(encoding="utf-8"))
        class_name = document["class_name"]
        config = document["config"]
    except (json.JSONDecodeError, KeyError, TypeError, UnicodeDecodeError) as error:
        raise ValueError(
            f"`path` must be a preprocessor saved by save(). Received: {json_path}, which "
            f"cannot be read as one ({type(error).__name__}: {error})."
        ) from error
    if class_name not in PREPROCESSORS:
        raise ValueError(
            f"Unknown preprocessor class in {json_path}. Received: class_name={class_name!r}; "
            f"accepted: {sorted(PREPROCESSORS)}."
        )
    preprocessor = PREPROCESSORS[class_name].from_config(config)
    preprocessor._set_state(document.get("state", {}))
    arrays_file = document.get("arrays_file")
    if arrays_file:
        npz_path = json_path.parent / arrays_file
        if not npz_path.is_file():
            raise FileNotFoundError(
                f"The arrays of the preprocessor saved in {json_path} are missing. Expected: {npz_path}."
            )
        expected = document.get("arrays_sha256")
        if expected and _sha256(npz_path) != expected:
            raise ValueError(
                f"{npz_path} does not match the sha256 recorded in {json_path}; it was "
                "modified or belongs to another save. Save the preprocessor again."
            )
        with np.load(npz_path, allow_pickle=False) as arrays:
            preprocessor._set_arrays({key: arrays[key] for key in arrays.files})
    return preprocessor
