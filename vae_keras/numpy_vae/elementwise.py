"""The elementwise functions of the NumPy VAE and their derivatives.

The hidden activations (relu and tanh) forward, and backward using only the
activation's output; the decoder's per-pixel Bernoulli negative
log-likelihood, finite for any finite logit as in
``vae_keras.likelihoods.bernoulli_log_prob``, together with the sigmoid that
its gradient needs; and a stand-alone overflow-free sigmoid for decoding. They
act on arrays of any shape and hold no state; ``model.NumpyVAE`` builds its
forward and backward passes from them.
"""

import numpy as np


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
