"""A variational autoencoder in NumPy alone: forward pass, hand-written backward pass and Adam.

This is the "VAE from scratch" of notebook 08. ``NumpyVAE`` is the fully
connected Bernoulli VAE that ``vae_keras.models.build_vae`` builds with
``architecture="mlp"`` and ``likelihood="bernoulli"``:

* encoder: ``x (D) -> [Dense(H_i) + activation]* -> Dense(L) mean, Dense(L) log_var``;
* sampling: ``z = mean + exp(0.5 * log_var) * epsilon`` with ``epsilon ~ N(0, I)``;
* decoder: ``z -> [Dense(H_i) + activation]* (hidden widths reversed) -> Dense(D) logits``;
* loss: the mean over the batch of ``-log p(x|z) + KL(q(z|x) || N(0, I))``, each
  term summed over the features of one example (the reduction of
  ``vae_keras.likelihoods``), in nats.

Every gradient is written out by hand (no autograd); a finite-difference test
checks them in float64 and a second test checks them against TensorFlow's on
shared weights and noise. ``Adam`` reproduces ``keras.optimizers.Adam``
update for update.

``check_gradients`` (finite differences) and ``compare_gradients_with_keras``
(TensorFlow's autodiff on shared weights and noise) report how far the
hand-written gradients are from those references; ``compare_with_keras`` trains
both implementations side by side.

Weights follow the Keras model's order, so ``vae.set_weights(model.get_weights())``
works for the matching architecture; ``from_keras`` and ``to_keras`` copy them by
layer name instead. Nothing here imports Keras at module level: only the
functions that need it (``from_keras``, ``to_keras``, ``compare_gradients_with_keras``
and ``compare_with_keras``) do, when called.
"""

import contextlib
import math
import time

import numpy as np

ACTIVATIONS = ("relu", "tanh")
DTYPES = ("float32", "float64")


# --------------------------------------------------------------------------
# Argument checks
# --------------------------------------------------------------------------


def _check_positive_int(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"`{name}` must be an integer >= 1. Received: {name}={value!r}")
    return int(value)


def _check_hidden_units(hidden_units):
    try:
        units = tuple(hidden_units)
    except TypeError:
        units = None
    if units is None or not all(isinstance(u, (int, np.integer)) and not isinstance(u, bool) and u >= 1 for u in units):
        raise ValueError(
            f"`hidden_units` must be a sequence of integers >= 1, e.g. (512,). Received: hidden_units={hidden_units!r}"
        )
    return tuple(int(u) for u in units)


def _check_activation(activation):
    if activation not in ACTIVATIONS:
        raise ValueError(f"Unknown activation. Received: activation={activation!r}. Accepted: {', '.join(ACTIVATIONS)}")
    return activation


def _check_dtype(dtype):
    try:
        name = None if dtype is None else np.dtype(dtype).name  # np.dtype(None) would be float64
    except TypeError:
        name = None
    if name not in DTYPES:
        raise ValueError(f"Unsupported dtype. Received: dtype={dtype!r}. Accepted: {', '.join(DTYPES)}")
    return np.dtype(name)


def _check_positive_float(name, value):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.floating)) or not 0 < value < math.inf:
        raise ValueError(f"`{name}` must be a finite number > 0. Received: {name}={value!r}")
    return float(value)


def _check_blas_threads(blas_threads):
    """``None`` (no limit, also for 0) or an integer >= 1."""
    if blas_threads is None or (
        isinstance(blas_threads, (int, np.integer)) and not isinstance(blas_threads, bool) and blas_threads == 0
    ):
        return None
    if isinstance(blas_threads, bool) or not isinstance(blas_threads, (int, np.integer)) or blas_threads < 1:
        raise ValueError(
            f"`blas_threads` must be an integer >= 1, or 0 or None for NumPy's default. "
            f"Received: blas_threads={blas_threads!r}"
        )
    return int(blas_threads)


