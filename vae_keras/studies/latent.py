"""The latent space of a trained model: decodes along lines, over grids, and of many draws.

``interpolate`` decodes the line between two inputs' codes; ``diverse_decodes``
and ``decode_as_every_label`` show the variety that one input's code can produce
(notebook 05); ``latent_grid`` and ``decode_manifold`` draw a 2-D latent space
(notebooks 06-07); ``prepend_column`` lays decodes out beside their inputs.
"""

import numpy as np


def interpolate(vae, x_start, x_end, num_steps=10):
    """Decodes the straight line between the posterior means of two inputs.

    Returns:
        Model-space decodes, shape ``(num_steps, *input_shape)``.
    """
    means, _ = vae.encode(np.stack([x_start, x_end]))
    weights = np.linspace(0.0, 1.0, num_steps)[:, None]
    return vae.decode((1 - weights) * means[0] + weights * means[1])


def diverse_decodes(vae, x, num_draws=200, keep=10, seed=0):
    """The write-up's "analogies": many decodes of one input, keeping the most different.

    Draws ``num_draws`` codes z ~ q(z|x), decodes them, and keeps ``keep``
    decodes chosen greedily to be far apart (farthest-point selection,
    starting from the decode of the posterior mean).

    Returns:
        Model-space decodes, shape ``(keep, *input_shape)``; the first is the mean's decode.
    """
    if keep < 1 or num_draws < keep:
        raise ValueError(f"Need 1 <= keep <= num_draws. Received: keep={keep}, num_draws={num_draws}")
    mean, log_var = vae.encode(x[None])
    rng = np.random.default_rng(seed)
    z = mean + np.exp(0.5 * log_var) * rng.standard_normal((num_draws, mean.shape[1]))
    z = np.concatenate([mean, z]).astype("float32")
    decodes = vae.decode(z)
    flat = decodes.reshape(len(decodes), -1)
    chosen = [0]
    distance = np.linalg.norm(flat - flat[0], axis=1)
    while len(chosen) < keep:
        nxt = int(np.argmax(distance))
        chosen.append(nxt)
        distance = np.minimum(distance, np.linalg.norm(flat - flat[nxt], axis=1))
    return decodes[chosen]


def decode_as_every_label(conditional_vae, x, labels=None):
    """Encodes each input's style and decodes it as every label.

    Args:
        conditional_vae: a trained ``ConditionalVAE``.
        x: model inputs, ``(n, *input_shape)``.
        labels: the labels to draw, in order; default ``0 .. num_classes - 1``. Pass the
            dataset's own (``PreparedData.classes``) when it skips some or starts at 1.

    Returns:
        Model-space decodes, ``(n * len(labels), *input_shape)``, row-major:
        row i holds input i drawn as each label in turn.
    """
    labels = np.arange(conditional_vae.num_classes) if labels is None else np.asarray(labels)
    mean, _ = conditional_vae.encode(x)
    z = np.repeat(mean, len(labels), axis=0)
    return conditional_vae.decode(z, labels=np.tile(labels, len(x)))


def prepend_column(first, rows):
    """Puts ``first[i]`` before row ``i`` of ``rows`` for an image grid.

    Args:
        first: ``(n, H, W, C)`` images, e.g. the inputs.
        rows: ``(n * m, H, W, C)`` images, row-major, ``m`` per input.

    Returns:
        ``(n * (m + 1), H, W, C)`` images: each input followed by its row.
    """
    first, rows = np.asarray(first), np.asarray(rows)
    per_row = len(rows) // len(first)
    grid = np.concatenate([first[:, None], rows.reshape((len(first), per_row) + first.shape[1:])], axis=1)
    return grid.reshape((-1,) + first.shape[1:])


def latent_grid(num_points=15, spacing="inverse_cdf", limit=5.0):
    """Coordinates along each axis of a 2-D latent manifold.

    Args:
        num_points: points per axis.
        spacing: ``"inverse_cdf"`` places points at equal probability steps of
            N(0, 1) (Kingma & Welling's figure: quantiles 1/(n+1) ... n/(n+1));
            ``"linear"`` spaces them evenly in ``[-limit, limit]``.
        limit: half-width of the linear grid.

    Returns:
        A ``(num_points,)`` array.
    """
    if spacing == "inverse_cdf":
        from scipy.stats import norm

        return norm.ppf(np.linspace(1, num_points, num_points) / (num_points + 1))
    if spacing == "linear":
        return np.linspace(-limit, limit, num_points)
    raise ValueError(f"Unknown spacing. Received: spacing={spacing!r}. Accepted: inverse_cdf, linear")


def decode_manifold(vae, grid_values):
    """Decodes the 2-D grid ``grid_values x grid_values`` of a 2-D latent space.

    Returns:
        Model-space decodes ``(n * n, *input_shape)``, rows with z[1] decreasing.
    """
    if vae.latent_dim != 2:
        raise ValueError(f"A manifold plot needs latent_dim=2. Received: latent_dim={vae.latent_dim}")
    z0, z1 = np.meshgrid(grid_values, grid_values[::-1])
    return vae.decode(np.stack([z0.ravel(), z1.ravel()], axis=1).astype("float32"))
