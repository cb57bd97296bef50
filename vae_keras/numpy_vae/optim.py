"""The optimizer of the NumPy VAE.

``Adam`` reproduces ``keras.optimizers.Adam`` update for update (the
"epsilon hat" form that Keras implements, with the arithmetic in the
variables' dtype), updating a list of NumPy arrays in place.
``NumpyVAE.train`` creates one on its first call and keeps it, as a Keras
model keeps its optimizer after ``compile()``.
"""

import numpy as np

from vae_keras.numpy_vae.validation import _check_positive_float


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