def limit_blas_threads(blas_threads):
    """A context manager that runs NumPy's BLAS with at most ``blas_threads`` threads.

    On a machine shared with other jobs, OpenBLAS's spinning worker threads
    can make the small matrix products of this model ten times slower; one
    thread avoids that. Uses ``threadpoolctl`` (a scikit-learn dependency).

    Args:
        blas_threads: the number of threads, or ``None`` (or 0) to leave NumPy's default.

    Returns:
        A context manager.

    Raises:
        ValueError: for a negative or non-integer ``blas_threads``.
    """
    blas_threads = _check_blas_threads(blas_threads)
    if blas_threads is None:
        return contextlib.nullcontext()
    import threadpoolctl

    return threadpoolctl.threadpool_limits(limits=blas_threads, user_api="blas")


# --------------------------------------------------------------------------
# Elementwise functions and their derivatives
# --------------------------------------------------------------------------


def _activation_forward(pre_activation, activation):
    if activation == "relu":
        return np.maximum(pre_activation, 0)
    return np.tanh(pre_activation)


def _activation_backward(grad, output, activation):
    """Chains ``grad`` (w.r.t. the activation's output) through it, using only the output."""
    if activation == "relu":
        return grad * (output > 0)  # relu(a) > 0 exactly where a > 0
    return grad * (1 - output * output)  # tanh' = 1 - tanh^2


def _bernoulli_terms(x, logits):
    """Per-pixel ``-log p(x | logits)`` and ``sigmoid(logits)``, from one ``exp(-|l|)``.

    ``-log p = relu(l) - l x + log1p(exp(-|l|))``: finite for any finite logit,
    as in ``vae_keras.likelihoods.bernoulli_log_prob``.
    """
    exp_minus_abs = np.exp(-np.abs(logits))
    negative_log_prob = np.maximum(logits, 0) - logits * x + np.log1p(exp_minus_abs)
    inverse = 1 / (1 + exp_minus_abs)
    # sigmoid(l) = 1 / (1 + e^-l) for l >= 0 and e^l / (1 + e^l) for l < 0: no overflow either way.
    probabilities = np.where(logits >= 0, inverse, exp_minus_abs * inverse)
    return negative_log_prob, probabilities


def _sigmoid(logits):
    exp_minus_abs = np.exp(-np.abs(logits))
    return np.where(logits >= 0, 1 / (1 + exp_minus_abs), exp_minus_abs / (1 + exp_minus_abs))


# --------------------------------------------------------------------------
# Adam
# --------------------------------------------------------------------------


