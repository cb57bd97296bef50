"""Evaluation: the ELBO, importance-weighted log p(x), and bits per dimension.

All log-likelihoods are nats per example. The importance-weighted estimate
(Burda et al., 2016) with ``k`` samples z_i ~ q(z|x) is

    log p(x) ~= logsumexp_i [log p(x|z_i) + log p(z_i) - log q(z_i|x)] - log k

a lower bound on log p(x) that tightens as ``k`` grows (``k=1`` is the ELBO).
The estimator is a small Keras model run with ``predict``: Keras compiles it
for the active backend, batches it, and shows a progress bar.
"""

import math
import weakref

import keras
import numpy as np
from keras import ops

from vae_keras import checks, likelihoods, run_folder

LOG2 = math.log(2.0)

#: What ``<key>_stderr`` in the metrics means.
STDERR_DESCRIPTION = "standard error of the mean over {n} images (std / sqrt(n))"


class ImportanceSampler(keras.Model):
    """Per-example log-weights of a trained VAE, reduced to estimates.

    ``call(x)`` returns a dict of ``(batch,)`` tensors:

    * ``log_px``: the importance-weighted estimate of log p(x);
    * ``reconstruction``: -log p(x|z) averaged over the ``num_samples`` draws;
    * ``kl``: KL(q(z|x) || p(z)) in closed form.

    The ``num_samples`` draws of the noise are made at once (``latent_dim``
    values per draw, far fewer than the decoder's outputs), then decoded in
    chunks of ``samples_per_chunk`` inside one ``keras.ops.fori_loop`` with a
    running logsumexp, so that the decoder never sees more than
    ``batch * samples_per_chunk`` rows at once and the compiled graph holds
    one chunk whatever their number (a Python loop would unroll into the
    graph: compile time grew from 1 s with one chunk to 37 s with 200). As
    the noise does not depend on the chunking, neither does the estimate, up
    to float rounding. The last chunk is padded and its padding masked out.

    Args:
        vae: a trained ``vae_keras.models.VAE``.
        num_samples: k, the number of importance samples, >= 1.
        samples_per_chunk: draws decoded at once per example.
        seed: seed of the draws.
    """

    def __init__(self, vae, num_samples, samples_per_chunk, seed=None, **kwargs):
        super().__init__(**kwargs)
        self.vae = vae
        self.num_samples = int(num_samples)
        self.samples_per_chunk = int(max(1, min(samples_per_chunk, num_samples)))
        self.num_chunks = -(-self.num_samples // self.samples_per_chunk)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        vae = self.vae
        x, labels = inputs if isinstance(inputs, (tuple, list)) else (inputs, None)
        mean, log_var = vae.encoder(x, training=False)
        mean = ops.cast(mean, "float32")
        log_var = ops.cast(log_var, "float32")
        x = ops.cast(x, "float32")
        batch = ops.shape(mean)[0]
        chunk, num_chunks = self.samples_per_chunk, self.num_chunks
        padded = chunk * num_chunks
        epsilon = keras.random.normal((self.num_samples, batch, vae.latent_dim), seed=self.seed_generator)
        if padded > self.num_samples:
            epsilon = ops.concatenate([epsilon, ops.zeros_like(epsilon[: padded - self.num_samples])], axis=0)
        epsilon = ops.reshape(epsilon, (num_chunks, chunk, batch, vae.latent_dim))
        valid = ops.reshape(ops.arange(padded) < self.num_samples, (num_chunks, chunk, 1))

        def add_chunk(index, state):
            log_sum_weights, sum_log_px_given_z = state
            log_weights, log_px_given_z = vae.log_weights(x, mean, log_var, ops.take(epsilon, index, axis=0), y=labels)
            mask = ops.take(valid, index, axis=0)
            log_weights = ops.where(mask, log_weights, -np.inf)
            log_sum_weights = ops.logaddexp(log_sum_weights, ops.logsumexp(log_weights, axis=0))
            sum_log_px_given_z = sum_log_px_given_z + ops.sum(ops.where(mask, log_px_given_z, 0.0), axis=0)
            return log_sum_weights, sum_log_px_given_z

        zeros = ops.zeros_like(mean[:, 0])
        start = (zeros - np.inf, zeros)
        if num_chunks == 1:
            log_sum_weights, sum_log_px_given_z = add_chunk(0, start)
        else:
            log_sum_weights, sum_log_px_given_z = ops.fori_loop(0, num_chunks, add_chunk, start)
        log_px = log_sum_weights - math.log(self.num_samples)
        reconstruction = -sum_log_px_given_z / self.num_samples
        kl = likelihoods.kl_standard_normal(mean, log_var)
        return {"log_px": log_px, "reconstruction": reconstruction, "kl": kl}


#: One sampler per (model, k, chunk), reused across calls: a new Keras model per call would compile a
#: new predict function each time (TensorFlow then warns about retracing, and every call pays the
#: compile). Keyed weakly, so a model that is dropped frees its samplers.
_SAMPLERS = weakref.WeakKeyDictionary()


def _sampler(vae, num_samples, samples_per_chunk, seed):
    """The cached ``ImportanceSampler`` for these settings, its draws restarted from ``seed``."""
    samplers = _SAMPLERS.setdefault(vae, {})
    key = (int(num_samples), int(samples_per_chunk))
    if key not in samplers:
        samplers[key] = ImportanceSampler(vae, num_samples, samples_per_chunk, seed=seed)
    sampler = samplers[key]
    # The same seed gives the same draws on every call, as a fresh sampler would.
    state = sampler.seed_generator.state
    state.assign(ops.cast(ops.convert_to_tensor([int(seed), 0]), state.dtype))
    return sampler


def _samples_per_chunk(vae, batch_size, num_samples, max_decoder_values):
    values_per_row = math.prod(vae.input_shape_) * vae.likelihood.num_params
    rows = max(1, max_decoder_values // values_per_row)
    return int(max(1, min(num_samples, rows // batch_size)))


def log_likelihood(
    vae, x, num_samples=5000, batch_size=None, max_decoder_values=50_000_000, seed=0, verbose=1, labels=None
):
    """Estimates log p(x) per example by importance sampling with ``num_samples`` draws.

    For a ``ConditionalVAE`` pass ``labels``: the estimate is then log p(x | y).

    Args:
        vae: a trained ``VAE``.
        x: model inputs, shape ``(n, *input_shape)``, float32, prepared as for
            training (scaled, binarised or dequantised).
        num_samples: k, from 1 (the ELBO) to several thousands.
        batch_size: examples per compiled call; default: as many as fit
            ``max_decoder_values`` with all k draws at once, at most 100.
        max_decoder_values: memory budget, in decoder output values, of one
            chunk (50M float32 values are 200 MB).
        seed: seed of the draws.
        verbose: 1 shows a progress bar, 0 is silent.
        labels: integer labels, required for (and only for) a ``ConditionalVAE``.

    Returns:
        A dict of NumPy arrays of shape ``(n,)``: ``log_px``, ``reconstruction``
        and ``kl`` (nats); ``elbo = -(reconstruction + kl)``.

    Raises:
        ValueError: if ``num_samples < 1`` or ``x`` does not match the model.
    """
    num_samples = checks.integer("num_samples", num_samples, 1)
    x = np.asarray(x, dtype="float32")
    if tuple(x.shape[1:]) != tuple(vae.input_shape_):
        raise ValueError(
            f"`x` must have shape (n, {', '.join(map(str, vae.input_shape_))}) to match the model. "
            f"Received: x.shape={x.shape}"
        )
    conditional = len(vae.decoder.inputs) > 1
    if conditional != (labels is not None):
        raise ValueError(
            "`labels` are required for a conditional VAE and accepted only for one. "
            f"Received: labels={'None' if labels is None else 'an array'} for {type(vae).__name__}"
        )
    values_per_row = math.prod(vae.input_shape_) * vae.likelihood.num_params
    if batch_size is None:
        batch_size = int(max(1, min(100, max_decoder_values // (values_per_row * num_samples))))
    chunk = _samples_per_chunk(vae, batch_size, num_samples, max_decoder_values)
    if seed is None:  # fresh draws, as an unseeded keras.random.SeedGenerator would give
        seed = int(np.random.default_rng().integers(2**31))
    sampler = _sampler(vae, num_samples, chunk, seed)
    inputs = x if labels is None else (x, np.asarray(labels, dtype="int32"))
    outputs = sampler.predict(inputs, batch_size=batch_size, verbose=verbose)
    out = {key: np.asarray(value, dtype="float64") for key, value in outputs.items()}
    out["elbo"] = -(out["reconstruction"] + out["kl"])
    return out


def elbo(vae, x, num_samples=1, batch_size=500, seed=0, verbose=0, labels=None):
    """The ELBO per example (nats), with ``num_samples`` draws for its reconstruction term.

    Returns:
        A dict of ``(n,)`` arrays: ``elbo``, ``reconstruction`` and ``kl``.
    """
    out = log_likelihood(
        vae, x, num_samples=num_samples, batch_size=batch_size, seed=seed, verbose=verbose, labels=labels
    )
    return {key: out[key] for key in ("elbo", "reconstruction", "kl")}


def bits_per_dim(log_px, num_dims, num_bins=None):
    """Converts a log-likelihood in nats per example to bits per dimension.

    Args:
        log_px: nats per example (a scalar or array).
        num_dims: dimensions of one example (e.g. 784, or 3072 for SVHN).
        num_bins: ``None`` when ``log_px`` is already a discrete
            log-probability (a discretised or binary likelihood). For a
            continuous density over data scaled to ``[0, 1]`` after uniform
            dequantisation into ``num_bins`` levels, the density over
            ``[0, num_bins)`` is ``p(x / num_bins) / num_bins^D``, so
            ``log2(num_bins)`` bits are added per dimension; the result then
            upper-bounds the discrete model's bits/dim.

    Returns:
        Bits per dimension, same shape as ``log_px``.
    """
    if num_dims < 1:
        raise ValueError(f"`num_dims` must be >= 1. Received: num_dims={num_dims}")
    bits = -np.asarray(log_px, dtype="float64") / (num_dims * LOG2)
    if num_bins is not None:
        bits = bits + math.log2(num_bins)
    return bits


def summarize(results, num_dims, num_bins=None, bits_defined=True, log_det_jacobian=0.0):
    """Means of per-example results, as plain floats for ``metrics.json``.

    Args:
        results: output of ``log_likelihood``.
        num_dims: dimensions of one example, for bits/dim.
        num_bins: see ``bits_per_dim``.
        bits_defined: ``False`` when the likelihood is not a density of the
            pixels (e.g. a Bernoulli on grey levels): bits/dim is then omitted.
        log_det_jacobian: per-example term that maps a density over the
            model's input space back to pixels (PCA whitening).

    Returns:
        A dict with ``num_examples``, ``elbo``, ``log_px``, ``reconstruction``,
        ``kl`` and ``bits_per_dim`` (or ``None``), and for each of the four
        log-likelihood terms ``<key>_stderr``: the standard error of the mean
        over the ``num_examples`` images, ``std / sqrt(num_examples)``. It
        measures how much the mean would move on another test set of that
        size (and includes the importance sampler's per-image noise); it is
        not a spread over training seeds.
    """
    n = len(results["log_px"])
    summary = {"num_examples": int(n)}
    for key in ("elbo", "log_px", "reconstruction", "kl"):
        values = results[key] + (log_det_jacobian if key in ("elbo", "log_px") else 0.0)
        summary[key] = float(np.mean(values))
        summary[f"{key}_stderr"] = float(np.std(values) / math.sqrt(max(n, 1)))
    summary["bits_per_dim"] = (
        float(np.mean(bits_per_dim(results["log_px"] + log_det_jacobian, num_dims, num_bins))) if bits_defined else None
    )
    return summary


# --------------------------------------------------------------------------
# Evaluating a run folder
# --------------------------------------------------------------------------


def bits_per_dim_protocol(config):
    """How bits/dim is defined for a run's settings: its likelihood's ``bits_per_dim_protocol``.

    Returns:
        ``(defined, num_bins, description)``: whether bits/dim is a valid
        (bound on a) discrete likelihood of the pixels, the dequantisation
        levels to correct for (``None`` if exact), and a sentence for reports.
    """
    return likelihoods.LIKELIHOODS.get(config.likelihood).bits_per_dim_protocol(config)


def input_protocol(config, seed):
    """How evaluation turns a run's test images into model inputs, as a sentence for the metrics.

    Args:
        config: the run's ``ExperimentConfig``.
        seed: the seed of the evaluation's binarisation or dequantisation noise.

    Returns:
        A string such as ``"binarised once with seed 0 ..."``, ``"dequantised
        once with seed 0 ..."`` or ``"none: ..."``.
    """
    if config.input_space != "pixels":
        return f"none: pixels scaled to [0, 1] and projected by the run's fitted PCA ({config.input_space})"
    if config.binarize:
        return f"binarised once with seed {seed}: pixel = 1 if u < intensity else 0, u ~ U(0, 1)"
    if config.dequantize:
        return f"dequantised once with seed {seed}: (pixel + u) / 256, u ~ U(0, 1)"
    return "none: pixels scaled to [0, 1]"


def metrics_filename(split, num_samples, num_examples=None):
    """The file ``evaluate_run`` writes: ``metrics-<split>-k<K>.json``.

    A random subset of the split adds ``-n<N>``, so it never overwrites the
    evaluation of the whole split.
    """
    subset = "" if num_examples is None else f"-n{int(num_examples)}"
    return f"metrics-{split}-k{int(num_samples)}{subset}.json"


def random_subset(num_examples, max_examples, seed):
    """Sorted indices of ``max_examples`` of ``num_examples`` drawn without replacement with ``seed``.

    Returns ``None`` when ``max_examples`` is 0 or covers the whole split.
    The first images of a test split are not a random sample (MNIST's first
    5,000 test digits are the easier ones), so a subset is drawn at random.
    """
    if not max_examples or max_examples >= num_examples:
        return None
    return np.sort(np.random.default_rng(seed).choice(num_examples, size=int(max_examples), replace=False))


def evaluate_run(run_dir, num_samples=5000, split=None, batch_size=None, max_examples=0, seed=0, verbose=1):
    """Evaluates a completed run folder on one split and writes ``metrics-<split>-k<K>.json``.

    The file is named by ``metrics_filename``, so evaluations of different
    splits or ``k`` do not overwrite one another. An evaluation of the whole
    test split (the config's ``test_split``) is also written to
    ``metrics.json``, the file the README and earlier versions name.

    Args:
        run_dir: a folder written by ``vae-keras train``.
        num_samples: k for the importance-weighted log p(x).
        split: split to evaluate; default: the config's ``test_split``.
        batch_size: examples per compiled call (default: automatic).
        max_examples: evaluate a random subset of N examples, drawn with
            ``seed`` (0: all).
        seed: seed of the subset, of the binarisation/dequantisation of the
            images (drawn once) and of the importance samples.
        verbose: progress output.

    Returns:
        The metrics dict that was written: the means and standard errors of
        ``summarize`` (``<key>_stderr`` is the standard error over the
        ``num_examples`` images, described by ``stderr``), plus ``split``,
        ``num_examples_in_split``, ``subset`` (a sentence, or ``None``),
        ``seed``, ``input_protocol`` (how the images were binarised or
        dequantised), ``num_samples``, ``bits_per_dim_protocol``,
        ``seconds``, ``epochs`` and ``backend``.

    Raises:
        FileNotFoundError: if ``run_dir`` is not a run folder.
        ValueError: if the run has not completed.
    """
    import time
    from pathlib import Path

    from vae_keras import io_utils
    from vae_keras.data.prepared import model_inputs

    run_dir = Path(run_dir)
    config, state, vae, preprocessor = _read_run(run_dir)
    split = split or config.test_split
    images, labels, num_in_split, subset = _split_to_score(config, vae, preprocessor, split, max_examples, seed)
    x = model_inputs(config, preprocessor, images, seed=seed)
    start = time.time()
    results = log_likelihood(
        vae,
        x,
        num_samples=num_samples,
        batch_size=batch_size,
        seed=seed,
        verbose=verbose,
        labels=labels if config.conditional else None,
    )
    seconds = time.time() - start
    defined, num_bins, protocol = bits_per_dim_protocol(config)
    metrics = summarize(results, num_dims=math.prod(vae.input_shape_), num_bins=num_bins, bits_defined=defined)
    if preprocessor is not None:
        metrics["log_det_jacobian"] = float(preprocessor.log_det_jacobian())
        metrics["log_px_pixel_subspace"] = metrics["log_px"] + metrics["log_det_jacobian"]
    metrics.update(
        split=split,
        num_examples_in_split=int(num_in_split),
        subset=None
        if subset is None
        else f"{len(subset)} of the {num_in_split} images, drawn at random with seed {seed}",
        stderr=STDERR_DESCRIPTION.format(n=metrics["num_examples"]),
        seed=int(seed),
        input_protocol=input_protocol(config, seed),
        num_samples=int(num_samples),
        bits_per_dim_protocol=protocol,
        seconds=round(seconds, 2),
        epochs=int(state["epoch"]),
        backend=keras.backend.backend(),
    )
    name = metrics_filename(split, num_samples, None if subset is None else len(subset))
    io_utils.atomic_write_json(run_dir / name, metrics)
    if split == config.test_split and subset is None:
        io_utils.atomic_write_json(run_folder.RunFolder(run_dir).metrics, metrics)
    return metrics


def _read_run(run_dir):
    """A completed run folder's ``(config, state, vae, preprocessor)``; refuses anything else."""
    from vae_keras import config as config_lib
    from vae_keras import preprocessing, train

    folder = run_folder.RunFolder(run_dir)
    if not folder.config.is_file():
        raise FileNotFoundError(
            f"Not a run folder (no {run_folder.CONFIG}). Received: run_dir={str(run_dir)!r}. "
            "Create one with `vae-keras train --out RUN_DIR`."
        )
    state = train.read_state(run_dir) or {}
    if state.get("status") != run_folder.COMPLETED or not folder.model.is_file():
        raise ValueError(
            f"The run in {str(run_dir)!r} has not completed (status={state.get('status')!r}, "
            f"epoch {state.get('epoch', 0)}). Finish it with `vae-keras train` (it resumes) before evaluating."
        )
    config = config_lib.ExperimentConfig.load(folder.config)
    vae = keras.saving.load_model(folder.model)
    preprocessor = None
    if folder.preprocessor.exists():
        preprocessor = preprocessing.load_preprocessor(folder.preprocessor)
    return config, state, vae, preprocessor


def _split_to_score(config, vae, preprocessor, split, max_examples, seed):
    """The images and labels ``evaluate_run`` scores, checked against the model before any work:
    ``(images, labels, num_in_split, subset)``."""
    from vae_keras import data, validation

    images, labels = data.load(config.dataset, split)
    if config.conditional and labels is None:
        raise ValueError(
            f"The run is a conditional VAE, which decodes with labels, and split {split!r} of "
            f"dataset={config.dataset!r} has none."
        )
    image_shape = preprocessor.image_shape if preprocessor is not None else vae.input_shape_
    validation.check_evaluation_data(
        config, split, images, labels, image_shape, vae.num_classes if config.conditional else None
    )
    num_in_split = len(images)
    subset = random_subset(num_in_split, max_examples, seed)
    if subset is not None:
        images = images[subset]
        labels = None if labels is None else labels[subset]
    return images, labels, num_in_split, subset
