"""Training runs: data preparation, a resumable ``fit``, and the run folder.

A run folder holds everything one run produced::

    RUN_DIR/
      config.json          the ExperimentConfig
      fingerprint.json     what makes it this training: the config, the data's sha256, the hash of the
                           training code, the Keras backend (``vae_keras.fingerprint``)
      state.json           status (running/completed/diverged/interrupted),
                           completed epochs, history, latest checkpoint and the
                           seed generators' states it needs (``vae_keras.checkpoints``)
      history.csv          one row per completed epoch
      checkpoints/         the latest resumable checkpoint (.keras, with optimizer)
      preprocessor.*       the fitted PCA, when input_space is pca*
      model.keras          the final model; written only when the run completes
      logs/                TensorBoard logs (TensorFlow backend)
      figures/             reconstructions, samples, loss curves
      metrics-<split>-k<K>.json  written by ``vae-keras evaluate``; the whole test
                           split's latest one also as metrics.json

Every file is written atomically. A run started again with the same command
resumes from the last checkpoint, as the same run: each epoch's data order and
noise depend on the seed and the epoch only, and the checkpoint restores the
weights, the optimizer and the seed generators; a completed run is not retrained unless
``num_epochs`` is raised. Either only when the folder holds the same training
(its fingerprint matches); a folder of another training is moved aside to
``RUN_DIR.stale-<n>`` and the training starts from scratch.
"""

import csv
import io
import logging
import math
import sys
import time
from pathlib import Path

import keras
import numpy as np

from vae_keras import config as config_lib
from vae_keras import distribute, fingerprint, guards, io_utils, likelihoods, models, plots, preprocessing, validation
from vae_keras.checkpoints import load_checkpoint, seed_generator_states
from vae_keras.data.pipeline import ArrayDataset
from vae_keras.data.prepared import PreparedData, load_splits, prepare_data  # noqa: F401  (re-exported)
from vae_keras.guards import DivergenceGuard, TrainingDivergedError  # noqa: F401  (re-exported)
from vae_keras.schedules import (  # noqa: F401  (re-exported)
    BURDA_STAGES,
    burda_learning_rates,
    burda_stage_ends,
    learning_rate_for,
)

#: The guard's former name (it watched NaN and Inf only).
NonFiniteGuard = DivergenceGuard

logger = logging.getLogger("vae_keras.train")

STATE_FILE = "state.json"
PREPROCESSOR_FILE = "preprocessor"
COMPLETED = "completed"


def whole_blocks(steps_per_epoch, steps_per_execution):
    """The largest number of steps per compiled call, at most ``steps_per_execution``, that divides an epoch."""
    return max(d for d in range(1, max(1, steps_per_execution) + 1) if steps_per_epoch % d == 0)


# --------------------------------------------------------------------------
# Model and optimizer
# --------------------------------------------------------------------------


def build_model(config, input_shape, steps_per_epoch, num_classes=None):
    """The VAE described by ``config`` for inputs of ``input_shape``.

    ``num_classes`` is needed (and used) only when ``config.conditional``. The layers use
    ``config.dtype_policy``; ``compile`` then wraps the optimizer for loss scaling under
    ``mixed_float16``, as Keras does for a model of that policy.
    """
    likelihood_options = likelihoods.LIKELIHOODS.get(config.likelihood).options_from(config)
    # Layers take the global dtype policy when they are created: set it for this model only.
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(config.dtype_policy)
    try:
        return _build_vae(config, input_shape, steps_per_epoch, num_classes, likelihood_options)
    finally:
        keras.config.set_dtype_policy(previous)


def _build_vae(config, input_shape, steps_per_epoch, num_classes, likelihood_options):
    return models.build_vae(
        input_shape,
        config.latent_dim,
        architecture=config.architecture,
        likelihood=config.likelihood,
        hidden_units=config.hidden_units,
        decoder_units=_decoder_units(config.decoder_units),
        conv_filters=config.conv_filters,
        activation=config.activation,
        batch_norm=config.batch_norm,
        dropout=config.dropout,
        split_encoder_output=config.split_encoder_output,
        log_var_init_scale=config.log_var_init_scale or None,
        beta=config.beta,
        kl_warmup_steps=config.kl_warmup_epochs * steps_per_epoch,
        seed=config.seed,
        likelihood_options=likelihood_options,
        num_classes=num_classes if config.conditional else None,
        train_samples=config.train_samples,
    )