class Adam:
    """Adam, computed exactly as ``keras.optimizers.Adam`` computes it.

    With ``t`` the 1-based step, for every variable ``w`` and its gradient ``g``:

        m <- m + (g - m) (1 - beta_1)
        v <- v + (g^2 - v) (1 - beta_2)
        alpha = learning_rate * sqrt(1 - beta_2^t) / (1 - beta_1^t)
        w <- w - m alpha / (sqrt(v) + epsilon)

    The bias correction sits in the step size ``alpha`` and ``epsilon`` is
    added to the uncorrected ``sqrt(v)``: Kingma & Ba's "epsilon hat" form,
    which is what Keras implements (``keras/src/optimizers/adam.py``), not
    Algorithm 1 of the paper. Arithmetic stays in the variables' dtype.

    Args:
        learning_rate: step size, > 0. Default 0.001.
        beta_1: decay rate of the first moment, in ``[0, 1)``. Default 0.9.
        beta_2: decay rate of the second moment, in ``[0, 1)``. Default 0.999.
        epsilon: added to ``sqrt(v)``, > 0. Default 1e-7 (Keras's default).

    Raises:
        ValueError: for an argument out of range.
    """

    def __init__(self, learning_rate=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-7):
        self.learning_rate = _check_positive_float("learning_rate", learning_rate)
        for name, value in (("beta_1", beta_1), ("beta_2", beta_2)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value < 1:
                raise ValueError(f"`{name}` must be a number in [0, 1). Received: {name}={value!r}")
        self.beta_1 = float(beta_1)
        self.beta_2 = float(beta_2)
        self.epsilon = _check_positive_float("epsilon", epsilon)
        self.iterations = 0
        self.momentums = None
        self.velocities = None

    def apply(self, gradients, variables):
        """Updates ``variables`` in place with one Adam step.

        Args:
            gradients: list of arrays, one per variable, same shapes.
            variables: list of arrays to update in place. The first call fixes
                the list the optimizer tracks (like ``Optimizer.build``).

        Raises:
            ValueError: if the gradients do not match the variables.
        """
        if len(gradients) != len(variables) or any(g.shape != v.shape for g, v in zip(gradients, variables)):
            raise ValueError(
                "Each variable needs one gradient of its shape. Received: gradient shapes "
                f"{[g.shape for g in gradients]} for variable shapes {[v.shape for v in variables]}"
            )
        if self.momentums is None:
            self.momentums = [np.zeros_like(v) for v in variables]
            self.velocities = [np.zeros_like(v) for v in variables]
        dtype = variables[0].dtype.type
        step = dtype(self.iterations + 1)
        beta_1_power = dtype(self.beta_1) ** step
        beta_2_power = dtype(self.beta_2) ** step
        alpha = dtype(self.learning_rate) * np.sqrt(1 - beta_2_power) / (1 - beta_1_power)
        for gradient, variable, m, v in zip(gradients, variables, self.momentums, self.velocities):
            gradient = gradient.astype(variable.dtype, copy=False)
            m += (gradient - m) * (1 - self.beta_1)
            v += (np.square(gradient) - v) * (1 - self.beta_2)
            variable -= (m * alpha) / (np.sqrt(v) + self.epsilon)
        self.iterations += 1


# --------------------------------------------------------------------------
# The model
# --------------------------------------------------------------------------


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


# --------------------------------------------------------------------------
# Gradient check
# --------------------------------------------------------------------------


def check_gradients(model, x, epsilon, num_entries=8, step=1e-6, seed=0):
    """Compares ``backward()`` with central finite differences, one weight array at a time.

    For ``num_entries`` entries of each weight array, drawn at random, the
    numeric derivative of the loss (for the fixed noise ``epsilon``) is

        (loss(w + step) - loss(w - step)) / (2 step)

    and the error of the entry is ``|analytic - numeric| / max(|analytic|,
    |numeric|)`` (0 where both are exactly 0, e.g. the kernel row of a pixel
    that is 0 in every example).

    Central differences err by ``O(step^2)`` plus round-off. Subtracting two
    losses of ~500 nats would lose ``1e-16 * 500 / step`` (3e-8 at the
    default step, a large part of a small derivative), so the difference is
    accumulated term by term instead: each pixel's ``-log p`` and each
    latent's KL term, which are ~1 each. A correct gradient then scores
    about 1e-7 or less, and a wrong one 1e-3 or more. Every weight is
    restored afterwards.

    Args:
        model: a float64 ``NumpyVAE`` (in float32 the round-off,
            ``6e-8 * loss / step``, would swamp the derivative).
        x: a batch ``(batch, input_dim)`` (or images) in ``[0, 1]``.
        epsilon: the N(0, I) noise of the reparameterisation, ``(batch, latent_dim)``.
        num_entries: entries checked per weight array (all of a smaller array).
        step: the finite-difference step, > 0.
        seed: seed of the choice of entries.

    Returns:
        A dict ``{weight_name: max relative error over the checked entries}``,
        in the order of ``model.weight_names``.

    Raises:
        ValueError: for a model that is not float64, or invalid arguments.
    """
    if not isinstance(model, NumpyVAE) or model.dtype != np.float64:
        raise ValueError(
            "`model` must be a NumpyVAE with dtype='float64' (finite differences need the precision). "
            f"Received: model={type(model).__name__} with dtype={getattr(model, 'dtype', None)}"
        )
    num_entries = _check_positive_int("num_entries", num_entries)
    step = _check_positive_float("step", step)
    x = model._as_batch(x)
    epsilon = model._as_epsilon(epsilon, len(x))
    _, gradients = model.loss_and_gradients(x, epsilon)
    rng = np.random.default_rng(seed)
    errors = {}
    for name, weight, gradient in zip(model.weight_names, model.trainable_weights, gradients):
        worst = 0.0
        for flat in rng.choice(weight.size, size=min(num_entries, weight.size), replace=False):
            index = np.unravel_index(flat, weight.shape)
            original = weight[index]
            try:
                weight[index] = original + step
                plus = model._forward(x, epsilon)
                weight[index] = original - step
                minus = model._forward(x, epsilon)
            finally:
                weight[index] = original
            change = np.sum(plus["reconstruction_terms"] - minus["reconstruction_terms"])
            change += np.sum(plus["kl_terms"] - minus["kl_terms"])
            numeric = float(change) / (len(x) * 2 * step)
            analytic = float(gradient[index])
            scale = max(abs(analytic), abs(numeric))
            if scale > 0:
                worst = max(worst, abs(analytic - numeric) / scale)
        errors[name] = worst
    return errors


# --------------------------------------------------------------------------
# Keras interoperability (Keras is imported only when these are called)
# --------------------------------------------------------------------------


def _keras_architecture(vae):
    """Reads ``(input_dim, latent_dim, hidden_units, activation)`` from a Keras VAE, checking that it matches."""
    from vae_keras import likelihoods

    if not isinstance(getattr(vae, "likelihood", None), likelihoods.Bernoulli):
        raise ValueError(
            "NumpyVAE mirrors a VAE with a Bernoulli likelihood. "
            f"Received: vae with likelihood={getattr(vae, 'likelihood', None)!r}"
        )
    allowed = {
        "encoder": {"InputLayer", "Flatten", "Dense", "Activation"},
        "decoder": {"InputLayer", "Dense", "Activation", "Reshape"},
    }
    units, activations = {}, set()
    for part in ("encoder", "decoder"):
        model = getattr(vae, part)
        kinds = {type(layer).__name__ for layer in model.layers}
        if not kinds <= allowed[part]:
            raise ValueError(
                "NumpyVAE mirrors a fully connected VAE (no batch norm, dropout, convolutions or split heads). "
                f"Received: {part} layers of types {sorted(kinds - allowed[part])}"
            )
        names = {layer.name for layer in model.layers}
        units[part] = []
        while f"hidden{len(units[part])}_dense" in names:
            units[part].append(int(model.get_layer(f"hidden{len(units[part])}_dense").units))
        activations |= {
            layer.get_config()["activation"] for layer in model.layers if type(layer).__name__ == "Activation"
        }
    encoder_names = {layer.name for layer in vae.encoder.layers}
    if not {"mean", "log_var"} <= encoder_names or units["decoder"] != units["encoder"][::-1]:
        raise ValueError(
            "NumpyVAE needs encoder layers hidden{i}_dense, mean and log_var, and decoder widths that mirror the "
            f"encoder's. Received: encoder widths {units['encoder']}, decoder widths {units['decoder']}"
        )
    if len(activations) > 1 or not activations <= set(ACTIVATIONS):
        raise ValueError(
            f"Unsupported activation. Received: activation={sorted(activations)}. Accepted: {', '.join(ACTIVATIONS)}"
        )
    activation = activations.pop() if activations else "relu"  # no hidden layer: the activation is unused
    input_dim = int(math.prod(vae.encoder.inputs[0].shape[1:]))
    latent_dim = int(vae.encoder.get_layer("mean").units)
    return input_dim, latent_dim, tuple(units["encoder"]), activation


def _keras_variables(vae, hidden_layers):
    """The Keras VAE's Dense kernels and biases, in the order of ``NumpyVAE.weight_names``."""
    names = [("encoder", f"hidden{i}_dense") for i in range(hidden_layers)] + [
        ("encoder", "mean"),
        ("encoder", "log_var"),
    ]
    names += [("decoder", f"hidden{i}_dense") for i in range(hidden_layers)] + [("decoder", "params")]
    variables = []
    for part, name in names:
        layer = getattr(vae, part).get_layer(name)
        variables += [layer.kernel, layer.bias]
    return variables


def from_keras(vae, dtype="float32"):
    """A ``NumpyVAE`` with the architecture and the weights of a Keras VAE.

    Weights are matched by layer name (encoder ``hidden{i}_dense``, ``mean``,
    ``log_var``; decoder ``hidden{i}_dense``, ``params``), not by position.

    Args:
        vae: a ``models.VAE`` built by ``models.build_vae(..., architecture="mlp",
            likelihood="bernoulli")`` without batch norm, dropout or split heads.
        dtype: dtype of the NumPy model.

    Returns:
        A ``NumpyVAE``.

    Raises:
        ValueError: if the Keras model has a different architecture or likelihood.
    """
    from keras import ops

    input_dim, latent_dim, hidden_units, activation = _keras_architecture(vae)
    model = NumpyVAE(input_dim, latent_dim, hidden_units, activation=activation, dtype=dtype)
    for target, variable in zip(model.trainable_weights, _keras_variables(vae, len(hidden_units))):
        target[...] = ops.convert_to_numpy(variable)
    model.training_steps = int(ops.convert_to_numpy(vae.training_steps))
    return model


def to_keras(model, vae=None):
    """Copies a ``NumpyVAE``'s weights into a Keras VAE, by layer name.

    Args:
        model: a ``NumpyVAE``.
        vae: the Keras VAE to overwrite; default: a new
            ``models.build_vae((input_dim,), ...)`` of the same architecture.

    Returns:
        The Keras VAE.

    Raises:
        ValueError: if ``vae`` has a different architecture.
    """
    from vae_keras import models

    if vae is None:
        vae = models.build_vae(
            (model.input_dim,), model.latent_dim, hidden_units=model.hidden_units, activation=model.activation
        )
    architecture = _keras_architecture(vae)
    expected = (model.input_dim, model.latent_dim, model.hidden_units)
    if architecture[:3] != expected or (model.hidden_units and architecture[3] != model.activation):
        raise ValueError(
            "The Keras VAE must have the NumpyVAE's architecture (input_dim, latent_dim, hidden_units, activation) "
            f"= {expected + (model.activation,)}. Received: vae with {architecture}"
        )
    for variable, value in zip(_keras_variables(vae, len(model.hidden_units)), model.trainable_weights):
        variable.assign(value.astype("float32"))
    vae.training_steps.assign(float(model.training_steps))
    return vae


def compare_gradients_with_keras(vae, x, epsilon):
    """The loss and gradients of a ``NumpyVAE`` against TensorFlow's, on the same weights and noise.

    The Keras VAE's weights are copied into a float32 ``NumpyVAE``
    (``from_keras``). On the Keras side the loss is that of
    ``VAE.compute_loss`` (KL weight 1) with the sampler replaced by the given
    noise: ``z = mean + exp(log_var / 2) * epsilon``, then the mean over the
    batch of ``-likelihood.log_prob(x, decoder(z)) + kl_standard_normal(mean,
    log_var)``. Its gradients come from ``tf.GradientTape``. Gradients are
    matched by layer name.

    Entries of a gradient near zero come from cancellation, so the relative
    difference of a weight array is its largest absolute difference divided
    by the largest absolute entry of the Keras gradient. Both sides compute in
    float32: expect differences of order 1e-6 relative.

    Args:
        vae: a Keras ``models.VAE`` that ``from_keras`` accepts (fully
            connected, Bernoulli likelihood).
        x: a batch ``(batch, input_dim)`` (or images with ``input_dim`` pixels) in ``[0, 1]``.
        epsilon: the N(0, I) noise, ``(batch, latent_dim)``.

    Returns:
        A dict: ``numpy_loss`` and ``keras_loss`` (floats, nats),
        ``loss_difference`` (``|numpy_loss - keras_loss|``) and ``gradients``:
        ``{weight_name: {"max_abs_difference": float,
        "max_relative_difference": float}}`` in the order of ``NumpyVAE.weight_names``.

    Raises:
        RuntimeError: if the Keras backend is not TensorFlow (the reference
            gradients use ``tf.GradientTape``).
        ValueError: for a model that ``from_keras`` rejects, or invalid data.
    """
    import keras

    backend = keras.backend.backend()
    if backend != "tensorflow":
        raise RuntimeError(
            "compare_gradients_with_keras computes the Keras gradients with tf.GradientTape, so it needs the "
            f"TensorFlow backend. Received: backend {backend!r}. Set KERAS_BACKEND=tensorflow before importing keras."
        )
    import tensorflow as tf
    from keras import ops

    from vae_keras import likelihoods

    model = from_keras(vae, dtype="float32")
    flat = model._as_batch(x)
    epsilon = model._as_epsilon(epsilon, len(flat))
    loss, gradients = model.loss_and_gradients(flat, epsilon)

    x_keras = flat.reshape((len(flat),) + tuple(vae.encoder.inputs[0].shape[1:]))
    variables = _keras_variables(vae, len(model.hidden_units))
    with tf.GradientTape() as tape:
        mean, log_var = vae.encoder(x_keras, training=False)
        z = mean + ops.exp(0.5 * log_var) * epsilon
        params = vae.decoder(z, training=False)
        reconstruction = -vae.likelihood.log_prob(x_keras, params)
        keras_loss = ops.mean(reconstruction + likelihoods.kl_standard_normal(mean, log_var))
    keras_gradients = tape.gradient(keras_loss, variables)

    keras_loss = float(ops.convert_to_numpy(keras_loss))
    differences = {}
    for name, gradient, keras_gradient in zip(model.weight_names, gradients, keras_gradients):
        keras_gradient = ops.convert_to_numpy(keras_gradient).astype("float64")
        largest_difference = float(np.max(np.abs(gradient.astype("float64") - keras_gradient)))
        scale = float(np.max(np.abs(keras_gradient)))
        relative = largest_difference / scale if scale > 0 else (0.0 if largest_difference == 0 else math.inf)
        differences[name] = {"max_abs_difference": largest_difference, "max_relative_difference": relative}
    return {
        "numpy_loss": loss,
        "keras_loss": keras_loss,
        "loss_difference": abs(loss - keras_loss),
        "gradients": differences,
    }


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
    import keras

    from vae_keras import models
    from vae_keras import train as training

    x_train = np.asarray(x_train)
    if x_train.ndim < 2 or not len(x_train):
        raise ValueError(f"`x_train` must be a non-empty batch (n, ...). Received: x_train.shape={x_train.shape}")
    num_epochs = _check_positive_int("num_epochs", num_epochs)
    _check_blas_threads(blas_threads)
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
    table = {"model": [], "epoch": [], "seconds": [], "train_loss": [], "test_elbo": []}

    def numpy_epoch(epoch):
        with limit_blas_threads(blas_threads):
            history = numpy_model.train(
                x_train, 1, batch_size=batch_size, learning_rate=learning_rate, seed=seed + epoch, verbose=0
            )
        return history["seconds"][0], history["loss"][0], numpy_model

    def keras_epoch(epoch):
        start = time.perf_counter()
        history = vae.fit(x_train, epochs=1, batch_size=batch_size, shuffle=True, verbose=0)
        seconds = time.perf_counter() - start
        return seconds, float(history.history["loss"][0]), from_keras(vae)

    for epoch in range(num_epochs):
        runs = [("numpy", numpy_epoch), ("keras", keras_epoch)]
        for name, run in runs if epoch % 2 else runs[::-1]:
            seconds, loss, scored = run(epoch)
            row = (name, epoch + 1, seconds, loss, float(np.mean(scored.elbo(x_test, seed=seed))))
            for key, value in zip(table, row):
                table[key].append(value)
            if verbose:
                print(
                    "  ".join(
                        f"{key}={value:.4g}" if isinstance(value, float) else f"{key}={value}"
                        for key, value in zip(table, row)
                    )
                )
    return (table, numpy_model, vae) if return_models else table


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
