"""Input pipelines: arrays in memory to batches for `model.fit`.

`make_dataset` builds the `tf.data` pipeline; `ArrayDataset` is the same pipeline as a
`keras.utils.PyDataset`, for backends without TensorFlow. Both scale `uint8` pixels to `[0, 1]` and can
binarise or dequantise them with fresh noise every epoch. `train_validation_split` holds out a seeded part.
"""

from __future__ import annotations

import math

import keras
import numpy as np

from vae_keras import checks, preprocessing


def train_validation_split(
    images: np.ndarray, labels: np.ndarray | None, validation_fraction: float = 0.1, seed: int = 0
) -> tuple[tuple[np.ndarray, np.ndarray | None], tuple[np.ndarray, np.ndarray | None]]:
    """Splits arrays into training and validation parts, reproducibly.

    Args:
        images: array with examples along axis 0.
        labels: array of the same length, or `None` (a dataset without labels).
        validation_fraction: share of examples held out, in `(0, 1)`; rounded
            to a whole number of examples, at least one on each side.
        seed: seed of the permutation.

    Returns:
        `((x_train, y_train), (x_validation, y_validation))`, each part in
        the order of the seeded permutation.

    Raises:
        ValueError: if the lengths differ, the fraction is outside `(0, 1)`, or
            there are fewer than two examples.
    """
    images = np.asarray(images)
    labels = None if labels is None else np.asarray(labels)
    if images.ndim == 0 or (labels is not None and (labels.ndim == 0 or len(images) != len(labels))):
        raise ValueError(
            "`images` and `labels` must have the same number of examples. "
            f"Received: images with shape {images.shape}, labels with shape {np.shape(labels)}."
        )
    if not (isinstance(validation_fraction, (int, float)) and 0.0 < validation_fraction < 1.0):
        raise ValueError(
            "`validation_fraction` must be a number strictly between 0 and 1. "
            f"Received: validation_fraction={validation_fraction!r}."
        )
    num_examples = len(images)
    if num_examples < 2:
        raise ValueError(f"`images` must hold at least 2 examples to split. Received: {num_examples}.")
    num_validation = min(max(int(round(num_examples * validation_fraction)), 1), num_examples - 1)
    order = np.random.default_rng(seed).permutation(num_examples)
    validation_indices, train_indices = order[:num_validation], order[num_validation:]
    if labels is None:
        return (images[train_indices], None), (images[validation_indices], None)
    return (images[train_indices], labels[train_indices]), (images[validation_indices], labels[validation_indices])


def _validate_pipeline_arguments(images, batch_size, binarize, dequantize, labels):
    images = preprocessing.validate_images(images, "images", allowed_ranks=(2, 4))
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
        raise ValueError(f"`batch_size` must be a positive integer. Received: batch_size={batch_size!r}.")
    if binarize and dequantize:
        raise ValueError(
            "`binarize` and `dequantize` are alternatives (Bernoulli vs. continuous "
            "likelihoods). Received: binarize=True and dequantize=True."
        )
    is_uint8 = images.dtype == np.uint8
    if dequantize and not is_uint8:
        raise ValueError(
            "`dequantize=True` needs uint8 pixels (it adds uniform noise to integer levels). "
            f"Received: images with dtype {images.dtype}."
        )
    if binarize and not is_uint8:
        low, high = float(images.min()), float(images.max())
        if low < 0.0 or high > 1.0:
            raise ValueError(
                "`binarize=True` needs uint8 pixels or float intensities in [0, 1]. "
                f"Received: float images with values in [{low:g}, {high:g}]."
            )
    if labels is not None:
        labels = np.asarray(labels)
        if labels.ndim < 1 or labels.shape[0] != images.shape[0]:
            raise ValueError(
                "`labels` must have one entry per image. "
                f"Received: labels with shape {labels.shape} for {images.shape[0]} images."
            )
    return images, labels


