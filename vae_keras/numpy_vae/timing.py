"""Timing the NumPy VAE against the Keras VAE, and summarising the run.

``compare_with_keras`` trains both from the same weights with the same Adam
settings, interleaving their epochs (and alternating which goes first, so both
see the same load on the machine), and records each epoch's wall time,
training loss and test ELBO, scored for both by the same estimator.
``side_by_side`` pairs its rows by epoch, and ``summarize_comparison`` gives
the headline numbers: the median time of an epoch after the first (which
includes Keras's tracing) and the final test ELBOs. Keras is imported only
when ``compare_with_keras`` is called.
"""

import math
import time

import numpy as np

from vae_keras.numpy_vae.blas import _check_blas_threads, limit_blas_threads
from vae_keras.numpy_vae.keras_interop import from_keras
from vae_keras.numpy_vae.validation import _check_activation, _check_positive_int


def compare_with_keras(
    x_train,
    x_test,
    num_epochs=3,
    batch_size=100,
    hidden_units=(512,),
    latent_dim=20,
    seed=0,
    learning_rate=0.001,
    activation="relu",
    blas_threads=None,
    verbose=0,
    return_models=False,
):
    """Trains the NumPy VAE and the Keras VAE side by side and times their epochs.

    Both start from the same weights (the Keras model's initialisation, copied
    into the NumPy model) and train with Adam at the same learning rate and
    batch size. Epochs are interleaved, one epoch of each at a time, and the
    model that goes first alternates, so both see the same load on the machine.
    The Keras model is compiled as ``vae_keras.train`` compiles it
    (``jit_compile="auto"``); its first epoch includes tracing.

    After every epoch both are scored on ``x_test`` by the same estimator: the
    Keras weights are copied into a ``NumpyVAE`` and ``elbo(x_test, seed)`` is
    averaged, so the two ELBOs use identical noise.

    Calls ``keras.utils.set_random_seed(seed)`` (a global side effect) so the
    Keras initialisation and shuffles are reproducible.

    Args:
        x_train: training data ``(n, ...)`` in ``[0, 1]`` (binarise it first
            for a proper Bernoulli likelihood).
        x_test: held-out data of the same shape.
        num_epochs: epochs of each model, >= 1.
        batch_size: examples per step.
        hidden_units: the encoder's hidden widths.
        latent_dim: size of z.
        seed: seed of the initialisation, shuffles and noise.
        learning_rate: Adam's step size.
        activation: ``"relu"`` or ``"tanh"``.
        blas_threads: if set, NumPy's BLAS runs with this many threads during
            the NumPy epochs (see ``limit_blas_threads``). On a machine shared
            with other jobs, OpenBLAS's spinning worker threads can make an
            epoch ten times slower, and ``1`` avoids that. ``None`` or 0 keeps
            NumPy's default. TensorFlow's thread pool is fixed at start-up
            and is left alone.
        verbose: 1 to print each row as it is measured.
        return_models: also return the two trained models.

    Returns:
        A dict table (columns of equal length, one row per model and epoch,
        ready for ``pandas.DataFrame``): ``model`` (``"numpy"`` or
        ``"keras"``), ``epoch`` (1-based), ``seconds`` (wall time of the
        epoch), ``train_loss`` (mean loss over the epoch, nats) and
        ``test_elbo`` (mean ELBO on ``x_test`` after the epoch, nats).
        With ``return_models=True``: ``(table, numpy_model, keras_vae)``.
        The Keras VAE is built on flattened inputs ``(input_dim,)``, so its
        ``sample`` returns flat images, as ``NumpyVAE.generate`` does.

    Raises:
        ValueError: for invalid data or settings.
    """
    num_epochs = _check_positive_int("num_epochs", num_epochs)
    _check_blas_threads(blas_threads)
    numpy_model, vae, x_train, x_test = _twin_models(
        x_train, x_test, hidden_units, latent_dim, seed, learning_rate, activation
    )
    epochs = _Interleaved(numpy_model, vae, x_train, batch_size, learning_rate, seed, blas_threads)
    table = {"model": [], "epoch": [], "seconds": [], "train_loss": [], "test_elbo": []}
    for epoch in range(num_epochs):
        runs = [("numpy", epochs.numpy_epoch), ("keras", epochs.keras_epoch)]
        for name, run in runs if epoch % 2 else runs[::-1]:
            seconds, loss, scored = run(epoch)
            row = (name, epoch + 1, seconds, loss, float(np.mean(scored.elbo(x_test, seed=seed))))
            for key, value in zip(table, row):
                table[key].append(value)
            if verbose:
                print("  ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in zip(table, row)))
    return (table, numpy_model, vae) if return_models else table


def _twin_models(x_train, x_test, hidden_units, latent_dim, seed, learning_rate, activation):
    """The Keras VAE (seeded, compiled as ``vae_keras.train`` compiles it) and a NumPy VAE with its weights,
    and the data checked once for both and flattened: ``(numpy_model, vae, x_train, x_test)``."""
    import keras

    from vae_keras import models
    from vae_keras import train as training

    x_train = np.asarray(x_train)
    if x_train.ndim < 2 or not len(x_train):
        raise ValueError(f"`x_train` must be a non-empty batch (n, ...). Received: x_train.shape={x_train.shape}")
    keras.utils.set_random_seed(seed)
    vae = models.build_vae(
        (math.prod(x_train.shape[1:]),),
        latent_dim,
        hidden_units=hidden_units,
        activation=_check_activation(activation),
        seed=seed,
    )
    numpy_model = from_keras(vae)
    # Checks the data once for both models (shape and range), and flattens it for Keras.
    x_train, x_test = numpy_model._as_batch(x_train, "x_train"), numpy_model._as_batch(x_test, "x_test")
    vae.compile(
        optimizer=keras.optimizers.Adam(learning_rate=learning_rate),
        jit_compile=training.resolve_jit_compile("auto"),
    )
    return numpy_model, vae, x_train, x_test


class _Interleaved:
    """One training epoch of either model at a time: ``(seconds, mean loss, a NumpyVAE to score)``."""

    def __init__(self, numpy_model, vae, x_train, batch_size, learning_rate, seed, blas_threads):
        self.numpy_model, self.vae, self.x_train = numpy_model, vae, x_train
        self.batch_size, self.learning_rate = batch_size, learning_rate
        self.seed, self.blas_threads = seed, blas_threads

    def numpy_epoch(self, epoch):
        with limit_blas_threads(self.blas_threads):
            history = self.numpy_model.train(
                self.x_train,
                1,
                batch_size=self.batch_size,
                learning_rate=self.learning_rate,
                seed=self.seed + epoch,
                verbose=0,
            )
        return history["seconds"][0], history["loss"][0], self.numpy_model

    def keras_epoch(self, epoch):
        start = time.perf_counter()
        history = self.vae.fit(self.x_train, epochs=1, batch_size=self.batch_size, shuffle=True, verbose=0)
        seconds = time.perf_counter() - start
        return seconds, float(history.history["loss"][0]), from_keras(self.vae)


def side_by_side(table):
    """One row per epoch with both models' time and test ELBO, from ``compare_with_keras``'s table.

    Args:
        table: the dict table returned by ``compare_with_keras``.

    Returns:
        A list of dicts, one per epoch, with keys in this order: ``epoch``,
        ``numpy_seconds``, ``keras_seconds``, ``numpy_test_elbo``,
        ``keras_test_elbo`` (``None`` where the table has no row).
    """
    columns = ("numpy_seconds", "keras_seconds", "numpy_test_elbo", "keras_test_elbo")
    rows = {}
    for model, epoch, seconds, elbo in zip(table["model"], table["epoch"], table["seconds"], table["test_elbo"]):
        row = rows.setdefault(epoch, dict.fromkeys(columns))
        row[f"{model}_seconds"] = seconds
        row[f"{model}_test_elbo"] = elbo
    return [{"epoch": epoch, **rows[epoch]} for epoch in sorted(rows)]


def summarize_comparison(table):
    """Headline numbers of ``compare_with_keras``'s table, per model.

    The time of an epoch is the median over epochs 2 and later when there are
    any: the first epoch of the Keras model includes tracing the training
    step, which is a one-off cost, not a per-epoch one. The test ELBO is the
    one after the last epoch.

    Args:
        table: the dict table returned by ``compare_with_keras``.

    Returns:
        A dict of floats: ``numpy_seconds_per_epoch``,
        ``keras_seconds_per_epoch``, ``numpy_test_elbo``, ``keras_test_elbo``
        (nats), and ``keras_first_epoch_seconds``.

    Raises:
        ValueError: if the table lacks a model's rows.
    """
    times, elbos, first_epoch = {}, {}, {}
    for model in ("numpy", "keras"):
        rows = sorted(
            (epoch, seconds, elbo)
            for name, epoch, seconds, elbo in zip(table["model"], table["epoch"], table["seconds"], table["test_elbo"])
            if name == model
        )
        if not rows:
            raise ValueError(f"`table` must hold rows of both models. Received: no rows with model={model!r}")
        times[model] = float(np.median([seconds for _, seconds, _ in rows[1:]] or [rows[0][1]]))
        elbos[model] = float(rows[-1][2])
        first_epoch[model] = float(rows[0][1])
    summary = {f"{model}_seconds_per_epoch": seconds for model, seconds in times.items()}
    summary.update({f"{model}_test_elbo": elbo for model, elbo in elbos.items()})
    summary["keras_first_epoch_seconds"] = first_epoch["keras"]
    return summary
