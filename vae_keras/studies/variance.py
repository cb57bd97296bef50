"""The decoder's variance (notebook 02): what a fitted variance predicts, and what a fixed one implies.

``predicted_std`` reads the per-pixel standard deviation that a fitted-variance
decoder predicts, ``edge_correlation`` relates it to the edges of the image, and
``effective_beta`` turns a fixed standard deviation into the KL weight of the
equivalent squared-error VAE. ``validation_turn`` says where a run's validation
objective was best (the raw-pixel floor run overfits its saturated pixels).
``uniform_note``, ``predicted_std_text`` and ``floor_run_text`` put the page's findings into words.
"""

import keras
import numpy as np

from vae_keras.writeup.vocabulary import counted


def predicted_std(variant, num_images=10, seed=0):
    """Per-pixel standard deviation that a fitted-variance decoder predicts for test images.

    Returns:
        ``(reconstructions, std)`` in model space (pixels for a pixel-space
        variant), ``std`` in the same units as the pixels.
    """
    vae, prepared = variant.vae, variant.prepared
    x = prepared.model_inputs(prepared.test[0][:num_images], seed=seed)
    mean, _ = vae.encode(x)
    params = vae.decoder.predict(mean, verbose=0)
    log_var = keras.ops.convert_to_numpy(vae.likelihood.log_var(keras.ops.convert_to_tensor(params)))
    std = np.exp(0.5 * log_var)
    return np.clip(vae.likelihood.mean(params), 0, 1), std


def edge_correlation(images, std):
    """Correlation between a decoder's predicted std and the edge strength of the image, over pixels.

    Edge strength is the gradient magnitude of the grey image (mean of the channels).

    Returns:
        The Pearson correlation, a float in [-1, 1] (NaN if either map is constant).
    """
    grey = np.asarray(images, dtype="float64")
    grey = grey.mean(axis=-1) if grey.ndim == 4 else grey
    gy, gx = np.gradient(grey, axis=(1, 2))
    edges = np.hypot(gx, gy).ravel()
    spread = np.asarray(std, dtype="float64")
    spread = (spread.mean(axis=-1) if spread.ndim == 4 else spread).ravel()
    if edges.std() == 0 or spread.std() == 0:
        return float("nan")
    return float(np.corrcoef(edges, spread)[0, 1])


def effective_beta(sigma):
    """The KL weight that a fixed-variance Gaussian decoder implies for a squared-error VAE.

    ``-log N(x; mu, sigma^2) = ||x - mu||^2 / (2 sigma^2) + const``; multiplying
    the negative ELBO by ``2 sigma^2`` gives ``||x - mu||^2 + 2 sigma^2 KL``:
    a squared-error autoencoder with KL weight ``beta = 2 sigma^2``.
    """
    return 2.0 * np.square(sigma)


def validation_turn(train_curve, validation_curve):
    """A sentence on where a run's validation objective (lower is better) was best, or ``""``.

    When the validation curve ended above its best while the training curve went on falling, the gains made
    after the best epoch were on the training images only, and the sentence says by how much.
    """
    train, validation = np.asarray(train_curve, float), np.asarray(validation_curve, float)
    if validation.size < 2 or not np.all(np.isfinite(validation)):
        return ""
    best = int(np.argmin(validation))
    if validation[-1] - validation[best] < 0.05:  # ended at (or within rounding of) its best
        return f"Its validation objective was at its best at the last epoch, {validation[-1]:.1f} nats."
    text = (
        f"Its validation objective was best at epoch {best + 1} ({validation[best]:.1f} nats) and ended "
        f"{validation[-1] - validation[best]:.1f} nats above that"
    )
    if train.size == validation.size and np.all(np.isfinite(train)) and train[-1] < train[best]:
        text += (
            f", while the training objective fell another {train[best] - train[-1]:.1f} nats: after epoch "
            f"{best + 1}, the gains were on the training images only"
        )
    return text + "."


def factorised_bits_per_dim(train_images, test_images, num_levels=256):
    """Test bits/dim of the best factorised model: one categorical over the grey levels per pixel and channel.

    Fitted on the training images with one pseudo-count per level (so no test level has probability 0),
    it ignores every dependence between pixels: the trivial baseline a VAE's likelihood must beat to
    count as having learned. On dequantised pixels its histogram is a density with the same bits/dim.

    Args:
        train_images, test_images: ``uint8`` images of the same shape after the first axis.
        num_levels: grey levels per value.

    Returns:
        Bits per dimension on the test images (lower is better; 8 is a uniform model).
    """
    train = np.asarray(train_images).reshape(len(train_images), -1).astype(np.int64)
    test = np.asarray(test_images).reshape(len(test_images), -1).astype(np.int64)
    if train.shape[1] != test.shape[1]:
        raise ValueError(
            f"Train and test images must have the same size. Received: {train.shape[1]} and {test.shape[1]} values"
        )
    columns = np.arange(train.shape[1])
    counts = np.ones((train.shape[1], num_levels))
    np.add.at(counts, (np.broadcast_to(columns, train.shape), train), 1)
    log_prob = np.log(counts) - np.log(counts.sum(axis=1, keepdims=True))
    return float(-log_prob[columns, test].mean() / np.log(2))


def uniform_note(best_bits_per_dim):
    """A sentence for a ranking whose best model scores 8 bits/dim or more (no better than uniform), else ``""``."""
    if best_bits_per_dim is None or best_bits_per_dim < 8:
        return ""
    return (
        " Every variant scores 8 bits/dim or more, no better than a uniform model: at this budget none "
        "of them has learned the pixel distribution, so the ranking says little."
    )


def predicted_std_text(reconstructions, std):
    """What a fitted decoder's predicted standard deviation shows, in words: its range, and either that it is
    nearly uniform (less than 1.5x from the smallest to the largest) or how it follows the edges."""
    low, high = float(np.min(std)), float(np.max(std))
    spread_ratio = high / max(low, 1e-12)
    if spread_ratio < 1.5:
        return (
            f"The predicted standard deviation is nearly uniform: it ranges only from {low:.3f} to "
            f"{high:.3f} ({spread_ratio:.2f}x), so this model has not learned where it is unsure."
        )
    edge_r = edge_correlation(reconstructions, std)
    link = "higher on edges" if edge_r > 0.2 else "lower on edges" if edge_r < -0.2 else "no clear link to edges"
    return (
        f"The predicted standard deviation ranges from {low:.3f} to {high:.3f}; its "
        f"correlation with edge strength is r = {edge_r:.2f} ({link})."
    )


def floor_run_text(variant, floor, num_train):
    """How the run with the unsafe variance ``floor`` ended, in words: finished (with its test ELBO and
    where its validation objective turned) or stopped (with the guard's error)."""
    epochs = int(variant.row["epochs"])
    if variant.row["status"] != "completed":
        return f"The {floor:g} floor stopped after {counted(epochs, 'completed epoch')}: {variant.row.get('error')}"
    return (
        f"The {floor:g} floor finished all {counted(epochs, 'epoch')} ({epochs * num_train:,} training examples) "
        f"without a non-finite loss; its test ELBO is {variant.row['test_elbo']:.1f} nats. "
        + validation_turn(variant.curve("nelbo"), variant.curve("val_nelbo"))
    )
