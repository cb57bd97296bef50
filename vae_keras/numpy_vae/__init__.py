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

Submodules, one concern each (everything public is re-exported here, so
``numpy_vae.NumpyVAE``, ``numpy_vae.check_gradients`` etc. work as before):

* ``validation``: the accepted activations and dtypes (``ACTIVATIONS``,
  ``DTYPES``) and the argument checks shared by the others;
* ``blas``: ``limit_blas_threads``, a cap on NumPy's BLAS threads;
* ``elementwise``: the activations and their derivatives, the stable
  Bernoulli terms and the sigmoid;
* ``optim``: ``Adam``;
* ``model``: ``NumpyVAE``: parameters, forward pass, hand-written backward
  pass, loss, training and inference;
* ``keras_interop``: ``from_keras`` and ``to_keras``, which copy weights
  to and from the Keras twin by layer name;
* ``gradcheck``: ``check_gradients`` (finite differences) and
  ``compare_gradients_with_keras`` (TensorFlow's autodiff on shared weights
  and noise), which report how far the hand-written gradients are from those
  references;
* ``timing``: ``compare_with_keras``, which trains both implementations side
  by side and times their epochs, and ``side_by_side`` and
  ``summarize_comparison``, which tabulate and summarise its table.

Data flow: a batch ``x`` in ``[0, 1]`` and noise ``epsilon`` go through
``NumpyVAE.forward`` (built from ``elementwise``), which returns a cache of
every activation and the loss; ``NumpyVAE.backward`` turns the cache into one
gradient per weight, and ``optim.Adam`` applies them to the weights in place
(``NumpyVAE.train`` loops this over shuffled minibatches). ``gradcheck``
checks those gradients; ``keras_interop`` moves weights between the NumPy
model and the Keras one, which ``gradcheck`` and ``timing`` use to start both
from the same point.

Weights follow the Keras model's order, so ``vae.set_weights(model.get_weights())``
works for the matching architecture; ``from_keras`` and ``to_keras`` copy them by
layer name instead. Nothing here imports Keras at module level: only the
functions that need it (``from_keras``, ``to_keras``, ``compare_gradients_with_keras``
and ``compare_with_keras``) do, when called.
"""

from vae_keras.numpy_vae.blas import limit_blas_threads
from vae_keras.numpy_vae.gradcheck import check_gradients, compare_gradients_with_keras
from vae_keras.numpy_vae.keras_interop import from_keras, to_keras
from vae_keras.numpy_vae.model import NumpyVAE
from vae_keras.numpy_vae.optim import Adam
from vae_keras.numpy_vae.timing import compare_with_keras, side_by_side, summarize_comparison
from vae_keras.numpy_vae.validation import ACTIVATIONS, DTYPES

__all__ = [
    "ACTIVATIONS",
    "DTYPES",
    "Adam",
    "NumpyVAE",
    "check_gradients",
    "compare_gradients_with_keras",
    "compare_with_keras",
    "from_keras",
    "limit_blas_threads",
    "side_by_side",
    "summarize_comparison",
    "to_keras",
]
