"""Evaluation: the ELBO, importance-weighted log p(x), and bits per dimension.

All log-likelihoods are nats per example. The importance-weighted estimate
(Burda et al., 2016) with ``k`` samples z_i ~ q(z|x) is

    log p(x) ~= logsumexp_i [log p(x|z_i) + log p(z_i) - log q(z_i|x)] - log k

a lower bound on log p(x) that tightens as ``k`` grows (``k=1`` is the ELBO).
The estimator is a small Keras model run with ``predict``: Keras compiles it
for the active backend, batches it, and shows a progress bar.
"""

import math

import keras
import numpy as np
from keras import ops

from vae_keras import likelihoods

LOG2 = math.log(2.0)


class ImportanceSampler(keras.Model):
    """Per-example log-weights of a trained VAE, reduced to estimates.

    ``call(x)`` returns a dict of ``(batch,)`` tensors:

    * ``log_px``: the importance-weighted estimate of log p(x);
    * ``reconstruction``: -log p(x|z) averaged over the ``num_samples`` draws;
    * ``kl``: KL(q(z|x) || p(z)) in closed form.

    The ``num_samples`` draws are processed in chunks of ``samples_per_chunk``
    so that the decoder never sees more than ``batch * samples_per_chunk``
    rows at once.

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
        self.samples_per_chunk = int(min(samples_per_chunk, num_samples))
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, inputs):
        vae = self.vae
        x, labels = inputs if isinstance(inputs, (tuple, list)) else (inputs, None)
        mean, log_var = vae.encoder(x, training=False)
        mean = ops.cast(mean, "float32")
        log_var = ops.cast(log_var, "float32")
        x = ops.cast(x, "float32")
        batch = ops.shape(mean)[0]
        event_shape = tuple(x.shape[1:])
        log_weights, reconstructions = [], []
        remaining = self.num_samples
        while remaining > 0:
            chunk = min(self.samples_per_chunk, remaining)
            remaining -= chunk
            epsilon = keras.random.normal((chunk, batch, vae.latent_dim), seed=self.seed_generator)
            z = mean[None] + ops.exp(0.5 * log_var)[None] * epsilon
            flat_z = ops.reshape(z, (chunk * batch, vae.latent_dim))
            decoder_inputs = flat_z
            if labels is not None:
                repeated_labels = ops.reshape(ops.broadcast_to(labels[None], (chunk, batch)), (chunk * batch,))
                decoder_inputs = vae.decoder_inputs(flat_z, repeated_labels)
            params = ops.cast(vae.decoder(decoder_inputs, training=False), "float32")
            repeated_x = ops.reshape(
                ops.broadcast_to(x[None], (chunk, batch) + event_shape), (chunk * batch,) + event_shape
            )
            log_px_given_z = ops.reshape(vae.likelihood.log_prob(repeated_x, params), (chunk, batch))
            log_pz = likelihoods.standard_normal_log_prob(z)
            # log q(z|x) with z = mean + std * epsilon needs only epsilon.
            log_qz = -0.5 * ops.sum(likelihoods.LOG_2PI + log_var[None] + ops.square(epsilon), axis=-1)
            log_weights.append(log_px_given_z + log_pz - log_qz)
            reconstructions.append(ops.sum(log_px_given_z, axis=0))
        log_weights = ops.concatenate(log_weights, axis=0)
        log_px = ops.logsumexp(log_weights, axis=0) - math.log(self.num_samples)
        reconstruction = -sum(reconstructions) / self.num_samples
        kl = likelihoods.kl_standard_normal(mean, log_var)
        return {"log_px": log_px, "reconstruction": reconstruction, "kl": kl}


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
    if isinstance(num_samples, bool) or not isinstance(num_samples, (int, np.integer)) or num_samples < 1:
        raise ValueError(f"`num_samples` must be an integer >= 1. Received: num_samples={num_samples!r}")
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
    sampler = ImportanceSampler(vae, num_samples, chunk, seed=seed)
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
        A dict with ``elbo``, ``log_px``, ``reconstruction``, ``kl`` and
        ``bits_per_dim`` (or ``None``), plus standard errors.
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
    """How bits/dim is defined for a run's settings.

    Returns:
        ``(defined, num_bins, description)``: whether bits/dim is a valid
        (bound on a) discrete likelihood of the pixels, the dequantisation
        levels to correct for (``None`` if exact), and a sentence for reports.
    """
    if config.input_space != "pixels":
        return False, None, "not defined: the model is a density over PCA components, not all pixels"
    if config.likelihood == "discretized_logistic":
        return True, None, "exact: a discrete likelihood over 256 levels"
    if config.likelihood == "bernoulli":
        if config.binarize:
            return True, None, "exact: a discrete likelihood of binarised pixels"
        return False, None, "not defined: a Bernoulli on grey levels is a cross-entropy, not a likelihood"
    if config.dequantize:
        return True, 256, "upper bound: continuous density on dequantised pixels, + log2(256) per dim"
    return False, None, "not defined: a continuous density on undequantised pixels"


def evaluate_run(run_dir, num_samples=5000, split=None, batch_size=None, max_examples=0, seed=0, verbose=1):
    """Evaluates a completed run folder on its test split and writes ``metrics.json``.

    Args:
        run_dir: a folder written by ``vae-keras train``.
        num_samples: k for the importance-weighted log p(x).
        split: split to evaluate; default: the config's ``test_split``.
        batch_size: examples per compiled call (default: automatic).
        max_examples: evaluate only the first N examples (0: all).
        seed: seed of binarisation/dequantisation and of the draws.
        verbose: progress output.

    Returns:
        The metrics dict that was written.

    Raises:
        FileNotFoundError: if ``run_dir`` is not a run folder.
        ValueError: if the run has not completed.
    """
    import time
    from pathlib import Path

    from vae_keras import config as config_lib
    from vae_keras import data, io_utils, preprocessing, train

    run_dir = Path(run_dir)
    if not (run_dir / "config.json").is_file():
        raise FileNotFoundError(
            f"Not a run folder (no config.json). Received: run_dir={str(run_dir)!r}. "
            "Create one with `vae-keras train --out RUN_DIR`."
        )
    state = train.read_state(run_dir) or {}
    if state.get("status") != train.COMPLETED or not (run_dir / "model.keras").is_file():
        raise ValueError(
            f"The run in {str(run_dir)!r} has not completed (status={state.get('status')!r}, "
            f"epoch {state.get('epoch', 0)}). Finish it with `vae-keras train` (it resumes) before evaluating."
        )
    config = config_lib.ExperimentConfig.load(run_dir / "config.json")
    vae = keras.saving.load_model(run_dir / "model.keras")
    preprocessor = None
    if (run_dir / f"{train.PREPROCESSOR_FILE}.json").exists():
        preprocessor = preprocessing.load_preprocessor(run_dir / f"{train.PREPROCESSOR_FILE}.json")
    split = split or config.test_split
    images, labels = data.load(config.dataset, split)
    if max_examples:
        images, labels = images[:max_examples], labels[:max_examples]
    prepared = train.PreparedData(config, (images, None), None, (images, None), preprocessor)
    x = prepared.model_inputs(images, seed=seed)
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
        num_samples=int(num_samples),
        bits_per_dim_protocol=protocol,
        seconds=round(seconds, 2),
        epochs=int(state["epoch"]),
        backend=keras.backend.backend(),
    )
    io_utils.atomic_write_json(run_dir / "metrics.json", metrics)
    return metrics
