"""The NumPy VAE itself: parameters, forward pass, hand-written backward pass and loss.

``NumpyVAE`` holds the Dense kernels and biases (Glorot-uniform and zero at
initialisation, listed in the Keras VAE's weight order), runs the forward pass
for given noise, keeping every activation in a cache, and turns that cache
into the gradient of every weight by the chain rule written out by hand (no
autodiff). On these it builds the loss (the batch mean of ``-log p(x|z) +
KL``), training with ``optim.Adam`` on shuffled minibatches, and inference:
per-example ELBOs, encoding, decoding, reconstruction and generation. It
imports NumPy only.
"""

import math
import time

import numpy as np

from vae_keras.numpy_vae.elementwise import _activation_backward, _activation_forward, _bernoulli_terms, _sigmoid
from vae_keras.numpy_vae.optim import Adam
from vae_keras.numpy_vae.validation import (
    _check_activation,
    _check_dtype,
    _check_hidden_units,
    _check_positive_float,
    _check_positive_int,
)


class NumpyVAE:
    """A fully connected Bernoulli VAE in NumPy, trained with hand-written gradients.

    The architecture is that of ``models.build_vae(input_shape, latent_dim,
    hidden_units=hidden_units, activation=activation, likelihood="bernoulli")``:
    the decoder's hidden widths are ``hidden_units`` reversed. The initial
    weights follow Keras's distributions (Glorot-uniform kernels, zero biases)
    but are drawn by NumPy; use ``from_keras`` to start from a Keras model's values.

    Kernels are ``(inputs, outputs)`` as in ``keras.layers.Dense``, so a batch
    ``h`` of rows maps to ``h @ kernel + bias``.

    Args:
        input_dim: number of features ``D`` of one example (784 for MNIST).
            Images ``(batch, 28, 28, 1)`` are flattened, as the Keras encoder does.
        latent_dim: size ``L`` of z, >= 1.
        hidden_units: the encoder's hidden widths, e.g. ``(512,)``.
        activation: ``"relu"`` or ``"tanh"``.
        seed: integer seed of the initial weights, or ``None``.
        dtype: ``"float32"`` for speed or ``"float64"`` for gradient checks.

    Raises:
        ValueError: for an invalid argument.
    """

    def __init__(self, input_dim, latent_dim, hidden_units=(512,), activation="relu", seed=0, dtype="float32"):
        self.input_dim = _check_positive_int("input_dim", input_dim)
        self.latent_dim = _check_positive_int("latent_dim", latent_dim)
        self.hidden_units = _check_hidden_units(hidden_units)
        self.activation = _check_activation(activation)
        self.dtype = _check_dtype(dtype)
        self.seed = seed
        # Counts training steps, like the Keras VAE's non-trainable `training_steps` weight.
        self.training_steps = 0
        self.optimizer = None
        rng = np.random.default_rng(seed)
        self._layers = {}  # (model, layer name) -> [kernel, bias]
        self.weight_names = []
        widths = (self.input_dim,) + self.hidden_units
        for i, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:])):
            self._add_dense(rng, "encoder", f"hidden{i}_dense", fan_in, fan_out)
        self._add_dense(rng, "encoder", "mean", widths[-1], self.latent_dim)
        self._add_dense(rng, "encoder", "log_var", widths[-1], self.latent_dim)
        widths = (self.latent_dim,) + tuple(reversed(self.hidden_units))
        for i, (fan_in, fan_out) in enumerate(zip(widths[:-1], widths[1:])):
            self._add_dense(rng, "decoder", f"hidden{i}_dense", fan_in, fan_out)
        self._add_dense(rng, "decoder", "params", widths[-1], self.input_dim)
        self._encoder_hidden = [self._layers["encoder", f"hidden{i}_dense"] for i in range(len(self.hidden_units))]
        self._decoder_hidden = [self._layers["decoder", f"hidden{i}_dense"] for i in range(len(self.hidden_units))]

    def _add_dense(self, rng, model, name, fan_in, fan_out):
        limit = math.sqrt(6.0 / (fan_in + fan_out))  # keras.initializers.GlorotUniform
        kernel = rng.uniform(-limit, limit, size=(fan_in, fan_out)).astype(self.dtype)
        bias = np.zeros(fan_out, dtype=self.dtype)
        self._layers[model, name] = [kernel, bias]
        self.weight_names += [f"{model}/{name}/kernel", f"{model}/{name}/bias"]

    # ---- weights ----------------------------------------------------------

    @property
    def trainable_weights(self):
        """The parameter arrays (live references), in the order of ``weight_names``."""
        return [array for pair in self._layers.values() for array in pair]

    def count_params(self):
        """Number of trainable scalars."""
        return sum(w.size for w in self.trainable_weights)

    def get_weights(self):
        """Copies of all weights, in the order of the Keras VAE's ``get_weights()``.

        That order is ``[training_steps, encoder weights..., decoder weights...]``:
        the Keras VAE's first weight is its non-trainable step counter (a
        float32 scalar); then come the encoder's and the decoder's Dense
        kernels and biases in layer order. The sampler's seed state is a
        variable but not a weight, so it is not in the list.

        Returns:
            A list of NumPy arrays.
        """
        steps = np.asarray(self.training_steps, dtype="float32")
        return [steps] + [w.copy() for w in self.trainable_weights]

    def set_weights(self, weights):
        """Sets all weights from a list ordered as ``get_weights()`` returns it.

        Accepts ``vae.get_weights()`` of the matching Keras VAE. Values are
        copied (cast to this model's dtype).

        Args:
            weights: list of arrays.

        Raises:
            ValueError: if the number or the shapes of the arrays do not match.
        """
        weights = list(weights)
        expected = [()] + [w.shape for w in self.trainable_weights]
        received = [np.shape(w) for w in weights]
        if received != expected:
            raise ValueError(
                f"`weights` must have the shapes {expected} (training_steps, then kernels and biases). "
                f"Received: weights with shapes {received}"
            )
        self.training_steps = int(np.asarray(weights[0]))
        for target, value in zip(self.trainable_weights, weights[1:]):
            target[...] = value

    # ---- input checks -----------------------------------------------------

    def _as_batch(self, x, name="x"):
        """Flattens ``(batch, ...)`` to ``(batch, input_dim)`` in the model's dtype, checking the values."""
        x = np.asarray(x)
        if x.ndim < 2 or math.prod(x.shape[1:]) != self.input_dim:
            raise ValueError(
                f"`{name}` must be a batch shaped (batch, {self.input_dim}) or (batch, ...) with {self.input_dim} "
                f"features per example. Received: {name}.shape={x.shape}"
            )
        if not (np.issubdtype(x.dtype, np.floating) or np.issubdtype(x.dtype, np.integer) or x.dtype == bool):
            raise ValueError(f"`{name}` must hold numbers in [0, 1]. Received: {name}.dtype={x.dtype}")
        x = x.reshape(len(x), self.input_dim).astype(self.dtype, copy=False)
        if x.size:
            low, high = float(x.min()), float(x.max())
            if not (0.0 <= low and high <= 1.0):  # also catches NaN
                raise ValueError(
                    f"A Bernoulli VAE needs `{name}` in [0, 1] (scale uint8 pixels by 1/255). "
                    f"Received: {name} with min={low:.4g} and max={high:.4g}"
                )
        return x

    def _as_epsilon(self, epsilon, batch):
        epsilon = np.asarray(epsilon)
        if epsilon.shape != (batch, self.latent_dim):
            raise ValueError(
                f"`epsilon` must be shaped (batch, latent_dim)=({batch}, {self.latent_dim}). "
                f"Received: epsilon.shape={epsilon.shape}"
            )
        return epsilon.astype(self.dtype, copy=False)

    # ---- forward and backward ---------------------------------------------

    def _dense_stack(self, h, hidden_layers):
        """Hidden layers; returns every activation, input included."""
        activations = [h]
        for kernel, bias in hidden_layers:
            h = _activation_forward(h @ kernel + bias, self.activation)
            activations.append(h)
        return activations

    def _encode(self, x):
        activations = self._dense_stack(x, self._encoder_hidden)
        (mean_kernel, mean_bias), (log_var_kernel, log_var_bias) = (
            self._layers["encoder", "mean"],
            self._layers["encoder", "log_var"],
        )
        mean = activations[-1] @ mean_kernel + mean_bias
        log_var = activations[-1] @ log_var_kernel + log_var_bias
        return activations, mean, log_var

    def _decode_logits(self, z):
        activations = self._dense_stack(z, self._decoder_hidden)
        kernel, bias = self._layers["decoder", "params"]
        return activations, activations[-1] @ kernel + bias

    def _forward(self, x, epsilon):
        encoder_activations, mean, log_var = self._encode(x)
        std = np.exp(0.5 * log_var)
        variance = np.exp(log_var)
        z = mean + std * epsilon
        decoder_activations, logits = self._decode_logits(z)
        reconstruction_terms, probabilities = _bernoulli_terms(x, logits)
        kl_terms = 0.5 * (variance + np.square(mean) - 1 - log_var)
        reconstruction = reconstruction_terms.sum(axis=-1)
        kl = kl_terms.sum(axis=-1)
        return {
            "x": x,
            "epsilon": epsilon,
            "encoder_activations": encoder_activations,
            "mean": mean,
            "log_var": log_var,
            "std": std,
            "variance": variance,
            "z": z,
            "decoder_activations": decoder_activations,
            "logits": logits,
            "probabilities": probabilities,
            "reconstruction_terms": reconstruction_terms,
            "kl_terms": kl_terms,
            "reconstruction": reconstruction,
            "kl": kl,
            "loss": float(np.mean(reconstruction + kl)),
        }

    def forward(self, x, epsilon):
        """The forward pass for given noise, keeping what the backward pass needs.

        Args:
            x: batch ``(batch, input_dim)`` (or images with ``input_dim``
                pixels) with values in ``[0, 1]``.
            epsilon: the N(0, I) noise of the reparameterisation,
                ``(batch, latent_dim)``.

        Returns:
            A dict ("cache") with the inputs, every layer's activation,
            ``mean``, ``log_var``, ``z``, ``logits``, per-example
            ``reconstruction`` (-log p(x|z)) and ``kl``, the per-pixel and
            per-latent terms they sum (``reconstruction_terms``,
            ``kl_terms``), and the scalar ``loss``.

        Raises:
            ValueError: for a badly shaped ``x`` or ``epsilon``, or ``x``
                outside ``[0, 1]``.
        """
        x = self._as_batch(x)
        return self._forward(x, self._as_epsilon(epsilon, len(x)))

    def backward(self, cache):
        """Gradients of ``cache["loss"]`` with respect to every weight, by the chain rule.

        Args:
            cache: the dict returned by ``forward``.

        Returns:
            A list of arrays in the order of ``trainable_weights``.
        """
        x = cache["x"]
        batch = len(x)
        gradients = {}

        # Decoder. d(-log p)/d logits = sigmoid(logits) - x; the batch mean divides by `batch`.
        grad = (cache["probabilities"] - x) / batch
        activations = cache["decoder_activations"]
        kernel, _ = self._layers["decoder", "params"]
        gradients["decoder", "params"] = [activations[-1].T @ grad, grad.sum(axis=0)]
        grad = grad @ kernel.T
        for i in reversed(range(len(self._decoder_hidden))):
            grad = _activation_backward(grad, activations[i + 1], self.activation)
            kernel, _ = self._decoder_hidden[i]
            gradients["decoder", f"hidden{i}_dense"] = [activations[i].T @ grad, grad.sum(axis=0)]
            grad = grad @ kernel.T

        # Sampling z = mean + exp(log_var / 2) epsilon, and the KL
        # 0.5 sum(exp(log_var) + mean^2 - 1 - log_var), also averaged over the batch.
        grad_mean = grad + cache["mean"] / batch
        grad_log_var = grad * (0.5 * cache["std"] * cache["epsilon"]) + 0.5 * (cache["variance"] - 1) / batch

        # Encoder.
        activations = cache["encoder_activations"]
        (mean_kernel, _), (log_var_kernel, _) = self._layers["encoder", "mean"], self._layers["encoder", "log_var"]
        gradients["encoder", "mean"] = [activations[-1].T @ grad_mean, grad_mean.sum(axis=0)]
        gradients["encoder", "log_var"] = [activations[-1].T @ grad_log_var, grad_log_var.sum(axis=0)]
        grad = grad_mean @ mean_kernel.T + grad_log_var @ log_var_kernel.T
        for i in reversed(range(len(self._encoder_hidden))):
            grad = _activation_backward(grad, activations[i + 1], self.activation)
            gradients["encoder", f"hidden{i}_dense"] = [activations[i].T @ grad, grad.sum(axis=0)]
            if i:  # the gradient with respect to x itself is never needed
                grad = grad @ self._encoder_hidden[i][0].T

        return [array for key in self._layers for array in gradients[key]]

    def loss_and_gradients(self, x, epsilon):
        """The loss (negative ELBO, batch mean) and its gradients for given noise.

        Args:
            x: batch ``(batch, input_dim)`` with values in ``[0, 1]``.
            epsilon: the N(0, I) noise, ``(batch, latent_dim)``. Passing it
                explicitly makes the result deterministic, so it can be
                compared with Keras or with finite differences.

        Returns:
            ``(loss, gradients)``: a Python float and a list of arrays in the
            order of ``trainable_weights``.

        Raises:
            ValueError: as ``forward``.
        """
        cache = self.forward(x, epsilon)
        return cache["loss"], self.backward(cache)

    # ---- training -----------------------------------------------------------

    def train(self, x, num_epochs, batch_size=100, learning_rate=0.001, seed=0, verbose=1, x_val=None):
        """Trains with Adam on shuffled minibatches, one noise draw per example and step.

        The optimizer is created on the first call and kept, as after
        ``compile()`` in Keras, so a second call continues the run.

        Args:
            x: training data ``(n, input_dim)`` (or images) in ``[0, 1]``.
            num_epochs: passes over ``x``, >= 1.
            batch_size: examples per step; the last batch may be smaller.
            learning_rate: Adam's step size.
            seed: seed of the shuffles and the noise (``None``: unseeded).
            verbose: 0 for silence, 1 for one line per epoch.
            x_val: optional validation data, scored after each epoch with the
                same noise every time (``seed`` of ``evaluate``: 0).

        Returns:
            A dict of per-epoch lists: ``loss``, ``reconstruction``, ``kl``
            (means over the epoch's examples, nats), ``seconds`` (wall time of
            the epoch's updates), and ``val_loss``, ``val_reconstruction``,
            ``val_kl`` when ``x_val`` is given.

        Raises:
            ValueError: for invalid data or settings.
        """
        x = self._as_batch(x)
        x_val = None if x_val is None else self._as_batch(x_val, "x_val")
        num_epochs = _check_positive_int("num_epochs", num_epochs)
        batch_size = _check_positive_int("batch_size", batch_size)
        learning_rate = _check_positive_float("learning_rate", learning_rate)
        if len(x) == 0:
            raise ValueError(f"`x` must hold at least one example. Received: x.shape={x.shape}")
        if self.optimizer is None:
            self.optimizer = Adam(learning_rate=learning_rate)
        self.optimizer.learning_rate = learning_rate
        rng = np.random.default_rng(seed)
        variables = self.trainable_weights
        keys = ("loss", "reconstruction", "kl")
        history = {key: [] for key in keys + ("seconds",)}
        if x_val is not None:
            history.update({f"val_{key}": [] for key in keys})
        for epoch in range(num_epochs):
            start = time.perf_counter()
            shuffled = x[rng.permutation(len(x))]
            totals = dict.fromkeys(keys, 0.0)
            for first in range(0, len(x), batch_size):
                batch = shuffled[first : first + batch_size]
                epsilon = rng.standard_normal((len(batch), self.latent_dim), dtype=self.dtype)
                cache = self._forward(batch, epsilon)
                self.optimizer.apply(self.backward(cache), variables)
                self.training_steps += 1
                totals["reconstruction"] += float(cache["reconstruction"].sum())
                totals["kl"] += float(cache["kl"].sum())
            history["seconds"].append(time.perf_counter() - start)
            history["reconstruction"].append(totals["reconstruction"] / len(x))
            history["kl"].append(totals["kl"] / len(x))
            history["loss"].append(history["reconstruction"][-1] + history["kl"][-1])
            message = f"Epoch {epoch + 1}/{num_epochs} - {history['seconds'][-1]:.1f}s"
            message += "".join(f" - {key}: {history[key][-1]:.2f}" for key in keys)
            if x_val is not None:
                scores = self.evaluate(x_val)
                for key in keys:
                    history[f"val_{key}"].append(scores[key])
                message += "".join(f" - val_{key}: {scores[key]:.2f}" for key in keys)
            if verbose:
                print(message)
        return history

    # ---- inference ----------------------------------------------------------

    def _per_example_terms(self, x, seed, batch_size):
        rng = np.random.default_rng(seed)
        reconstruction, kl = [], []
        for first in range(0, len(x), batch_size):
            batch = x[first : first + batch_size]
            epsilon = rng.standard_normal((len(batch), self.latent_dim), dtype=self.dtype)
            cache = self._forward(batch, epsilon)
            reconstruction.append(cache["reconstruction"])
            kl.append(cache["kl"])
        return (
            np.concatenate(reconstruction).astype("float64") if reconstruction else np.zeros(0),
            np.concatenate(kl).astype("float64") if kl else np.zeros(0),
        )

    def elbo(self, x, seed=0, batch_size=1000):
        """The ELBO of each example with one draw of z, in nats.

        Args:
            x: data ``(n, input_dim)`` (or images) in ``[0, 1]``.
            seed: seed of the noise.
            batch_size: examples per forward pass (memory only).

        Returns:
            A float64 array ``(n,)``: ``log p(x|z) - KL(q(z|x) || p(z))``.

        Raises:
            ValueError: for invalid data.
        """
        reconstruction, kl = self._per_example_terms(
            self._as_batch(x), seed, _check_positive_int("batch_size", batch_size)
        )
        return -(reconstruction + kl)

    def evaluate(self, x, seed=0, batch_size=1000):
        """Means over ``x`` of the loss and its two terms (one draw of z per example).

        Args:
            x: data ``(n, input_dim)`` (or images) in ``[0, 1]``.
            seed: seed of the noise.
            batch_size: examples per forward pass (memory only).

        Returns:
            A dict of floats: ``loss``, ``reconstruction`` and ``kl``, in nats.

        Raises:
            ValueError: for invalid data.
        """
        reconstruction, kl = self._per_example_terms(
            self._as_batch(x), seed, _check_positive_int("batch_size", batch_size)
        )
        return {
            "loss": float(np.mean(reconstruction + kl)),
            "reconstruction": float(np.mean(reconstruction)),
            "kl": float(np.mean(kl)),
        }

    def predict(self, x, batch_size=1000):
        """The encoder's ``(mean, log_var)`` of q(z|x).

        Args:
            x: data ``(n, input_dim)`` (or images) in ``[0, 1]``.
            batch_size: examples per forward pass.

        Returns:
            Two arrays ``(n, latent_dim)``.

        Raises:
            ValueError: for invalid data.
        """
        x = self._as_batch(x)
        batch_size = _check_positive_int("batch_size", batch_size)
        outputs = [self._encode(x[i : i + batch_size])[1:] for i in range(0, len(x), batch_size)]
        if not outputs:
            empty = np.zeros((0, self.latent_dim), self.dtype)
            return empty, empty.copy()
        return np.concatenate([o[0] for o in outputs]), np.concatenate([o[1] for o in outputs])

    def decode(self, z, batch_size=1000):
        """The Bernoulli means ``sigmoid(logits)`` of p(x|z).

        Args:
            z: latent codes ``(n, latent_dim)``.
            batch_size: codes per forward pass.

        Returns:
            An array ``(n, input_dim)`` of pixel probabilities.

        Raises:
            ValueError: for a badly shaped ``z``.
        """
        z = np.asarray(z)
        if z.ndim != 2 or z.shape[1] != self.latent_dim:
            raise ValueError(f"`z` must be shaped (n, {self.latent_dim}). Received: z.shape={z.shape}")
        z = z.astype(self.dtype, copy=False)
        batch_size = _check_positive_int("batch_size", batch_size)
        parts = [_sigmoid(self._decode_logits(z[i : i + batch_size])[1]) for i in range(0, len(z), batch_size)]
        return np.concatenate(parts) if parts else np.zeros((0, self.input_dim), self.dtype)

    def reconstruct(self, x, batch_size=1000):
        """Decodes the posterior mean of each example.

        Args:
            x: data ``(n, input_dim)`` (or images) in ``[0, 1]``.
            batch_size: examples per forward pass.

        Returns:
            An array ``(n, input_dim)`` of pixel probabilities.

        Raises:
            ValueError: for invalid data.
        """
        mean, _ = self.predict(x, batch_size=batch_size)
        return self.decode(mean, batch_size=batch_size)

    def generate(self, num_samples, seed=None):
        """Decodes ``num_samples`` draws of z ~ N(0, I).

        The draws are ``np.random.default_rng(seed).standard_normal``, as in
        ``models.VAE.sample``, so both give the same images from the same weights.

        Args:
            num_samples: number of images, >= 1.
            seed: seed of the draws.

        Returns:
            An array ``(num_samples, input_dim)`` of pixel probabilities.
        """
        num_samples = _check_positive_int("num_samples", num_samples)
        z = np.random.default_rng(seed).standard_normal((num_samples, self.latent_dim))
        return self.decode(z.astype("float32"))