def _decoder_units(setting):
    """``build_vae``'s ``decoder_units`` for a config's: ``None`` to mirror the encoder, ``()`` for none."""
    if setting == config_lib.NO_DECODER_UNITS:
        return ()
    return setting or None


def initialize_from(vae, path):
    """Copies the weights of the model saved at ``path`` into ``vae`` (same architecture).

    Only the weights come over, not the optimizer state: the run starts a fresh
    optimizer (typically at another learning rate).

    Raises:
        FileNotFoundError: if ``path`` does not exist.
        ValueError: if the saved model's weights do not match ``vae``'s.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"`init_from` must name a saved .keras model. Received: init_from={str(path)!r}")
    source = keras.saving.load_model(path, compile=False)
    ours, theirs = vae.get_weights(), source.get_weights()
    if [w.shape for w in ours] != [w.shape for w in theirs]:
        raise ValueError(
            f"`init_from` must be a model of the same architecture. Received: init_from={str(path)!r} whose "
            f"{len(theirs)} weights have other shapes than this run's {len(ours)}"
        )
    vae.set_weights(theirs)
    return vae


def resolve_jit_compile(setting):
    """The ``jit_compile`` argument of ``Model.compile`` for a config's ``auto``/``true``/``false``.

    ``auto`` is passed on as Keras's own ``"auto"``: XLA on JAX and on accelerators, not for TensorFlow
    on a CPU, and never for a model with a layer that does not support it (``model_supports_jit``).
    """
    return {"auto": "auto", "true": True, "false": False}[setting]


def apply_jit_compile(vae, setting):
    """Sets a loaded model's ``jit_compile`` from a config's ``auto``/``true``/``false``, for this process.

    A ``.keras`` file keeps the value its saving process resolved ``"auto"`` to, so a run started with
    TensorFlow on a CPU (no XLA) and resumed on JAX would otherwise train op by op (3.7x slower per epoch
    on notebook 06's K&W Adam row),
    and one started on JAX would resume on TensorFlow under XLA. Resolving again here gives the resumed
    run what a new run on this backend gets.
    """
    value = resolve_jit_compile(setting)
    if value == "auto":
        # Keras's own resolution of "auto" (XLA on JAX and on accelerators, off for TensorFlow on a CPU
        # or under tf.distribute, off for a model with a layer that does not support it).
        value = vae._resolve_auto_jit_compile()
    vae.jit_compile = value
    return vae


def make_optimizer(config, steps_per_epoch=1):
    """The optimizer of ``config``; ``steps_per_epoch`` places the stages of a learning-rate schedule."""
    classes = {
        "adam": keras.optimizers.Adam,
        "adagrad": keras.optimizers.Adagrad,
        "sgd": keras.optimizers.SGD,
        "rmsprop": keras.optimizers.RMSprop,
    }
    options = {"learning_rate": learning_rate_for(config, steps_per_epoch)}
    if config.optimizer == "adam":
        options["epsilon"] = config.adam_epsilon
    if config.clipnorm:
        options["clipnorm"] = config.clipnorm
    return classes[config.optimizer](**options)


def initialize_output_bias(vae, targets):
    """Starts a Bernoulli MLP decoder's output logits at each pixel's training mean.

    With zero weights into the output layer the first reconstructions are then the
    mean image rather than grey; Burda et al. and Kingma's code start this way.
    """
    layer = vae.decoder.get_layer("params")
    mean = np.clip(np.mean(targets, axis=0).reshape(-1), 1e-3, 1 - 1e-3)
    kernel, bias = layer.get_weights()
    layer.set_weights([kernel, np.log(mean / (1 - mean)).astype(bias.dtype).reshape(bias.shape)])
    return vae


def compile_model(vae, config, steps_per_epoch=1):
    vae.compile(
        optimizer=make_optimizer(config, steps_per_epoch),
        steps_per_execution=config.steps_per_execution,
        jit_compile=resolve_jit_compile(config.jit_compile),
    )
    return vae


# --------------------------------------------------------------------------
# Run state and callbacks
# --------------------------------------------------------------------------


def read_state(run_dir):
    """The run's ``state.json`` as a dict, or ``None`` for a new run."""
    path = Path(run_dir) / STATE_FILE
    if not path.exists():
        return None
    import json

    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ValueError(
            f"{path} is not valid JSON ({error}); the run folder is damaged. "
            "Accepted: a state.json written by `vae-keras train`; start again in a new --out folder."
        ) from None


def write_state(run_dir, state):
    io_utils.atomic_write_json(Path(run_dir) / STATE_FILE, state)
    io_utils.atomic_write_text(Path(run_dir) / "history.csv", history_to_csv(state["history"]))


def history_to_csv(rows):
    columns = []
    for row in rows:
        columns += [key for key in row if key not in columns]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


class RunCheckpoint(keras.callbacks.Callback):
    """Saves a resumable checkpoint and the run state at the end of epochs.

    Order of writes, each atomic: the new checkpoint file, then
    ``state.json`` pointing at it (with the history up to that epoch and the
    seed generators' states, which the ``.keras`` file leaves out), then
    ``history.csv``; only then are older checkpoints removed. A kill at any
    moment leaves ``state.json`` pointing at a complete checkpoint whose
    epoch matches the history.
    """

    def __init__(self, run_dir, state, every, min_seconds=0.0):
        super().__init__()
        self.run_dir = Path(run_dir)
        self.state = state
        self.every = every
        self.min_seconds = min_seconds
        self._history = list(state["history"])
        self._epoch_start = time.time()
        self._last_save = time.time()

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch_start = time.time()

    def on_epoch_end(self, epoch, logs=None):
        completed = epoch + 1
        row = {"epoch": completed}
        row.update({key: float(value) for key, value in sorted((logs or {}).items())})
        row["seconds"] = round(time.time() - self._epoch_start, 3)
        self._history.append(row)
        last = completed == self.params.get("epochs")
        if not last and (completed % self.every or time.time() - self._last_save < self.min_seconds):
            return
        checkpoint = Path("checkpoints") / f"epoch-{completed:06d}.keras"
        io_utils.atomic_save_model(self.model, self.run_dir / checkpoint)
        seed_generators = seed_generator_states(self.model)
        self.state.update(
            epoch=completed, checkpoint=str(checkpoint), history=list(self._history), seed_generators=seed_generators
        )
        write_state(self.run_dir, self.state)
        self._last_save = time.time()
        for old in (self.run_dir / "checkpoints").glob("*.keras"):
            if old.name != checkpoint.name:
                old.unlink(missing_ok=True)


class ProgressPrinter(keras.callbacks.Callback):
    """Prints one line every ``every`` epochs (and the last): compact progress for notebooks and logs.

    Args:
        every: print every this many epochs; ``None`` picks about 20 lines per run.
        metrics: the logged values to show.
    """

    def __init__(self, every=None, metrics=("nelbo", "val_nelbo", "kl")):
        super().__init__()
        self.every = every
        self.metrics = metrics
        self._start = time.time()

    def on_train_begin(self, logs=None):
        self._start = time.time()
        self._first = None

    def on_epoch_end(self, epoch, logs=None):
        total = self.params.get("epochs") or epoch + 1
        every = self.every or max(1, total // 20)
        if self._first is None:
            self._first = epoch
        done = epoch + 1
        if done % every and done != total:
            return
        elapsed = time.time() - self._start
        per_epoch = elapsed / (epoch - self._first + 1)
        values = "  ".join(f"{k} {float(logs[k]):.3f}" for k in self.metrics if logs and k in logs)
        remaining = per_epoch * (total - done)
        print(f"epoch {done}/{total}  {values}  ({per_epoch:.2f} s/epoch, ~{remaining / 60:.1f} min left)", flush=True)


# --------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------


def train(config, run_dir, resume=True, verbose=None, callbacks=None, figures=True):
    """Trains (or resumes) the run described by ``config`` in ``run_dir``.

    With ``config.distribute`` the model is built (or loaded), compiled and fitted
    data-parallel over every local device (``vae_keras.distribute``).

    Args:
        config: an ``ExperimentConfig``.
        run_dir: the run folder; created if missing.
        resume: continue from the folder's last checkpoint if it has one, or reuse its completed run,
            when it is the same training (``vae_keras.fingerprint``); a folder of another training is
            moved aside to ``<run_dir>.stale-<n>`` and the training starts from scratch, after a printed
            line naming what differs. With ``False`` an existing run folder is an error.
        verbose: Keras verbosity; default: a progress bar on terminals, one
            line per epoch otherwise; ``"compact"``: about 20 lines per run.
        callbacks: extra Keras callbacks (e.g. to record per-batch losses).
        figures: draw the run's figures into ``RUN_DIR/figures`` when it
            completes (the study notebooks draw their own and skip this).

    Returns:
        ``(vae, prepared_data, state)``.

    Raises:
        TrainingDivergedError: if a loss term becomes NaN or Inf, or explodes (``vae_keras.guards``).
        ValueError: for invalid settings, data or ``run_dir``, a model too large to start without
            ``allow_large`` (``vae_keras.validation``).
    """
    with distribute.scope(config.distribute, config.batch_size) as devices:
        # JAX shards every batch across the devices, so each batch must split evenly: the last,
        # smaller batch of an epoch is dropped (a new shuffle each epoch lets every example in).
        even_batches = len(devices) if devices and keras.backend.backend() == "jax" else 1
        return _train(config, Path(run_dir), resume, verbose, callbacks, figures, even_batches)


def _train(config, run_dir, resume, verbose, callbacks, figures, even_batches=1):
    state = read_state(run_dir)
    if state is not None and not resume:
        raise ValueError(
            f"The run folder {str(run_dir)!r} already holds a run. Pass resume=True "
            "(on the command line: leave out --no-resume) to continue it, or choose another folder."
        )
    splits = load_splits(config)
    state, current = _checked_start(config, run_dir, state, splits)
    keras.utils.set_random_seed(config.seed)

    preprocessor = None
    preprocessor_path = run_dir / f"{PREPROCESSOR_FILE}.json"
    if state is not None and preprocessor_path.exists():
        preprocessor = preprocessing.load_preprocessor(preprocessor_path)
    prepared = prepare_data(config, preprocessor=preprocessor, splits=splits)
    drop_remainder = even_batches > 1
    steps_per_epoch = (math.floor if drop_remainder else math.ceil)(len(prepared.train[0]) / config.batch_size)

    vae, state, initial_epoch = _start_model(config, run_dir, state, prepared, steps_per_epoch, preprocessor_path)
    config.save(run_dir / "config.json")  # a new run's settings, or a resumed run's raised num_epochs
    fingerprint.write(run_dir, current)  # before state.json: a folder with a state has a fingerprint

    if state.get("status") == COMPLETED and initial_epoch >= config.num_epochs:
        print(f"{run_dir} already completed {initial_epoch} epochs; nothing to train.", flush=True)
        return vae, prepared, state

    vae.likelihood.validate_targets(prepared.model_inputs(prepared.train[0][:1000], seed=config.seed))

    state["status"] = "running"
    state.pop("error", None)
    backend = keras.backend.backend()
    if state.get("keras_backend", backend) != backend:
        print(f"Note: epochs 1..{initial_epoch} trained on {state['keras_backend']}; the rest trains on {backend}.")
    state["keras_backend"] = backend
    state["jit_compile"] = bool(vae.jit_compile)
    write_state(run_dir, state)
    validation_data = _validation_data(config, prepared, even_batches)
    callbacks, verbose = _callbacks(config, run_dir, state, callbacks, verbose)
    print(
        f"Training {config.architecture} VAE on {config.dataset!r} ({len(prepared.train[0])} examples, "
        f"input {prepared.input_shape}) for epochs {initial_epoch + 1}..{config.num_epochs}; run folder: {run_dir}",
        flush=True,
    )
    try:
        repeat = keras.backend.backend() == "tensorflow"
        if repeat:
            # One iterator for all epochs needs whole blocks of steps per epoch: Keras runs a block of
            # steps_per_execution steps to its end, so a block that crossed an epoch's end would add steps.
            vae.steps_per_execution = whole_blocks(steps_per_epoch, config.steps_per_execution)
        # Epoch e's order and noise depend on (seed, e) only: a resumed run sees an uninterrupted run's.
        training_input = prepared.training_input(
            config.batch_size, seed=config.seed, repeat=repeat, drop_remainder=drop_remainder, first_epoch=initial_epoch
        )
        if isinstance(training_input, ArrayDataset):  # a PyDataset follows fit's epoch through a callback
            callbacks.append(training_input.epoch_callback())
        vae.fit(
            training_input,
            steps_per_epoch=steps_per_epoch if repeat else None,
            epochs=config.num_epochs,
            initial_epoch=initial_epoch,
            validation_data=validation_data,
            validation_batch_size=max(config.batch_size, 500),
            callbacks=callbacks,
            shuffle=False,
            verbose=verbose,
        )
    except TrainingDivergedError as error:
        _mark(run_dir, "diverged", str(error))
        raise
    except KeyboardInterrupt:
        _mark(run_dir, "interrupted", "stopped by the user; run the same command to resume")
        raise
    except Exception as error:
        _mark(run_dir, "failed", f"{type(error).__name__}: {error}")
        raise
    return vae, prepared, _complete(vae, prepared, run_dir, figures)


def _checked_start(config, run_dir, state, splits):
    """Every check before any work, then the state to go on from: ``(state, fingerprint)``.

    Nothing is fitted, built, written or moved until the data, the folder and the model's size are known
    to work. ``state`` is ``None`` for a new run, and for a folder of another training, which is then
    moved aside (``vae_keras.fingerprint``); otherwise what a killed run left behind is cleaned up.
    """
    current = fingerprint.training_fingerprint(config)  # after loading: a first download has files to hash
    other = []
    if state is not None:
        reusing = state.get("status") == COMPLETED and int(state.get("epoch") or 0) == config.num_epochs
        other = fingerprint.mismatch(run_dir, current, state, reusing)
    validation.validate_training(config, run_dir, *splits, resuming=state is not None and not other)
    if other:
        fingerprint.set_aside(run_dir, other)
        return None, current
    if state is not None:
        _remove_stale_files(run_dir, state)
    return state, current


def _start_model(config, run_dir, state, prepared, steps_per_epoch, preprocessor_path):
    """The model to train, loaded from the run's checkpoint or built new: ``(vae, state, initial_epoch)``.

    A new run's folder is created here, after every check: bad settings or data leave no folder behind.
    """
    if state is not None and state.get("checkpoint"):
        initial_epoch = int(state["epoch"])
        vae = apply_jit_compile(load_checkpoint(run_dir, state), config.jit_compile)
        logger.info("Resuming %s from epoch %d", run_dir, initial_epoch)
        print(f"Resuming {run_dir} from the checkpoint of epoch {initial_epoch}.", flush=True)
        return vae, state, initial_epoch
    num_classes = prepared.num_classes if config.conditional else None
    model = build_model(config, prepared.input_shape, steps_per_epoch, num_classes=num_classes)
    if config.output_bias_init == "data_mean":
        initialize_output_bias(model, prepared.model_inputs(prepared.train[0], seed=config.seed))
    if config.init_from:
        initialize_from(model, config.init_from)
    vae = compile_model(model, config, steps_per_epoch)
    state = {"status": "running", "epoch": 0, "checkpoint": None, "history": []}
    run_dir.mkdir(parents=True, exist_ok=True)
    if prepared.preprocessor is not None:
        prepared.preprocessor.save(preprocessor_path)
    return vae, state, 0


def _validation_data(config, prepared, even_batches):
    """``fit``'s ``validation_data``: the held-out images (with labels for a conditional VAE), or ``None``."""
    if prepared.validation is None:
        return None
    # A multiple of the devices' number (all of it on one device), so that every batch splits evenly.
    keep = len(prepared.validation[0]) // even_batches * even_batches
    x = prepared.model_inputs(prepared.validation[0][:keep], seed=config.seed)
    return (x, prepared.validation[1][:keep]) if config.conditional else (x,)


def _callbacks(config, run_dir, state, extra, verbose):
    """The run's callbacks (the divergence guard first) and ``fit``'s verbosity: ``(callbacks, verbose)``."""
    callbacks = [
        DivergenceGuard(run_dir, reference=guards.first_epoch_means(state["history"])),
        RunCheckpoint(run_dir, state, config.checkpoint_every, config.checkpoint_seconds),
        *(extra or []),
    ]
    if config.tensorboard:  # Keras writes the summaries with TensorFlow, on every backend
        callbacks.append(keras.callbacks.TensorBoard(log_dir=str(run_dir / "logs")))
    if verbose == "compact":
        callbacks.append(ProgressPrinter())
        verbose = 0
    elif verbose is None:
        verbose = 1 if sys.stdout.isatty() else 2
    return callbacks, verbose


def _complete(vae, prepared, run_dir, figures):
    """Marks a run whose epochs all trained as completed; returns its state.

    Figures, then the model, then the status: a run marked completed is never re-entered, and a model.keras
    never sits beside a run that did not complete (figures that fail leave none; a rerun redraws them and
    saves it).
    """
    state = read_state(run_dir)
    if figures:
        try:
            save_figures(vae, prepared, state["history"], run_dir)
        except Exception as error:
            _mark(run_dir, "failed", f"drawing the figures: {type(error).__name__}: {error}")
            raise
    io_utils.atomic_save_model(vae, run_dir / "model.keras")
    state["status"] = COMPLETED
    write_state(run_dir, state)
    print(f"Completed {state['epoch']} epochs. Results in {run_dir}", flush=True)
    return state


def _remove_stale_files(run_dir, state):
    """Deletes what a killed run left behind: temporary files of interrupted
    atomic writes, and checkpoints that ``state.json`` does not point at."""
    for folder in (run_dir, run_dir / "checkpoints", run_dir / "figures"):
        io_utils.remove_temporaries(folder)
    if state.get("status") != COMPLETED:  # a final model of a run that did not complete
        (run_dir / "model.keras").unlink(missing_ok=True)
    current = Path(state["checkpoint"]).name if state.get("checkpoint") else None
    for checkpoint in (run_dir / "checkpoints").glob("*.keras"):
        if checkpoint.name != current:
            checkpoint.unlink(missing_ok=True)


def _mark(run_dir, status, message):
    """Records a failed status without touching the checkpoint it points at."""
    state = read_state(run_dir) or {"epoch": 0, "checkpoint": None, "history": []}
    state.update(status=status, error=message)
    write_state(run_dir, state)


def save_figures(vae, prepared, history, run_dir, num_images=10, seed=0):
    """Reconstructions, samples and loss curves of a run, as PNGs in ``RUN_DIR/figures``."""
    test_images = prepared.test[0][:num_images]
    test_labels = None if prepared.test[1] is None else prepared.test[1][:num_images]
    x = prepared.model_inputs(test_images, seed=seed)
    originals = preprocessing.to_unit_interval(test_images)
    num_samples = num_images * 4
    if prepared.config.conditional:
        # Each column one label, so the grid reads as styles (rows) x labels (columns); the labels are
        # the dataset's own (a dataset may skip some, or number them from 1).
        classes = prepared.classes
        labels = classes[np.arange(num_samples) % min(num_images, len(classes))]
        reconstructed = vae.reconstruct(x, labels=test_labels)
        samples = vae.sample(num_samples, labels=labels, seed=seed)
    else:
        reconstructed = vae.reconstruct(x)
        samples = vae.sample(num_samples, seed=seed)
    figures = {
        "reconstructions": plots.reconstructions(originals, prepared.to_images(reconstructed)),
        "samples": plots.image_grid(
            prepared.to_images(samples), num_columns=num_images, title="Samples from p(x|z), z ~ N(0, I)"
        ),
        "loss_curves": plots.loss_curves(history),
    }
    for name, figure in figures.items():
        plots.save_figure(figure, run_dir, name)
    return sorted(figures)