def make_dataset(
    images: np.ndarray,
    batch_size: int,
    *,
    shuffle: bool = True,
    seed: int = 0,
    binarize: bool = False,
    dequantize: bool = False,
    labels: np.ndarray | None = None,
    drop_remainder: bool = False,
    repeat: bool = False,
    first_epoch: int = 0,
):
    """Builds the `tf.data` input pipeline for `model.fit`.

    The arrays stay in memory as one tensor, and every epoch works on whole
    batches, as Keras's own array adapter does: draw a permutation of the
    indices, cut it into batches, then gather each batch and apply the random
    transforms in parallel, `prefetch`ing ahead of the model. Nothing is done
    per example (no element-wise `shuffle` buffer or `batch`), which on a
    2-core CPU made the old element-wise pipeline cost about 20% of the
    training throughput of the MNIST MLP (`benchmarks/input_pipeline.py`).

    Randomness: each epoch's shuffle order and binarisation or dequantisation
    noise are new, and a pure function of `(seed, epoch)` (stateless ops, no
    global seed): a batch's noise does not depend on which thread computes it,
    and a run resumed at epoch `e` (`first_epoch=e`) sees its order and noise again.

    Args:
        images: `uint8` images `(N, H, W, C)` or `(N, D)`, scaled by 1/255 to
            `[0, 1]`; or a floating-point array used as is (model-space
            features such as PCA outputs, or intensities already in `[0, 1]`).
        batch_size: examples per batch.
        shuffle: reshuffle the examples every epoch.
        seed: seed for the shuffle order and the per-epoch noise.
        binarize: dynamic binarisation, `x = float(u < x)` with a new `u ~
            U(0, 1)` every epoch. Needs `uint8` or floats in `[0, 1]`.
        dequantize: uniform dequantisation, `x = (pixel + u) / 256` with a new
            `u ~ U(0, 1)` every epoch. Needs `uint8` images.
        labels: optional array of labels; then batches are `(x, labels)`.
        drop_remainder: drop the last, smaller batch.
        repeat: repeat forever, epoch after epoch (pass `steps_per_epoch` to `fit`).
        first_epoch: the first epoch, from 0 as `fit`'s `initial_epoch`;
            without `repeat`, each new iteration is the next epoch.

    Returns:
        A `tf.data.Dataset` of float32 `x` batches, or `(x, labels)` batches
        when `labels` is given. Its cardinality is the number of batches (or
        infinite with `repeat`).

    Raises:
        ValueError: for a wrong rank or dtype, NaN values, an empty array, a
            non-positive `batch_size`, `labels` of the wrong length, or an
            incompatible combination of `binarize` / `dequantize` and dtype.
    """
    import tensorflow as tf

    images, labels = _validate_pipeline_arguments(images, batch_size, binarize, dequantize, labels)
    is_uint8 = images.dtype == np.uint8
    if not is_uint8:
        images = images.astype(np.float32, copy=False)
    epochs = _epochs(checks.integer("first_epoch", first_epoch, 0), repeat)
    index_batches, num_batches = _index_batches(images.shape[0], int(batch_size), shuffle, drop_remainder, seed, epochs)
    to_float = _to_float(is_uint8, dequantize, binarize)

    # The arrays enter as one dataset element repeated (not captured as a
    # constant of the map function), as in Keras's array adapter.
    arrays = images if labels is None else (images, labels)
    dataset = tf.data.Dataset.zip((index_batches, tf.data.Dataset.from_tensors(arrays).repeat()))

    def gather_batch(batch_and_seed, arrays):
        batch, noise_seed = batch_and_seed
        if labels is None:
            return to_float(tf.gather(arrays, batch), noise_seed)
        return to_float(tf.gather(arrays[0], batch), noise_seed), tf.gather(arrays[1], batch)

    dataset = dataset.map(gather_batch, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    cardinality = tf.data.INFINITE_CARDINALITY if repeat else num_batches
    dataset = dataset.apply(tf.data.experimental.assert_cardinality(cardinality))
    return dataset.prefetch(tf.data.AUTOTUNE)


def _epochs(first_epoch, repeat):
    """A dataset of epoch numbers: with ``repeat`` all of them from ``first_epoch``; else one, ``first_epoch`` in
    its first iteration and one more in each new one (``fit`` iterates a finite dataset once per epoch).

    The iterations are counted by a variable of the dataset, as ``Dataset.shuffle`` keeps a seed generator
    for its ``reshuffle_each_iteration``.
    """
    import tensorflow as tf

    if repeat:
        return tf.data.Dataset.counter(first_epoch)
    with tf.init_scope():
        counter = tf.Variable(first_epoch, dtype=tf.int64, trainable=False, name="epoch_counter")
    return tf.data.Dataset.from_tensors(tf.constant(0, tf.int64)).map(lambda _: counter.assign_add(1) - 1)


def _index_batches(num_examples, batch_size, shuffle, drop_remainder, seed, epochs):
    """``(dataset, num_batches)``: each epoch's (shuffled) indices cut into batches, each with its noise seed.

    ``epochs`` is a dataset of epoch numbers. Epoch ``e``'s key is folded from ``seed`` and ``e``; its
    permutation is drawn with that key, and a batch's noise seed is folded from it and the batch's number.
    """
    import tensorflow as tf

    num_full_batches = num_examples // batch_size
    remainder = 0 if drop_remainder else num_examples - num_full_batches * batch_size
    seed_key = tf.constant([seed, 0], dtype=tf.int64)

    def epoch_batches(epoch):
        epoch_key = tf.random.experimental.stateless_fold_in(seed_key, epoch)
        indices = tf.range(num_examples, dtype=tf.int64)
        if shuffle:
            indices = tf.random.experimental.stateless_shuffle(indices, seed=epoch_key)
        full = tf.reshape(indices[: num_full_batches * batch_size], (num_full_batches, batch_size))
        batches = tf.data.Dataset.from_tensor_slices(full)
        if remainder:
            batches = batches.concatenate(tf.data.Dataset.from_tensors(indices[num_full_batches * batch_size :]))
        return batches.enumerate().map(
            lambda number, batch: (batch, tf.random.experimental.stateless_fold_in(epoch_key, number))
        )

    return epochs.flat_map(epoch_batches), num_full_batches + (1 if remainder else 0)


def _to_float(is_uint8, dequantize, binarize):
    """The rules of ``vae_keras.preprocessing.to_unit_interval``, ``dequantize`` and ``binarize`` as a
    function of ``(batch, noise_seed)`` in TensorFlow ops, so that they run inside the pipeline's graph."""
    import tensorflow as tf

    def to_float(x, noise_seed):
        if is_uint8:
            if dequantize:
                uniform = tf.random.stateless_uniform(tf.shape(x), seed=noise_seed)
                x = (tf.cast(x, tf.float32) + uniform) / 256.0
                return tf.minimum(x, float(np.nextafter(np.float32(1.0), np.float32(0.0))))
            x = tf.cast(x, tf.float32) / 255.0
        else:
            x = tf.cast(x, tf.float32)
        if binarize:
            uniform = tf.random.stateless_uniform(tf.shape(x), seed=noise_seed)
            x = tf.cast(uniform < x, tf.float32)
        return x

    return to_float


class ArrayDataset(keras.utils.PyDataset):
    """The `make_dataset` pipeline as a `keras.utils.PyDataset` (no TensorFlow).

    Same scaling, binarisation and dequantisation as `make_dataset`, with NumPy
    randomness keyed by `(seed, epoch, batch index)`, so a batch does not
    depend on which worker computes it or in which order. The epoch counter
    starts at `first_epoch` and advances in `on_epoch_end`, which Keras calls
    after every epoch (and, in Keras 3.15, once more when `fit` starts); call
    `set_epoch` to jump, or pass `epoch_callback()` to `fit` to keep the
    dataset on `fit`'s own epoch (then `fit(..., initial_epoch=e)`, a resumed
    training, sees epoch `e`'s order and noise, as an uninterrupted one did).

    Pass `shuffle=False` to `model.fit`: this class already shuffles the
    examples, and Keras would otherwise also permute the batch order with
    Python's unseeded `random`.

    Args:
        images, batch_size, shuffle, seed, binarize, dequantize, labels,
            drop_remainder, first_epoch: as in `make_dataset`.
        **kwargs: `workers`, `use_multiprocessing`, `max_queue_size`, passed
            to `keras.utils.PyDataset`.

    Raises:
        ValueError: as `make_dataset`.
    """

    def __init__(
        self,
        images,
        batch_size,
        *,
        shuffle=True,
        seed=0,
        binarize=False,
        dequantize=False,
        labels=None,
        drop_remainder=False,
        first_epoch=0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        images, labels = _validate_pipeline_arguments(images, batch_size, binarize, dequantize, labels)
        self.images = images
        self.labels = labels
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.seed = int(seed)
        self.binarize = bool(binarize)
        self.dequantize = bool(dequantize)
        self.drop_remainder = bool(drop_remainder)
        self.epoch = checks.integer("first_epoch", first_epoch, 0)
        self._order_epoch = None
        self._order = None

    def __len__(self):
        if self.drop_remainder:
            return len(self.images) // self.batch_size
        return math.ceil(len(self.images) / self.batch_size)

    def set_epoch(self, epoch):
        """Sets the epoch whose order and noise `__getitem__` returns."""
        self.epoch = int(epoch)

    def on_epoch_end(self):
        self.epoch += 1

    def epoch_callback(self):
        """A Keras callback for `fit` that sets this dataset's epoch to `fit`'s as each epoch begins.

        `fit` reads a `PyDataset`'s batches after its callbacks' `on_epoch_begin` (with workers, the
        enqueuer starts then too), so epoch `e` of `fit` always gets epoch `e`'s order and noise,
        however many times Keras called `on_epoch_end` before.
        """
        return keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs=None: self.set_epoch(epoch))

    def _epoch_order(self):
        if self._order_epoch != self.epoch:
            if self.shuffle:
                self._order = np.random.default_rng([self.seed, self.epoch]).permutation(len(self.images))
            else:
                self._order = np.arange(len(self.images))
            self._order_epoch = self.epoch
        return self._order

    def __getitem__(self, index):
        if not 0 <= index < len(self):
            raise IndexError(f"`index` must be in [0, {len(self)}). Received: index={index}.")
        indices = self._epoch_order()[index * self.batch_size : (index + 1) * self.batch_size]
        batch = self.images[indices]
        rng = np.random.default_rng([self.seed, self.epoch, index, 1])
        # The rules of `vae_keras.preprocessing`, applied to one batch.
        if self.dequantize:
            x = preprocessing.dequantize(batch, rng)
        elif self.binarize:
            x = preprocessing.binarize(batch, rng)
        elif batch.dtype == np.uint8:
            x = preprocessing.to_unit_interval(batch)
        else:
            x = batch.astype(np.float32, copy=False)
        if self.labels is None:
            return (x,)
        return x, self.labels[indices]
